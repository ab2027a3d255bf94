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


def scoring_field(root: etree._Element, response: str | None,
                  keys: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The ``scoring`` field of an item keeping its processing; ``response`` is the identifier
    its one interaction answers (None for a composite item, whose parts are its responses);
    ``keys`` the key found for each response (QTI value texts). When the item says neither
    the most SCORE can be nor correct responses that earn it, the score of those keys is
    kept as ``maximum``.

    :raise NotKept: if it cannot be run, or no answer earns any score.
    """
    processor = processor_of(root)
    if "SCORE" not in processor.declarations:
        raise NotKept("the item declares no SCORE outcome, so its processing gives no score")
    source = kept_source(root)
    found: dict[str, Any] = {"qti": source}
    if response is not None:
        found["response"] = response
    if processor.templated:
        return found
    kept = qp.Processor(source)
    try:
        if kept.maximum() > 0:
            return found
        values = {r: qp.make(kept.declarations[r].cardinality, kept.declarations[r].base_type,
                             [qp.parse_scalar(t, kept.declarations[r].base_type) for t in texts])
                  for r, texts in (keys or {}).items() if r in kept.declarations}
        best = kept.score(values)
    except (ProcessingRefused, ValueError) as exc:
        raise NotKept(str(exc)) from None
    if best <= 0:
        raise NotKept("the response processing gives the correct responses no score and SCORE "
                      "declares no normal maximum, so no answer can be full marks")
    found["maximum"] = int(best) if float(best).is_integer() else best
    return found


def _choice_ids(interaction: etree._Element) -> list[str]:
    tags = ("qti-simple-choice", "qti-inline-choice", "qti-hottext", "qti-hotspot-choice")
    return [e.get("identifier", "") for e in interaction.iter(etree.Element) if _name(e) in tags]


def _literals(root: etree._Element, declaration: qp.Declaration) -> list[list[str]]:
    """The values the item writes that a response of ``declaration``'s type could be compared
    with: base values and containers of them in its processing, and the default values of its
    other variables (a list of accepted alternatives, say)."""
    base_type, single = declaration.base_type, declaration.cardinality == "single"

    def fits(element) -> bool:
        written = element.get("base-type")
        return written == base_type or (base_type in qp.NUMERIC and written in qp.NUMERIC)

    found: list[list[str]] = []
    for element in root.iter(etree.Element):
        name = _name(element)
        if name == "qti-base-value" and fits(element) and single:
            found.append([(element.text or "").strip()])
        elif name in ("qti-multiple", "qti-ordered", "qti-default-value") and not single:
            values = [(e.text or "").strip() for e in element if _name(e) in ("qti-base-value", "qti-value")]
            if values and all(_name(e) == "qti-value" or fits(e) for e in element if isinstance(e.tag, str)):
                found.append(values)
        elif name == "qti-default-value" and single and base_type in ("string", "integer", "float"):
            found += [[(e.text or "").strip()] for e in element if _name(e) == "qti-value"]
    return [c for c in found if all(c)]


def _candidates(root: etree._Element, declaration: qp.Declaration,
                interaction: etree._Element) -> list[list[str]]:
    """Responses worth trying for ``declaration``: the values the item writes, every choice,
    and (for few choices) every set or order of them."""
    found = _literals(root, declaration)
    choices = _choice_ids(interaction)
    if declaration.base_type == "identifier" and choices:
        if declaration.cardinality == "single":
            found += [[c] for c in choices]
        elif declaration.cardinality == "multiple" and len(choices) <= MAX_SET_CHOICES:
            found += [list(s) for n in range(1, len(choices) + 1) for s in itertools.combinations(choices, n)]
        elif declaration.cardinality == "ordered" and len(choices) <= MAX_ORDER_CHOICES:
            found += [list(p) for p in itertools.permutations(choices)]
    if declaration.cardinality == "single":
        found += [[qp._scalar_text(k)] for k in (declaration.mapping or {})]
    unique: dict[tuple, list[str]] = {}
    for candidate in found:
        unique.setdefault(tuple(candidate), candidate)
    return list(unique.values())


def derived_correct(root: etree._Element, interactions: dict[str, etree._Element],
                    instance: qp.Instance | None = None) -> dict[str, list[str]]:
    """For each response (identifier -> its interaction) with no correct response, the
    response (as QTI value texts) the item's processing scores highest (on ``instance`` for an
    item model, whose values are candidates too); see ``Processor.best_responses``.

    :raise NotKept: if the processing cannot be run.
    """
    processor = processor_of(root)
    correct = processor.correct_responses(instance)
    candidates = {}
    for response_id, interaction in interactions.items():
        declaration = processor.declarations.get(response_id)
        if declaration is not None and response_id not in correct:
            candidates[response_id] = _candidates(root, declaration, interaction) + \
                processor.instance_candidates(declaration, instance)
    try:
        return processor.best_responses(candidates, instance)
    except ProcessingRefused as exc:
        raise NotKept(str(exc)) from None


def example_instance(root: etree._Element) -> qp.Instance | None:
    """An item model's example instance (drawn with seed 0): what its key shows; None for an
    item that is not a model.

    :raise NotKept: if the processing cannot be run.
    """
    processor = processor_of(root)
    if not processor.templated:
        return None
    try:
        return processor.draw(np.random.default_rng(0))
    except ProcessingRefused as exc:
        raise NotKept(str(exc)) from None


def example_correct(root: etree._Element, response_id: str) -> list[str]:
    """An item model's correct response for ``response_id`` in its example instance, as QTI
    value texts; empty for an item that is not a model or sets none.

    :raise NotKept: if the processing cannot be run.
    """
    instance = example_instance(root)
    if instance is None:
        return []
    value = processor_of(root).correct_responses(instance).get(response_id)
    return [qp._scalar_text(v) for v in value.items()] if value is not None else []
