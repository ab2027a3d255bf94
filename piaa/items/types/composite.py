"""Composite items: several interactions in one item, one score (QTI items with more than one
interaction, e.g. two answer boxes in a sentence, or a choice and a gap text about one case).

The item has its stem and a list of ``parts``; each part is an item of one of the other types
(its own fields: options and key, accepted answers, ...) with an ``id`` (the QTI response
identifier), a ``label`` that the stem refers to (an answer box stands in the stem as
``____ (label)``), an optional ``prompt``, and ``points``: what the part adds to the item's
score when fully right, as the QTI response processing adds it (``SCORE = sum of the parts``).
``inline`` marks a choice shown as a drop-down inside the sentence (QTI inline choice).

The answer is ``{part id: that part's answer}``; a part left out is unanswered. The item's
credit is the points earned over the points possible, each part earning its points times its
own credit share; full credit only when every scored part is fully right.

One part may be an extended text rated by people: the item then waits for the raters
(``piaa.delivery.ratings``), who see the stem, that part's prompt, rubric and answer, and their
agreed points, scaled to the part's worth, join the points the other parts earn.
"""
from __future__ import annotations

import math
from typing import Any

from piaa.errors import Invalid
from piaa.i18n import N_
from piaa.items.types.base import OPTION_ID, ItemType, Score, check_text, pick_text, problem

PART_FIELDS = ("id", "label", "points", "prompt", "inline")
PART_TYPES = ("single_choice", "multiple_response", "true_false", "text_entry", "numeric_entry",
              "ordering", "situational_judgement", "likert", "matching", "hotspot", "extended_text")
MAX_PARTS = 30
# The stem's stand-in for an answer box (see piaa.items.importers.qti).
BLANK = "____ ({label})"


def _type_of(part: dict[str, Any]):
    from piaa.items.types import ITEM_TYPES

    return ITEM_TYPES[part["type"]]


def part_content(part: dict[str, Any], stem: dict[str, str]) -> dict[str, Any]:
    """The part as an item of its own type: its fields, the prompt (else the item's stem) as stem."""
    kind = _type_of(part)
    content = kind.from_bank_json({k: v for k, v in part.items() if k not in PART_FIELDS})
    content["stem"] = part.get("prompt") or stem
    return content


