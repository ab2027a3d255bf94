"""Extended text (an essay, a note, a draft): written by the candidate, scored by human raters
against a rubric (QTI extended text interaction).

``rubric`` says per language what earns each number of points (an imported item may lack one
until an author writes it), ``max_points`` the most a
response can earn (whole points 0..max_points); ``max_length`` caps the characters a candidate
may write. Nothing here scores an answer: raters do (``piaa.delivery.ratings``), and the agreed
points are the item's credit and IRT category (a polytomous item, like a rating scale).
"""
from __future__ import annotations

from typing import Any

from piaa.errors import Invalid
from piaa.items.types.base import ItemType, Score, check_text, problem
from piaa.i18n import N_

MAX_POINTS = 100
DEFAULT_MAX_LENGTH = 10_000


class ExtendedText(ItemType):
    name = "extended_text"
    label, label_hi = "Extended text (rated)", "विस्तृत उत्तर (मूल्यांकक द्वारा)"
    interaction = "essay"
    polytomous = True
    # Scored by raters against the rubric, never from the answer alone.
    human_rated = True
    type_fields = ("rubric", "max_points", "max_length")
    defaults = {"max_length": DEFAULT_MAX_LENGTH}
    qti_interaction, qti_cardinality, qti_base_type = "qti-extended-text-interaction", "single", "string"

    @classmethod
    def check_rating(cls, content, languages, stem_langs) -> list:
        """Problems of the rubric and the maximum points, which every rated type has."""
        # An imported item may come without a rubric (the import lists it); reviewers see so.
        found = [] if content.get("rubric") is None else \
            check_text(content.get("rubric"), "rubric", languages=languages, same_as=stem_langs)
        most = content.get("max_points")
        if isinstance(most, bool) or not isinstance(most, int) or not 1 <= most <= MAX_POINTS:
            found.append(problem("max_points", N_("must be a whole number from 1 to {max_points}, got {most}"),
                                 {"max_points": MAX_POINTS, "most": repr(most)}))
        return found

    @classmethod
    def validate_fields(cls, content, languages, stem_langs):
        found = cls.check_rating(content, languages, stem_langs)
        length = content.get("max_length")
        if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 100_000:
            found.append(problem("max_length", N_("must be a number of characters from 1 to 100000, got {length}"),
                                 {"length": repr(length)}))
        return found

    @classmethod
    def widget(cls, content, lang, rng):
        # The rubric stays with the raters: it would tell the candidate what earns points.
        return {"max_length": content.get("max_length") or DEFAULT_MAX_LENGTH}

    @classmethod
    def max_credit(cls, content):
        return float(content["max_points"])

    @classmethod
    def check_answer(cls, content, answer):
        if not isinstance(answer, str):
            raise Invalid(N_("answer must be text, got {type}"), field="answer", values={"type": type(answer).__name__})
        most = content.get("max_length") or DEFAULT_MAX_LENGTH
        if len(answer) > most:
            raise Invalid(N_("answer is {n_answer} characters long; at most {most}"), field="answer",
                          values={"n_answer": len(answer), "most": most})
        return answer

    @classmethod
    def credit(cls, content, answer):
        raise Invalid(N_("an extended text answer is scored by raters, not from the answer"), field="answer")

    @classmethod
    def rated(cls, content: dict[str, Any], points: float | None, answer: Any = None) -> Score:
        """The score of the raters' agreed ``points`` (None: no answer, so nothing to rate).
        The IRT category is the points rounded half up (two raters' mean may be a half)."""
        top = cls.max_credit(content)
        if points is None:
            return Score(0.0, top, 0)
        points = min(max(float(points), 0.0), top)
        return Score(points, top, int(points + 0.5))
