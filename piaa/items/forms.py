"""Web forms of the items domain, and the translation between an item form and item content.

Options and accepted answers are repeated rows (``option-0-en``, ``option-0-hi``, ...):
the page shows a few blank rows and a little script adds more; blank rows are ignored.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from werkzeug.datastructures import MultiDict
from wtforms import (BooleanField, RadioField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from piaa.i18n import N_
from piaa.i18n import gettext as _
from piaa.i18n import lazy_gettext as _l
from piaa.items import structured_forms as structured
from piaa.items.types import ITEM_TYPES

MAX_ROWS = 8


def choices(pairs) -> list[SelectChoice]:
    """Select and radio choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BankForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])
    languages = MultiCheckboxField(_l("Languages"), choices=choices([("en", _l("English")), ("hi", "हिन्दी")]),
                                   default=["en", "hi"])
    organisation = SelectField(_l("Owning agency"), coerce=int, validate_choice=False)


class CompetencyImportForm(FlaskForm):
    file = FileField(_l("Dictionary file (.csv or .json)"),
                     validators=[FileRequired(), FileAllowed(["csv", "json"], "a .csv or .json file")])


class ReviewForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=choices([("approve", _l("Approve")), ("return", _l("Return to the author"))]),
                          validators=[DataRequired()])
    comments = TextAreaField(_l("Comments (required when returning)"), validators=[Length(max=4000)])


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


class RetireForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])


class ItemForm(FlaskForm):
    code = StringField(_l("Item id"), validators=[Length(max=64)])
    competency = SelectField(_l("Competency"), validate_choice=False)
    level = SelectField(_l("Target proficiency level"), coerce=int, choices=choices((n, str(n)) for n in range(1, 6)))
    sub_area = StringField(_l("Sub-area (optional)"), validators=[Optional(), Length(max=100)])
    stem_en = TextAreaField(_l("Question (English)"))
    stem_hi = TextAreaField(_l("Question (Hindi)"))
    rationale_en = TextAreaField(_l("Rationale for reviewers (English)"))
    rationale_hi = TextAreaField(_l("Rationale for reviewers (Hindi)"))
    reference = StringField(_l("Source reference (optional)"), validators=[Optional(), Length(max=300)])
    partial_credit = BooleanField(_l("Give partial credit"))
    case_sensitive = BooleanField(_l("Case must match"))
    collapse_spaces = BooleanField(_l("Ignore extra spaces"), default=True)
    key_bool = RadioField(_l("Correct answer"), choices=choices([("true", "True"), ("false", "False")]), default="true")
    key_number = StringField(_l("Correct value"))
    tolerance = StringField(_l("Tolerance (±)"), default="0")
    unit = StringField(_l("Unit shown after the box (optional)"), validators=[Optional(), Length(max=40)])
    rubric_en = TextAreaField(_l("Rubric for raters (English)"))
    rubric_hi = TextAreaField(_l("Rubric for raters (Hindi)"))
    max_points = StringField(_l("Most points a rater may give"), default="4")


_text, _number = structured.text_of, structured.number_of


def option_rows(formdata: MultiDict, part: str = "") -> list[dict[str, Any]]:
    """The option rows as posted, blank ones dropped, each with its row index; ``part`` is the
    name prefix of a composite item's part (``part-1-``), empty for the item itself."""
    rows = []
    for i in range(MAX_ROWS * 2):
        prefix = f"{part}option-{i}-"
        en, hi = formdata.get(prefix + "en", ""), formdata.get(prefix + "hi", "")
        if not (en.strip() or hi.strip()):
            continue
        rows.append({"row": i, "id": formdata.get(prefix + "id", "").strip(), "text": _text(en, hi),
                     "key": formdata.get(prefix + "key") == "on" or formdata.get(part + "key") == str(i),
                     "credit": formdata.get(prefix + "credit", "")})
    used = {r["id"] for r in rows if r["id"]}
    spare = iter(c for c in string.ascii_uppercase if c not in used)
    for r in rows:
        if not r["id"]:
            r["id"] = next(spare)
    return rows


def accepted_rows(formdata: MultiDict, part: str = "") -> list[int]:
    """The row numbers of the accepted answers posted (blank ones left out)."""
    return [i for i in range(MAX_ROWS * 2) if formdata.get(f"{part}accepted-{i}-value", "").strip()]


