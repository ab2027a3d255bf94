"""QTI interactions on a picture, pairings and sliders, read into PIAA item types.

* graphic order -> ``graphic_order`` (match_correct on the ordered response);
* graphic gap match -> ``graphic_gap_match``: the gap texts, or the gap pictures (kept as the
  source's ``html`` with the picture stored, its alternative text as the source's text),
  placed on the associable hotspots; scored as a gap match is;
* associate and graphic associate -> ``associate`` / ``graphic_associate``: undirected pairs,
  the mapping's keys written with their ids sorted (QTI's pair "B C" is "C B");
* select point -> ``select_point``: the area mapping's entries become the picture's areas,
  each with its mapped value (mapResponsePoint);
* slider -> ``slider``: its bounds and step, the correct value as the key, a mapping of values
  kept as written;
* upload and drawing -> ``upload`` / ``drawing``, rated by people (``file_answer``): the file
  types the upload takes, the picture a drawing is made on.

Each reader takes the interaction, its response declaration and how the response
processing scores it, and returns the item's type fields; what it cannot keep it adds to
``losses`` or refuses with ``Unsupported``.
"""
from __future__ import annotations

import math
from html import escape as html_escape
from typing import Any

from lxml import etree

from piaa.items.importers import qti_content
from piaa.items.importers.qti import (SKIPPED_CONTENT, Declaration, Malformed, Scoring, Unsupported, _child,
                                      _children, _descendants, _lang, _name, _number, _pairs, _plain, _unprefix,
                                      _weights, choice_entry, pair_scoring, text_of)
from piaa.items.types.associate import pair_name
from piaa.items.types.graphic import MAX_POINTS
from piaa.items.types.slider import value_name
from piaa.items.types.submitted import FILE_TYPES


def picture(interaction: etree._Element, resolve: qti_content.Resolve | None, media: dict[str, Any],
            what: str, lang: str) -> dict[str, Any]:
    """The interaction's picture as an item ``image`` (stored in ``media``).

    :raise Unsupported: if it has none, or it cannot be kept, or its size is not given.
    """
    element = next((e for e in interaction if _name(e) in ("object", "img", "picture")), None)
    if element is not None and _name(element) == "picture":  # its img is the picture every browser shows
        element = next((e for e in element if _name(e) == "img"), None)
    if element is None:
        raise Unsupported(f"the {what} has no picture")
    found = qti_content.RichBody()
    source = qti_content.media_source(element, resolve, found)
    if source is None:
        raise Unsupported(f"the {what}'s picture cannot be kept: {'; '.join(found.problems)}")
    media.update(found.media)
    try:
        width, height = int(float(element.get("width"))), int(float(element.get("height")))
    except (TypeError, ValueError):
        raise Unsupported(f"the {what}'s picture does not give its width and height") from None
    image: dict[str, Any] = {"src": source, "width": width, "height": height}
    alt = (element.get("alt") or element.text or "").strip()
    if alt:
        image["alt"] = {lang: alt}
    return image


def _coords(value: str | None) -> list[float]:
    try:
        return [float(c) for c in (value or "").replace(" ", "").split(",") if c]
    except ValueError:
        raise Malformed(f"coords {value!r} are not numbers") from None


def _with_match_max(entry: dict[str, Any], element: etree._Element) -> dict[str, Any]:
    """``entry`` with the element's match-max when it sets a limit (0 is none)."""
    most = element.get("match-max", "")
    if most.isdigit() and int(most) > 0:
        entry["match_max"] = int(most)
    return entry


def areas(interaction: etree._Element, tag: str, lang: str) -> list[dict[str, Any]]:
    """The interaction's hotspots (``tag``) as item areas, with their labels and match limits."""
    found = []
    for choice in _descendants(interaction, tag):
        area: dict[str, Any] = {"id": _unprefix(choice.get("identifier", "")), "shape": choice.get("shape", ""),
                                "coords": _coords(choice.get("coords"))}
        label = choice.get("hotspot-label") or choice.get("aria-label")
        if label:
            area["label"] = {lang: label}
        found.append(_with_match_max(area, choice) if tag == "qti-associable-hotspot" else area)
    return found


def read(name: str, interaction: etree._Element, decl: Declaration, scoring: Scoring, lang: str,
         resolve: qti_content.Resolve | None, media: dict[str, Any], losses: list[str]) -> dict[str, Any]:
    """The item type fields for one of ``piaa.items.importers.qti.PICTURE_READERS``."""
    if scoring.kind == "tolerance" and name != "qti-slider-interaction":
        raise Unsupported("a tolerance applies to numbers, not to areas or pairs")
    if name == "qti-graphic-order-interaction":
        return _graphic_order(interaction, decl, scoring, lang, resolve, media)
    if name == "qti-graphic-gap-match-interaction":
        return _graphic_gap_match(interaction, decl, scoring, lang, resolve, media)
    if name in ("qti-associate-interaction", "qti-graphic-associate-interaction"):
        return _associate(name, interaction, decl, scoring, lang, resolve, media)
    if name in ("qti-select-point-interaction", "qti-position-object-interaction"):
        return _select_point(interaction, decl, scoring, lang, resolve, media)
    return _slider(interaction, decl, scoring, losses)


