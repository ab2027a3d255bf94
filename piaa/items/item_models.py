"""Item models: imported QTI items that draw their values per candidate (template processing).

Such an item is one item (one set of IRT parameters: calibration treats all its instances
alike), but every attempt sees its own *instance*: the template processing run with a
generator seeded from the attempt's seed and the item, so the same attempt always gets the
same instance, and the instance is stored with the attempt so the scored instance can be
shown again and audited.

What the candidate sees carries the drawn values: the importer writes the item's printed
variables as ``{{NAME}}`` (``{{NAME|%.2f}}`` with a format), a MathML variable the same way,
and content shown or hidden by a template value (template blocks and inlines) between
``{{#n show NAME value}}`` and ``{{/n}}``; ``instantiate`` fills them in. The instance's
correct responses become the content's key, and its values go with the scoring, which runs
the item's response processing on that instance (``piaa.items.types.processed``).

Pure: no Flask, no database.
"""
from __future__ import annotations

import copy
import html
import re
from typing import Any

import numpy as np

from piaa.items import qti_processing as qp

PRINTED = re.compile(r"\{\{([A-Za-z_][\w.-]*)(?:\|([^}]*))?\}\}")
BLOCK = re.compile(r"\{\{#(\d+) (show|hide) (\S+) (\S+)\}\}(.*?)\{\{/\1\}\}", re.DOTALL)
# Fields holding texts the candidate sees (plain, or HTML in ``body`` and ``html``).
HTML_FIELDS = frozenset(("body", "html"))
KEY_FIELDS = ("key", "accepted")


def printed_marker(identifier: str, format_: str | None = None) -> str:
    return f"{{{{{identifier}|{format_}}}}}" if format_ else f"{{{{{identifier}}}}}"


def block_markers(number: int, show: bool, identifier: str, value: str) -> tuple[str, str]:
    return f"{{{{#{number} {'show' if show else 'hide'} {identifier} {value}}}}}", f"{{{{/{number}}}}}"


def is_model(content: dict[str, Any]) -> bool:
    scoring = content.get("scoring")
    return bool(scoring) and qp.processor(scoring["qti"]).templated


def draw(content: dict[str, Any], seed: list[int]) -> dict[str, Any]:
    """A new instance of the item model, as stored data; ``seed`` (the attempt's seed and the
    item's id) makes the draw reproducible."""
    processor = qp.processor(content["scoring"]["qti"])
    return qp.instance_to_json(processor.draw(np.random.default_rng(seed)))


def _printed(value: qp.Value, format_: str | None) -> str:
    if value.null:
        return ""
    shown = []
    for item in value.items():
        if format_ and isinstance(item, (int, float)) and not isinstance(item, bool):
            try:
                shown.append(format_ % item)
                continue
            except (TypeError, ValueError):
                pass
        if isinstance(item, float):
            shown.append(format(item, ".10g"))
        else:
            shown.append(qp._scalar_text(item))
    return ";".join(shown)


def fill(text: str, values: dict[str, qp.Value], markup: bool = False) -> str:
    """``text`` with its template blocks kept or dropped and its printed values filled in."""
    def block(match: re.Match) -> str:
        _, mode, identifier, wanted, inner = match.groups()
        value = values.get(identifier, qp.NULL)
        present = any(qp._scalar_text(v) == wanted for v in value.items())
        return inner if present == (mode == "show") else ""

    previous = None
    while previous != text:  # nested blocks: the outer ones first, then what they kept
        previous, text = text, BLOCK.sub(block, text)

    def printed(match: re.Match) -> str:
        identifier, format_ = match.groups()
        if identifier not in values:
            return match.group(0)
        shown = _printed(values[identifier], format_)
        return html.escape(shown) if markup else shown

    return PRINTED.sub(printed, text)


def _fill_all(node: Any, values: dict[str, qp.Value], markup: bool = False) -> Any:
    if isinstance(node, str):
        return fill(node, values, markup)
    if isinstance(node, list):
        return [_fill_all(v, values, markup) for v in node]
    if isinstance(node, dict):
        return {k: (v if k in ("scoring",) + KEY_FIELDS else _fill_all(v, values, markup or k in HTML_FIELDS))
                for k, v in node.items()}
    return node


def _keyed(content: dict[str, Any], value: qp.Value) -> None:
    """The type's key set to a drawn correct response (what reviewers and results show)."""
    texts = [qp._scalar_text(v) for v in value.items()]
    if not texts:
        return
    kind = content.get("type")
    if kind == "numeric_entry" or (kind is None and "tolerance" in content):
        content["key"] = float(texts[0])
    elif "accepted" in content:
        content["accepted"] = [{"value": texts[0], "credit": 1.0}]
    elif isinstance(content.get("key"), str):
        content["key"] = qp.piaa_identifier(texts[0])
    elif isinstance(content.get("key"), list) and value.base_type in ("pair", "directedPair"):
        content["key"] = [[qp.piaa_identifier(p) for p in pair] for pair in value.items()]
    elif isinstance(content.get("key"), list):
        content["key"] = [qp.piaa_identifier(t) for t in texts]


def instantiate(content: dict[str, Any], item_type: str, instance: dict[str, Any]) -> dict[str, Any]:
    """The content of one instance: values filled in, the instance's key, and the instance
    with the scoring."""
    processor = qp.processor(content["scoring"]["qti"])
    drawn = qp.instance_from_json(instance)
    values = {k: v for k, v in drawn.templates.items()}
    shown = _fill_all(content, values)
    shown["scoring"] = {**content["scoring"], "instance": instance}
    correct = processor.correct_responses(drawn)
    response = content["scoring"].get("response")
    responses = [response] if response else [qp.qti_identifier(p["id"]) for p in content.get("parts") or []]
    # A response the template processing gives no correct response: the best-scoring one of
    # this instance's values and the values the processing compares with.
    correct.update(processor.best_values(drawn, responses))
    if response and response in correct:
        shown["type"] = item_type
        _keyed(shown, correct[response])
        shown.pop("type")
    for part in shown.get("parts") or []:
        identifier = qp.qti_identifier(part["id"])
        if identifier in correct:
            _keyed(part, correct[identifier])
    return shown


def attempt_content(content: dict[str, Any], item_type: str, stored: dict[str, Any] | None,
                    seed: list[int]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The content an attempt works on, and the instance to store with it (the one already
    stored, else a new draw); an item that is not a model is returned as it is, with None."""
    if not is_model(content):
        return content, None
    instance = stored if stored is not None else draw(content, seed)
    return instantiate(copy.deepcopy(content), item_type, instance), instance
