"""Ordering items: put the options in the right sequence."""
from __future__ import annotations

import numpy as np

from piaa.errors import Invalid
from piaa.i18n import N_
from piaa.items.types.base import ItemType, problem
from piaa.items.types.choice import check_option_list, check_options, option_ids, option_views


class Ordering(ItemType):
    name = "ordering"
    label, label_hi = "Ordering", "क्रम में लगाएँ"
    interaction = "order"
    type_fields = ("options", "key", "partial_credit")
    defaults = {"partial_credit": False}
    qti_interaction, qti_cardinality, qti_base_type = "qti-order-interaction", "ordered", "identifier"

    @classmethod
    def validate_fields(cls, content, languages, stem_langs):
        found = check_options(content, languages, stem_langs)
        key, ids = content.get("key"), option_ids(content)
        if not isinstance(key, list) or sorted(map(str, key)) != sorted(map(str, ids)) \
                or len(set(map(str, key))) != len(key):
            found.append(problem("key",
                                 N_("must list every option id once in the right order; options are {ids}, key is {key}"), {"ids": ids, "key": repr(key)}))
        if not isinstance(content.get("partial_credit"), bool):
            found.append(problem("partial_credit", N_("must be true or false")))
        return found

    @classmethod
    def widget(cls, content, lang, rng):
        """Options shuffled, and never in the key's order (that would give the answer away)."""
        rng = rng if rng is not None else np.random.default_rng()
        options = option_views(content, lang)
        order = rng.permutation(len(options))
        shown = [options[i] for i in order]
        if [o["id"] for o in shown] == content["key"] and len(shown) > 1:
            shown = shown[1:] + shown[:1]
        return {"options": shown}

    @classmethod
    def check_answer(cls, content, answer):
        answer = check_option_list(content, answer)
        if len(answer) != len(content["options"]):
            raise Invalid(N_("answer must put all {n_options} options in order, got {n_answer}"), field="answer",
                          values={"n_options": len(content['options']), "n_answer": len(answer)})
        return answer

    @classmethod
    def credit(cls, content, answer):
        key = content["key"]
        right = sum(a == k for a, k in zip(answer, key))
        if right == len(key):
            return 1.0
        return right / len(key) if content.get("partial_credit") else 0.0