def _graphic_order(interaction, decl, scoring, lang, resolve, media) -> dict[str, Any]:
    if decl.cardinality != "ordered" or scoring.kind != "match_correct":
        raise Unsupported("a graphic order must be scored by matching its correct order")
    image = picture(interaction, resolve, media, "graphic order", lang)
    found = areas(interaction, "qti-hotspot-choice", lang)
    key = [_unprefix(v) for v in decl.correct]
    ids = [a["id"] for a in found]
    if len(key) < 2 or any(k not in ids for k in key) or len(set(key)) != len(key):
        raise Unsupported(f"the correct order {key} does not name the picture's areas, each once")
    return {"type": "graphic_order", "image": image, "areas": found, "key": key}


def gap_sources(interaction: etree._Element, lang: str, resolve, media: dict[str, Any]) -> list[dict[str, Any]]:
    """The gap texts and gap pictures, in document order."""
    sources = []
    for n, choice in enumerate((e for e in interaction if _name(e) in ("qti-gap-text", "qti-gap-img")), start=1):
        entry: dict[str, Any] = {"id": _unprefix(choice.get("identifier", ""))}
        if _name(choice) == "qti-gap-img":
            element = next((e for e in choice.iter(etree.Element) if etree.QName(e).localname in ("img", "object")),
                           None)
            found = qti_content.RichBody()
            source = qti_content.media_source(element, resolve, found) if element is not None else None
            if source is None:
                raise Unsupported(f"the picture of {choice.get('identifier')!r} cannot be kept: "
                                  f"{'; '.join(found.problems) or 'it has none'}")
            media.update(found.media)
            alt = (element.get("alt") or element.text or choice.get("label") or "").strip()
            size = "".join(f' {side}="{int(float(element.get(side)))}"' for side in ("width", "height")
                           if (element.get(side) or "").replace(".", "", 1).isdigit())
            entry["html"] = {lang: f'<img src="{source}" alt="{html_escape(alt)}"{size}>'}
            entry["text"] = {lang: alt or f"Picture {n}"}
        else:
            entry = choice_entry(choice, n, lang, resolve, media)
        sources.append(_with_match_max(entry, choice))
    return sources


def _graphic_gap_match(interaction, decl, scoring, lang, resolve, media) -> dict[str, Any]:
    if decl.base_type not in ("directedPair", "directed-pair"):
        raise Unsupported(f"a graphic gap match answered with {decl.base_type} values is not supported")
    image = picture(interaction, resolve, media, "graphic gap match", lang)
    sources = gap_sources(interaction, lang, resolve, media)
    found = areas(interaction, "qti-associable-hotspot", lang)
    return {"type": "graphic_gap_match", "image": image, "areas": found, "sources": sources,
            **pair_scoring(decl, scoring, sources, found)}


def _associate(name, interaction, decl, scoring, lang, resolve, media) -> dict[str, Any]:
    if decl.base_type != "pair":
        raise Unsupported(f"an associate interaction answered with {decl.base_type} values is not supported")
    item: dict[str, Any]
    if name == "qti-graphic-associate-interaction":
        item = {"type": "graphic_associate",
                "image": picture(interaction, resolve, media, "graphic associate", lang),
                "areas": areas(interaction, "qti-associable-hotspot", lang)}
        ids = [a["id"] for a in item["areas"]]
    else:
        choices = []
        for choice in _descendants(interaction, "qti-simple-associable-choice"):
            entry: dict[str, Any] = {"id": _unprefix(choice.get("identifier", "")),
                                     "text": text_of(choice, _lang(choice, lang), separator=" ")}
            if lang not in entry["text"]:
                raise Unsupported(f"choice {choice.get('identifier')!r} has no text in {lang} (a picture alone?)")
            choices.append(_with_match_max(entry, choice))
        item = {"type": "associate", "choices": choices}
        ids = [c["id"] for c in choices]
    most = interaction.get("max-associations", "1")
    item["max_associations"] = int(most) if most.isdigit() else 1
    correct = [sorted(p) for p in _pairs(decl.correct)]
    if scoring.kind == "map_response":
        values = {pair_name(*p): v for p, v in zip(_pairs(list(decl.mapping or {})), (decl.mapping or {}).values())}
        names = [pair_name(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]]
        mapping = _weights(decl, names)
        mapping["values"] = {k: _plain(v) for k, v in values.items() if k in names}
        item["mapping"] = mapping
        if not correct:
            correct = [k.split() for k, v in values.items() if v > 0]
    if not correct:
        raise Unsupported("the item gives no right pairs")
    item["key"] = correct
    if item.get("mapping") is None and item["max_associations"] and len(correct) > item["max_associations"]:
        raise Unsupported(f"the correct response has {len(correct)} pairs while at most "
                          f"{item['max_associations']} may be made")
    return item


