"""Item types answered by typing: short text entry and numeric entry."""
from __future__ import annotations

import math
import re
import unicodedata

from piaa.errors import Invalid
from piaa.i18n import N_
from piaa.items.types.base import ItemType, as_number, check_text, pick_text, problem

MAX_TEXT_ANSWER = 500


def normalise_text(value: str, *, case_sensitive: bool, collapse_spaces: bool) -> str:
    """The form in which an answer and an accepted value are compared.

    NFC first, because the same Devanagari word can arrive composed or decomposed
    depending on the keyboard.
    """
    value = unicodedata.normalize("NFC", value)
    if collapse_spaces:
        value = re.sub(r"\s+", " ", value).strip()
    if not case_sensitive:
        value = value.casefold()
    return value


class TextEntry(ItemType):
    name = "text_entry"
    label, label_hi = "Short text entry", "लघु पाठ उत्तर"
    interaction = "text"
    type_fields = ("accepted", "case_sensitive", "collapse_spaces")
    defaults = {"case_sensitive": False, "collapse_spaces": True}
    qti_interaction, qti_cardinality, qti_base_type = "qti-text-entry-interaction", "single", "string"

    @classmethod
    def validate_fields(cls, content, languages, stem_langs):
        found = []
        for flag in ("case_sensitive", "collapse_spaces"):
            if not isinstance(content.get(flag), bool):
                found.append(problem(flag, N_("must be true or false")))
        accepted = content.get("accepted")
        if not isinstance(accepted, list) or not accepted:
            return found + [problem("accepted", N_("must list at least one accepted answer"))]
        seen: dict[str, int] = {}
        for i, entry in enumerate(accepted):
            where = f"accepted[{i}]"
            if not isinstance(entry, dict) or set(entry) - {"value", "credit"}:
                found.append(problem(where, N_('must be {"value": "...", "credit": 0..1}')))
                continue
            value, credit = entry.get("value"), entry.get("credit", 1.0)
            if not isinstance(value, str) or not value.strip():
                found.append(problem(f"{where}.value", N_("must be non-empty text")))
                continue
            if isinstance(credit, bool) or not isinstance(credit, (int, float)) or not 0 < credit <= 1:
                found.append(problem(f"{where}.credit", N_("must be a number in (0, 1], got {credit}"),
                                     {"credit": repr(credit)}))
            if not isinstance(content.get("case_sensitive"), bool) or \
                    not isinstance(content.get("collapse_spaces"), bool):
                continue
            norm = normalise_text(value, case_sensitive=content["case_sensitive"],
                                  collapse_spaces=content["collapse_spaces"])
            if norm in seen:
                found.append(problem(f"{where}.value",
                                     N_("matches the same answers as accepted[{seen}]"), {"seen": seen[norm]}))
            seen[norm] = i
        credits = [e.get("credit", 1.0) for e in accepted if isinstance(e, dict)]
        if credits and all(isinstance(c, (int, float)) for c in credits) and max(credits) != 1:
            found.append(problem("accepted", N_("at least one accepted answer must earn full credit (1)")))
        return found

    @classmethod
    def widget(cls, content, lang, rng):
        return {"max_length": MAX_TEXT_ANSWER}

    @classmethod
    def check_answer(cls, content, answer):
        if not isinstance(answer, str):
            raise Invalid(N_("answer must be text, got {answer}"), field="answer", values={"answer": repr(answer)})
        if len(answer) > MAX_TEXT_ANSWER:
            raise Invalid(N_("answer is longer than {max_text_answer} characters"), field="answer",
                          values={"max_text_answer": MAX_TEXT_ANSWER})
        return answer

    @classmethod
    def credit(cls, content, answer):
        rules = {"case_sensitive": content["case_sensitive"],
                 "collapse_spaces": content["collapse_spaces"]}
        given = normalise_text(answer, **rules)
        return max((float(e.get("credit", 1.0)) for e in content["accepted"]
                    if normalise_text(e["value"], **rules) == given), default=0.0)


class NumericEntry(ItemType):
    name = "numeric_entry"
    label, label_hi = "Numeric entry", "संख्यात्मक उत्तर"
    interaction = "number"
    type_fields = ("key", "tolerance", "unit")
    defaults = {"tolerance": 0}
    qti_interaction, qti_cardinality, qti_base_type = "qti-text-entry-interaction", "single", "float"

    @classmethod
    def validate_fields(cls, content, languages, stem_langs):
        found = []
        key, tolerance = content.get("key"), content.get("tolerance")
        if isinstance(key, bool) or not isinstance(key, (int, float)) or not math.isfinite(key):
            found.append(problem("key", N_("must be a number, got {key}"), {"key": repr(key)}))
        if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) \
                or not math.isfinite(tolerance) or tolerance < 0:
            found.append(problem("tolerance", N_("must be a number >= 0, got {tolerance}"),
                                 {"tolerance": repr(tolerance)}))
        unit = content.get("unit")
        if isinstance(unit, dict):
            found += check_text(unit, "unit", languages=languages)
        elif unit is not None and (not isinstance(unit, str) or len(unit) > 40):
            found.append(problem("unit", N_("must be a short text")))
        return found

    @classmethod
    def widget(cls, content, lang, rng):
        unit = content.get("unit")
        return {"unit": pick_text(unit, lang) if unit else None}

    @classmethod
    def check_answer(cls, content, answer):
        return as_number(answer, "answer")

    @classmethod
    def credit(cls, content, answer):
        # A hair of slack so that 0.1 + 0.2 style representation error never costs credit.
        slack = 1e-9 * max(1.0, abs(content["key"]))
        return 1.0 if abs(answer - content["key"]) <= content["tolerance"] + slack else 0.0
