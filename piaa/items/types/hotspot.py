"""Hotspot items: pick one or more areas of a picture (QTI hotspot interaction).

The picture is one of the item's stored media files (``media:<sha256>``); each area has a
shape (``rect``, ``circle``, ``ellipse`` or ``poly``) and its coordinates in the picture's
pixels, as in HTML image maps, and a label for screen readers. The key is the list of right
areas; only the exact set earns credit, unless a ``mapping`` gives each area its own value
(``piaa.items.types.mapping``).
"""
from __future__ import annotations

from typing import Any

from piaa.errors import Invalid
from piaa.i18n import N_
from piaa.items.types import mapping as weights
from piaa.items.types.base import OPTION_ID, ItemType, check_text, pick_text, problem
from piaa.items.types.rich import MEDIA_SCHEME, MEDIA_URL, SHA256

SHAPES = {"rect": 4, "circle": 3, "ellipse": 4, "poly": None}


def centre(shape: str, coords: list[float]) -> tuple[float, float]:
    """Where an area's button sits: the middle of its shape, in picture pixels."""
    if shape == "rect":
        return (coords[0] + coords[2]) / 2, (coords[1] + coords[3]) / 2
    if shape in ("circle", "ellipse"):
        return coords[0], coords[1]
    xs, ys = coords[0::2], coords[1::2]
    return sum(xs) / len(xs), sum(ys) / len(ys)


def check_picture(content: dict[str, Any], languages) -> list:
    """Problems of ``content["image"]``: a stored media file with its size in pixels."""
    found = []
    image = content.get("image")
    if not isinstance(image, dict) or not str(image.get("src", "")).startswith(MEDIA_SCHEME) \
            or not SHA256.match(str(image.get("src"))[len(MEDIA_SCHEME):]):
        return [problem("image.src", N_("must be a stored media file, media:<sha256>"))]
    for side in ("width", "height"):
        if isinstance(image.get(side), bool) or not isinstance(image.get(side), int) or image[side] <= 0:
            found.append(problem(f"image.{side}", N_("must be the picture's {side} in pixels"), {"side": side}))
    if image.get("alt") is not None:
        found += check_text(image["alt"], "image.alt", languages=languages)
    return found


def check_areas(content: dict[str, Any], languages, minimum: int = 2,
                extra: tuple[str, ...] = ()) -> tuple[list, list[str]]:
    """Problems of ``content["areas"]`` and the area ids; ``extra`` names further fields an
    area may have (checked by the caller)."""
    found: list = []
    areas = content.get("areas")
    ids: list[str] = []
    if not isinstance(areas, list) or len(areas) < minimum:
        found.append(problem("areas", N_("must list at least {minimum} areas") if minimum != 1
                             else N_("must list at least one area"), {"minimum": minimum}))
        areas = []
    for i, area in enumerate(areas):
        where = f"areas[{i}]"
        if not isinstance(area, dict):
            found.append(problem(where, N_("must be an object with id, shape and coords")))
            continue
        found += [problem(f"{where}.{k}", N_("unknown area field")) for k in area
                  if k not in ("id", "shape", "coords", "label") + extra]
        if not isinstance(area.get("id"), str) or not OPTION_ID.match(area["id"]) or area["id"] in ids:
            found.append(problem(f"{where}.id", N_("must be a unique id, got {id}"), {"id": repr(area.get("id"))}))
        ids.append(area.get("id"))
        shape, coords = area.get("shape"), area.get("coords")
        count = SHAPES.get(shape, -1)
        if count == -1:
            found.append(problem(f"{where}.shape", N_("must be one of {shapes}, got {shape}"),
                                 {"shapes": ", ".join(SHAPES), "shape": repr(shape)}))
        elif not isinstance(coords, list) or not all(isinstance(c, (int, float)) and not isinstance(c, bool)
                                                     for c in coords) \
                or (count and len(coords) != count) or (not count and (len(coords) < 6 or len(coords) % 2)):
            found.append(problem(f"{where}.coords", N_("do not fit a {shape}: {coords}"),
                                 {"shape": shape, "coords": repr(coords)}))
        if area.get("label") is not None:
            found += check_text(area["label"], f"{where}.label", languages=languages)
        most = area.get("match_max")
        if most is not None and (isinstance(most, bool) or not isinstance(most, int) or most < 0):
            found.append(problem(f"{where}.match_max", N_("must be a whole number >= 0 (0: no limit), got {most}"),
                                 {"most": repr(most)}))
    return found, ids


