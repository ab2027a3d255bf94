"""QTI 3.0 export: one item file per item, and a bank as a content package (zip).

Items are written so that ``piaa.items.importers.qti`` reads them back to the same items:
texts in several languages sit side by side in elements carrying ``xml:lang``; the rationale
is a rubric block for scorers (``use="ext:rationale"``); a numeric unit is a ``span`` of class
``piaa-unit`` after the answer box; PIAA's facts (competency, level, ...) go on the item's
resource in ``imsmanifest.xml`` as ``<piaa:item>`` (namespace ``urn:piaa:qti:1``) inside the
resource's IEEE LOM record, the one place the QTI 3.0 package schema takes other metadata.

Matching (match and gap match) and hotspot items, an imported item's rich body (pictures,
MathML, tables) and its feedback (modal, and inline as feedback blocks) are written too; media
files travel in the package under ``media/<sha256>.<ext>``, referred to from the items.
"""
from __future__ import annotations

import io
import math
import re
import zipfile
from html import escape
from typing import Any, Callable, Iterable

from lxml import etree
from lxml import html as lxml_html

from piaa.errors import Invalid
from piaa.i18n import N_
from piaa.items.importers.qti import PIAA_NS, QTI3_NS, RATIONALE_USE, UNIT_CLASS, XML_LANG
from piaa.items.exporters import qti3_graphic
from piaa.items.importers.qti_content import BLANK, MATHML_NS
from piaa.items.media import MEDIA_TYPES
from piaa.items import item_models
from piaa.items import qti_processing
from piaa.items.qti_processing import qti_identifier
from piaa.items.types.rich import (MATHML_TAGS, MEDIA_SCHEME, drop_keeping_tail, media_hashes,
                                   unnest_empty_elements)

# sha256 -> (bytes, content type) of a stored media file, or None when it is not stored.
MediaLoader = Callable[[str], "tuple[bytes, str] | None"]
EXTENSION_OF = {content_type: ext for ext, content_type in reversed(list(MEDIA_TYPES.items()))}

XSI = "http://www.w3.org/2001/XMLSchema-instance"
ITEM_SCHEMA = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
TEMPLATE_BASE = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"
CP_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
CP_SCHEMA = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd"
# The QTI 3.0 package schema allows other metadata only inside IEEE LOM, whose elements take
# extensions from any other namespace: PIAA's facts travel there.
LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
LOM_SCHEMA = "https://purl.imsglobal.org/spec/md/v1p3/schema/xsd/imsmd_loose_v1p3p2.xsd"
TRUE_FALSE_TEXT = {"true": {"en": "True", "hi": "सत्य"}, "false": {"en": "False", "hi": "असत्य"}}
def _q(name: str) -> str:
    return f"{{{QTI3_NS}}}{name}"


def _sub(parent: etree._Element, name: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, _q(name), {k.replace("_", "-"): v for k, v in attributes.items()})
    if text is not None:
        element.text = text
    return element


def _paragraphs(parent: etree._Element, text: str) -> None:
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        p = _sub(parent, "p")
        lines = paragraph.split("\n")
        p.text = lines[0]
        for line in lines[1:]:
            br = _sub(p, "br")
            br.tail = line


def _block_texts(parent: etree._Element, texts: dict[str, str]) -> None:
    """Paragraphs in each language; English alone needs no wrapper."""
    if set(texts) == {"en"}:
        _paragraphs(parent, texts["en"])
        return
    for lang, text in texts.items():
        wrapper = _sub(parent, "div")
        wrapper.set(XML_LANG, lang)
        _paragraphs(wrapper, text)


def _inline_texts(parent: etree._Element, texts: dict[str, str] | str) -> None:
    if isinstance(texts, str):
        parent.text = texts
        return
    if set(texts) == {"en"}:
        parent.text = texts["en"]
        return
    previous = None
    for lang, text in texts.items():
        span = _sub(parent, "span", text)
        span.set(XML_LANG, lang)
        if previous is not None:
            previous.tail = " "
        previous = span


def _values(parent: etree._Element, values: Iterable[str]) -> None:
    for value in values:
        _sub(parent, "qti-value", value)