def type_fields(item_type: str, formdata: MultiDict, part: str = "") -> dict[str, Any]:
    """The type's own fields (options and key, accepted answers, tolerance ...) from the
    posted form; ``part`` prefixes the names for a composite item's part."""
    kind = ITEM_TYPES[item_type]
    rows = option_rows(formdata, part)
    options = [{"id": r["id"], "text": r["text"]} for r in rows]
    partial = bool(formdata.get(part + "partial_credit"))
    if item_type == "single_choice":
        return {"options": options, "key": next((r["id"] for r in rows if r["key"]), None)}
    if item_type == "multiple_response":
        return {"options": options, "key": [r["id"] for r in rows if r["key"]], "partial_credit": partial}
    if item_type == "ordering":
        # The author writes the steps in the right order; candidates see them shuffled.
        return {"options": options, "key": [r["id"] for r in rows], "partial_credit": partial}
    if item_type == "extended_text":
        return {"rubric": _text(formdata.get("rubric_en"), formdata.get("rubric_hi")) or None,
                "max_points": _number(formdata.get("max_points"))}
    if kind.polytomous:
        return {"options": [dict(o, credit=_number(r["credit"])) for o, r in zip(options, rows)]}
    if item_type == "true_false":
        return {"key": formdata.get(part + "key_bool") == "true"}
    if item_type == "text_entry":
        accepted = [{"value": formdata.get(f"{part}accepted-{i}-value", "").strip(),
                     "credit": _number(formdata.get(f"{part}accepted-{i}-credit") or "1")}
                    for i in accepted_rows(formdata, part)]
        return {"accepted": accepted, "case_sensitive": bool(formdata.get(part + "case_sensitive")),
                "collapse_spaces": bool(formdata.get(part + "collapse_spaces"))}
    if item_type == "numeric_entry":
        found = {"key": _number(formdata.get(part + "key_number")),
                 "tolerance": _number(formdata.get(part + "tolerance") or "0")}
        unit = (formdata.get(part + "unit") or "").strip()
        return {**found, "unit": unit} if unit else found
    if item_type == "matching":
        return structured.matching_fields(formdata, part)
    if item_type == "hotspot":
        return structured.hotspot_fields(formdata, part)
    if item_type == "composite":
        return structured.composite_fields(formdata, type_fields)
    return {}


def content_from_form(item_type: str, form: ItemForm, formdata: MultiDict) -> dict[str, Any]:
    """Item content (bank format without id/competency/level) from a posted item form."""
    content: dict[str, Any] = {"stem": _text(form.stem_en.data, form.stem_hi.data),
                               "rationale": _text(form.rationale_en.data, form.rationale_hi.data) or None}
    if form.reference.data and form.reference.data.strip():
        content["reference"] = form.reference.data.strip()
    content.update(type_fields(item_type, formdata))
    return content


def fill_form(form: ItemForm, data: dict[str, Any]) -> None:
    """Put a bank-format item into the form's fields (for editing)."""
    form.code.data = data.get("id")
    form.competency.data = data.get("competency")
    form.level.data = data.get("level")
    form.sub_area.data = data.get("sub_area")
    stem, rationale = data.get("stem") or {}, data.get("rationale") or {}
    form.stem_en.data, form.stem_hi.data = stem.get("en"), stem.get("hi")
    form.rationale_en.data, form.rationale_hi.data = rationale.get("en"), rationale.get("hi")
    form.reference.data = data.get("reference")
    form.partial_credit.data = bool(data.get("partial_credit"))
    form.case_sensitive.data = bool(data.get("case_sensitive"))
    form.collapse_spaces.data = data.get("collapse_spaces", True)
    if data.get("type") == "true_false":
        form.key_bool.data = "true" if data.get("key") else "false"
    if data.get("type") == "extended_text":
        rubric = data.get("rubric") or {}
        form.rubric_en.data, form.rubric_hi.data = rubric.get("en"), rubric.get("hi")
        form.max_points.data = str(data.get("max_points", ""))
    if data.get("type") == "numeric_entry":
        form.key_number.data = str(data.get("key", ""))
        form.tolerance.data = str(data.get("tolerance", 0))
        form.unit.data = data.get("unit") if isinstance(data.get("unit"), str) else None


