"""What every item type shares: the contract's common fields, text checks, scores.

An item's *content* is the bank-format item (see ``item_banks/``) without the fields the
database keeps in columns (``id``, ``type``, ``competency``, ``level``, ``sub_area``): the
stem, rationale and reference every type has, plus the type's own fields (options, key,
accepted answers, tolerance, ...), with defaults filled in.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Iterable

import numpy as np

from piaa.errors import Invalid, found_problem, listed
from piaa.i18n import N_

Problem = dict[str, str]  # {"field": "options[1].text.hi", "message": "..."}

# Columns of the Item row, not part of the stored content.
META_FIELDS = ("id", "type", "competency", "level", "sub_area")
# ``scoring``: an imported QTI item's own processing, run to score it (``piaa.items.types.processed``).
# ``key_missing``: an imported item that gave no key, a draft until an author sets it.
COMMON_FIELDS = ("stem", "rationale", "reference", "feedback", "body", "scoring", "key_missing")
# The fields that hold an item's (or a part's) key.
KEY_FIELDS = ("key", "accepted")
_KEY_FIELD = re.compile(r"^(parts\[\d+\]\.)?(key|accepted)(\[.*)?$")
LANGUAGES = ("en", "hi")
# QTI tools generate identifiers such as choice_1946938842: 64 characters leaves room.
OPTION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Stems are plain text; anything looking like a tag would be shown literally or, worse,
# tempt a later renderer to trust it.
HTML_TAG = re.compile(r"</?[A-Za-z!][^>]*>")


@dataclass(frozen=True)
class Score:
    """The result of scoring one answer.

    ``credit`` lies in 0..``max_credit`` (1 for dichotomous types, K-1 for polytomous);
    ``category`` is the IRT response category: for dichotomous items 1 only at full
    credit, for polytomous items the credit itself.
    """

    credit: float
    max_credit: float
    category: int


def problem(field: str, message: str, values: dict[str, Any] | None = None) -> Problem:
    """A problem with one field; with ``values``, ``message`` is a marked text with ``{name}``
    placeholders, kept beside its filled English so that a page can show it translated."""
    if values is None:
        return {"field": field, "message": message}
    return found_problem(message, values, field=field)


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, the only structure a stem may have."""
    return [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def check_text(value: Any, field: str, *, languages: Iterable[str] | None = None,
               same_as: Iterable[str] | None = None, allow_markup: bool = False) -> list[Problem]:
    """A text in one or more languages: ``{"en": "...", "hi": "..."}`` with English present.

    ``languages`` limits the codes allowed (the bank's languages); ``same_as`` names the
    languages this text must also have (those of the stem), so a Hindi candidate never
    sees a Hindi stem with English options.
    """
    if not isinstance(value, dict) or not value:
        return [problem(field, N_('must be a text per language, e.g. {"en": "...", "hi": "..."}'))]
    found = []
    allowed = tuple(languages) if languages is not None else LANGUAGES
    for lang, text in value.items():
        if lang not in allowed:
            found.append(problem(f"{field}.{lang}",
                                 N_("language {lang} is not one of {allowed}"),
                                 {"lang": repr(lang), "allowed": ", ".join(allowed)}))
        elif not isinstance(text, str) or not text.strip():
            found.append(problem(f"{field}.{lang}", N_("must be non-empty text")))
        elif not allow_markup and HTML_TAG.search(text):
            found.append(problem(f"{field}.{lang}",
                                 N_("must be plain text (HTML such as {group} is not allowed)"), {"group": repr(HTML_TAG.search(text).group(0))}))
    if "en" not in value:
        found.append(problem(f"{field}.en", N_("English text is required")))
    for lang in same_as or ():
        if lang not in value and lang in allowed:
            found.append(problem(f"{field}.{lang}", N_("missing {lang} text while the stem has it"), {"lang": lang}))
    return found


FEEDBACK_FIELDS = ("outcome", "value", "show", "when", "inline", "text")


def check_feedback(value: Any, languages: Iterable[str]) -> list[Problem]:
    """Feedback kept from an imported item (see the item-file schema's ``feedback``)."""
    if value is None:
        return []
    if not isinstance(value, list):
        return [problem("feedback", N_("must be a list of feedback texts"))]
    found = []
    for i, entry in enumerate(value):
        where = f"feedback[{i}]"
        if not isinstance(entry, dict):
            found.append(problem(where, N_("must be an object with outcome, value and text")))
            continue
        found += [problem(f"{where}.{k}", N_("unknown feedback field")) for k in entry if k not in FEEDBACK_FIELDS]
        if not isinstance(entry.get("outcome"), str) or not entry.get("outcome"):
            found.append(problem(f"{where}.outcome", N_("must name the outcome that shows it")))
        if not isinstance(entry.get("value"), str):
            found.append(problem(f"{where}.value", N_("must be the outcome value that shows it")))
        if entry.get("when") not in (None, "correct", "incorrect"):
            found.append(problem(f"{where}.when", N_("must be correct or incorrect, got {when}"),
                                 {"when": repr(entry['when'])}))
        found += check_text(entry.get("text"), f"{where}.text", languages=languages)
    return found


def pick_text(text: dict[str, str] | str | None, lang: str) -> str:
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    return text.get(lang) or text.get("en") or ""


# What a candidate who typed words or a symbol into a number box is told, beside the box:
# what to type, not what the parser wanted.
NOT_A_NUMBER = N_("Type a number, such as 12 or 3.5.")


def as_number(value: Any, field: str) -> float:
    """A finite number from a number or a numeric string (Indian digit grouping allowed).

    :raise Invalid: (``field`` as given) saying what to type, for anything else.
    """
    if isinstance(value, bool):
        raise Invalid(NOT_A_NUMBER, field=field)
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        cleaned = value.strip().replace(",", "").replace(" ", "")
        try:
            number = float(cleaned)
        except ValueError:
            raise Invalid(NOT_A_NUMBER, field=field) from None
    else:
        raise Invalid(NOT_A_NUMBER, field=field)
    if not math.isfinite(number):
        raise Invalid(NOT_A_NUMBER, field=field)
    return number


class ItemType:
    """Base of the registry entries. Subclasses are used as classes, never instantiated.

    Each type says how to read and write itself in the bank JSON, check its content
    (problems name the field), show itself to a candidate without any key or credit,
    check an answer's shape and score it. ``qti_*`` attributes describe the QTI 3.0
    mapping (interaction element, response cardinality and base type) that the QTI
    importers and exporters key on.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    label_hi: ClassVar[str] = ""
    interaction: ClassVar[str]          # choice | text | number | order
    polytomous: ClassVar[bool] = False
    # Scored by human raters against a rubric (``piaa.delivery.ratings``), not by ``score``.
    human_rated: ClassVar[bool] = False
    # The item form writes it; otherwise it comes only from an import.
    authored_in_form: ClassVar[bool] = True
    type_fields: ClassVar[tuple[str, ...]] = ()
    defaults: ClassVar[dict[str, Any]] = {}
    qti_interaction: ClassVar[str]
    qti_cardinality: ClassVar[str]
    qti_base_type: ClassVar[str]

    # --- bank JSON -------------------------------------------------------------------
    @classmethod
    def from_bank_json(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Content from a bank-format item: drop the column fields, fill defaults.

        Unknown fields are kept so that ``validate`` can name them.
        """
        content = {k: v for k, v in data.items() if k not in META_FIELDS}
        for key, value in cls.defaults.items():
            content.setdefault(key, value)
        return content

    @classmethod
    def to_bank_json(cls, content: dict[str, Any]) -> dict[str, Any]:
        """The type's part of a bank-format item (no id, competency, level, sub_area)."""
        out: dict[str, Any] = {"type": cls.name, "stem": content["stem"]}
        for key in cls.type_fields:
            if key in content and content[key] is not None:
                out[key] = content[key]
        out["rationale"] = content.get("rationale")
        if content.get("reference"):
            out["reference"] = content["reference"]
        for optional in ("feedback", "body", "scoring", "key_missing"):
            if content.get(optional):
                out[optional] = content[optional]
        return out

    # --- checks ----------------------------------------------------------------------
    @classmethod
    def validate(cls, content: dict[str, Any], languages: Iterable[str] | None = None) -> list[Problem]:
        """Every problem with the content, each naming its field; empty when it is sound."""
        languages = tuple(languages) if languages is not None else LANGUAGES
        found = [problem(k, N_("unknown field for a {name} item"), {"name": cls.name})
                 for k in content if k not in COMMON_FIELDS + cls.type_fields]
        found += check_text(content.get("stem"), "stem", languages=languages)
        stem_langs = [lang for lang in (content.get("stem") or {}) if lang in languages] \
            if isinstance(content.get("stem"), dict) else []
        # QTI never requires a rationale: an imported item may lack one (reviewers see so).
        if content.get("rationale") is not None:
            found += check_text(content.get("rationale"), "rationale", languages=languages)
        found += check_feedback(content.get("feedback"), languages)
        if content.get("body") is not None:
            found += check_text(content.get("body"), "body", languages=languages, same_as=stem_langs,
                                allow_markup=True)
        reference = content.get("reference")
        if reference is not None and not isinstance(reference, str):
            found.append(problem("reference", N_("must be text")))
        found += cls.validate_fields(content, languages, stem_langs)
        if content.get("scoring") is not None:
            from piaa.items.types import processed

            found += processed.check(content)
        if "key_missing" in content:
            if content["key_missing"] is not True:
                found.append(problem("key_missing", "must be true when present (leave it out once the key is set)"))
            # The key is what is missing: every other problem still counts.
            found = [p for p in found if not _KEY_FIELD.match(p["field"])]
        return found

    @classmethod
    def validate_fields(cls, content: dict[str, Any], languages: tuple[str, ...],
                        stem_langs: list[str]) -> list[Problem]:
        """The type's own checks; ``stem_langs`` are the languages its texts must cover."""
        return []

    @classmethod
    def ensure_valid(cls, content: dict[str, Any], languages: Iterable[str] | None = None) -> None:
        """:raise Invalid: listing every problem, if the content is not sound."""
        found = cls.validate(content, languages)
        if found:
            raise Invalid(N_("the {item_type} item has {n_problems} problem(s): {problems}"),
                          field=found[0]["field"], problems=found,
                          values={"item_type": cls.name, "n_problems": len(found), "problems": listed(found)})

    # --- delivery --------------------------------------------------------------------
    @classmethod
    def candidate_view(cls, content: dict[str, Any], lang: str = "en",
                       rng: np.random.Generator | None = None) -> dict[str, Any]:
        """What the candidate's browser receives: texts in ``lang`` (English where missing)
        and the response widget. Never a key, a credit or a rationale."""
        stem = content["stem"]
        shown = lang if lang in stem else "en"
        text = pick_text(stem, shown)
        view = {"type": cls.name, "interaction": cls.interaction, "lang": shown,
                "stem": text, "stem_paragraphs": paragraphs(text)}
        body = content.get("body")
        if body:
            from piaa.items.types.rich import for_candidate

            view["stem_html"] = for_candidate(pick_text(body, shown))
        view.update(cls.widget(content, shown, rng))
        return view

    @classmethod
    def widget(cls, content: dict[str, Any], lang: str, rng: np.random.Generator | None) -> dict:
        return {}

    # --- rated by people -------------------------------------------------------------
    @classmethod
    def rated_by_people(cls, content: dict[str, Any]) -> bool:
        """Some of this item's answer is scored by raters (``piaa.delivery.ratings``)."""
        return cls.human_rated

    @classmethod
    def for_raters(cls, content: dict[str, Any], answer: Any) -> tuple[dict[str, Any], Any]:
        """What raters rate: the content they rate against (stem, rubric, ``max_points``) and the
        written answer."""
        return content, answer

    @classmethod
    def max_credit(cls, content: dict[str, Any]) -> float:
        return 1.0

    @classmethod
    def check_answer(cls, content: dict[str, Any], answer: Any) -> Any:
        """The answer in its canonical form.

        :raise Invalid: if the answer does not have the shape this type takes.
        """
        raise NotImplementedError

    @classmethod
    def credit(cls, content: dict[str, Any], answer: Any) -> float:
        """Credit for a checked (canonical) answer."""
        raise NotImplementedError

    @classmethod
    def score(cls, content: dict[str, Any], answer: Any) -> Score:
        """Score an answer; ``None`` (not answered) earns nothing.

        :raise Invalid: if the answer is malformed (see ``check_answer``).
        """
        if content.get("scoring"):
            from piaa.items.types import processed

            return processed.score(cls, content, answer)
        top = cls.max_credit(content)
        if answer is None:
            return Score(0.0, top, 0)
        credit = cls.credit(content, cls.check_answer(content, answer))
        if cls.polytomous:
            return Score(credit, top, int(credit))
        return Score(credit, top, int(credit >= top))