class Composite(ItemType):
    name = "composite"
    label, label_hi = "Composite (several parts)", "बहु-भाग प्रश्न"
    interaction = "composite"
    type_fields = ("parts",)
    qti_interaction, qti_cardinality, qti_base_type = "several", "several", "several"

    @classmethod
    def validate_fields(cls, content, languages, stem_langs):
        parts = content.get("parts")
        if not isinstance(parts, list) or not 2 <= len(parts) <= MAX_PARTS:
            return [problem("parts", N_("must list 2 to {max_parts} parts"), {"max_parts": MAX_PARTS})]
        found, seen = [], set()
        for i, part in enumerate(parts):
            where = f"parts[{i}]"
            if not isinstance(part, dict):
                found.append(problem(where, N_("must be an object with id, type, label and points")))
                continue
            if not isinstance(part.get("id"), str) or not OPTION_ID.match(part["id"]) or part["id"] in seen:
                found.append(problem(f"{where}.id", N_("must be a unique id, got {id}"), {"id": repr(part.get('id'))}))
            seen.add(part.get("id"))
            if part.get("type") not in PART_TYPES:
                found.append(problem(f"{where}.type", N_("must be one of {part_types}, got {type}"),
                                     {"part_types": ', '.join(PART_TYPES), "type": repr(part.get('type'))}))
                continue
            if not isinstance(part.get("label"), str) or not part["label"].strip():
                found.append(problem(f"{where}.label", N_("must be the text the stem refers to the part by")))
            points = part.get("points")
            if isinstance(points, bool) or not isinstance(points, (int, float)) or not math.isfinite(points) \
                    or points < 0:
                found.append(problem(f"{where}.points", N_("must be a number >= 0, got {points}"),
                                     {"points": repr(points)}))
            if part.get("prompt") is not None:
                found += check_text(part["prompt"], f"{where}.prompt", languages=languages)
            if part.get("inline") not in (None, True, False):
                found.append(problem(f"{where}.inline", N_("must be true or false")))
            inner = part_content(part, content.get("stem") or {"en": "-"})
            for p in _type_of(part).validate(inner, languages):
                if p["field"] not in ("stem", "rationale"):
                    found.append({**p, "field": f"{where}.{p['field']}"})
        if not found and not any(p["points"] > 0 for p in parts):
            found.append(problem("parts", N_("no part earns points")))
        rated = [p["id"] for p in parts if isinstance(p, dict) and p.get("type") in PART_TYPES
                 and _type_of(p).human_rated]
        if len(rated) > 1:
            # one rating per answer (piaa.delivery.ratings): raters score one written part
            found.append(problem("parts", N_("at most one part may be rated by people, got {parts}"),
                                 {"parts": ", ".join(rated)}))
        return found

    @classmethod
    def rated_part(cls, content: dict[str, Any]) -> dict[str, Any] | None:
        return next((p for p in content["parts"] if _type_of(p).human_rated), None)

    @classmethod
    def rated_by_people(cls, content):
        return cls.rated_part(content) is not None

    @classmethod
    def for_raters(cls, content, answer):
        """The written part: the item's stem with the part's prompt, the part's rubric and
        maximum, and the part's answer."""
        part = cls.rated_part(content)
        inner = part_content(part, content["stem"])
        if part.get("prompt"):
            inner["stem"] = {lang: f"{text}\n\n{pick_text(part['prompt'], lang)}" for lang, text in content["stem"].items()}
        return inner, (answer or {}).get(part["id"]) if isinstance(answer, dict) else None

    @classmethod
    def rated(cls, content: dict[str, Any], points: float | None, answer: Any = None):
        """The score once raters agreed ``points`` for the written part: its points scaled to the
        part's worth, added to what the other parts earn."""
        part = cls.rated_part(content)
        try:
            checked = cls.check_answer(content, answer) if answer is not None else {}
        except Invalid:
            checked = {}  # an answer stored under an earlier version's shape earns nothing
        earned, possible = cls._earned(content, checked)
        if points is not None and part["points"]:
            top = _type_of(part).max_credit(part_content(part, content["stem"]))
            earned += part["points"] * min(max(float(points), 0.0), top) / top
        credit = earned / possible if possible else 0.0
        if credit > 1 - 1e-9:
            return Score(1.0, 1.0, 1)
        return Score(credit, 1.0, 0)

    @classmethod
    def widget(cls, content, lang, rng):
        views = []
        for part in content["parts"]:
            kind = _type_of(part)
            inner = part_content(part, content["stem"])
            view = {"id": part["id"], "label": part["label"], "type": kind.name,
                    "interaction": kind.interaction, "inline": bool(part.get("inline"))}
            if part.get("prompt"):
                view["prompt"] = pick_text(part["prompt"], lang)
            view.update(kind.widget(inner, lang, rng))
            views.append(view)
        return {"parts": views}

    @classmethod
    def check_answer(cls, content, answer):
        if not isinstance(answer, dict):
            raise Invalid(N_("answer must be an object of part id to that part's answer, got {answer}"),
                          field="answer",
                          values={"answer": repr(answer)})
        parts = {p["id"]: p for p in content["parts"]}
        unknown = [k for k in answer if k not in parts]
        if unknown:
            raise Invalid(N_("answer names unknown part(s) {unknown}; the parts are {parts}"), field="answer",
                          values={"unknown": ', '.join(map(str, unknown)), "parts": ', '.join(parts)})
        checked = {}
        for part_id, value in answer.items():
            if value is None or value == "" or value == []:
                continue
            part = parts[part_id]
            try:
                checked[part_id] = _type_of(part).check_answer(part_content(part, content["stem"]), value)
            except Invalid as exc:
                raise Invalid(N_("part {part_id}: {message}"), field="answer",
                              values={"part_id": part_id, "message": exc.message}) from None
        return checked

    @classmethod
    def _earned(cls, content: dict[str, Any], answer: dict[str, Any]) -> tuple[float, float]:
        """Points the scored parts earn from a checked answer (a part rated by people earns
        nothing here), and the points possible."""
        earned = possible = 0.0
        for part in content["parts"]:
            possible += part["points"]
            if part["id"] not in answer or not part["points"] or _type_of(part).human_rated:
                continue
            score = _type_of(part).score(part_content(part, content["stem"]), answer[part["id"]])
            earned += part["points"] * (score.credit / score.max_credit if score.max_credit else 0.0)
        return earned, possible

    @classmethod
    def credit(cls, content, answer):
        earned, possible = cls._earned(content, answer)
        return earned / possible if possible else 0.0

    @classmethod
    def score(cls, content, answer):
        score = super().score(content, answer)
        # Rounding in the part shares must not cost a fully right answer its category.
        if score.credit > 1 - 1e-9:
            return type(score)(1.0, 1.0, 1)
        return score
