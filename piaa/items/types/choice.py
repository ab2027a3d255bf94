"""Item types answered by picking options: single choice, multiple response, true/false."""
from __future__ import annotations

from typing import Any

import numpy as np

from piaa.errors import Invalid
from piaa.i18n import N_
from piaa.items.types import mapping as weights
from piaa.items.types.base import OPTION_ID, ItemType, Problem, check_text, pick_text, problem

# Imported QTI items offer up to a score of options (e.g. the regions of a country).
MIN_OPTIONS, MAX_OPTIONS = 2, 20


def check_options(content: dict[str, Any], languages: tuple[str, ...], stem_langs: list[str],
                  *, extra: tuple[str, ...] = ()) -> list[Problem]:
    """2-20 options, each with a unique id and a text in the stem's languages."""
    options = content.get("options")
    if not isinstance(options, list):
        return [problem("options", N_("must be a list of options"))]
    found = []
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        found.append(problem("options", N_("needs {min_options} to {max_options} options, got {n_options}"),
                             {"min_options": MIN_OPTIONS, "max_options": MAX_OPTIONS, "n_options": len(options)}))
    seen: set[str] = set()
    for i, option in enumerate(options):
        where = f"options[{i}]"
        if not isinstance(option, dict):
            found.append(problem(where, N_("must be an object with id and text")))
            continue
        for key in option:
            if key not in ("id", "text", "html") + extra:
                found.append(problem(f"{where}.{key}", N_("unknown option field")))
        if option.get("html") is not None:  # a picture (or formula) kept from an imported choice
            found += check_text(option["html"], f"{where}.html", languages=languages, allow_markup=True)
        option_id = option.get("id")
        if not isinstance(option_id, str) or not OPTION_ID.match(option_id):
            found.append(problem(f"{where}.id", N_("must be 1-16 letters, digits, - or _, got {option_id}"),
                                 {"option_id": repr(option_id)}))
        elif option_id in seen:
            found.append(problem(f"{where}.id", N_("duplicate option id {option_id}"), {"option_id": repr(option_id)}))
        else:
            seen.add(option_id)
        found += check_text(option.get("text"), f"{where}.text", languages=languages,
                            same_as=stem_langs)
    return found


def option_ids(content: dict[str, Any]) -> list[str]:
    return [o.get("id") for o in content.get("options") or [] if isinstance(o, dict)]


def option_views(content: dict[str, Any], lang: str, rng: np.random.Generator | None = None
                 ) -> list[dict[str, str]]:
    """Only id, text and a kept picture (``html``, cleaned for the browser): whatever else an
    option carries (credit) stays on the server. With
    ``shuffle`` set (and an ``rng``), in an order of the candidate's own."""
    from piaa.items.types.rich import for_candidate

    views = [{"id": o["id"], "text": pick_text(o["text"], lang),
              **({"html": for_candidate(pick_text(o["html"], lang))} if o.get("html") else {})}
             for o in content["options"]]
    if content.get("shuffle") and rng is not None:
        views = [views[i] for i in rng.permutation(len(views))]
    return views


def check_shuffle(content: dict[str, Any]) -> list[Problem]:
    if "shuffle" in content and not isinstance(content["shuffle"], bool):
        return [problem("shuffle", N_("must be true or false"))]
    return []


def check_option_id(content: dict[str, Any], answer: Any) -> str:
    if not isinstance(answer, str) or answer not in option_ids(content):
        raise Invalid(N_("answer must be one of the option ids {option_ids}, got {answer}"), field="answer",
                      values={"option_ids": ', '.join(option_ids(content)), "answer": repr(answer)})
    return answer


def check_option_list(content: dict[str, Any], answer: Any) -> list[str]:
    ids = option_ids(content)
    if not isinstance(answer, (list, tuple)) or not all(isinstance(a, str) for a in answer):
        raise Invalid(N_("answer must be a list of option ids, got {answer}"), field="answer",
                      values={"answer": repr(answer)})
    unknown = [a for a in answer if a not in ids]
    if unknown:
        raise Invalid(N_("answer names unknown option(s) {unknown}; the options are {ids}"), field="answer",
                      values={"unknown": ', '.join(unknown), "ids": ', '.join(ids)})
    if len(set(answer)) != len(answer):
        raise Invalid(N_("answer names an option twice: {answer}"), field="answer",
                      values={"answer": str(list(answer))})
    return list(answer)


