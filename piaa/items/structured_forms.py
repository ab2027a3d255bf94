"""The item form's parts for items with structure: matching (two lists and the pairs), hotspot
(a picture and its areas) and composite (several parts, each an item of a simpler type).

Like the options of a choice item, everything here is posted as repeated rows whose names carry
a row number (``source-0-en``, ``area-2-coords``, ``part-1-option-0-en`` ...); blank rows are
ignored, so the page can always show a few spare ones. Each function turns posted rows into the
bank format's fields, the bank format back into rows to show, or the type's problems (which
name bank-format fields such as ``sources[1].text.hi``) into the row and box they are about.
"""
from __future__ import annotations

import json
import re
from itertools import count
from typing import Any, Callable, Iterator

from werkzeug.datastructures import MultiDict

from piaa.i18n import N_
from piaa.i18n import gettext as _

MAX_LIST_ROWS = 10      # sources, targets, areas
MAX_PARTS = 8           # composite parts the form shows (imports may hold more: they are kept)
# What the form writes of a part; anything else an imported part has (shuffle, a weighted
# mapping, a length limit ...) travels with the part unseen and is kept.
PART_FORM_FIELDS = ("id", "type", "label", "points", "prompt", "inline", "options", "key", "partial_credit",
                    "accepted", "case_sensitive", "collapse_spaces", "tolerance", "unit")
SCORING = ("exact", "partial", "weighted")
# The part types a composite's part can be written as in the form; parts of other types
# (matching, hotspot, likert ... from an import) are kept as they are and shown read-only.
PART_FORM_TYPES = ("single_choice", "multiple_response", "true_false", "text_entry", "numeric_entry", "ordering")
SHAPE_NAMES = {"rect": "rectangle", "circle": "circle", "ellipse": "ellipse", "poly": "polygon"}
NUMBER_SPLIT = re.compile(r"[\s,;]+")


def text_of(en: str | None, hi: str | None) -> dict[str, str]:
    out = {}
    for lang, value in (("en", en), ("hi", hi)):
        if value and value.strip():
            out[lang] = value.strip().replace("\r\n", "\n")
    return out


def number_of(raw: str | None) -> Any:
    """A number when the text is one; otherwise the text, so validation names the field."""
    raw = (raw or "").strip().replace(",", "")
    try:
        value = float(raw)
    except ValueError:
        return raw or None
    return int(value) if value.is_integer() and "." not in raw else value


def spare_ids(used: set[str], make: Callable[[int], str]) -> Iterator[str]:
    return (make(n) for n in count(1) if make(n) not in used)


