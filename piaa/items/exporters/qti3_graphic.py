"""QTI 3.0 export of the items answered on a picture, by pairing, or on a slider: graphic
order, graphic gap match, graphic associate, associate, select point, slider.

Written so that ``piaa.items.importers.qti_graphic`` reads them back to the same items: the
picture as an ``img`` in the interaction, areas as hotspot choices (or associable hotspots)
with their shapes and coordinates, a select point's areas as the entries of its area mapping,
a slider's bounds and step as the interaction's attributes.
"""
from __future__ import annotations

from typing import Any, Callable

from lxml import etree

from piaa.items.types.hotspot import centre

TYPES = ("graphic_order", "graphic_gap_match", "graphic_associate", "associate", "select_point", "slider")
PAIRED = ("graphic_gap_match", "graphic_associate", "associate")


def _tools():
    from piaa.items.exporters import qti3

    return qti3


def declare(root: etree._Element, item: dict[str, Any]) -> None:
    """The response declaration of one of ``TYPES``: correct response and mapping."""
    q = _tools()
    kind = item["type"]
    cardinality = {"graphic_order": "ordered", "slider": "single",
                   "select_point": "single" if item.get("max_choices") == 1 else "multiple"}.get(kind, "multiple")
    base_type = _slider_base(item) if kind == "slider" else \
        {"graphic_order": "identifier", "graphic_gap_match": "directedPair", "graphic_associate": "pair",
         "associate": "pair", "select_point": "point"}[kind]
    decl = q._sub(root, "qti-response-declaration", identifier="RESPONSE", cardinality=cardinality,
                  base_type=base_type)
    correct = q._sub(decl, "qti-correct-response")
    if kind == "graphic_order":
        q._values(correct, [q.qti_identifier(k) for k in item["key"]])
    elif kind in PAIRED:
        q._values(correct, [f"{q.qti_identifier(a)} {q.qti_identifier(b)}" for a, b in item["key"]])
    elif kind == "slider":
        q._values(correct, [q._number(item["key"])])
    if kind == "graphic_gap_match" and item.get("partial_credit") and not item.get("mapping"):
        # +1/n per right pair, -1/n per other, floored at 0 (as a matching item writes it)
        share = repr(1.0 / len(item["key"]))
        mapping = q._sub(decl, "qti-mapping", default_value=f"-{share}", lower_bound="0", upper_bound="1")
        for a, b in item["key"]:
            q._sub(mapping, "qti-map-entry", map_key=f"{q.qti_identifier(a)} {q.qti_identifier(b)}", mapped_value=share)
    elif kind == "select_point":
        best = max(item["areas"], key=lambda a: item["mapping"]["values"].get(a["id"], 0))
        x, y = centre(best["shape"], best["coords"])
        q._values(correct, [f"{round(x)} {round(y)}"])
        _area_mapping(decl, item)
    elif kind == "slider" and item.get("mapping"):
        _value_mapping(decl, item["mapping"])
    elif item.get("mapping"):
        q._weighted_mapping(decl, item["mapping"], pairs=kind in PAIRED)


def _slider_base(item: dict[str, Any]) -> str:
    whole = all(float(item[k]).is_integer() for k in ("lower", "upper", "step", "key"))
    return "integer" if whole else "float"


def _value_mapping(decl: etree._Element, mapping: dict[str, Any]) -> None:
    """A slider's mapping: its keys are values, written as they are (not as identifiers)."""
    q = _tools()
    bounds = {name.replace("_", "-"): q._number(mapping[name]) for name in ("lower_bound", "upper_bound")
              if mapping.get(name) is not None}
    element = q._sub(decl, "qti-mapping", default_value=q._number(mapping.get("default") or 0), **bounds)
    for value, credit in mapping["values"].items():
        q._sub(element, "qti-map-entry", map_key=value, mapped_value=q._number(credit))


def _area_mapping(decl: etree._Element, item: dict[str, Any]) -> None:
    q = _tools()
    mapping = item["mapping"]
    bounds = {name.replace("_", "-"): q._number(mapping[name]) for name in ("lower_bound", "upper_bound")
              if mapping.get(name) is not None}
    element = q._sub(decl, "qti-area-mapping", default_value=q._number(mapping.get("default") or 0), **bounds)
    for area in item["areas"]:
        q._sub(element, "qti-area-map-entry", shape=area["shape"], coords=",".join(q._number(c) for c in area["coords"]),
               mapped_value=q._number(mapping["values"].get(area["id"], mapping.get("default") or 0)))