def _number(value: float) -> str:
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def _declare_response(root: etree._Element, item: dict[str, Any]) -> etree._Element:
    kind = item["type"]
    cardinality = {"multiple_response": "multiple", "ordering": "ordered", "matching": "multiple",
                   "hotspot": "single" if item.get("max_choices") == 1 else "multiple"}.get(kind, "single")
    base_type = {"text_entry": "string", "numeric_entry": "float", "matching": "directedPair"}.get(kind, "identifier")
    decl = _sub(root, "qti-response-declaration", identifier="RESPONSE", cardinality=cardinality,
                base_type=base_type)
    if kind not in ("situational_judgement", "likert") and not any(f in item for f in ("key", "accepted")):
        return decl  # a draft whose key is missing: no correct response to write
    correct = _sub(decl, "qti-correct-response")
    if kind == "matching":
        pairs = [f"{qti_identifier(a)} {qti_identifier(b)}" for a, b in item["key"]]
        _values(correct, pairs)
        if item.get("partial_credit") and not item.get("mapping"):  # +1/n per right pair, -1/n per other, floor 0
            share = repr(1.0 / len(pairs))
            mapping = _sub(decl, "qti-mapping", default_value=f"-{share}", lower_bound="0", upper_bound="1")
            for pair in pairs:
                _sub(mapping, "qti-map-entry", map_key=pair, mapped_value=share)
    elif kind == "hotspot":
        _values(correct, [qti_identifier(k) for k in item["key"]])
    elif kind in ("single_choice",):
        _values(correct, [qti_identifier(item["key"])])
    elif kind in ("multiple_response", "ordering"):
        _values(correct, [qti_identifier(k) for k in item["key"]])
    elif kind == "true_false":
        _values(correct, ["true" if item["key"] else "false"])
    elif kind == "numeric_entry":
        _values(correct, [_number(item["key"])])
    elif kind == "text_entry":
        _values(correct, [a["value"] for a in item["accepted"] if a.get("credit", 1.0) == 1.0])
        mapping = _sub(decl, "qti-mapping", default_value="0")
        for accepted in item["accepted"]:
            _sub(mapping, "qti-map-entry", map_key=accepted["value"],
                 mapped_value=_number(accepted.get("credit", 1.0)),
                 case_sensitive="true" if item.get("case_sensitive") else "false")
    else:  # polytomous: the best option is the correct response, credits are the mapping
        best = max(item["options"], key=lambda o: o["credit"])
        _values(correct, [qti_identifier(best["id"])])
        mapping = _sub(decl, "qti-mapping", default_value="0")
        for option in item["options"]:
            _sub(mapping, "qti-map-entry", map_key=qti_identifier(option["id"]),
                 mapped_value=str(option["credit"]))
    if item.get("mapping"):
        _weighted_mapping(decl, item["mapping"], pairs=kind == "matching")
    elif kind == "multiple_response" and item.get("partial_credit"):
        # +1/n per key option, -1/n per other option, floored at 0: PIAA's partial credit
        share = 1.0 / len(item["key"])
        mapping = _sub(decl, "qti-mapping", default_value="0", lower_bound="0", upper_bound="1")
        for option in item["options"]:
            value = share if option["id"] in item["key"] else -share
            _sub(mapping, "qti-map-entry", map_key=qti_identifier(option["id"]), mapped_value=repr(value))
    return decl


def _weighted_mapping(decl: etree._Element, mapping: dict[str, Any], pairs: bool = False) -> None:
    """An item's own weights (``piaa.items.types.mapping``) as the QTI mapping they came from."""
    bounds = {name.replace("_", "-"): _number(mapping[name]) for name in ("lower_bound", "upper_bound")
              if mapping.get(name) is not None}
    element = _sub(decl, "qti-mapping", default_value=_number(mapping.get("default") or 0), **bounds)
    for choice, value in mapping["values"].items():
        key = " ".join(qti_identifier(p) for p in choice.split()) if pairs else qti_identifier(choice)
        _sub(element, "qti-map-entry", map_key=key, mapped_value=_number(value))


def _entry_box(parent: etree._Element, item: dict[str, Any]) -> etree._Element:
    """The answer box, and the unit after it; returns the last element written."""
    box = _sub(parent, "qti-text-entry-interaction", response_identifier="RESPONSE")
    if not item.get("unit"):
        return box
    box.tail = " "
    unit = _sub(parent, "span", **{"class": UNIT_CLASS})
    _inline_texts(unit, item["unit"])
    return unit


def _associable(parent: etree._Element, tag: str, entry: dict[str, Any], media_ref=None) -> None:
    choice = _sub(parent, tag, identifier=qti_identifier(entry["id"]), match_max=str(entry.get("match_max") or 0))
    _choice_content(choice, entry, media_ref)


def gap_source(interaction: etree._Element, source: dict[str, Any], media_ref) -> None:
    """A word to place in a gap, or a picture (``qti-gap-img``) when the source is one."""
    if not source.get("html"):
        _associable(interaction, "qti-gap-text", source, media_ref)
        return
    gap = _sub(interaction, "qti-gap-img", identifier=qti_identifier(source["id"]),
               match_max=str(source.get("match_max") or 0))
    (markup,) = source["html"].values()
    _rich_body(gap, markup, media_ref)
    gap.text = None  # a gap picture holds its picture alone


def _choice_content(choice: etree._Element, entry: dict[str, Any], media_ref) -> None:
    """A choice's text, or its kept picture as the item it came from showed it."""
    if entry.get("html"):
        (markup,) = entry["html"].values()
        _rich_body(choice, markup, media_ref)
    else:
        _inline_texts(choice, entry["text"])


def _gap_interaction(body: etree._Element, item: dict[str, Any], media_ref=None) -> None:
    """The stem's ``[n]`` markers become the gaps, in the order of the targets."""
    (lang, stem), = item["stem"].items()
    interaction = _sub(body, "qti-gap-match-interaction", response_identifier="RESPONSE", shuffle="false")
    for source in item["sources"]:
        gap_source(interaction, source, media_ref)
    gaps = {f"[{n}]": target["id"] for n, target in enumerate(item["targets"], start=1)}
    for paragraph in re.split(r"\n\s*\n", stem.strip()):
        p = _sub(interaction, "p")
        last = None
        for part in re.split(r"(\[\d+\])", paragraph):
            if part in gaps:
                last = _sub(p, "qti-gap", identifier=qti_identifier(gaps[part]))
            elif last is None:
                p.text = (p.text or "") + part
            else:
                last.tail = (last.tail or "") + part


def _hotspot_interaction(body: etree._Element, item: dict[str, Any], media_ref) -> None:
    interaction = _sub(body, "qti-hotspot-interaction", response_identifier="RESPONSE",
                       max_choices=str(item.get("max_choices") or 0))
    image = item["image"]
    picture = _sub(interaction, "img", src=media_ref(image["src"]), width=str(image["width"]),
                   height=str(image["height"]))
    picture.set("alt", next(iter(image["alt"].values())) if image.get("alt") else "")
    for area in item["areas"]:
        choice = _sub(interaction, "qti-hotspot-choice", identifier=qti_identifier(area["id"]), shape=area["shape"],
                      coords=",".join(_number(c) for c in area["coords"]))
        if area.get("label"):
            choice.set("hotspot-label", next(iter(area["label"].values())))