def rows_for_display(item_type: str, data: dict[str, Any] | None, formdata: MultiDict | None,
                     part: str = "") -> dict:
    """Rows to show: the posted ones, else the item's, plus blanks. Options and accepted
    answers for the simple types (``part`` prefixes a composite part's names); the lists and
    pairs of a matching item, the picture and areas of a hotspot, the parts of a composite."""
    if item_type == "matching":
        return {"matching": structured.matching_rows(data, formdata, part)}
    if item_type == "hotspot":
        return {"hotspot": structured.hotspot_rows(data, formdata)}
    if item_type == "composite":
        return {"parts": structured.composite_parts(data, formdata, rows_for_display)}
    if formdata is not None:
        options = [{"id": r["id"], "en": r["text"].get("en", ""), "hi": r["text"].get("hi", ""),
                    "key": r["key"], "credit": r["credit"]} for r in option_rows(formdata, part)]
        accepted = [{"value": formdata.get(f"{part}accepted-{i}-value", ""),
                     "credit": formdata.get(f"{part}accepted-{i}-credit", "1")}
                    for i in accepted_rows(formdata, part)]
    else:
        data = data or {}
        key = data.get("key")
        keys = key if isinstance(key, list) else [key]
        options = [{"id": o.get("id", ""), "en": o.get("text", {}).get("en", ""),
                    "hi": o.get("text", {}).get("hi", ""),
                    "key": o.get("id") in keys and item_type != "ordering",
                    "credit": o.get("credit", "")} for o in data.get("options") or []]
        accepted = [{"value": a.get("value", ""), "credit": a.get("credit", 1)}
                    for a in data.get("accepted") or []]
    blank_option = {"id": "", "en": "", "hi": "", "key": False, "credit": ""}
    minimum = 4 if item_type != "likert" else 5
    options += [dict(blank_option) for _ in range(min(MAX_ROWS, max(minimum, len(options) + 1)) - len(options))]
    accepted += [{"value": "", "credit": ""} for _ in range(max(3, len(accepted) + 1) - len(accepted))]
    return {"options": options, "accepted": accepted}


# --- problems beside their fields, in plain words -------------------------------------------
# The item types check content as the bank format has it ("options[1].text.hi", "key") and say
# so in the format's words, which suit an import report. On the authoring form each problem
# goes beside the box it is about, said as an author would say it.

OPTION_FIELD = re.compile(r"^options\[(\d+)\](?:\.(text|credit|id))?(?:\.(en|hi))?$")
ACCEPTED_FIELD = re.compile(r"^accepted\[(\d+)\](?:\.(value|credit))?$")
TEXT_FIELD = re.compile(r"^(stem|rationale)(?:\.(en|hi))?$")
LANGUAGE_NAMES = {"en": "English", "hi": "Hindi"}
# Fields of the bank format that are fields of the form by the same name.
FIELD_WORDS = {
    "competency": N_("Choose a competency from the dictionary."),
    "level": N_("Choose a level from 1 to 5."),
    "sub_area": N_("Keep the sub-area under 100 characters."),
    "tolerance": N_("Type the tolerance as a number, 0 or more."),
    "unit": N_("Keep the unit short."),
    "reference": N_("Keep the source reference short."),
}


