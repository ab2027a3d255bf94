"""The spreadsheet template authors download: one example row per item type, and a guide.

The examples are bank-format items written by the CSV/XLSX exporter, so the template is
always in step with what the importer reads (a test imports it).
"""
from __future__ import annotations

from typing import Any

from piaa.items.exporters import tabular as tabular_out

EXAMPLE_COMPETENCY = "FN-NOTING"
EXAMPLE_BEHAVIOURAL = "BH-EMPATHY"

GUIDE: list[tuple[str, str]] = [
    ("id", "Item id, unique in the bank: letters, digits, - _ ."),
    ("type", "single_choice, multiple_response, true_false, text_entry, numeric_entry, ordering, "
             "situational_judgement or likert"),
    ("competency", "Competency code from the dictionary (may be left empty when the import names one)"),
    ("level", "Target proficiency level 1-5 (may be left empty when the import names one)"),
    ("sub_area", "Optional blueprint sub-area"),
    ("stem_en, stem_hi", "The question in English (required) and Hindi; plain text, a blank line "
                         "between paragraphs"),
    ("option_X_en, option_X_hi", "Option X (A-H) text; the option's id is the letter"),
    ("option_X_credit", "Situational judgement and Likert only: whole-number credit 0..K-1"),
    ("key", "single_choice: B | multiple_response: A;C | ordering: C;A;B (every option) | "
            "true_false: true or false | numeric_entry: 42.5 | text_entry: accepted answers "
            "separated by ';', each with an optional =credit, e.g. Section Officer; SO=0.5 | "
            "polytomous: leave empty"),
    ("partial_credit", "multiple_response and ordering: true or false (default false)"),
    ("case_sensitive", "text_entry: true or false (default false)"),
    ("collapse_spaces", "text_entry: true or false (default true: spaces are trimmed and folded)"),
    ("tolerance", "numeric_entry: absolute tolerance >= 0 (default 0)"),
    ("unit", "numeric_entry: unit shown after the answer box"),
    ("rationale_en, rationale_hi", "Why the key is right and the distractors wrong (English required)"),
    ("reference", "Optional source, e.g. a manual and paragraph"),
]


def _text(en: str, hi: str) -> dict[str, str]:
    return {"en": en, "hi": hi}


def example_items() -> list[dict[str, Any]]:
    base = {"competency": EXAMPLE_COMPETENCY, "level": 2, "sub_area": "noting"}
    why = _text("Explain why the key is right and the others wrong.",
                "बताइए कि कुंजी सही और अन्य गलत क्यों हैं।")
    two = [{"id": "A", "text": _text("First option", "पहला विकल्प")},
           {"id": "B", "text": _text("Second option", "दूसरा विकल्प")},
           {"id": "C", "text": _text("Third option", "तीसरा विकल्प")}]
    return [
        {**base, "id": "EX-001", "type": "single_choice",
         "stem": _text("Which option is correct?", "कौन-सा विकल्प सही है?"), "options": two,
         "key": "B", "rationale": why, "reference": "Manual of Office Procedure, para 4.3"},
        {**base, "id": "EX-002", "type": "multiple_response",
         "stem": _text("Which two options are correct?", "कौन-से दो विकल्प सही हैं?"), "options": two,
         "key": ["A", "C"], "partial_credit": True, "rationale": why},
        {**base, "id": "EX-003", "type": "true_false",
         "stem": _text("This statement is true.", "यह कथन सत्य है।"), "key": True, "rationale": why},
        {**base, "id": "EX-004", "type": "text_entry",
         "stem": _text("Who signs the note?", "टिप्पणी पर कौन हस्ताक्षर करता है?"),
         "accepted": [{"value": "Section Officer", "credit": 1.0}, {"value": "SO", "credit": 0.5}],
         "rationale": why},
        {**base, "id": "EX-005", "type": "numeric_entry",
         "stem": _text("Within how many days must the reply be sent?",
                       "उत्तर कितने दिनों के भीतर भेजा जाना चाहिए?"),
         "key": 15, "tolerance": 0, "unit": "days", "rationale": why},
        {**base, "id": "EX-006", "type": "ordering",
         "stem": _text("Put the steps in order.", "चरणों को क्रम में लगाइए।"), "options": two,
         "key": ["C", "A", "B"], "partial_credit": False, "rationale": why},
        {"competency": EXAMPLE_BEHAVIOURAL, "level": 3, "id": "EX-007", "type": "situational_judgement",
         "stem": _text("A colleague is upset. What do you do?", "एक सहकर्मी परेशान है। आप क्या करेंगे?"),
         "options": [{**two[0], "credit": 0}, {**two[1], "credit": 2}, {**two[2], "credit": 1}],
         "rationale": why},
        {"competency": EXAMPLE_BEHAVIOURAL, "level": 3, "id": "EX-008", "type": "likert",
         "stem": _text("I listen before I answer.", "मैं उत्तर देने से पहले सुनता/सुनती हूँ।"),
         "options": [{"id": "A", "text": _text("Rarely", "शायद ही कभी"), "credit": 0},
                     {"id": "B", "text": _text("Sometimes", "कभी-कभी"), "credit": 1},
                     {"id": "C", "text": _text("Usually", "आमतौर पर"), "credit": 2}],
         "rationale": why},
    ]


def template_bytes(fmt: str = "csv") -> bytes:
    """The template as CSV (UTF-8 with BOM, for Excel) or XLSX (with a guide sheet)."""
    items = example_items()
    if fmt == "xlsx":
        return tabular_out.xlsx_bytes(items, ("en", "hi"), GUIDE)
    return tabular_out.csv_text(items, ("en", "hi")).encode("utf-8-sig")