class SingleChoice(ItemType):
    name = "single_choice"
    label, label_hi = "Single choice", "एकल विकल्प"
    interaction = "choice"
    type_fields = ("options", "key", "shuffle", "mapping")
    qti_interaction, qti_cardinality, qti_base_type = "qti-choice-interaction", "single", "identifier"

    @classmethod
    def validate_fields(cls, content, languages, stem_langs):
        found = check_options(content, languages, stem_langs) + check_shuffle(content)
        found += weights.check_mapping(content, option_ids(content), 1)
        key = content.get("key")
        if not isinstance(key, str) or key not in option_ids(content):
            found.append(problem("key", N_("must be one of the option ids, got {key}"), {"key": repr(key)}))
        return found

    @classmethod
    def widget(cls, content, lang, rng):
        return {"multiple": False, "options": option_views(content, lang, rng)}

    @classmethod
    def check_answer(cls, content, answer):
        return check_option_id(content, answer)

    @classmethod
    def credit(cls, content, answer):
        if content.get("mapping"):
            return weights.credit(content["mapping"], [answer], option_ids(content), 1)
        return 1.0 if answer == content["key"] else 0.0


class MultipleResponse(ItemType):
    name = "multiple_response"
    label, label_hi = "Multiple response", "बहु-उत्तर"
    interaction = "choice"
    type_fields = ("options", "key", "partial_credit", "shuffle", "max_choices", "mapping")
    defaults = {"partial_credit": False}
    qti_interaction, qti_cardinality, qti_base_type = "qti-choice-interaction", "multiple", "identifier"

    @classmethod
    def validate_fields(cls, content, languages, stem_langs):
        found = check_options(content, languages, stem_langs) + check_shuffle(content)
        most = content.get("max_choices")
        if most is not None and (isinstance(most, bool) or not isinstance(most, int)
                                 or not 1 <= most <= len(option_ids(content))):
            found.append(problem("max_choices",
                                 N_("must be a whole number from 1 to the number of options, got {most}"), {"most": repr(most)}))
        key, ids = content.get("key"), option_ids(content)
        if not isinstance(key, list) or not key:
            found.append(problem("key", N_("must be a list of at least one option id, got {key}"), {"key": repr(key)}))
        else:
            bad = [k for k in key if k not in ids]
            if bad:
                found.append(problem("key", N_("names unknown option(s) {bad}"), {"bad": str(bad)}))
            if len(set(map(str, key))) != len(key):
                found.append(problem("key", N_("names an option twice")))
        if not isinstance(content.get("partial_credit"), bool):
            found.append(problem("partial_credit", N_("must be true or false")))
        found += weights.check_mapping(content, ids, most if isinstance(most, int) else None)
        return found

    @classmethod
    def widget(cls, content, lang, rng):
        view = {"multiple": True, "options": option_views(content, lang, rng)}
        if content.get("max_choices"):
            view["max_choices"] = content["max_choices"]
        return view

    @classmethod
    def check_answer(cls, content, answer):
        answer = check_option_list(content, answer)
        most = content.get("max_choices")
        if most and len(answer) > most:
            raise Invalid(N_("answer picks {n_answer} options; at most {most} may be picked"),
                          field="answer",
                          values={"n_answer": len(answer), "most": most})
        return answer

    @classmethod
    def credit(cls, content, answer):
        if content.get("mapping"):
            return weights.credit(content["mapping"], answer, option_ids(content), content.get("max_choices"))
        key = set(content["key"])
        picked = set(answer)
        if picked == key:
            return 1.0
        if not content.get("partial_credit"):
            return 0.0
        hits, false_picks = len(picked & key), len(picked - key)
        return max(0, hits - false_picks) / len(key)


class TrueFalse(ItemType):
    name = "true_false"
    label, label_hi = "True / false", "सही / गलत"
    interaction = "choice"
    type_fields = ("key",)
    qti_interaction, qti_cardinality, qti_base_type = "qti-choice-interaction", "single", "identifier"
    CHOICES = ({"id": "true", "text": {"en": "True", "hi": "सत्य"}},
               {"id": "false", "text": {"en": "False", "hi": "असत्य"}})

    @classmethod
    def validate_fields(cls, content, languages, stem_langs):
        if not isinstance(content.get("key"), bool):
            return [problem("key", N_("must be true or false, got {key}"), {"key": repr(content.get('key'))})]
        return []

    @classmethod
    def widget(cls, content, lang, rng):
        return {"multiple": False,
                "options": [{"id": c["id"], "text": c["text"][lang]} for c in cls.CHOICES]}

    @classmethod
    def check_answer(cls, content, answer):
        # Forms and JSON clients send the option id; scripts may send the boolean.
        if isinstance(answer, bool):
            return answer
        if answer in ("true", "false"):
            return answer == "true"
        raise Invalid(N_("answer must be true or false, got {answer}"), field="answer", values={"answer": repr(answer)})

    @classmethod
    def credit(cls, content, answer):
        return 1.0 if answer is content["key"] else 0.0