@dataclass
class FormProblems:
    """Problems by the form element they are about (its id), and the summary that links to them."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    summary: list[tuple[str | None, str]] = field(default_factory=list)

    def add(self, anchor: str | None, message: str) -> None:
        if anchor is not None:
            if message in self.by_field.get(anchor, []):
                return
            self.by_field.setdefault(anchor, []).append(message)
        self.summary.append((anchor, message))


def _text_words(what: str, lang: str | None, message: str) -> str:
    language = _(LANGUAGE_NAMES.get(lang or "en", lang or "en"))
    if "is not one of" in message:
        return _("This bank has no {language} text: leave this box empty.", language=language)
    if "plain text" in message:
        return _("Write plain text: HTML tags are not allowed here.")
    if "while the stem has it" in message:
        return _("The question has {language} text, so this option needs it too.", language=language)
    return _("Write the {what} in {language}.", what=_(what), language=language)


def _option_words(item_type: str, message: str) -> str:
    if "needs" in message and "options" in message:
        return _("Give between {low} and {high} options.", low=2, high=8)
    if "without gaps" in message:
        return _("Give the options the credits 0, 1, 2 and so on without gaps; the best response gets the highest.")
    if "two different credits" in message:
        return _("Give at least two options different credits.")
    return _("Check the options.")


def _key_words(item_type: str) -> tuple[str, str]:
    """Where a problem with the correct answer goes, and what to say."""
    return {
        "single_choice": ("options", _("Choose the correct option.")),
        "multiple_response": ("options", _("Tick at least one correct option.")),
        "ordering": ("options", _("Write the options in the correct order.")),
        "true_false": ("key_bool", _("Choose True or False.")),
        "numeric_entry": ("key_number", _("Type the correct value as a number, for example 30 or 2.5.")),
    }.get(item_type, ("options", _("Give each option a credit instead of marking a correct one.")))


PART_WORDS = {
    "label": N_("Give the part a short label that the question refers to, for example a or (i)."),
    "points": N_("Give the part's points as a number, 0 or more."),
    "type": N_("Choose what kind of answer the part takes."),
    "id": N_("Two parts have the same id; write the part again."),
    "inline": N_("Check the part's settings."),
}


def plain_problems(item_type: str, problems: list[dict[str, Any]], formdata: MultiDict,
                   part: str = "", out: FormProblems | None = None) -> FormProblems:
    """The problems a service found with a posted item form, beside the fields of the form;
    ``part`` prefixes the boxes' names for a composite item's part (whose problems come as
    ``parts[i].field``)."""
    rows = [r["row"] for r in option_rows(formdata, part)]
    answer_rows = accepted_rows(formdata, part)
    out = out if out is not None else FormProblems()
    for found in problems:
        name, message = found.get("field") or "", found.get("message") or ""
        placed = (structured.matching_problem(name, message, formdata, part, _text_words)
                  if item_type == "matching" else
                  structured.hotspot_problem(name, message, formdata, part, _text_words)
                  if item_type == "hotspot" else None) or structured.mapping_problem(item_type, name, part)
        if placed is not None:
            out.add(*placed)
        elif item_type == "composite" and (inside := structured.part_problem(name, message)):
            _part_problems(inside, formdata, out)
        elif item_type == "composite" and name == "parts":
            out.add("parts", _("At least one part must earn points.") if "earns points" in message
                    else _("Give between {low} and {high} parts.", low=2, high=structured.MAX_PARTS))
        elif name == "id" and not part:
            out.add("code", _("This bank already has an item with this id; choose another.")
                    if "already has" in message else
                    _("Use 1 to 64 letters, digits, dots, hyphens or underscores, without spaces."))
        elif name in FIELD_WORDS:
            out.add(part + name, _(FIELD_WORDS[name]))
        elif name == "key":
            anchor, words = _key_words(item_type)
            out.add(part + anchor, words)
        elif name == "options":
            out.add(part + "options", _option_words(item_type, message))
        elif name == "accepted":
            out.add(part + "accepted", _("At least one accepted answer must earn full credit (1).")
                    if "full credit" in message else _("Give at least one accepted answer."))
        elif match := TEXT_FIELD.match(name):
            what, lang = match[1], match[2]
            words = _text_words(_l("question") if what == "stem" else "rationale", lang, message)
            out.add(f"{what}_{lang or 'en'}", words)
        elif match := OPTION_FIELD.match(name):
            index, piece, lang = int(match[1]), match[2], match[3]
            row = rows[index] if index < len(rows) else None
            if piece == "credit":
                out.add(f"{part}option-{row}-credit" if row is not None else part + "options",
                        _("Give a whole-number credit, 0 or more."))
            else:
                out.add(f"{part}option-{row}-{lang or 'en'}" if row is not None else part + "options",
                        _text_words(_l("option"), lang, message))
        elif match := ACCEPTED_FIELD.match(name):
            index, piece = int(match[1]), match[2]
            row = answer_rows[index] if index < len(answer_rows) else None
            if piece == "credit" and row is not None:
                out.add(f"{part}accepted-{row}-credit", _("Give a credit above 0 and at most 1."))
            else:
                out.add(f"{part}accepted-{row}-value" if row is not None else part + "accepted",
                        _("Write the accepted answer."))
        else:  # a rule this form does not know in words: say it as the checker does
            out.add(None, f"{name}: {message}" if name else message)
    return out


def _part_problems(inside: tuple[int, str, str], formdata: MultiDict, out: FormProblems) -> None:
    """A composite part's problem, beside the part's own box."""
    index, name, message = inside
    numbers = structured.part_numbers(formdata)
    if index >= len(numbers):
        out.add("parts", _("Check the parts."))
        return
    prefix = f"part-{numbers[index]}-"
    head = name.split(".", 1)[0]
    if head in PART_WORDS and (head != "id" or not formdata.get(prefix + "kept")):
        out.add(prefix + head, _(PART_WORDS[head]))
    elif head == "prompt":
        lang = name.split(".")[1] if "." in name else "en"
        out.add(f"{prefix}prompt-{lang}", _text_words(N_("part's question"), lang, message))
    elif formdata.get(prefix + "kept") or formdata.get(prefix + "type") not in structured.PART_FORM_TYPES:
        out.add(prefix + "label", f"{name}: {message}")
    else:
        plain_problems(formdata.get(prefix + "type"), [{"field": name, "message": message}], formdata,
                       part=prefix, out=out)
