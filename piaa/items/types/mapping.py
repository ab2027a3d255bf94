"""Weighted scoring per option (or per pair, or per area): QTI's ``map_response`` kept as written.

An item's ``mapping`` gives each choice a value, positive or negative:

    {"values": {"H": 1, "O": 1, "Cl": -1}, "default": -2, "lower_bound": 0, "upper_bound": 2}

The candidate's total is the sum of the values of the distinct choices picked (``default`` for
a choice the mapping does not name), held within ``lower_bound`` and ``upper_bound`` where they
are given, as QTI's map_response computes it. PIAA's credit is that total over the best total
the item allows (so it runs 0..1), never below 0: an item whose total can fall below zero
scores such an answer 0, which the importer lists as a loss.

Choices are option ids, area ids, or ``"source target"`` for a pair of a matching item.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

from piaa.i18n import N_
from piaa.items.types.base import Problem, problem

FIELDS = ("values", "default", "lower_bound", "upper_bound")


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_mapping(content: dict[str, Any], choices: Iterable[str], most: int | None = None) -> list[Problem]:
    """Problems of ``content["mapping"]`` (none when the item has no mapping); ``choices`` are
    what may be picked, ``most`` how many at the most."""
    mapping = content.get("mapping")
    if mapping is None:
        return []
    if not isinstance(mapping, dict) or not isinstance(mapping.get("values"), dict):
        return [problem("mapping", N_('must be {"values": {choice: value}, "default": ..., ...}'))]
    found = [problem(f"mapping.{k}", N_("unknown mapping field")) for k in mapping if k not in FIELDS]
    known = set(choices)
    for choice, value in mapping["values"].items():
        if choice not in known:
            found.append(problem(f"mapping.values.{choice}", N_("is not a choice of this item")))
        if not _finite(value):
            found.append(problem(f"mapping.values.{choice}", N_("must be a number, got {value}"),
                                 {"value": repr(value)}))
    for name in ("default", "lower_bound", "upper_bound"):
        if mapping.get(name) is not None and not _finite(mapping[name]):
            found.append(problem(f"mapping.{name}", N_("must be a number, got {mapping}"),
                                 {"mapping": repr(mapping[name])}))
    if not found and best_total(mapping, choices, most) <= 0:
        found.append(problem("mapping", N_("no answer earns more than 0")))
    return found


def _value(mapping: dict[str, Any], choice: str) -> float:
    return float(mapping["values"].get(choice, mapping.get("default") or 0.0))


def _bounded(mapping: dict[str, Any], total: float) -> float:
    if mapping.get("lower_bound") is not None:
        total = max(total, float(mapping["lower_bound"]))
    if mapping.get("upper_bound") is not None:
        total = min(total, float(mapping["upper_bound"]))
    return total


def total(mapping: dict[str, Any], picked: Iterable[str]) -> float:
    """QTI's map_response of the picked choices (each distinct choice counted once)."""
    return _bounded(mapping, sum(_value(mapping, c) for c in dict.fromkeys(picked)))


def best_total(mapping: dict[str, Any], choices: Iterable[str], most: int | None = None) -> float:
    """The highest total an answer can reach: the best ``most`` positive values (all of them
    when ``most`` is None), within the bounds."""
    positive = sorted((v for v in (_value(mapping, c) for c in choices) if v > 0), reverse=True)
    return _bounded(mapping, sum(positive[:most] if most else positive))


def can_go_negative(mapping: dict[str, Any]) -> bool:
    """Some answer's total is below 0 (PIAA scores it 0)."""
    lower = mapping.get("lower_bound")
    negative = any(float(v) < 0 for v in mapping["values"].values()) or (mapping.get("default") or 0) < 0
    return negative and (lower is None or float(lower) < 0)


def credit(mapping: dict[str, Any], picked: Iterable[str], choices: Iterable[str],
           most: int | None = None) -> float:
    """The answer's credit in 0..1: its total over the best total."""
    best = best_total(mapping, choices, most)
    if best <= 0:
        return 0.0
    return min(1.0, max(0.0, total(mapping, picked) / best))
