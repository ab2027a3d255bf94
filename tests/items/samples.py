"""One sound bank-format item of every type, and a small competency dictionary, for tests."""
from __future__ import annotations

import copy

LEVEL_LABELS = ["Basic", "Intermediate", "Proficient", "Advanced", "Expert"]


def competency(code: str, name: str, kind: str, **extra) -> dict:
    return {"code": code, "name": name, "type": kind, "description": f"{name} in government work",
            "levels": [{"level": n, "label": LEVEL_LABELS[n - 1], "descriptor": f"{name}: level {n} work"}
                       for n in range(1, 6)], **extra}


COMPETENCIES = [
    competency("FN-NOTING", "Noting and drafting", "functional", name_hi="टिप्पण और प्रारूपण"),
    competency("BH-EMPATHY", "Empathy", "behavioural"),
    competency("DM-RTI", "Right to Information Act", "domain"),
]

STEM = {"en": "Which officer signs the note?", "hi": "टिप्पणी पर कौन अधिकारी हस्ताक्षर करता है?"}
RATIONALE = {"en": "The Section Officer signs; the others do not."}


def _options(*labels: str) -> list[dict]:
    return [{"id": chr(65 + i), "text": {"en": label, "hi": f"{label} (हि)"}} for i, label in enumerate(labels)]


ITEMS = {
    "single_choice": {"id": "SC-1", "type": "single_choice", "competency": "FN-NOTING", "level": 2,
                      "sub_area": "noting", "stem": STEM,
                      "options": _options("Assistant", "Section Officer", "Clerk"), "key": "B",
                      "rationale": RATIONALE, "reference": "Manual of Office Procedure, para 4.3"},
    "multiple_response": {"id": "MR-1", "type": "multiple_response", "competency": "FN-NOTING",
                          "level": 3, "stem": STEM,
                          "options": _options("Diary number", "File number", "Colour", "Date"),
                          "key": ["A", "B", "D"], "partial_credit": True, "rationale": RATIONALE},
    "true_false": {"id": "TF-1", "type": "true_false", "competency": "DM-RTI", "level": 1,
                   "stem": {"en": "A PIO must reply within 30 days.",
                            "hi": "लोक सूचना अधिकारी को 30 दिन में उत्तर देना होता है।"},
                   "key": True, "rationale": RATIONALE},
    "text_entry": {"id": "TE-1", "type": "text_entry", "competency": "FN-NOTING", "level": 1,
                   "stem": STEM, "accepted": [{"value": "Section Officer", "credit": 1.0},
                                              {"value": "SO", "credit": 0.5}],
                   "rationale": RATIONALE},
    "numeric_entry": {"id": "NE-1", "type": "numeric_entry", "competency": "DM-RTI", "level": 2,
                      "stem": {"en": "Within how many days must a PIO reply?"}, "key": 30,
                      "tolerance": 0, "unit": "days", "rationale": RATIONALE},
    "ordering": {"id": "OR-1", "type": "ordering", "competency": "FN-NOTING", "level": 4,
                 "stem": {"en": "Put the steps in order.", "hi": "चरणों को क्रम में लगाएँ।"},
                 "options": _options("Receive", "Diarise", "Note", "Submit"),
                 "key": ["A", "B", "C", "D"], "partial_credit": True, "rationale": RATIONALE},
    "situational_judgement": {
        "id": "SJ-1", "type": "situational_judgement", "competency": "BH-EMPATHY", "level": 3,
        "stem": {"en": "A citizen is upset about a delay. What do you do?"},
        "options": [{"id": "A", "text": {"en": "Listen and explain"}, "credit": 2},
                    {"id": "B", "text": {"en": "Refer to the rules"}, "credit": 1},
                    {"id": "C", "text": {"en": "Ask them to leave"}, "credit": 0}],
        "rationale": RATIONALE},
    "likert": {"id": "LK-1", "type": "likert", "competency": "BH-EMPATHY", "level": 2,
               "stem": {"en": "I ask colleagues how a change affects them."},
               "options": [{"id": "1", "text": {"en": "Never"}, "credit": 0},
                           {"id": "2", "text": {"en": "Sometimes"}, "credit": 1},
                           {"id": "3", "text": {"en": "Often"}, "credit": 2},
                           {"id": "4", "text": {"en": "Always"}, "credit": 3}],
               "rationale": RATIONALE},
}


def item(item_type: str, **changes) -> dict:
    """A deep copy of the sample of ``item_type`` with ``changes`` applied."""
    data = copy.deepcopy(ITEMS[item_type])
    data.update(changes)
    return data
