"""Items answered on a picture: put its areas in order (QTI graphic order), label its areas
(QTI graphic gap match) and mark points on it (QTI select point).

Each holds its picture as one of the item's stored media files (``image``, as a hotspot
item does) and its ``areas`` (shape and coordinates in the picture's pixels, see
``piaa.items.types.hotspot``). The candidate answers with area ids, never by pointing alone:
every area is a named control, so a keyboard and a screen reader reach each one.

* ``graphic_order``: the key lists the areas in the right order; only that order earns credit
  (QTI's match_correct on an ordered response).
* ``graphic_gap_match``: ``sources`` (words, or small pictures kept as ``html``) go onto the
  areas; scored as a matching item (the pairs are ``[source, area]``), see
  ``piaa.items.types.association``.
* ``select_point``: the answer is up to ``max_choices`` points ``[x, y]`` in the picture's
  pixels (with a ``marker``, a small picture of the thing placed there: QTI position object); the ``mapping`` gives each area a value (QTI's areaMapping): a point counts for the
  first area that holds it, each area counts once however many points fall in it, a point in
  no area counts the mapping's default, and the total is held within the bounds (QTI's
  mapResponsePoint). Credit is that total over the best total.
"""
from __future__ import annotations

import math
from typing import Any

from piaa.errors import Invalid
from piaa.items.types import mapping as weights
from piaa.items.types.association import Matching, entry_views
from piaa.items.types.base import ItemType, check_text, pick_text, problem
from piaa.items.types.hotspot import check_graphic, check_picture, inside, picture_view

MAX_POINTS = 10


class GraphicOrder(ItemType):
    name = "graphic_order"
    authored_in_form = False
    label, label_hi = "Order on a picture", "चित्र पर क्रम"
    interaction = "graphic_order"
    type_fields = ("image", "areas", "key")
    qti_interaction, qti_cardinality, qti_base_type = "qti-graphic-order-interaction", "ordered", "identifier"

    @classmethod
    def validate_fields(cls, content, languages, stem_langs):
        found, ids = check_graphic(content, languages)
        key = content.get("key")
        if not isinstance(key, list) or len(key) < 2 or any(k not in ids for k in key) or len(set(key)) != len(key):
            found.append(problem("key", f"must list at least two area ids, each once, in the right order; got {key!r}"))
        return found

    @classmethod
    def widget(cls, content, lang, rng):
        return {**picture_view(content, lang), "positions": len(content["key"])}

    @classmethod
    def check_answer(cls, content, answer):
        ids = [a["id"] for a in content["areas"]]
        if not isinstance(answer, list) or not all(isinstance(a, str) and a in ids for a in answer) \
                or len(set(answer)) != len(answer):
            raise Invalid(f"answer must be area ids among {', '.join(ids)} in order, each once, got {answer!r}",
                          field="answer")
        if len(answer) > len(content["key"]):
            raise Invalid(f"answer orders {len(answer)} areas; at most {len(content['key'])}", field="answer")
        return answer

    @classmethod
    def credit(cls, content, answer):
        return 1.0 if answer == content["key"] else 0.0


def _as_matching(content: dict[str, Any]) -> dict[str, Any]:
    """A graphic gap match as the matching item it scores like: its areas are the targets."""
    targets = [{"id": a["id"], "text": a.get("label") or {"en": a["id"]}, **({"match_max": a["match_max"]}
               if a.get("match_max") else {})} for a in content.get("areas") or [] if isinstance(a, dict)]
    return {**content, "targets": targets}


class GraphicGapMatch(ItemType):
    name = "graphic_gap_match"
    authored_in_form = False
    label, label_hi = "Label a picture", "चित्र पर नाम लगाएँ"
    interaction = "graphic_gap_match"
    type_fields = ("image", "areas", "sources", "key", "partial_credit", "mapping")
    defaults = {"partial_credit": False}
    qti_interaction, qti_cardinality, qti_base_type = ("qti-graphic-gap-match-interaction", "multiple",
                                                       "directedPair")

    @classmethod
    def validate_fields(cls, content, languages, stem_langs):
        found, _ = check_graphic(content, languages, extra=("match_max",))
        matching = _as_matching(content)
        found += [p for p in Matching.validate_fields(matching, languages, stem_langs)
                  if not p["field"].startswith("targets")]
        return found

    @classmethod
    def widget(cls, content, lang, rng):
        return {**picture_view(content, lang), "sources": entry_views(content["sources"], lang)}

    @classmethod
    def check_answer(cls, content, answer):
        return Matching.check_answer(_as_matching(content), answer)

    @classmethod
    def credit(cls, content, answer):
        return Matching.credit(_as_matching(content), answer)