def check_graphic(content: dict[str, Any], languages, minimum: int = 2,
                  extra: tuple[str, ...] = ()) -> tuple[list, list[str]]:
    """Problems of the picture and its areas (see ``check_picture``, ``check_areas``), and the area ids."""
    found, ids = check_areas(content, languages, minimum, extra)
    return check_picture(content, languages) + found, ids


def picture_view(content: dict[str, Any], lang: str) -> dict[str, Any]:
    """The picture and its areas as the candidate's browser gets them: each area's label and
    its middle as a share of the picture (so its marker follows the picture at any width)."""
    image = content["image"]
    areas = []
    for n, area in enumerate(content["areas"], start=1):
        x, y = centre(area["shape"], area["coords"])
        label = pick_text(area.get("label"), lang) if area.get("label") else f"{n}"
        areas.append({"id": area["id"], "label": label,
                      "x": round(100 * x / image["width"], 2), "y": round(100 * y / image["height"], 2)})
    return {"image": MEDIA_URL + image["src"][len(MEDIA_SCHEME):],
            "alt": pick_text(image.get("alt"), lang) if image.get("alt") else "",
            "width": image["width"], "height": image["height"], "areas": areas}


def inside(shape: str, coords: list[float], x: float, y: float) -> bool:
    """Whether the point (x, y) lies in the area, edges included (QTI's inside operator)."""
    if shape == "rect":
        left, top, right, bottom = coords
        return min(left, right) <= x <= max(left, right) and min(top, bottom) <= y <= max(top, bottom)
    if shape == "circle":
        cx, cy, r = coords
        return (x - cx) ** 2 + (y - cy) ** 2 <= r ** 2
    if shape == "ellipse":
        cx, cy, rx, ry = coords
        return rx > 0 and ry > 0 and ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1
    # even-odd ray casting over the polygon's edges
    xs, ys = coords[0::2], coords[1::2]
    result = False
    j = len(xs) - 1
    for i in range(len(xs)):
        if (ys[i] > y) != (ys[j] > y) and x < (xs[j] - xs[i]) * (y - ys[i]) / (ys[j] - ys[i]) + xs[i]:
            result = not result
        j = i
    return result


class Hotspot(ItemType):
    name = "hotspot"
    label, label_hi = "Hotspot", "चित्र पर क्षेत्र चुनें"
    interaction = "hotspot"
    type_fields = ("image", "areas", "key", "max_choices", "mapping")
    qti_interaction, qti_cardinality, qti_base_type = "qti-hotspot-interaction", "multiple", "identifier"

    @classmethod
    def validate_fields(cls, content, languages, stem_langs):
        found, ids = check_graphic(content, languages)
        key = content.get("key")
        if not isinstance(key, list) or not key or any(k not in ids for k in key) or len(set(key)) != len(key):
            found.append(problem("key", N_("must list the right area ids once each, got {key}"), {"key": repr(key)}))
        most = content.get("max_choices")
        if most is not None and (isinstance(most, bool) or not isinstance(most, int) or most < 1):
            found.append(problem("max_choices", N_("must be a whole number >= 1, got {most}"), {"most": repr(most)}))
        found += weights.check_mapping(content, ids, most if isinstance(most, int) else None)
        return found

    @classmethod
    def widget(cls, content, lang, rng):
        return {**picture_view(content, lang), "multiple": content.get("max_choices") != 1,
                "max_choices": content.get("max_choices")}

    @classmethod
    def check_answer(cls, content, answer: Any):
        ids = [a["id"] for a in content["areas"]]
        picked = [answer] if isinstance(answer, str) else answer
        if not isinstance(picked, list) or not all(isinstance(a, str) and a in ids for a in picked) \
                or len(set(picked)) != len(picked):
            raise Invalid(N_("answer must be area ids among {ids}, got {answer}"), field="answer",
                          values={"ids": ', '.join(ids), "answer": repr(answer)})
        if content.get("max_choices") and len(picked) > content["max_choices"]:
            raise Invalid(N_("at most {max_choices} areas may be picked"), field="answer",
                          values={"max_choices": content['max_choices']})
        return picked

    @classmethod
    def credit(cls, content, answer):
        if content.get("mapping"):
            return weights.credit(content["mapping"], answer, [a["id"] for a in content["areas"]],
                                  content.get("max_choices"))
        return 1.0 if set(answer) == set(content["key"]) else 0.0