def _select_point(interaction, decl, scoring, lang, resolve, media) -> dict[str, Any]:
    if decl.base_type != "point":
        raise Unsupported(f"a select point answered with {decl.base_type} values is not supported")
    declaration = interaction.getroottree().getroot()
    element = next((d for d in _children(declaration, "qti-response-declaration")
                    if d.get("identifier") == interaction.get("response-identifier")), None)
    area_mapping = _child(element, "qti-area-mapping") if element is not None else None
    if scoring.kind != "map_response" or area_mapping is None:
        raise Unsupported("a select point is scored by its area mapping (map_response_point); a point "
                          "matched exactly is not a fair test of pointing")
    marker = None
    if _name(interaction) == "qti-position-object-interaction":  # the stage holds the picture
        stage = interaction.getparent()
        if _name(stage) != "qti-position-object-stage":
            raise Unsupported("a position object interaction stands outside its stage")
        image = picture(stage, resolve, media, "position object stage", lang)
        marker = picture(interaction, resolve, media, "position object", lang)
    else:
        image = picture(interaction, resolve, media, "select point", lang)
    found, values = [], {}
    for n, entry in enumerate(_children(area_mapping, "qti-area-map-entry"), start=1):
        identifier = f"area{n}"
        found.append({"id": identifier, "shape": entry.get("shape", ""), "coords": _coords(entry.get("coords"))})
        values[identifier] = _plain(_number(entry.get("mapped-value", "0"), "mapped-value"))
    if not found:
        raise Unsupported("the area mapping has no areas")
    mapping: dict[str, Any] = {"values": values,
                               "default": _plain(_number(area_mapping.get("default-value", "0"), "default-value"))}
    for attribute, key in (("lower-bound", "lower_bound"), ("upper-bound", "upper_bound")):
        if area_mapping.get(attribute):
            mapping[key] = _plain(_number(area_mapping.get(attribute), attribute))
    most = interaction.get("max-choices", "1")
    count = int(most) if most.isdigit() and int(most) > 0 else min(MAX_POINTS, len(found))
    if decl.cardinality == "single":
        count = 1
    item = {"type": "select_point", "image": image, "areas": found, "mapping": mapping,
            "max_choices": min(count, MAX_POINTS)}
    if marker:
        item["marker"] = marker
    return item


def _slider(interaction, decl, scoring, losses: list[str]) -> dict[str, Any]:
    if decl.cardinality != "single" or decl.base_type not in ("integer", "float"):
        raise Unsupported(f"a slider answered with {decl.cardinality} {decl.base_type} values is not supported")
    try:
        lower = float(interaction.get("lower-bound"))
        upper = float(interaction.get("upper-bound"))
        step = float(interaction.get("step") or 1)
    except (TypeError, ValueError):
        raise Unsupported("the slider does not give its lower bound, upper bound and step as numbers") from None
    if len(decl.correct) != 1:
        raise Unsupported("a slider needs its one correct value")
    key = _number(decl.correct[0], "correct value")
    item: dict[str, Any] = {"type": "slider", "lower": _plain(lower), "upper": _plain(upper), "step": _plain(step),
                            "key": _plain(key)}
    if scoring.kind == "tolerance":
        raise Unsupported("a slider scored within a tolerance is not supported")
    if scoring.kind == "map_response":
        if not decl.mapping:
            losses.append("the response is mapped but the item declares no mapping; the correct value "
                          "alone earns credit")
        else:
            mapping = _weights(decl, [])
            mapping["values"] = {value_name(_number(k, "map-key")): _plain(v) for k, v in decl.mapping.items()
                                 if math.isfinite(_number(k, "map-key"))}
            item["mapping"] = mapping
    return item


def file_answer(interaction: etree._Element, declaration: etree._Element, lang: str, resolve,
                media: dict[str, Any], losses: list[str]) -> dict[str, Any]:
    """The type fields of an upload or a drawing (an item rated by people): the file types an
    upload takes (those PIAA takes of the ones it names), a drawing's picture to draw on."""
    name = _name(interaction)
    if declaration.get("cardinality", "single") != "single" or declaration.get("base-type", "file") != "file":
        raise Unsupported(f"a {name} answered with {declaration.get('cardinality')} "
                          f"{declaration.get('base-type')} values is not supported (one file per answer)")
    if name == "qti-drawing-interaction":
        content: dict[str, Any] = {"type": "drawing"}
        if next((e for e in interaction if _name(e) in ("object", "img", "picture")), None) is not None:
            content["image"] = picture(interaction, resolve, media, "drawing", lang)
        return content
    content = {"type": "upload"}
    named = [t.strip().lower() for t in (interaction.get("type") or "").replace(",", " ").split() if t.strip()]
    if named:
        taken = [t for t in FILE_TYPES if t in named or (t == "image/jpeg" and "image/jpg" in named)]
        left = [t for t in named if t not in FILE_TYPES and t != "image/jpg"]
        if not taken:
            raise Unsupported(f"the upload takes {', '.join(named)} files; PIAA takes {', '.join(FILE_TYPES)}")
        if left:
            losses.append(f"the upload also took {', '.join(left)} files; PIAA takes {', '.join(taken)} of them")
        content["accept"] = taken
    return content