class SelectPoint(ItemType):
    name = "select_point"
    authored_in_form = False
    label, label_hi = "Mark a point on a picture", "चित्र पर बिंदु चिह्नित करें"
    interaction = "select_point"
    type_fields = ("image", "areas", "mapping", "max_choices", "marker")
    defaults = {"max_choices": 1}
    qti_interaction, qti_cardinality, qti_base_type = "qti-select-point-interaction", "multiple", "point"

    @classmethod
    def validate_fields(cls, content, languages, stem_langs):
        found, ids = check_graphic(content, languages, minimum=1)
        most = content.get("max_choices")
        if isinstance(most, bool) or not isinstance(most, int) or not 1 <= most <= MAX_POINTS:
            found.append(problem("max_choices", f"must be a whole number from 1 to {MAX_POINTS}, got {most!r}"))
            most = 1
        if content.get("mapping") is None:
            found.append(problem("mapping", "must give the areas' values (the points are scored by the area they fall in)"))
        found += weights.check_mapping(content, ids, most)
        if content.get("marker") is not None:
            found += [problem(p["field"].replace("image", "marker", 1), p["message"])
                      for p in check_picture({"image": content["marker"]}, languages)]
        return found

    @classmethod
    def widget(cls, content, lang, rng):
        view = picture_view(content, lang)
        # The areas are the key here: only the picture and its size reach the candidate.
        del view["areas"]
        view["max_choices"] = content["max_choices"]
        if content.get("marker"):
            marker = picture_view({"image": content["marker"], "areas": []}, lang)
            view["marker"] = {k: marker[k] for k in ("image", "alt", "width", "height")}
        return view

    @classmethod
    def check_answer(cls, content, answer):
        points = [answer] if isinstance(answer, list) and len(answer) == 2 and \
            all(isinstance(c, (int, float)) for c in answer) else answer
        width, height = content["image"]["width"], content["image"]["height"]
        if not isinstance(points, list) or not points:
            raise Invalid(f"answer must be a list of [x, y] points, got {answer!r}", field="answer")
        checked = []
        for point in points:
            if not (isinstance(point, list) and len(point) == 2
                    and all(isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c)
                            for c in point)):
                raise Invalid(f"answer point {point!r} is not [x, y]", field="answer")
            x, y = float(point[0]), float(point[1])
            if not (0 <= x <= width and 0 <= y <= height):
                raise Invalid(f"answer point {point!r} lies outside the {width}x{height} picture", field="answer")
            checked.append([x, y])
        if len(checked) > content["max_choices"]:
            raise Invalid(f"answer marks {len(checked)} points; at most {content['max_choices']}", field="answer")
        return checked

    @classmethod
    def total(cls, content: dict[str, Any], points: list[list[float]]) -> float:
        """QTI's mapResponsePoint of ``points`` (see the module docstring)."""
        mapping = content["mapping"]
        hit: list[str] = []
        outside = 0
        for x, y in points:
            area = next((a for a in content["areas"] if inside(a["shape"], a["coords"], x, y)), None)
            if area is None:
                outside += 1
            elif area["id"] not in hit:
                hit.append(area["id"])
        raw = sum(float(mapping["values"].get(a, mapping.get("default") or 0.0)) for a in hit) \
            + outside * float(mapping.get("default") or 0.0)
        for bound, pick in (("lower_bound", max), ("upper_bound", min)):
            if mapping.get(bound) is not None:
                raw = pick(raw, float(mapping[bound]))
        return raw

    @classmethod
    def credit(cls, content, answer):
        best = weights.best_total(content["mapping"], [a["id"] for a in content["areas"]], content["max_choices"])
        if best <= 0:
            return 0.0
        return min(1.0, max(0.0, cls.total(content, answer) / best))