def _picture(interaction: etree._Element, item: dict[str, Any], media_ref: Callable[[str], str]) -> None:
    q = _tools()
    image = item["image"]
    element = q._sub(interaction, "img", src=media_ref(image["src"]), width=str(image["width"]),
                     height=str(image["height"]))
    element.set("alt", next(iter(image["alt"].values())) if image.get("alt") else "")


def _areas(interaction: etree._Element, item: dict[str, Any], tag: str) -> None:
    q = _tools()
    for area in item["areas"]:
        choice = q._sub(interaction, tag, identifier=q.qti_identifier(area["id"]), shape=area["shape"],
                        coords=",".join(q._number(c) for c in area["coords"]))
        if tag == "qti-associable-hotspot":
            choice.set("match-max", str(area.get("match_max") or 0))
        if area.get("label"):
            choice.set("hotspot-label", next(iter(area["label"].values())))


def interaction(body: etree._Element, item: dict[str, Any], media_ref: Callable[[str], str]) -> None:
    """The interaction of one of ``TYPES``, appended to ``body``."""
    q = _tools()
    kind = item["type"]
    if kind == "slider":
        q._sub(body, "qti-slider-interaction", response_identifier="RESPONSE", lower_bound=q._number(item["lower"]),
               upper_bound=q._number(item["upper"]), step=q._number(item["step"]))
        return
    if kind == "associate":
        element = q._sub(body, "qti-associate-interaction", response_identifier="RESPONSE", shuffle="false",
                         max_associations=str(item.get("max_associations") or 0))
        for choice in item["choices"]:
            q._associable(element, "qti-simple-associable-choice", choice, media_ref)
        return
    if kind == "select_point" and item.get("marker"):  # QTI position object: a stage and the thing placed on it
        stage = q._sub(body, "qti-position-object-stage")
        _picture(stage, item, media_ref)
        element = q._sub(stage, "qti-position-object-interaction", response_identifier="RESPONSE",
                         max_choices=str(item["max_choices"]))
        _picture(element, {"image": item["marker"]}, media_ref)
        return
    name = {"graphic_order": "qti-graphic-order-interaction", "graphic_gap_match": "qti-graphic-gap-match-interaction",
            "graphic_associate": "qti-graphic-associate-interaction",
            "select_point": "qti-select-point-interaction"}[kind]
    element = q._sub(body, name, response_identifier="RESPONSE")
    if kind == "graphic_associate":
        element.set("max-associations", str(item.get("max_associations") or 0))
    if kind == "select_point":
        element.set("max-choices", str(item["max_choices"]))
    _picture(element, item, media_ref)
    if kind == "graphic_order":
        _areas(element, item, "qti-hotspot-choice")
        return
    if kind == "graphic_gap_match":
        for source in item["sources"]:
            q.gap_source(element, source, media_ref)
    if kind in ("graphic_gap_match", "graphic_associate"):
        _areas(element, item, "qti-associable-hotspot")


def file_interaction(body: etree._Element, item: dict[str, Any], media_ref: Callable[[str], str]) -> None:
    """An upload (the file types it takes, when not every type PIAA takes) or a drawing (on its
    picture)."""
    from piaa.items.types import get_item_type

    q = _tools()
    if item["type"] == "upload":
        element = q._sub(body, "qti-upload-interaction", response_identifier="RESPONSE")
        accept = item.get("accept") or get_item_type("upload").defaults["accept"]
        if sorted(accept) != sorted(get_item_type("upload").defaults["accept"]):
            element.set("type", " ".join(accept))
        return
    element = q._sub(body, "qti-drawing-interaction", response_identifier="RESPONSE")
    if item.get("image"):
        _picture(element, item, media_ref)


def template(item: dict[str, Any]) -> str:
    """The standard response processing that scores the item as PIAA does."""
    if item["type"] == "select_point":
        return "map_response_point"
    mapped = bool(item.get("mapping")) or (item["type"] == "graphic_gap_match" and item.get("partial_credit"))
    return "map_response" if mapped else "match_correct"



