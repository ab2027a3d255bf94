"""Scoring by the item's own QTI processing: the strategy of an item whose ``scoring`` field
keeps the declarations and response processing it was imported with.

The item still has its type (a choice, an ordering, answer boxes, a composite, ...): the type
checks the answer's shape and shows the widget; the score is what the author's processing
gives, run by ``piaa.items.qti_processing``: SCORE over the most SCORE can be, in the type's
credit range. An item model (template processing) is scored on the instance drawn for the
attempt (``scoring["instance"]``, see ``piaa.items.item_models``).
"""
from __future__ import annotations

from typing import Any

from piaa.errors import Invalid
from piaa.items import qti_processing as qp
from piaa.items.types.base import Problem, Score, problem


def processor(content: dict[str, Any]) -> qp.Processor:
    return qp.processor(content["scoring"]["qti"])


def instance(content: dict[str, Any]) -> qp.Instance | None:
    drawn = content["scoring"].get("instance")
    return qp.instance_from_json(drawn) if drawn is not None else None


def check(content: dict[str, Any]) -> list[Problem]:
    """Problems with an item's ``scoring`` field, each naming where."""
    scoring = content.get("scoring")
    if not isinstance(scoring, dict) or not isinstance(scoring.get("qti"), str):
        return [problem("scoring", "must be an object with the QTI processing as text (qti)")]
    try:
        kept = qp.processor(scoring["qti"])
    except (qp.ProcessingRefused, ValueError) as exc:
        return [problem("scoring.qti", str(exc))]
    except Exception as exc:  # noqa: BLE001 - malformed XML from any parser error
        return [problem("scoring.qti", f"not QTI processing PIAA can read: {exc}")]
    responses = _responses(content, scoring)
    missing = [r for r in responses if r not in kept.declarations or kept.declarations[r].kind != "response"]
    if missing:
        return [problem("scoring.response" if scoring.get("response") else "parts",
                        f"the processing declares no response {', '.join(missing)}")]
    if "SCORE" not in kept.declarations:
        return [problem("scoring.qti", "the processing declares no SCORE outcome")]
    most = scoring.get("maximum")
    if most is not None and (isinstance(most, bool) or not isinstance(most, (int, float)) or most <= 0):
        return [problem("scoring.maximum", f"must be a number above 0, got {most!r}")]
    return []


def _responses(content: dict[str, Any], scoring: dict[str, Any]) -> list[str]:
    if scoring.get("response"):
        return [scoring["response"]]
    return [qp.qti_identifier(part["id"]) for part in content.get("parts") or []]


def score(kind, content: dict[str, Any], answer: Any) -> Score:
    """The answer scored by running the item's processing (``kind`` is the item's type).

    :raise Invalid: if the answer does not have the type's shape.
    """
    top = kind.max_credit(content)
    drawn = instance(content)
    kept = processor(content)
    responses: dict[str, qp.Value] = {}
    if answer is not None:
        checked = kind.check_answer(content, answer)
        scoring = content["scoring"]
        given = {scoring["response"]: checked} if scoring.get("response") else \
            {qp.qti_identifier(part_id): value for part_id, value in checked.items()}
        for identifier, value in given.items():
            try:
                responses[identifier] = kept.response_value(identifier, value)
            except (ValueError, TypeError):
                declared = kept.declarations[identifier]
                raise Invalid(f"answer {value!r} is not a {declared.cardinality} {declared.base_type} value "
                              f"for {identifier}", field="answer") from None
    most = content["scoring"].get("maximum") or kept.maximum(drawn)
    earned = kept.score(responses, drawn)
    share = min(max(earned / most, 0.0), 1.0) if most > 0 else 0.0
    credit = share * top
    if kind.polytomous:
        return Score(credit, top, int(credit + 1e-9))
    return Score(credit, top, int(share > 1 - 1e-9))
