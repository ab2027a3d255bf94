"""Polytomous items for behavioural competencies: situational judgement and Likert scales.

Every option carries an integer credit 0..K-1 (K = number of distinct credits); the
credit of the chosen option is both the score and the IRT category (graded or partial
credit models).
"""
from __future__ import annotations

from piaa.i18n import N_
from piaa.items.types.base import ItemType, problem
from piaa.items.types.choice import check_option_id, check_options, option_views


class Polytomous(ItemType):
    interaction = "choice"
    polytomous = True
    type_fields = ("options",)
    qti_interaction, qti_cardinality, qti_base_type = "qti-choice-interaction", "single", "identifier"

    @classmethod
    def validate_fields(cls, content, languages, stem_langs):
        found = check_options(content, languages, stem_langs, extra=("credit",))
        if "key" in content:
            found.append(problem("key", N_("polytomous items have no key: give each option a credit")))
        credits = []
        for i, option in enumerate(content.get("options") or []):
            credit = option.get("credit") if isinstance(option, dict) else None
            if isinstance(credit, bool) or not isinstance(credit, int) or credit < 0:
                found.append(problem(f"options[{i}].credit",
                                     N_("must be a whole number >= 0, got {credit}"), {"credit": repr(credit)}))
            else:
                credits.append(credit)
        distinct = sorted(set(credits))
        if credits and len(credits) == len(content.get("options") or []) \
                and distinct != list(range(len(distinct))):
            found.append(problem("options", N_("credits must run 0..K-1 without gaps, got {distinct}"),
                                 {"distinct": distinct}))
        if credits and len(distinct) < 2:
            found.append(problem("options", N_("needs at least two different credits")))
        return found

    @classmethod
    def max_credit(cls, content):
        return float(max(o["credit"] for o in content["options"]))

    @classmethod
    def widget(cls, content, lang, rng):
        return {"multiple": False, "scale": cls.name == "likert",
                "options": option_views(content, lang)}

    @classmethod
    def check_answer(cls, content, answer):
        return check_option_id(content, answer)

    @classmethod
    def credit(cls, content, answer):
        return float(next(o["credit"] for o in content["options"] if o["id"] == answer))


class SituationalJudgement(Polytomous):
    name = "situational_judgement"
    label, label_hi = "Situational judgement", "परिस्थितिजन्य निर्णय"


class Likert(Polytomous):
    name = "likert"
    label, label_hi = "Likert scale", "लिकर्ट पैमाना"
