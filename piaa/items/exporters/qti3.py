"""QTI 3.0 export: one item file per item, and a bank as a content package (zip).

Items are written so that ``piaa.items.importers.qti`` reads them back to the same items:
texts in several languages sit side by side in elements carrying ``xml:lang``; the rationale
is a rubric block for scorers (``use="ext:rationale"``); a numeric unit is a ``span`` of class
``piaa-unit`` after the answer box; PIAA's facts (competency, level, ...) go on the item's
resource in ``imsmanifest.xml`` as ``<piaa:item>`` (namespace ``urn:piaa:qti:1``).
"""
from __future__ import annotations

import io
import re
import zipfile
from typing import Any, Iterable

from lxml import etree

from piaa.errors import Invalid
from piaa.items.bank_format import PACKAGE_ONLY_TYPES
from piaa.items.importers.qti import PIAA_NS, QTI3_NS, RATIONALE_USE, UNIT_CLASS, XML_LANG

XSI = "http://www.w3.org/2001/XMLSchema-instance"
ITEM_SCHEMA = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
TEMPLATE_BASE = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"
CP_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
CP_SCHEMA = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd"
TRUE_FALSE_TEXT = {"true": {"en": "True", "hi": "सत्य"}, "false": {"en": "False", "hi": "असत्य"}}
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def qti_identifier(identifier: str) -> str:
    """An XML name for ``identifier``; ``1`` travels as ``_1`` (the importer undoes it)."""
    return identifier if _NCNAME.match(identifier) else f"_{identifier}"


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
    cardinality = {"multiple_response": "multiple", "ordering": "ordered"}.get(kind, "single")
    base_type = {"text_entry": "string", "numeric_entry": "float"}.get(kind, "identifier")
    decl = _sub(root, "qti-response-declaration", identifier="RESPONSE", cardinality=cardinality,
                base_type=base_type)
    correct = _sub(decl, "qti-correct-response")
    if kind in ("single_choice",):
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
    if kind == "multiple_response" and item.get("partial_credit"):
        # +1/n per key option, -1/n per other option, floored at 0: PIAA's partial credit
        share = 1.0 / len(item["key"])
        mapping = _sub(decl, "qti-mapping", default_value="0", lower_bound="0", upper_bound="1")
        for option in item["options"]:
            value = share if option["id"] in item["key"] else -share
            _sub(mapping, "qti-map-entry", map_key=qti_identifier(option["id"]), mapped_value=repr(value))
    return decl


def _interaction(body: etree._Element, item: dict[str, Any]) -> None:
    kind = item["type"]
    if kind in ("text_entry", "numeric_entry"):
        p = _sub(body, "p")
        box = _sub(p, "qti-text-entry-interaction", response_identifier="RESPONSE")
        if item.get("unit"):
            box.tail = " "
            _inline_texts(_sub(p, "span", **{"class": UNIT_CLASS}), item["unit"])
        return
    if kind == "ordering":
        interaction = _sub(body, "qti-order-interaction", response_identifier="RESPONSE", shuffle="true")
    else:
        interaction = _sub(body, "qti-choice-interaction", response_identifier="RESPONSE",
                           shuffle="false",
                           max_choices="0" if kind == "multiple_response" else "1")
    options = item.get("options") or [{"id": key, "text": text} for key, text in TRUE_FALSE_TEXT.items()]
    for option in options:
        choice = _sub(interaction, "qti-simple-choice", identifier=qti_identifier(option["id"]))
        _inline_texts(choice, option["text"])


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
    mapped = kind in ("text_entry", "situational_judgement", "likert") or \
        (kind == "multiple_response" and item.get("partial_credit"))
    template = "map_response" if mapped else "match_correct"
    _sub(root, "qti-response-processing", template=f"{TEMPLATE_BASE}{template}.xml")


def item_element(item: dict[str, Any]) -> etree._Element:
    """The ``qti-assessment-item`` for one bank-format item."""
    root = etree.Element(_q("qti-assessment-item"), nsmap={None: QTI3_NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{QTI3_NS} {ITEM_SCHEMA}")
    root.set("identifier", qti_identifier(item["id"]))
    root.set("title", item["id"])
    root.set("adaptive", "false")
    root.set("time-dependent", "false")
    root.set(XML_LANG, "en")
    _declare_response(root, item)
    outcome = _sub(root, "qti-outcome-declaration", identifier="SCORE", cardinality="single",
                   base_type="float")
    _values(_sub(outcome, "qti-default-value"), ["0"])
    body = _sub(root, "qti-item-body")
    _block_texts(body, item["stem"])
    _interaction(body, item)
    if item.get("rationale"):
        rubric = _sub(body, "qti-rubric-block", use=RATIONALE_USE, view="scorer")
        _block_texts(_sub(rubric, "qti-content-body"), item["rationale"])
    _response_processing(root, item)
    return root


def item_xml(item: dict[str, Any]) -> bytes:
    return etree.tostring(item_element(item), xml_declaration=True, encoding="UTF-8", pretty_print=True)


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


def manifest_xml(bank: dict[str, Any], items: list[dict[str, Any]]) -> bytes:
    def cp(name: str) -> str:
        return f"{{{CP_NS}}}{name}"

    manifest = etree.Element(cp("manifest"), nsmap={None: CP_NS, "xsi": XSI, "piaa": PIAA_NS})
    manifest.set(f"{{{XSI}}}schemaLocation", f"{CP_NS} {CP_SCHEMA}")
    manifest.set("identifier", "MANIFEST-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", bank.get("name") or "bank"))
    metadata = etree.SubElement(manifest, cp("metadata"))
    etree.SubElement(metadata, cp("schema")).text = "QTI Package"
    etree.SubElement(metadata, cp("schemaversion")).text = "3.0.0"
    metadata.append(_bank_metadata(bank))
    etree.SubElement(manifest, cp("organizations"))
    resources = etree.SubElement(manifest, cp("resources"))
    for item in items:
        resource = etree.SubElement(resources, cp("resource"), identifier=f"RES-{qti_identifier(item['id'])}",
                                    type="imsqti_item_xmlv3p0", href=item_path(item))
        etree.SubElement(resource, cp("metadata")).append(_item_metadata(item))
        etree.SubElement(resource, cp("file"), href=item_path(item))
    return etree.tostring(manifest, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_package(bank: dict[str, Any], items: list[dict[str, Any]], out: io.BufferedIOBase | str) -> None:
    """A QTI 3.0 content package: ``imsmanifest.xml`` and ``items/<id>.xml`` per item."""
    unwritable = [i for i in items if i.get("type") in PACKAGE_ONLY_TYPES]
    if unwritable:  # matching and hotspot items are read from QTI but not written back yet
        raise Invalid(f"{len(unwritable)} item(s) cannot be written as QTI 3.0 yet; export as json",
                      problems=[{"item": i["id"], "field": "type",
                                 "message": f"{i['type']} items are not exported to QTI yet"}
                                for i in unwritable])
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", manifest_xml(bank, items))
        for item in items:
            archive.writestr(item_path(item), item_xml(item))


def package_bytes(bank: dict[str, Any], items: list[dict[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    write_package(bank, items, buffer)
    return buffer.getvalue()
