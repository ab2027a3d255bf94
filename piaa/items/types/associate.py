"""Items answered by pairing things of one set with each other (QTI associate and graphic
associate): rivals in a list of characters, routes between airports on a map.

``associate`` pairs ``choices`` (texts); ``graphic_associate`` pairs the ``areas`` of a
picture (see ``piaa.items.types.hotspot``). A pair has no direction (QTI's ``pair``: "A B" is
"B A"), so pairs are kept and named with their two ids in sorted order, ``"A B"``. The key is
the list of right pairs; only the exact set earns credit, unless a ``mapping`` gives each pair
its own value (``piaa.items.types.mapping``, keyed by the sorted pair names).
``max_associations`` caps the pairs an answer may make (0: no cap); each choice's or area's
``match_max`` caps the pairs it may be in.
"""
from __future__ import annotations

from itertools import combinations
from typing import Any

from piaa.errors import Invalid
from piaa.items.types import mapping as weights
from piaa.items.types.association import _check_list, _ids
from piaa.items.types.base import ItemType, pick_text, problem
from piaa.items.types.hotspot import check_graphic, picture_view


def pair_name(a: str, b: str) -> str:
    """The one name of an undirected pair: its ids sorted, space-separated."""
    return " ".join(sorted((a, b)))


class Associate(ItemType):
    name = "associate"
    authored_in_form = False
    label, label_hi = "Pairing", "जोड़ी बनाएँ"
    interaction = "associate"
    members = "choices"
    type_fields = ("choices", "key", "mapping", "max_associations")
    defaults = {"max_associations": 0}
    qti_interaction, qti_cardinality, qti_base_type = "qti-associate-interaction", "multiple", "pair"

    @classmethod
    def member_ids(cls, content: dict[str, Any]) -> list[str]:
        return _ids(content, cls.members)

    @classmethod
    def pair_names(cls, content: dict[str, Any]) -> list[str]:
        return [pair_name(a, b) for a, b in combinations(cls.member_ids(content), 2)]

    @classmethod
    def check_members(cls, content, languages, stem_langs) -> list:
        return _check_list(content, "choices", languages, stem_langs)

    @classmethod
    def validate_fields(cls, content, languages, stem_langs):
        found = cls.check_members(content, languages, stem_langs)
        ids = set(cls.member_ids(content))
        key = content.get("key")
        if not isinstance(key, list) or not key:
            found.append(problem("key", "must list the right pairs, each [id, id]"))
        else:
            for i, pair in enumerate(key):
                if not (isinstance(pair, list) and len(pair) == 2 and pair[0] in ids and pair[1] in ids
                        and pair[0] != pair[1]):
                    found.append(problem(f"key[{i}]", f"must be two different ids of this item, got {pair!r}"))
            if len({pair_name(*p) for p in key if isinstance(p, list) and len(p) == 2}) != len(key):
                found.append(problem("key", "names a pair twice"))
        most = content.get("max_associations")
        if isinstance(most, bool) or not isinstance(most, int) or most < 0:
            found.append(problem("max_associations", f"must be a whole number >= 0 (0: no limit), got {most!r}"))
        elif most and isinstance(key, list) and len(key) > most and not content.get("mapping"):
            found.append(problem("key", f"has {len(key)} pairs while an answer may make at most {most}"))
        cap = most if isinstance(most, int) and not isinstance(most, bool) and most > 0 else None
        found += weights.check_mapping(content, cls.pair_names(content), cap)
        return found

    @classmethod
    def rows(cls, content: dict[str, Any]) -> int:
        """How many pairs the candidate's form offers: the cap, else enough for every member once."""
        return content.get("max_associations") or max(len(content["key"]), len(cls.member_ids(content)) // 2)

    @classmethod
    def widget(cls, content, lang, rng):
        return {"choices": [{"id": c["id"], "text": pick_text(c["text"], lang)} for c in content["choices"]],
                "rows": cls.rows(content)}

    @classmethod
    def check_answer(cls, content, answer):
        ids = cls.member_ids(content)
        if not isinstance(answer, (list, tuple)):
            raise Invalid(f"answer must be a list of [id, id] pairs, got {answer!r}", field="answer")
        pairs = []
        for pair in answer:
            if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and pair[0] in ids and pair[1] in ids
                    and pair[0] != pair[1]):
                raise Invalid(f"answer pair {pair!r} is not two different ids among {', '.join(ids)}", field="answer")
            pairs.append(sorted((pair[0], pair[1])))
        if len({pair_name(*p) for p in pairs}) != len(pairs):
            raise Invalid("answer names a pair twice", field="answer")
        most = content.get("max_associations")
        if most and len(pairs) > most:
            raise Invalid(f"answer makes {len(pairs)} pairs; at most {most}", field="answer")
        for member in content[cls.members]:
            used = sum(member["id"] in p for p in pairs)
            if member.get("match_max") and used > member["match_max"]:
                raise Invalid(f"{member['id']} is in {used} pairs; at most {member['match_max']}", field="answer")
        return pairs

    @classmethod
    def credit(cls, content, answer):
        names = [pair_name(*p) for p in answer]
        if content.get("mapping"):
            return weights.credit(content["mapping"], names, cls.pair_names(content),
                                  content.get("max_associations") or None)
        return 1.0 if set(names) == {pair_name(*p) for p in content["key"]} else 0.0


class GraphicAssociate(Associate):
    name = "graphic_associate"
    label, label_hi = "Pairing on a picture", "चित्र पर जोड़ी बनाएँ"
    interaction = "graphic_associate"
    members = "areas"
    type_fields = ("image", "areas", "key", "mapping", "max_associations")
    qti_interaction = "qti-graphic-associate-interaction"

    @classmethod
    def check_members(cls, content, languages, stem_langs):
        return check_graphic(content, languages, extra=("match_max",))[0]

    @classmethod
    def widget(cls, content, lang, rng):
        view = picture_view(content, lang)
        return {**view, "choices": [{"id": a["id"], "text": a["label"]} for a in view["areas"]],
                "rows": cls.rows(content)}
