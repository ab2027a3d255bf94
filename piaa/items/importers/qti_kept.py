"""Keeping a QTI item's own response (and template) processing as its scoring.

An item whose response processing is not one of the standard rules, or that draws its values
per candidate (template processing), keeps its declarations and processing as written: the
item's ``scoring`` field holds them as QTI 3.0 XML (``{"qti": xml, "response": id}``), and
``piaa.items.qti_processing`` scores each response by running them. The processing is checked
when the item is read: a rule or expression PIAA does not run refuses the item, naming it and
its line.

An item that declares no correct response for an interaction still shows a key to authors and
reviewers: the response the author's processing scores highest, found by trying the
interaction's choices (every choice, every set of choices, every order) or, for typed answers,
the values the processing compares them with.
"""
from __future__ import annotations

import copy
import itertools
from typing import Any

import numpy as np
from lxml import etree

from piaa.items import qti_processing as qp
from piaa.items.qti_processing import QTI3_NS, ProcessingRefused

KEPT = ("qti-response-declaration", "qti-outcome-declaration", "qti-template-declaration",
        "qti-template-processing", "qti-response-processing")
# Trying every set or order of choices stops here (2^12 sets, 7! orders).
MAX_SET_CHOICES = 12
MAX_ORDER_CHOICES = 7


class NotKept(Exception):
    """The processing cannot be kept and run; the message says why and where."""


def _name(element) -> str:
    return qp._name(element)


def _clean(element):
    """A copy without the whitespace between elements, so that the same processing always
    serialises to the same text."""
    element = copy.deepcopy(element)
    for node in element.iter(etree.Element):
        if len(node) and node.text is not None and not node.text.strip():
            node.text = None
        if node.tail is not None and not node.tail.strip():
            node.tail = None
        for attribute in [a for a in node.attrib if a.startswith("{")]:
            del node.attrib[attribute]
    return element


def kept_source(root: etree._Element) -> str:
    """The item's declarations and processing as one QTI 3.0 document (no body)."""
    holder = etree.Element(f"{{{QTI3_NS}}}qti-assessment-item", nsmap={None: QTI3_NS})
    for element in root:
        if isinstance(element.tag, str) and _name(element) in KEPT:
            holder.append(_clean(element))
    etree.cleanup_namespaces(holder)
    return etree.tostring(holder, encoding="unicode")


def processor_of(root: etree._Element) -> qp.Processor:
    """:raise NotKept: naming the rule or expression and its line, if it is not one PIAA runs."""
    try:
        processor = qp.Processor(root)
    except (ProcessingRefused, ValueError) as exc:
        raise NotKept(str(exc)) from None
    return processor


def scoring_field(root: etree._Element, response: str | None) -> dict[str, Any]:
    """The ``scoring`` field of an item keeping its processing; ``response`` is the identifier
    its one interaction answers (None for a composite item, whose parts are its responses).

    :raise NotKept: if it cannot be run, or never gives the correct responses any score.
    """
    processor = processor_of(root)
    if "SCORE" not in processor.declarations:
        raise NotKept("the item declares no SCORE outcome, so its processing gives no score")
    source = kept_source(root)
    kept = qp.Processor(source)
    if not processor.templated:
        try:
            maximum = kept.maximum()
        except ProcessingRefused as exc:
            raise NotKept(str(exc)) from None
        if maximum <= 0:
            raise NotKept("the response processing gives the correct responses no score and SCORE "
                          "declares no normal maximum, so no answer can be full marks")
    found: dict[str, Any] = {"qti": source}
    if response is not None:
        found["response"] = response
    return found


def _choice_ids(interaction: etree._Element) -> list[str]:
    tags = ("qti-simple-choice", "qti-inline-choice", "qti-hottext", "qti-hotspot-choice")
    return [e.get("identifier", "") for e in interaction.iter(etree.Element) if _name(e) in tags]


def _literals(processing: etree._Element | None, base_type: str | None) -> list[str]:
    """The values the processing writes of ``base_type`` (what a typed answer is compared with)."""
    if processing is None:
        return []
    found = []
    for element in processing.iter(f"{{{QTI3_NS}}}qti-base-value"):
        if element.get("base-type") == base_type or (base_type in qp.NUMERIC and element.get("base-type") in qp.NUMERIC):
            text = (element.text or "").strip()
            if text and text not in found:
                found.append(text)
    return found


def derived_correct(root: etree._Element, response_id: str, interaction: etree._Element) -> list[str]:
    """The response (as QTI value texts) the item's processing scores highest for
    ``response_id``, the other responses left at their correct responses; empty when no
    candidate scores above nothing.

    :raise NotKept: if the processing cannot be run.
    """
    processor = processor_of(root)
    declaration = processor.declarations.get(response_id)
    if declaration is None:
        return []
    others = {k: v for k, v in processor.correct_responses().items() if k != response_id}
    choices = _choice_ids(interaction)
    if declaration.base_type == "identifier" and choices:
        if declaration.cardinality == "single":
            candidates = [[c] for c in choices]
        elif declaration.cardinality == "multiple" and len(choices) <= MAX_SET_CHOICES:
            candidates = [list(s) for n in range(1, len(choices) + 1) for s in itertools.combinations(choices, n)]
        elif declaration.cardinality == "ordered" and len(choices) <= MAX_ORDER_CHOICES:
            candidates = [list(p) for p in itertools.permutations(choices)]
        else:
            return []
    elif declaration.base_type in ("string", "integer", "float") and declaration.cardinality == "single":
        processing = next((e for e in root if isinstance(e.tag, str) and _name(e) == "qti-response-processing"), None)
        texts = _literals(processing, declaration.base_type) + [
            qp._scalar_text(k) for k in (declaration.mapping or {})]
        candidates = [[t] for t in dict.fromkeys(texts)]
    else:
        return []
    best, best_score = [], 0.0
    for candidate in candidates:
        try:
            value = qp.make(declaration.cardinality, declaration.base_type,
                            [qp.parse_scalar(t, declaration.base_type) for t in candidate])
        except ValueError:
            continue
        try:
            score = processor.score({**others, response_id: value})
        except ProcessingRefused as exc:
            raise NotKept(str(exc)) from None
        if score > best_score + 1e-12:
            best, best_score = candidate, score
    return best


def example_correct(root: etree._Element, response_id: str) -> list[str]:
    """An item model's correct response for ``response_id`` in its example instance (drawn
    with seed 0), as QTI value texts; empty for an item that is not a model or sets none.

    :raise NotKept: if the processing cannot be run.
    """
    processor = processor_of(root)
    if not processor.templated:
        return []
    try:
        instance = processor.draw(np.random.default_rng(0))
    except ProcessingRefused as exc:
        raise NotKept(str(exc)) from None
    value = processor.correct_responses(instance).get(response_id)
    return [qp._scalar_text(v) for v in value.items()] if value is not None else []