def _interaction(body: etree._Element, item: dict[str, Any], media_ref=None) -> None:
    kind = item["type"]
    if kind in qti3_graphic.TYPES:
        qti3_graphic.interaction(body, item, media_ref)
        return
    if kind in ("text_entry", "numeric_entry"):
        _entry_box(_sub(body, "p"), item)
        return
    if kind == "hotspot":
        _hotspot_interaction(body, item, media_ref)
        return
    if kind == "matching" and item.get("gaps"):
        _gap_interaction(body, item, media_ref)
        return
    if kind == "matching":
        interaction = _sub(body, "qti-match-interaction", response_identifier="RESPONSE", shuffle="false",
                           max_associations="0")
        for name in ("sources", "targets"):
            match_set = _sub(interaction, "qti-simple-match-set")
            for entry in item[name]:
                _associable(match_set, "qti-simple-associable-choice", entry, media_ref)
        return
    if kind == "ordering":
        interaction = _sub(body, "qti-order-interaction", response_identifier="RESPONSE", shuffle="true")
    else:
        most = item.get("max_choices") or (0 if kind == "multiple_response" else 1)
        interaction = _sub(body, "qti-choice-interaction", response_identifier="RESPONSE",
                           shuffle="true" if item.get("shuffle") else "false", max_choices=str(most))
    options = item.get("options") or [{"id": key, "text": text} for key, text in TRUE_FALSE_TEXT.items()]
    for option in options:
        choice = _sub(interaction, "qti-simple-choice", identifier=qti_identifier(option["id"]))
        _choice_content(choice, option, media_ref)


def _set_outcome(parent: etree._Element, identifier: str, value: str, base_type: str) -> None:
    _sub(_sub(parent, "qti-set-outcome-value", identifier=identifier), "qti-base-value", value, base_type=base_type)


def _feedback_processing(root: etree._Element, item: dict[str, Any]) -> bool:
    """match_correct written out with the feedback outcome set on a right and a wrong answer,
    so the feedback keeps saying which one it answers; False when no feedback needs it."""
    when = {entry["when"]: entry for entry in item.get("feedback") or [] if entry.get("when")}
    if not when:
        return False
    processing = _sub(root, "qti-response-processing")
    condition = _sub(processing, "qti-response-condition")
    right = _sub(condition, "qti-response-if")
    match = _sub(right, "qti-match")
    _sub(match, "qti-variable", identifier="RESPONSE")
    _sub(match, "qti-correct", identifier="RESPONSE")
    _set_outcome(right, "SCORE", "1", "float")
    wrong = _sub(condition, "qti-response-else")
    _set_outcome(wrong, "SCORE", "0", "float")
    for verdict, branch in (("correct", right), ("incorrect", wrong)):
        if verdict in when:
            _set_outcome(branch, when[verdict]["outcome"], when[verdict]["value"], "identifier")
    return True


def _response_processing(root: etree._Element, item: dict[str, Any]) -> None:
    kind = item["type"]
    if kind == "numeric_entry" and item.get("tolerance"):
        processing = _sub(root, "qti-response-processing")
        condition = _sub(processing, "qti-response-condition")
        branch = _sub(condition, "qti-response-if")
        tolerance = _number(item["tolerance"])
        equal = _sub(branch, "qti-equal", tolerance_mode="absolute", tolerance=f"{tolerance} {tolerance}")
        _sub(equal, "qti-variable", identifier="RESPONSE")
        _sub(equal, "qti-correct", identifier="RESPONSE")
        _sub(_sub(branch, "qti-set-outcome-value", identifier="SCORE"), "qti-base-value", "1",
             base_type="float")
        otherwise = _sub(condition, "qti-response-else")
        _sub(_sub(otherwise, "qti-set-outcome-value", identifier="SCORE"), "qti-base-value", "0",
             base_type="float")
        return
    mapped = _is_mapped(item)
    if not mapped and _feedback_processing(root, item):
        return
    template = "map_response" if mapped else "match_correct"
    if kind in qti3_graphic.TYPES:
        template = qti3_graphic.template(item)
    _sub(root, "qti-response-processing", template=f"{TEMPLATE_BASE}{template}.xml")


def _rich_body(body: etree._Element, markup: str, media_ref) -> None:
    """The stored HTML of a rich body in QTI's names (HTML in the QTI namespace, MathML in its
    own), its media pointed at the package's files."""
    fragment = lxml_html.fragment_fromstring(markup, create_parent="div")
    unnest_empty_elements(fragment)
    for element in fragment.iter(etree.Element):
        if element is fragment:
            continue
        tag = element.tag
        element.tag = f"{{{MATHML_NS}}}{tag}" if tag in MATHML_TAGS else _q(tag)
        for name in ("src", "poster"):
            if (element.get(name) or "").startswith(MEDIA_SCHEME):
                element.set(name, media_ref(element.get(name)))
    body.text = fragment.text
    body.extend(list(fragment))


def _blank(body: etree._Element) -> etree._Element | None:
    """Where an inline answer box sat in a rich body: its first ``____`` standing alone."""
    return next((e for e in body.iter(_q("span")) if (e.text or "") == BLANK and len(e) == 0), None)


