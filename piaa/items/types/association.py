"""Items answered by pairing: matching (QTI match) and gap filling (QTI gap match).

``sources`` are what the candidate places (the left column, or the words offered for the
gaps), ``targets`` where they go (the right column, or the gaps ``[1]``, ``[2]`` ... of the
stem). The key is a list of ``[source, target]`` pairs; the answer is the list of pairs the
candidate made. With ``partial_credit`` each right pair earns 1/len(key) and each wrong pair
takes as much back, never below 0 (QTI's map_response of +v per right pair, -v per wrong one,
lower bound 0, rescaled to 0..1); with a ``mapping`` (``piaa.items.types.mapping``) each pair
earns its own value; otherwise only the full set of pairs earns credit.
"""
from __future__ import annotations

from typing import Any

from piaa.errors import Invalid
from piaa.items.types import mapping as weights
from piaa.items.types.base import OPTION_ID, ItemType, check_text, pick_text, problem
from piaa.i18n import N_


def _check_list(content: dict[str, Any], name: str, languages, stem_langs) -> list:
    entries = content.get(name)
    if not isinstance(entries, list) or not entries:
        return [problem(name, N_("must be a list of {name} with id and text"), {"name": name})]
    found, seen = [], set()
    for i, entry in enumerate(entries):
        where = f"{name}[{i}]"
        if not isinstance(entry, dict) or set(entry) - {"id", "text", "match_max", "html"}:
            found.append(problem(where, N_("must be an object with id, text and optionally match_max and html")))
            continue
        if entry.get("html") is not None:  # a picture kept from an imported choice; text is its alternative
            found += check_text(entry["html"], f"{where}.html", languages=languages, allow_markup=True)
        if not isinstance(entry.get("id"), str) or not OPTION_ID.match(entry["id"]):
            found.append(problem(f"{where}.id", N_("must be 1-64 letters, digits, - or _, got {id}"),
                                 {"id": repr(entry.get('id'))}))
        elif entry["id"] in seen:
            found.append(problem(f"{where}.id", N_("duplicate id {id}"), {"id": repr(entry['id'])}))
        seen.add(entry.get("id"))
        found += check_text(entry.get("text"), f"{where}.text", languages=languages, same_as=stem_langs)
        most = entry.get("match_max")
        if most is not None and (isinstance(most, bool) or not isinstance(most, int) or most < 0):
            found.append(problem(f"{where}.match_max", N_("must be a whole number >= 0 (0: no limit), got {most}"),
                                 {"most": repr(most)}))
    return found


def _ids(content: dict[str, Any], name: str) -> list[str]:
    return [e.get("id") for e in content.get(name) or [] if isinstance(e, dict)]


def pair_names(content: dict[str, Any]) -> list[str]:
    """Every pair a candidate could make, as a weighted mapping names it: ``"source target"``."""
    return [f"{s} {t}" for s in _ids(content, "sources") for t in _ids(content, "targets")]


def entry_views(entries: list[dict[str, Any]], lang: str) -> list[dict[str, str]]:
    """Id, text and a kept picture (``html``, cleaned for the browser) of each entry."""
    from piaa.items.types.rich import for_candidate

    return [{"id": e["id"], "text": pick_text(e["text"], lang),
             **({"html": for_candidate(pick_text(e["html"], lang))} if e.get("html") else {})} for e in entries]


class Matching(ItemType):
    name = "matching"
    label, label_hi = "Matching", "मिलान"
    interaction = "match"
    type_fields = ("sources", "targets", "key", "partial_credit", "gaps", "mapping")
    defaults = {"partial_credit": False}
    qti_interaction, qti_cardinality, qti_base_type = "qti-match-interaction", "multiple", "directedPair"

    @classmethod
    def validate_fields(cls, content, languages, stem_langs):
        found = _check_list(content, "sources", languages, stem_langs)
        found += _check_list(content, "targets", languages, stem_langs)
        key = content.get("key")
        sources, targets = set(_ids(content, "sources")), set(_ids(content, "targets"))
        if not isinstance(key, list) or not key:
            found.append(problem("key", N_("must list the right [source, target] pairs")))
        else:
            for i, pair in enumerate(key):
                if not (isinstance(pair, list) and len(pair) == 2 and pair[0] in sources and pair[1] in targets):
                    found.append(problem(f"key[{i}]", N_("must be [source id, target id], got {pair}"),
                                         {"pair": repr(pair)}))
            if len({tuple(p) for p in key if isinstance(p, list)}) != len(key):
                found.append(problem("key", N_("names a pair twice")))
        if not isinstance(content.get("partial_credit"), bool):
            found.append(problem("partial_credit", N_("must be true or false")))
        if content.get("gaps") not in (None, True, False):
            found.append(problem("gaps", N_("must be true or false")))
        found += weights.check_mapping(content, pair_names(content))
        return found

    @classmethod
    def widget(cls, content, lang, rng):
        return {"sources": entry_views(content["sources"], lang), "targets": entry_views(content["targets"], lang),
                "gaps": bool(content.get("gaps"))}

    @classmethod
    def check_answer(cls, content, answer):
        sources, targets = set(_ids(content, "sources")), set(_ids(content, "targets"))
        if not isinstance(answer, (list, tuple)):
            raise Invalid(N_("answer must be a list of [source, target] pairs, got {answer}"), field="answer",
                          values={"answer": repr(answer)})
        pairs = []
        for pair in answer:
            if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and pair[0] in sources
                    and pair[1] in targets):
                raise Invalid(N_("answer pair {pair} is not [source id, target id]"), field="answer",
                              values={"pair": repr(pair)})
            pairs.append([pair[0], pair[1]])
        if len({tuple(p) for p in pairs}) != len(pairs):
            raise Invalid(N_("answer names a pair twice"), field="answer")
        limits = {e["id"]: e.get("match_max") for name in ("sources", "targets") for e in content[name]}
        for identifier, most in limits.items():
            used = sum(identifier in p for p in pairs)
            if most and used > most:
                raise Invalid(N_("{identifier} is used {used} times; at most {most}"), field="answer",
                              values={"identifier": identifier, "used": used, "most": most})
        return pairs

    @classmethod
    def credit(cls, content, answer):
        if content.get("mapping"):
            return weights.credit(content["mapping"], [f"{a} {b}" for a, b in answer], pair_names(content))
        key = {tuple(p) for p in content["key"]}
        given = {tuple(p) for p in answer}
        if given == key:
            return 1.0
        if not content.get("partial_credit"):
            return 0.0
        return max(0, len(given & key) - len(given - key)) / len(key)