def text_rows(formdata: MultiDict, name: str, make_id: Callable[[int], str],
              extra: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Rows ``{name}-{i}-en`` / ``-hi`` / ``-id`` (+ ``extra`` fields) as posted, blank ones
    dropped, each with its row number and an id (the posted one, else a new one)."""
    rows = []
    for i in range(MAX_LIST_ROWS * 2):
        prefix = f"{name}-{i}-"
        en, hi = formdata.get(prefix + "en", ""), formdata.get(prefix + "hi", "")
        values = {k: formdata.get(prefix + k, "") for k in extra}
        if not (en.strip() or hi.strip() or any(v.strip() for v in values.values())):
            continue
        rows.append({"row": i, "id": formdata.get(prefix + "id", "").strip(), "text": text_of(en, hi), **values})
    fresh = spare_ids({r["id"] for r in rows if r["id"]}, make_id)
    for r in rows:
        r["id"] = r["id"] or next(fresh)
    return rows


def _weighted_mapping(formdata: MultiDict, values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A QTI-style mapping from the points given per choice; choices not named earn the
    "any other" points; the total is held between the lowest and highest totals given
    (the page offers a floor of 0: PIAA scores a total below 0 as 0 anyway)."""
    mapping: dict[str, Any] = {"values": values}
    for name, field in (("default", "other_points"), ("lower_bound", "lower_bound"), ("upper_bound", "upper_bound")):
        value = number_of(formdata.get(prefix + field))
        if value is not None:
            mapping[name] = value
    return mapping


def _bounds(mapping: dict[str, Any] | None, formdata: MultiDict | None) -> dict[str, str]:
    """The lowest and highest totals to show: as posted, else the item's (0 and none for a new one)."""
    if formdata is not None:
        return {k: formdata.get(k, "") for k in ("lower_bound", "upper_bound")}
    if not mapping:
        return {"lower_bound": "0", "upper_bound": ""}
    return {k: _shown_number(mapping.get(k)) for k in ("lower_bound", "upper_bound")}


# --- matching --------------------------------------------------------------------------------

def matching_fields(formdata: MultiDict, prefix: str = "") -> dict[str, Any]:
    """``sources``, ``targets``, ``key`` (the ticked pairs), ``partial_credit`` and ``mapping``
    (points per pair, when the scoring is weighted) from the posted rows."""
    sources = text_rows(formdata, prefix + "source", lambda n: f"S{n}", ("max",))
    targets = text_rows(formdata, prefix + "target", lambda n: f"T{n}", ("max",))
    scoring = formdata.get(prefix + "scoring") or "exact"
    key, values = [], {}
    for s in sources:
        for t in targets:
            cell = f"{prefix}pair-{s['row']}-{t['row']}"
            if formdata.get(cell) == "on":
                key.append([s["id"], t["id"]])
            points = number_of(formdata.get(cell + "-points"))
            if points is not None:
                values[f"{s['id']} {t['id']}"] = points

    def entries(rows):
        return [{"id": r["id"], "text": r["text"], **({"match_max": number_of(r["max"])} if r["max"].strip() else {})}
                for r in rows]

    return {"sources": entries(sources), "targets": entries(targets), "key": key,
            "partial_credit": scoring == "partial",
            "mapping": _weighted_mapping(formdata, values, prefix) if scoring == "weighted" else None}


def _blank_entry() -> dict[str, Any]:
    return {"id": "", "en": "", "hi": "", "max": ""}


def posted_numbers(formdata: MultiDict, probe: str, most: int = MAX_LIST_ROWS * 2) -> list[int]:
    """The row numbers the page showed (blank ones too): those whose ``probe`` box was posted.
    Shown again with the same numbers, a problem's anchor names the box it is about."""
    return [i for i in range(most) if probe.format(i) in formdata]


def _spares(rows: list[dict], blank: Callable[[], dict], minimum: int) -> list[dict]:
    """Rows plus blank ones numbered after the last, at least ``minimum`` in all and one spare."""
    after = max((r["row"] for r in rows), default=-1) + 1
    extra = min(MAX_LIST_ROWS, max(minimum, len(rows) + 1)) - len(rows)
    return rows + [dict(blank(), row=after + i) for i in range(max(0, extra))]


def matching_rows(data: dict[str, Any] | None, formdata: MultiDict | None, prefix: str = "") -> dict[str, Any]:
    """The two lists and the pair grid to show: as posted, else as the item has them, plus spares."""
    if formdata is not None:
        def posted(name):
            return [{"row": i, **{k: formdata.get(f"{prefix}{name}-{i}-{k}", "") for k in ("id", "en", "hi", "max")}}
                    for i in posted_numbers(formdata, prefix + name + "-{}-en")]
        sources, targets = posted("source"), posted("target")
        cells = {(s["row"], t["row"]): {"key": formdata.get(f"{prefix}pair-{s['row']}-{t['row']}") == "on",
                                        "points": formdata.get(f"{prefix}pair-{s['row']}-{t['row']}-points", "")}
                 for s in sources for t in targets}
        scoring = formdata.get(prefix + "scoring") or "exact"
        other = formdata.get(prefix + "other_points", "")
    else:
        data = data or {}

        def shown(entries):
            return [{"id": e.get("id", ""), "en": (e.get("text") or {}).get("en", ""),
                     "hi": (e.get("text") or {}).get("hi", ""), "row": i,
                     "max": "" if e.get("match_max") is None else str(e["match_max"])}
                    for i, e in enumerate(entries or [])]
        sources, targets = shown(data.get("sources")), shown(data.get("targets"))
        key = {tuple(p) for p in data.get("key") or [] if isinstance(p, list)}
        mapping = data.get("mapping") or {}
        values = mapping.get("values") or {}
        cells = {(s["row"], t["row"]): {"key": (s["id"], t["id"]) in key,
                                        "points": _shown_number(values.get(f"{s['id']} {t['id']}"))}
                 for s in sources for t in targets}
        scoring = "weighted" if mapping else "partial" if data.get("partial_credit") else "exact"
        other = _shown_number(mapping.get("default"))
    sources, targets = _spares(sources, _blank_entry, 5), _spares(targets, _blank_entry, 5)
    grid = [{"source": s, "cells": [{"target": t, **cells.get((s["row"], t["row"]), {"key": False, "points": ""})}
                                    for t in targets]} for s in sources]
    return {"sources": sources, "targets": targets, "grid": grid, "scoring": scoring, "other_points": other,
            **_bounds(None if formdata is not None else (data or {}).get("mapping"), formdata)}


def _shown_number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- hotspot ---------------------------------------------------------------------------------

def coordinates(raw: str) -> Any:
    """``"10, 20, 30, 40"`` as numbers; the text itself when any piece is not a number."""
    pieces = [p for p in NUMBER_SPLIT.split((raw or "").strip()) if p]
    numbers = [number_of(p) for p in pieces]
    if not pieces or not all(isinstance(n, (int, float)) for n in numbers):
        return raw.strip() or None
    return numbers


def area_rows(formdata: MultiDict, prefix: str = "") -> list[dict[str, Any]]:
    """The area rows as posted, blank ones (no coordinates, no label) dropped, with ids."""
    rows = []
    for i in range(MAX_LIST_ROWS * 2):
        p = f"{prefix}area-{i}-"
        coords, label = formdata.get(p + "coords", ""), text_of(formdata.get(p + "label-en"), formdata.get(p + "label-hi"))
        if not (coords.strip() or label):
            continue
        rows.append({"row": i, "id": formdata.get(p + "id", "").strip(), "shape": formdata.get(p + "shape") or "rect",
                     "coords": coords, "label": label, "key": formdata.get(p + "key") == "on",
                     "points": formdata.get(p + "points", "")})
    fresh = spare_ids({r["id"] for r in rows if r["id"]}, lambda n: f"H{n}")
    for r in rows:
        r["id"] = r["id"] or next(fresh)
    return rows


def hotspot_fields(formdata: MultiDict, prefix: str = "") -> dict[str, Any]:
    """``image`` (the uploaded picture, its size and description), ``areas``, ``key``,
    ``max_choices`` and ``mapping`` (points per area, when weighted) from the posted rows."""
    rows = area_rows(formdata, prefix)
    image: dict[str, Any] = {"src": formdata.get(prefix + "image_src", "").strip() or None,
                             "width": number_of(formdata.get(prefix + "image_width")),
                             "height": number_of(formdata.get(prefix + "image_height"))}
    alt = text_of(formdata.get(prefix + "image_alt_en"), formdata.get(prefix + "image_alt_hi"))
    if alt:
        image["alt"] = alt
    areas = []
    for r in rows:
        area = {"id": r["id"], "shape": r["shape"], "coords": coordinates(r["coords"])}
        if r["label"]:
            area["label"] = r["label"]
        areas.append(area)
    weighted = (formdata.get(prefix + "scoring") or "exact") == "weighted"
    values = {r["id"]: number_of(r["points"]) for r in rows if r["points"].strip()}
    return {"image": image, "areas": areas, "key": [r["id"] for r in rows if r["key"]],
            "max_choices": number_of(formdata.get(prefix + "max_choices")),
            "mapping": _weighted_mapping(formdata, values, prefix) if weighted else None}


def _blank_area() -> dict[str, Any]:
    return {"id": "", "shape": "rect", "coords": "", "en": "", "hi": "", "key": False, "points": ""}


def hotspot_rows(data: dict[str, Any] | None, formdata: MultiDict | None,
                 picture: dict[str, Any] | None = None) -> dict[str, Any]:
    """The picture, its areas and the scoring to show: as posted, else as the item has them;
    ``picture`` (just uploaded) replaces the picture either way."""
    if formdata is not None:
        areas = [{"row": i, "id": formdata.get(f"area-{i}-id", ""), "shape": formdata.get(f"area-{i}-shape") or "rect",
                  "coords": formdata.get(f"area-{i}-coords", ""), "en": formdata.get(f"area-{i}-label-en", ""),
                  "hi": formdata.get(f"area-{i}-label-hi", ""), "key": formdata.get(f"area-{i}-key") == "on",
                  "points": formdata.get(f"area-{i}-points", "")} for i in posted_numbers(formdata, "area-{}-coords")]
        image = {"src": formdata.get("image_src", ""), "width": formdata.get("image_width", ""),
                 "height": formdata.get("image_height", ""), "alt_en": formdata.get("image_alt_en", ""),
                 "alt_hi": formdata.get("image_alt_hi", "")}
        scoring, other = formdata.get("scoring") or "exact", formdata.get("other_points", "")
        most = formdata.get("max_choices", "")
    else:
        data = data or {}
        key, mapping = set(data.get("key") or []), data.get("mapping") or {}
        values = mapping.get("values") or {}
        areas = [{"row": i, "id": a.get("id", ""), "shape": a.get("shape", "rect"),
                  "coords": ", ".join(_shown_number(c) for c in a.get("coords") or []),
                  "en": (a.get("label") or {}).get("en", ""), "hi": (a.get("label") or {}).get("hi", ""),
                  "key": a.get("id") in key, "points": _shown_number(values.get(a.get("id")))}
                 for i, a in enumerate(data.get("areas") or [])]
        found = data.get("image") or {}
        alt = found.get("alt") or {}
        image = {"src": found.get("src", ""), "width": _shown_number(found.get("width")),
                 "height": _shown_number(found.get("height")), "alt_en": alt.get("en", ""), "alt_hi": alt.get("hi", "")}
        scoring, other = ("weighted" if mapping else "exact"), _shown_number(mapping.get("default"))
        most = _shown_number(data.get("max_choices"))
    if picture is not None:
        image.update(src=picture["src"], width=str(picture["width"]), height=str(picture["height"]))
    return {"image": image, "areas": _spares(areas, _blank_area, 4), "scoring": scoring,
            "other_points": other, "max_choices": most,
            **_bounds(None if formdata is not None else (data or {}).get("mapping"), formdata)}


# --- composite -------------------------------------------------------------------------------

def _part_blank(formdata: MultiDict, p: str) -> bool:
    if any(formdata.get(p + k, "").strip() for k in ("label", "prompt-en", "prompt-hi", "key_number", "kept")):
        return False
    return not any(formdata.get(f"{p}{row}-{i}-{lang}", "").strip()
                   for row, langs in (("option", ("en", "hi")), ("accepted", ("value",)))
                   for i in range(MAX_LIST_ROWS * 2) for lang in langs)


def part_numbers(formdata: MultiDict) -> list[int]:
    """The row numbers of the parts posted, blank ones left out."""
    return [n for n in range(MAX_PARTS * 2) if not _part_blank(formdata, f"part-{n}-")]


def composite_fields(formdata: MultiDict, type_fields: Callable[[str, MultiDict, str], dict]) -> dict[str, Any]:
    """``parts`` from the posted part rows; ``type_fields(type, formdata, prefix)`` reads a
    part's own fields (options and key, accepted answers ...) as the item form does."""
    parts = []
    used = {formdata.get(f"part-{n}-id", "").strip() for n in part_numbers(formdata)}
    fresh = spare_ids(used, lambda n: f"RESPONSE_{n}")
    for n in part_numbers(formdata):
        p = f"part-{n}-"
        kept = formdata.get(p + "kept", "").strip()
        if kept:
            try:
                part = json.loads(kept)
            except ValueError:
                part = {"id": kept[:64]}
            parts.append(part)
            continue
        kind = formdata.get(p + "type") or "single_choice"
        part: dict[str, Any] = {"id": formdata.get(p + "id", "").strip() or next(fresh), "type": kind,
                                "label": formdata.get(p + "label", "").strip(),
                                "points": number_of(formdata.get(p + "points") or "1")}
        prompt = text_of(formdata.get(p + "prompt-en"), formdata.get(p + "prompt-hi"))
        if prompt:
            part["prompt"] = prompt
        if kind == "single_choice" and formdata.get(p + "inline") == "on":
            part["inline"] = True
        part.update({k: v for k, v in type_fields(kind, formdata, p).items() if v is not None})
        extra = _loads(formdata.get(p + "extra", ""))
        if isinstance(extra, dict):
            part = {**{k: v for k, v in extra.items() if k not in PART_FORM_FIELDS}, **part}
        parts.append(part)
    return {"parts": parts}


def composite_parts(data: dict[str, Any] | None, formdata: MultiDict | None,
                    rows_for: Callable[[str, dict | None, MultiDict | None, str], dict]) -> list[dict[str, Any]]:
    """Each part to show, numbered 0.., with its own option / answer rows (``rows_for``), and a
    spare blank part at the end (at least two parts in all)."""
    shown = []
    if formdata is not None:
        for n in posted_numbers(formdata, "part-{}-id", MAX_PARTS * 2):
            p = f"part-{n}-"
            kept = formdata.get(p + "kept", "").strip()
            shown.append({"kept": kept or None, "kept_part": _loads(kept),
                          "id": formdata.get(p + "id", ""), "type": formdata.get(p + "type") or "single_choice",
                          "label": formdata.get(p + "label", ""), "points": formdata.get(p + "points", "1"),
                          "prompt_en": formdata.get(p + "prompt-en", ""), "prompt_hi": formdata.get(p + "prompt-hi", ""),
                          "inline": formdata.get(p + "inline") == "on",
                          "key_bool": formdata.get(p + "key_bool", ""), "key_number": formdata.get(p + "key_number", ""),
                          "tolerance": formdata.get(p + "tolerance", "0"), "unit": formdata.get(p + "unit", ""),
                          "partial_credit": bool(formdata.get(p + "partial_credit")),
                          "case_sensitive": bool(formdata.get(p + "case_sensitive")),
                          "collapse_spaces": bool(formdata.get(p + "collapse_spaces")),
                          "rows": rows_for(formdata.get(p + "type") or "single_choice", None, formdata, p),
                          "extra": formdata.get(p + "extra", ""), "n": n})
    else:
        for part in (data or {}).get("parts") or []:
            kind = part.get("type")
            if kind not in PART_FORM_TYPES:
                shown.append({"n": len(shown), "kept": json.dumps(part, ensure_ascii=False), "kept_part": part,
                              "type": kind,
                              "label": part.get("label", ""), "points": _shown_number(part.get("points"))})
                continue
            prompt = part.get("prompt") or {}
            shown.append({"n": len(shown), "kept": None, "id": part.get("id", ""), "type": kind,
                          "label": part.get("label", ""),
                          "points": _shown_number(part.get("points")), "prompt_en": prompt.get("en", ""),
                          "prompt_hi": prompt.get("hi", ""), "inline": bool(part.get("inline")),
                          "key_bool": ("true" if part.get("key") else "false") if kind == "true_false" else "",
                          "key_number": _shown_number(part.get("key")) if kind == "numeric_entry" else "",
                          "tolerance": _shown_number(part.get("tolerance", 0)), "unit": part.get("unit") or "",
                          "partial_credit": bool(part.get("partial_credit")),
                          "case_sensitive": bool(part.get("case_sensitive")),
                          "collapse_spaces": part.get("collapse_spaces", True),
                          "rows": rows_for(kind, part, None, ""),
                          "extra": json.dumps({k: v for k, v in part.items() if k not in PART_FORM_FIELDS},
                                              ensure_ascii=False) if set(part) - set(PART_FORM_FIELDS) else ""})
    after = max((p["n"] for p in shown), default=-1) + 1
    for extra in range(max(0, min(MAX_PARTS, max(3, len(shown) + 1)) - len(shown))):
        shown.append({"n": after + extra, "kept": None, "id": "", "type": "single_choice", "label": "", "points": "1",
                      "prompt_en": "", "prompt_hi": "", "inline": False, "key_bool": "true", "key_number": "",
                      "tolerance": "0", "unit": "", "partial_credit": False, "case_sensitive": False,
                      "collapse_spaces": True, "rows": rows_for("single_choice", None, None, "")})
    return shown


def _loads(kept: str) -> Any:
    try:
        return json.loads(kept) if kept else None
    except ValueError:
        return None


# --- problems, in an author's words ------------------------------------------------------------

LIST_FIELD = re.compile(r"^(sources|targets)\[(\d+)\](?:\.(text|id|match_max))?(?:\.(en|hi))?$")
AREA_FIELD = re.compile(r"^areas\[(\d+)\](?:\.(shape|coords|id|label))?(?:\.(en|hi))?$")
PART_FIELD = re.compile(r"^parts\[(\d+)\](?:\.(.+))?$")


def matching_problem(name: str, message: str, formdata: MultiDict, prefix: str,
                     text_words: Callable[[str, str | None, str], str]) -> tuple[str, str] | None:
    """Where a matching item's problem goes and what to say; None when it is not one of its own."""
    if name in ("sources", "targets"):
        return (prefix + name, _("Give at least one item in the left list.") if name == "sources"
                else _("Give at least one item in the right list."))
    if name == "key" or name.startswith("key["):
        return (prefix + "pairs", _("Tick the right pairs: at least one, each pair once."))
    if name == "partial_credit" or name == "gaps":
        return (prefix + "scoring", _("Choose how the item is scored."))
    if match := LIST_FIELD.match(name):
        which, index, part, lang = match[1], int(match[2]), match[3], match[4]
        singular = which[:-1]
        rows = [r["row"] for r in text_rows(formdata, prefix + singular, lambda n: "", ("max",))]
        row = rows[index] if index < len(rows) else None
        if row is None:
            return (prefix + which, _("Check the items of the list."))
        if part == "match_max":
            return (f"{prefix}{singular}-{row}-max", _("Give how many pairs it may be in as a whole number, or leave it empty."))
        if part == "id":
            return (f"{prefix}{singular}-{row}-en", _("Two items of a list have the same id; write the row again."))
        return (f"{prefix}{singular}-{row}-{lang or 'en'}", text_words(N_("item"), lang, message))
    return None


def hotspot_problem(name: str, message: str, formdata: MultiDict, prefix: str,
                    text_words: Callable[[str, str | None, str], str]) -> tuple[str, str] | None:
    """Where a hotspot item's problem goes and what to say; None when it is not one of its own."""
    if name == "picture":  # the upload itself, already said in plain words
        return (prefix + "picture", _(message))
    if name.startswith("image.alt"):
        lang = name.rsplit(".", 1)[-1] if name.count(".") == 2 else "en"
        return (f"{prefix}image_alt_{lang}", text_words(N_("picture's description"), lang, message))
    if name.startswith("image"):
        return (prefix + "picture", _("Upload the picture the candidate clicks on."))
    if name == "areas":
        return (prefix + "areas", _("Mark at least two areas on the picture."))
    if name == "key":
        return (prefix + "areas", _("Tick at least one right area."))
    if name == "max_choices":
        return (prefix + "max_choices", _("Give how many areas a candidate may pick as a whole number, 1 or more, or leave it empty."))
    if match := AREA_FIELD.match(name):
        index, part, lang = int(match[1]), match[2], match[3]
        rows = [r["row"] for r in area_rows(formdata, prefix)]
        row = rows[index] if index < len(rows) else None
        if row is None:
            return (prefix + "areas", _("Check the areas."))
        if part == "coords":
            shape = formdata.get(f"{prefix}area-{row}-shape") or "rect"
            return (f"{prefix}area-{row}-coords", {
                "rect": _("A rectangle takes four numbers: left, top, right, bottom (in pixels of the picture)."),
                "circle": _("A circle takes three numbers: centre x, centre y and radius (in pixels of the picture)."),
                "ellipse": _("An ellipse takes four numbers: centre x, centre y, half width and half height."),
                "poly": _("A polygon takes three or more corners, each as x, y (in pixels of the picture)."),
            }.get(shape, _("Choose the area's shape.")))
        if part == "shape":
            return (f"{prefix}area-{row}-shape", _("Choose the area's shape."))
        if part == "label":
            return (f"{prefix}area-{row}-label-{lang or 'en'}", text_words(N_("area's name"), lang, message))
        return (f"{prefix}area-{row}-coords", _("Check this area."))
    return None


def mapping_problem(item_type: str, name: str, prefix: str) -> tuple[str, str] | None:
    """Weighted scoring's problems (``mapping...``), beside the scoring choice."""
    if not name.startswith("mapping"):
        return None
    if name == "mapping":
        return (prefix + "scoring", _("Give at least one choice points above 0."))
    return (prefix + "scoring", _("Give points as numbers, for example 1, 0.5 or -1."))


def part_problem(name: str, message: str) -> tuple[int, str, str] | None:
    """``parts[i].rest`` as (i, rest, message); None when the problem is not about one part."""
    match = PART_FIELD.match(name)
    if match is None:
        return None
    return int(match[1]), match[2] or "", message