def _feedback(root: etree._Element, body: etree._Element, item: dict[str, Any]) -> None:
    for entry in item.get("feedback") or []:
        parent, tag = (body, "qti-feedback-block") if entry.get("inline") else (root, "qti-modal-feedback")
        element = _sub(parent, tag, outcome_identifier=entry["outcome"], identifier=entry["value"],
                       show_hide="show" if entry.get("show", True) else "hide")
        _block_texts(_sub(element, "qti-content-body"), entry["text"])


def item_element(item: dict[str, Any], media_ref: Callable[[str], str] | None = None) -> etree._Element:
    """The ``qti-assessment-item`` for one bank-format item; ``media_ref`` turns a stored
    ``media:<sha256>`` into the path the package holds it under (relative to the item).

    :raise Invalid: if the item refers to media and no ``media_ref`` is given, or is a gap
        item written in several languages (one set of gaps serves one sentence).
    """
    def refer(source: str) -> str:
        if media_ref is None:
            raise Invalid(N_("item {id} has media files; export it in a package"), field="media",
                          values={"id": item['id']})
        return media_ref(source)

    if item["type"] == "matching" and item.get("gaps") and len(item["stem"]) != 1:
        raise Invalid(N_("gap item {id} is written in {n_stem} languages; QTI gaps serve one sentence: "
                         "export it as json"), field="stem",
                      values={"id": item['id'], "n_stem": len(item['stem'])})
    (body_lang, markup), = (item.get("body") or {"en": None}).items()
    root = etree.Element(_q("qti-assessment-item"), nsmap={None: QTI3_NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{QTI3_NS} {ITEM_SCHEMA}")
    root.set("identifier", qti_identifier(item["id"]))
    root.set("title", item["id"])
    root.set("adaptive", "false")
    root.set("time-dependent", "false")
    root.set(XML_LANG, body_lang if markup else "en")
    if item.get("scoring"):
        return _schema_shape(_kept_processing(_typed_element(root, item, markup, refer), item))
    written = _typed_element(root, item, markup, refer)
    if item.get("key_missing"):
        # As it came: no response processing, so that it reads back as a draft without its key.
        for processing in written.findall(_q("qti-response-processing")):
            written.remove(processing)
    return _schema_shape(written)


# What QTI 3.0's item body holds as it is (ItemBodyDType); any other element, and text, goes
# inside a block.
BODY_BLOCKS = frozenset(
    "pre h1 h2 h3 h4 h5 h6 p address dl ol ul hr blockquote table div article aside audio figure footer "
    "header nav section video qti-rubric-block qti-feedback-block qti-template-block qti-position-object-stage "
    "qti-custom-interaction qti-portable-custom-interaction qti-drawing-interaction qti-gap-match-interaction "
    "qti-match-interaction qti-graphic-gap-match-interaction qti-hotspot-interaction "
    "qti-graphic-order-interaction qti-select-point-interaction qti-graphic-associate-interaction "
    "qti-slider-interaction qti-choice-interaction qti-media-interaction qti-hottext-interaction "
    "qti-order-interaction qti-extended-text-interaction qti-upload-interaction qti-associate-interaction".split())
PLAYERS = ("audio", "video")
PLAYER_SWITCHES = ("autoplay", "controls", "loop", "muted")  # xs:boolean in QTI, present-or-not in HTML


def _schema_shape(root: etree._Element) -> etree._Element:
    """The item written as QTI 3.0's schema takes what stored HTML may hold otherwise: players
    switched with ``true``/``false``, their sources then their tracks and nothing else inside,
    each with its file; and the item body holding text and inline elements inside blocks."""
    for element in list(root.iter(_q("source"), _q("track"))):
        if not element.get("src") or _local(element.getparent()) not in PLAYERS:
            drop_keeping_tail(element)
    for player in root.iter(*(_q(name) for name in PLAYERS)):
        for name in PLAYER_SWITCHES:
            if player.get(name) is not None:
                player.set(name, "false" if player.get(name).strip().lower() in ("false", "0") else "true")
        for child in list(player):
            if child.tag not in (_q("source"), _q("track")):
                drop_keeping_tail(child)  # what a browser without players showed instead
        player[:] = sorted(player, key=lambda child: child.tag == _q("track"))
    body = root.find(_q("qti-item-body"))
    if body is not None:
        _blocks_only(body)
    return root


def _blocks_only(body: etree._Element) -> None:
    """Text and inline elements standing in ``body`` itself wrapped, each run in a ``div``."""
    run: etree._Element | None = None
    if (body.text or "").strip():
        run = etree.Element(_q("div"))
        run.text, body.text = body.text, None
        body.insert(0, run)
    for child in list(body):
        if child is run:
            continue
        if _outside_blocks(child):
            if run is None:
                run = etree.Element(_q("div"))
                child.addprevious(run)
            run.append(child)  # its tail goes with it
            continue
        run = None
        if (child.tail or "").strip():
            run = etree.Element(_q("div"))
            run.text, child.tail = child.tail, None
            child.addnext(run)


def _outside_blocks(element: etree._Element) -> bool:
    """An element the item body does not take as it is (comments stand anywhere)."""
    if not isinstance(element.tag, str):
        return False
    name = etree.QName(element)
    return not (name.namespace == MATHML_NS or (name.namespace == QTI3_NS and name.localname in BODY_BLOCKS))


def _typed_element(root: etree._Element, item: dict[str, Any], markup: str | None, refer) -> etree._Element:
    """The item's declarations, body and processing as its type writes them."""
    if item["type"] == "composite":
        return _composite_element(root, item, markup, refer)
    if item["type"] in ("extended_text", "upload", "drawing"):
        return _essay_element(root, item, markup, refer)
    if item["type"] in qti3_graphic.TYPES:
        qti3_graphic.declare(root, item)
    else:
        _declare_response(root, item)
    outcome = _sub(root, "qti-outcome-declaration", identifier="SCORE", cardinality="single",
                   base_type="float")
    _values(_sub(outcome, "qti-default-value"), ["0"])
    for feedback_outcome in sorted({entry["outcome"] for entry in item.get("feedback") or []}):
        _sub(root, "qti-outcome-declaration", identifier=feedback_outcome, cardinality="single",
             base_type="identifier")
    body = _sub(root, "qti-item-body")
    if markup:
        _rich_body(body, markup, refer)
        blank = _blank(body) if item["type"] in ("text_entry", "numeric_entry") else None
        if blank is not None:  # the answer box back where the blank stands
            holder = etree.Element("holder")
            last = _entry_box(holder, item)
            last.tail = (last.tail or "") + (blank.tail or "")
            parent, index = blank.getparent(), blank.getparent().index(blank)
            parent.remove(blank)
            for offset, element in enumerate(list(holder)):
                parent.insert(index + offset, element)
        else:
            _interaction(body, item, refer)
    else:
        if not (item["type"] == "matching" and item.get("gaps")):  # a gap item's stem holds its gaps
            _block_texts(body, item["stem"])
        _interaction(body, item, refer)
    if item.get("rationale"):
        rubric = _sub(body, "qti-rubric-block", use=RATIONALE_USE, view="scorer")
        _block_texts(_sub(rubric, "qti-content-body"), item["rationale"])
    _response_processing(root, item)
    _feedback(root, body, item)
    return root


def _essay_element(root: etree._Element, item: dict[str, Any], markup: str | None, refer) -> etree._Element:
    """Extended text, upload or drawing: scored by people (``external-scored="human"``) up to
    SCORE's normal maximum, the rubric a block for scorers; no response processing."""
    _sub(root, "qti-response-declaration", identifier="RESPONSE", cardinality="single",
         base_type="string" if item["type"] == "extended_text" else "file")
    outcome = _sub(root, "qti-outcome-declaration", identifier="SCORE", cardinality="single", base_type="float",
                   external_scored="human", normal_maximum=str(item["max_points"]), normal_minimum="0")
    _values(_sub(outcome, "qti-default-value"), ["0"])
    body = _sub(root, "qti-item-body")
    if markup:
        _rich_body(body, markup, refer)
    else:
        _block_texts(body, item["stem"])
    if item["type"] == "extended_text":
        _sub(body, "qti-extended-text-interaction", response_identifier="RESPONSE",
             expected_length=str(min(item.get("max_length") or 10_000, 2_000)))
    else:
        qti3_graphic.file_interaction(body, item, refer)
    if item.get("rubric"):
        rubric = _sub(body, "qti-rubric-block", use="scoring", view="scorer")
        _block_texts(_sub(rubric, "qti-content-body"), item["rubric"])
    if item.get("rationale"):
        rationale = _sub(body, "qti-rubric-block", use=RATIONALE_USE, view="scorer")
        _block_texts(_sub(rationale, "qti-content-body"), item["rationale"])
    return root


# --- composite items -----------------------------------------------------------------------------

INLINE_PARTS = ("text_entry", "numeric_entry")
_PART_BLANK = re.compile(r"____ \(([^()\s]+)\)")


def _is_mapped(item: dict[str, Any]) -> bool:
    """The item (or part) is scored by its mapping's values, not by matching its key."""
    return item["type"] in ("text_entry", "situational_judgement", "likert") or bool(item.get("mapping")) or \
        (item["type"] in ("multiple_response", "matching", "graphic_gap_match") and bool(item.get("partial_credit")))


def _part_pieces(part: dict[str, Any], stem: dict[str, str], refer) -> tuple[etree._Element, etree._Element, etree._Element]:
    """A part's response declaration, its interaction (an answer box: the box, and the unit
    after it inside a span) and its response processing, written as a one-part item would be
    and renamed to the part's response identifier."""
    from piaa.items.types.composite import PART_FIELDS

    alone = {k: v for k, v in part.items() if k not in PART_FIELDS}
    alone.update(id="part", stem=part.get("prompt") or stem)
    single = item_element(alone, refer)
    identifier = qti_identifier(part["id"])
    for element in single.iter(etree.Element):
        for attribute in ("identifier", "response-identifier"):
            if element.get(attribute) == "RESPONSE" and _local(element) != "qti-assessment-item":
                element.set(attribute, identifier)
    decl = single.find(_q("qti-response-declaration"))
    body = single.find(_q("qti-item-body"))
    if part["type"] in INLINE_PARTS:
        holder = etree.Element(_q("span"))
        for element in list(body.findall(_q("p"))[-1]):
            holder.append(element)
        return decl, holder, single
    interaction = next(e for e in body if _local(e).endswith("-interaction"))
    if part.get("prompt") and not (part["type"] == "matching" and part.get("gaps")):
        prompt = etree.Element(_q("qti-prompt"))
        _inline_texts(prompt, part["prompt"])
        interaction.insert(0, prompt)
    return decl, interaction, single


def _inline_choice(part: dict[str, Any]) -> etree._Element:
    interaction = etree.Element(_q("qti-inline-choice-interaction"), {"response-identifier": qti_identifier(part["id"]),
                                                                       "shuffle": "true" if part.get("shuffle") else "false"})
    for option in part["options"]:
        choice = _sub(interaction, "qti-inline-choice", identifier=qti_identifier(option["id"]))
        _inline_texts(choice, option["text"])
    return interaction


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _part_score(processing: etree._Element, part: dict[str, Any]) -> None:
    """SCORE = SCORE + the part's points when it is right (match), or + its mapped value (map,
    the mapping scaled so that its best total is the part's points)."""
    identifier = qti_identifier(part["id"])
    if _is_mapped(part):
        total = _sub(_sub(processing, "qti-set-outcome-value", identifier="SCORE"), "qti-sum")
        _sub(total, "qti-variable", identifier="SCORE")
        _sub(total, "qti-map-response", identifier=identifier)
        return
    branch = _sub(_sub(processing, "qti-response-condition"), "qti-response-if")
    if part["type"] == "numeric_entry" and part.get("tolerance"):
        tolerance = _number(part["tolerance"])
        test = _sub(branch, "qti-equal", tolerance_mode="absolute", tolerance=f"{tolerance} {tolerance}")
    else:
        test = _sub(branch, "qti-match")
    _sub(test, "qti-variable", identifier=identifier)
    _sub(test, "qti-correct", identifier=identifier)
    total = _sub(_sub(branch, "qti-set-outcome-value", identifier="SCORE"), "qti-sum")
    _sub(total, "qti-variable", identifier="SCORE")
    _sub(total, "qti-base-value", _number(part["points"]), base_type="float")


def _scale_mapping(decl: etree._Element, part: dict[str, Any]) -> None:
    """Scale a mapped part's values so that its best total is its points."""
    mapping = decl.find(_q("qti-mapping"))
    if mapping is None:
        return
    values = [float(e.get("mapped-value")) for e in mapping.iter(_q("qti-map-entry"))]
    positive = sorted((v for v in values if v > 0), reverse=True)
    best = positive[0] if decl.get("cardinality") == "single" else sum(positive)
    if mapping.get("upper-bound") is not None:
        best = min(best, float(mapping.get("upper-bound")))
    if best <= 0 or math.isclose(best, float(part["points"])):
        return
    factor = float(part["points"]) / best
    for entry in mapping.iter(_q("qti-map-entry")):
        entry.set("mapped-value", _number(float(entry.get("mapped-value")) * factor))
    for attribute in ("default-value", "lower-bound", "upper-bound"):
        if mapping.get(attribute) is not None:
            mapping.set(attribute, _number(float(mapping.get(attribute)) * factor))


def _composite_element(root: etree._Element, item: dict[str, Any], markup: str | None, refer) -> etree._Element:
    """A composite item: every part's declaration and interaction, answer boxes and inline
    choices where the stem's ``____ (label)`` stands, the others after the stem, and SCORE as
    the sum of the parts."""
    if len(item["stem"]) != 1:
        raise Invalid(N_("composite item {id} is written in {n_stem} languages; its answer boxes serve one "
                         "sentence: export it as json"), field="stem",
                      values={"id": item['id'], "n_stem": len(item['stem'])})
    pieces = {}
    for part in item["parts"]:
        decl, interaction, _ = _part_pieces(part, item["stem"], refer)
        if _is_mapped(part):
            _scale_mapping(decl, part)
        root.append(decl)
        if part["type"] == "single_choice" and part.get("inline"):
            interaction = _inline_choice(part)
        pieces[part["label"]] = (part, interaction)
    outcome = _sub(root, "qti-outcome-declaration", identifier="SCORE", cardinality="single", base_type="float")
    written = [part for part in item["parts"] if part["type"] == "extended_text"]
    if written:  # the written part's worth is what SCORE can reach beyond the scored parts
        outcome.set("normal-maximum", _number(sum(part["points"] for part in item["parts"])))
    _values(_sub(outcome, "qti-default-value"), ["0"])
    for feedback_outcome in sorted({entry["outcome"] for entry in item.get("feedback") or []}):
        _sub(root, "qti-outcome-declaration", identifier=feedback_outcome, cardinality="single",
             base_type="identifier")
    body = _sub(root, "qti-item-body")
    placed: set[str] = set()
    if markup:
        _rich_body(body, markup, refer)
        for span in list(body.iter(_q("span"))):
            found = _PART_BLANK.fullmatch(span.text or "")
            if found and found.group(1) in pieces and len(span) == 0:
                placed.add(found.group(1))
                _put_in_place(span, pieces[found.group(1)][1])
    else:
        (lang, stem), = item["stem"].items()
        order = [part["label"] for part in item["parts"]]
        waiting = [label for label in order if not _inline(pieces[label][0])]
        for paragraph in re.split(r"\n\s*\n", stem.strip()):
            # The parts shown on their own keep their place among the answer boxes: those
            # before this paragraph's first box come before it.
            boxes = [order.index(label) for label in _PART_BLANK.findall(paragraph)[:1] if label in pieces]
            while waiting and boxes and order.index(waiting[0]) < boxes[0]:
                placed.add(waiting[0])
                body.append(pieces[waiting.pop(0)][1])
            p = _sub(body, "p")
            last = None
            for n, piece in enumerate(_PART_BLANK.split(paragraph)):
                if n % 2 and piece in pieces and _inline(pieces[piece][0]):
                    placed.add(piece)
                    last = pieces[piece][1]
                    p.append(last)
                    continue
                text = piece if n % 2 == 0 else f"____ ({piece})"
                if last is None:
                    p.text = (p.text or "") + text
                else:
                    last.tail = (last.tail or "") + text
    for label, (part, interaction) in pieces.items():
        if label not in placed:
            holder = _sub(body, "p") if _inline(part) else body
            holder.append(interaction)
    for holder in body.iter(_q("span")):
        if holder.get("class") is None and len(holder) and _local(holder[0]) == "qti-text-entry-interaction":
            _unwrap(holder)
    for part in written:
        if part.get("rubric"):
            rubric = _sub(body, "qti-rubric-block", use="scoring", view="scorer")
            _block_texts(_sub(rubric, "qti-content-body"), part["rubric"])
    processing = _sub(root, "qti-response-processing")
    for part in item["parts"]:
        if part["points"] and part not in written:  # raters score the written part
            _part_score(processing, part)
    _feedback(root, body, item)
    return root


def _inline(part: dict[str, Any]) -> bool:
    return part["type"] in INLINE_PARTS or (part["type"] == "single_choice" and bool(part.get("inline")))


def _put_in_place(marker: etree._Element, element: etree._Element) -> None:
    element.tail = (element.tail or "") + (marker.tail or "")
    marker.getparent().replace(marker, element)


def _unwrap(holder: etree._Element) -> None:
    """Lift an answer box (and its unit) out of the span that carried it."""
    parent, index = holder.getparent(), holder.getparent().index(holder)
    children = list(holder)
    children[-1].tail = (children[-1].tail or "") + (holder.tail or "")
    if holder.text:
        previous = parent[index - 1] if index else None
        if previous is None:
            parent.text = (parent.text or "") + holder.text
        else:
            previous.tail = (previous.tail or "") + holder.text
    parent.remove(holder)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)


KEPT_BEFORE_BODY = ("qti-response-declaration", "qti-outcome-declaration", "qti-template-declaration",
                    "qti-template-processing")


def _kept_processing(root: etree._Element, item: dict[str, Any]) -> etree._Element:
    """An item that keeps its own QTI processing (``scoring``) is written with it: its
    declarations and processing as imported, in place of those written from its key, and its
    one interaction answering the response the processing reads."""
    kept = qti_processing.parse(item["scoring"]["qti"])
    templated = any(_local(e) == "qti-template-processing" for e in kept)
    response = item["scoring"].get("response")
    for element in list(root):
        if _local(element) in KEPT_BEFORE_BODY + ("qti-response-processing",):
            root.remove(element)
        elif response and _local(element) == "qti-item-body":
            for interaction in element.iter(etree.Element):
                if interaction.get("response-identifier") == "RESPONSE":
                    interaction.set("response-identifier", response)
    before = [e for e in kept if _local(e) in KEPT_BEFORE_BODY]
    for index, element in enumerate(before):
        root.insert(index, element)
    processing = next((e for e in kept if _local(e) == "qti-response-processing"), None)
    if processing is not None:
        body = root.find(_q("qti-item-body"))
        body.addnext(processing)
    if templated:
        return _template_elements(root)
    return root


_LONE_MARKER = re.compile(r"<(p|div)>\s*(\{\{[#/][^}]*\}\})\s*</\1>")
_MATH_VARIABLE = re.compile(r"(<(?:\w+:)?mi\b[^>]*>)\{\{([A-Za-z_][\w.-]*)\}\}(</(?:\w+:)?mi>)")
_BLOCK_START = re.compile(r"\{\{#(\d+) (show|hide) (\S+) (\S+)\}\}")
_BLOCK_BLOCKS = re.compile(r"<(p|div|table|ul|ol|h[1-6]|blockquote|pre)\b")


def _template_elements(root: etree._Element) -> etree._Element:
    """An item model's markers (``piaa.items.item_models``) as the QTI elements they came
    from: printed variables, MathML variables, template blocks and inlines."""
    text = etree.tostring(root, encoding="unicode")
    text = _LONE_MARKER.sub(r"\2", text)
    text = _MATH_VARIABLE.sub(r"\1\2\3", text)

    def block(match: re.Match) -> str:
        number, mode, identifier, value = match.groups()
        end = f"{{{{/{number}}}}}"
        inner = text_after[match.end():text_after.index(end, match.end())]
        tag = "qti-template-block" if _BLOCK_BLOCKS.search(inner) else "qti-template-inline"
        closing[number] = f"</{tag}>"
        return (f'<{tag} template-identifier="{escape(identifier)}" identifier="{escape(value)}" '
                f'show-hide="{mode}">')

    closing: dict[str, str] = {}
    text_after = text
    text = _BLOCK_START.sub(block, text)
    text = re.sub(r"\{\{/(\d+)\}\}", lambda m: closing.get(m.group(1), m.group(0)), text)

    def printed(match: re.Match) -> str:
        identifier, format_ = match.groups()
        extra = f' format="{escape(format_)}"' if format_ else ""
        return f'<qti-printed-variable identifier="{escape(identifier)}"{extra}/>'

    text = item_models.PRINTED.sub(printed, text)
    try:
        return qti_processing.parse(text)
    except etree.XMLSyntaxError:  # markers that do not nest with the markup: left as text
        return root


def item_xml(item: dict[str, Any], media_ref: Callable[[str], str] | None = None) -> bytes:
    return etree.tostring(item_element(item, media_ref), xml_declaration=True, encoding="UTF-8",
                          pretty_print=True)


def media_of(item: dict[str, Any]) -> list[str]:
    """The stored media files (sha256) an item refers to: its rich body's and its picture's."""
    found = {sha for markup in (item.get("body") or {}).values() for sha in media_hashes(markup)}
    for part in [item] + list(item.get("parts") or []):
        image = part.get("image")
        if isinstance(image, dict) and str(image.get("src", "")).startswith(MEDIA_SCHEME):
            found.add(image["src"][len(MEDIA_SCHEME):])  # a hotspot's or a picture item's picture
        if isinstance(part.get("marker"), dict):
            found.add(part["marker"]["src"][len(MEDIA_SCHEME):])  # what a position object places
        for name in ("options", "sources", "targets"):  # pictures kept in choices
            for option in part.get(name) or []:
                found |= {sha for markup in (option.get("html") or {}).values() for sha in media_hashes(markup)}
    return sorted(found)


def media_path(sha: str, content_type: str) -> str:
    return f"media/{sha}{EXTENSION_OF.get(content_type, '.bin')}"


def _item_metadata(item: dict[str, Any]) -> etree._Element:
    element = etree.Element(f"{{{PIAA_NS}}}item", nsmap={"piaa": PIAA_NS})
    element.set("id", item["id"])
    element.set("type", item["type"])
    element.set("competency", item["competency"])
    element.set("level", str(item["level"]))
    if item.get("sub_area"):
        element.set("sub-area", item["sub_area"])
    if item["type"] == "ordering":
        element.set("partial-credit", "true" if item.get("partial_credit") else "false")
    if item["type"] == "text_entry":
        element.set("collapse-spaces", "false" if item.get("collapse_spaces") is False else "true")
    if item.get("reference"):
        etree.SubElement(element, f"{{{PIAA_NS}}}reference").text = item["reference"]
    return element


def _bank_metadata(bank: dict[str, Any]) -> etree._Element:
    element = etree.Element(f"{{{PIAA_NS}}}bank", nsmap={"piaa": PIAA_NS})
    for key in ("name", "agency", "state"):
        if bank.get(key):
            element.set(key, bank[key])
    if bank.get("languages"):
        element.set("languages", " ".join(bank["languages"]))
    if bank.get("description"):
        etree.SubElement(element, f"{{{PIAA_NS}}}description").text = bank["description"]
    return element


def item_path(item: dict[str, Any]) -> str:
    return f"items/{item['id']}.xml"


def manifest_xml(bank: dict[str, Any], items: list[dict[str, Any]],
                 media_files: dict[str, str] | None = None) -> bytes:
    """The package manifest; ``media_files`` maps each stored file (sha256) to its path."""
    media_files = media_files or {}

    def cp(name: str) -> str:
        return f"{{{CP_NS}}}{name}"

    manifest = etree.Element(cp("manifest"), nsmap={None: CP_NS, "xsi": XSI, "lom": LOM_NS, "piaa": PIAA_NS})
    manifest.set(f"{{{XSI}}}schemaLocation", f"{CP_NS} {CP_SCHEMA} {LOM_NS} {LOM_SCHEMA}")
    manifest.set("identifier", "MANIFEST-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", bank.get("name") or "bank"))
    metadata = etree.SubElement(manifest, cp("metadata"))
    etree.SubElement(metadata, cp("schema")).text = "QTI Package"
    etree.SubElement(metadata, cp("schemaversion")).text = "3.0.0"
    etree.SubElement(metadata, f"{{{LOM_NS}}}lom").append(_bank_metadata(bank))
    etree.SubElement(manifest, cp("organizations"))
    resources = etree.SubElement(manifest, cp("resources"))
    for item in items:
        resource = etree.SubElement(resources, cp("resource"), identifier=f"RES-{qti_identifier(item['id'])}",
                                    type="imsqti_item_xmlv3p0", href=item_path(item))
        lom = etree.SubElement(etree.SubElement(resource, cp("metadata")), f"{{{LOM_NS}}}lom")
        lom.append(_item_metadata(item))
        etree.SubElement(resource, cp("file"), href=item_path(item))
        for sha in media_of(item):
            etree.SubElement(resource, cp("file"), href=media_files[sha])
    return etree.tostring(manifest, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_package(bank: dict[str, Any], items: list[dict[str, Any]], out: io.BufferedIOBase | str,
                  media: MediaLoader | None = None) -> None:
    """A QTI 3.0 content package: ``imsmanifest.xml``, ``items/<id>.xml`` per item and the
    media files they use under ``media/``, read through ``media``.

    :raise Invalid: naming each item whose media file is not stored, or that QTI cannot hold;
        nothing is written then.
    """
    files: dict[str, tuple[str, bytes]] = {}
    problems = []
    written = {}
    for item in items:
        missing = []
        for sha in media_of(item):
            if sha not in files:
                found = media(sha) if media else None
                if found is None:
                    missing.append(sha)
                    continue
                data, content_type = found
                files[sha] = (media_path(sha, content_type), data)
        if missing:
            problems.append({"item": item["id"], "field": "media",
                             "message": f"media file(s) not stored: {', '.join(m[:12] for m in missing)}"})
            continue
        try:
            written[item["id"]] = item_xml(item, lambda src: "../" + files[src[len(MEDIA_SCHEME):]][0])
        except Invalid as exc:
            problems.append({"item": item["id"], "field": exc.field, "message": exc.message})
    if problems:
        raise Invalid(N_("{n_problems} item(s) cannot be written as a QTI 3.0 package"), problems=problems,
                      values={"n_problems": len(problems)})
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", manifest_xml(bank, items, {sha: path for sha, (path, _) in files.items()}))
        for item in items:
            archive.writestr(item_path(item), written[item["id"]])
        for path, data in sorted(files.values()):
            archive.writestr(path, data)


def package_bytes(bank: dict[str, Any], items: list[dict[str, Any]], media: MediaLoader | None = None) -> bytes:
    buffer = io.BytesIO()
    write_package(bank, items, buffer, media)
    return buffer.getvalue()
