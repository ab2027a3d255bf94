"""Item parameters as delivery uses them: recording a calibration as a parameter set,
finding a competency's active set, and turning stored rows into the arrays
``piaa.psychometrics`` takes.

Dichotomous rows are ``[a, b, c, d]``; polytomous rows ``[a, b1, ..., b_{K-1}]``, padded
with NaN to the longest row when stacked.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

import numpy as np
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from piaa import audit
from piaa.accounts.models import User
from piaa.clock import now
from piaa.errors import Invalid
from piaa.items.calibration_models import (DICHOTOMOUS_MODELS, IRT_MODELS, POLYTOMOUS_MODELS,
                                           ItemParameter, ParameterSet)
from piaa.items.models import Competency, Item
from piaa.process_cache import MISSING, ProcessCache
from piaa.i18n import N_


def check_row(model: str, row: Any, where: str) -> list[float]:
    """One item's parameters as floats.

    :raise Invalid: naming the item, if the row does not fit the model.
    """
    try:
        values = [float(v) for v in row]
    except (TypeError, ValueError):
        raise Invalid(N_("{where}: parameters must be numbers, got {row}"), field="params",
                      values={"where": where, "row": repr(row)}) from None
    if not all(math.isfinite(v) for v in values):
        raise Invalid(N_("{where}: parameters must be finite, got {values}"), field="params",
                      values={"where": where, "values": str(values)})
    if model in DICHOTOMOUS_MODELS:
        if len(values) != 4:
            raise Invalid(N_("{where}: a {model} item needs a, b, c, d; got {values}"), field="params",
                          values={"where": where, "model": model, "values": str(values)})
        a, _, c, d = values
        if a <= 0 or not 0 <= c < d <= 1:
            raise Invalid(N_("{where}: needs a > 0 and 0 <= c < d <= 1, got {values}"), field="params",
                          values={"where": where, "values": str(values)})
    else:
        if len(values) < 2 or values[0] <= 0:
            raise Invalid(N_("{where}: a {model} item needs a > 0 and at least one threshold, got {values}"),
                          field="params",
                          values={"where": where, "model": model, "values": str(values)})
    return values


def _standard_errors(values: Any) -> list[float | None]:
    """SEs as JSON can hold them: a parameter held fixed has none (NaN), stored as null."""
    return [float(v) if math.isfinite(float(v)) else None for v in values]


def record_parameter_set(session: Session, competency: Competency, model: str,
                         rows: Mapping[int, Any], *, label: str = "", source: str = "",
                         se: Mapping[int, Any] | None = None, activate: bool = True,
                         actor: User | None = None) -> ParameterSet:
    """Store a calibration of ``competency``'s items: ``rows`` maps item id to its parameter row.

    Activating it makes it the set delivery selects and scores with; the set it replaces
    stays stored, so scores made with it remain traceable.

    :raise Invalid: naming the item whose row does not fit, or an item of another competency.
    """
    model = str(model).lower()
    if model not in IRT_MODELS:
        raise Invalid(N_("model must be one of {irt_models}, got {model}"), field="model",
                      values={"irt_models": ', '.join(IRT_MODELS), "model": repr(model)})
    if not rows:
        raise Invalid(N_("a parameter set needs at least one item"), field="params")
    items = {item.id: item for item in session.scalars(select(Item).where(Item.id.in_(list(rows))))}
    parameter_set = ParameterSet(competency=competency, model=model, label=label, source=source,
                                 active=False, created_at=now(), created_by_id=actor.id if actor else None)
    for item_id, row in rows.items():
        item = items.get(item_id)
        if item is None:
            raise Invalid(N_("no item {item_id}"), field="params", values={"item_id": item_id})
        if item.competency_id != competency.id:
            raise Invalid(N_("item {item_code} belongs to another competency"), field="params",
                          values={"item_code": item.code})
        parameter_set.items.append(ItemParameter(
            item_id=item.id, item_version=item.current_version,
            params=check_row(model, row, f"item {item.code}"),
            se=_standard_errors(se[item_id]) if se and item_id in se else None))
    session.add(parameter_set)
    session.flush()
    if activate:
        activate_parameter_set(session, parameter_set, actor=actor)
    audit.record(session, "parameters.recorded", actor=actor, subject_type="parameter_set",
                 subject_id=parameter_set.id, data={"competency": competency.code, "model": model,
                                                    "items": len(rows), "active": activate})
    return parameter_set


def activate_parameter_set(session: Session, parameter_set: ParameterSet, *,
                           actor: User | None = None) -> None:
    session.info.pop(TRANSACTION_POOLS, None)  # selection pools built on the set it replaces
    _ACTIVE_SET_IDS.pop(parameter_set.competency_id)
    session.execute(update(ParameterSet).where(ParameterSet.competency_id == parameter_set.competency_id,
                                               ParameterSet.id != parameter_set.id)
                    .values(active=False))
    parameter_set.active = True
    session.flush()
    audit.record(session, "parameters.activated", actor=actor, subject_type="parameter_set",
                 subject_id=parameter_set.id, data={"competency_id": parameter_set.competency_id})


# Where ``piaa.delivery.forms`` keeps the selection pools found in the current transaction.
TRANSACTION_POOLS = "piaa.delivery.adaptive_pools"
# Asked on every adaptive next-item call: built once.
_ACTIVE_SET = select(ParameterSet).where(ParameterSet.competency_id == bindparam("competency_id"),
                                         ParameterSet.active.is_(True))


def active_parameter_set(session: Session, competency_id: int) -> ParameterSet | None:
    return session.scalar(_ACTIVE_SET, {"competency_id": competency_id})


# How long another process's activation of a new set may go unseen by selection here (the
# activating process sees it at once): a sitting keeps selecting with the set it began on
# for these seconds at most, and is scored with the active set whatever it was.
ACTIVE_SET_TTL_S = 10.0
# Competency id -> id of its active set (or None), for adaptive selection, which asks on
# every move to the next item. Scoring reads the active set itself.
_ACTIVE_SET_IDS = ProcessCache(ttl_s=lambda: ACTIVE_SET_TTL_S)
_ACTIVE_SET_ID = select(ParameterSet.id).where(ParameterSet.competency_id == bindparam("competency_id"),
                                               ParameterSet.active.is_(True))


def active_parameter_set_id(session: Session, competency_id: int) -> int | None:
    """The id of ``competency_id``'s active parameter set, as read at most
    ``ACTIVE_SET_TTL_S`` ago."""
    found = _ACTIVE_SET_IDS.get(competency_id, MISSING)
    if found is MISSING:
        found = _ACTIVE_SET_IDS.put(competency_id, session.scalar(_ACTIVE_SET_ID, {"competency_id": competency_id}))
    return found


def forget_active_sets() -> None:
    _ACTIVE_SET_IDS.clear()


def parameter_rows(session: Session, parameter_set: ParameterSet,
                   item_ids: Iterable[int] | None = None) -> dict[int, list[float]]:
    """Item id -> parameter row, for ``item_ids`` (all items of the set when None)."""
    query = select(ItemParameter.item_id, ItemParameter.params).where(
        ItemParameter.parameter_set_id == parameter_set.id)
    if item_ids is not None:
        query = query.where(ItemParameter.item_id.in_(list(item_ids)))
    return {item_id: params for item_id, params in session.execute(query)}


def stack_rows(model: str, rows: list[list[float]]) -> np.ndarray:
    """``(J, 4)`` for dichotomous models, ``(J, 1 + max_K - 1)`` NaN-padded for polytomous."""
    if model in POLYTOMOUS_MODELS:
        width = max(len(r) for r in rows)
        out = np.full((len(rows), width), np.nan)
        for j, r in enumerate(rows):  # rows differ in length; J is a test length, not a population
            out[j, :len(r)] = r
        return out
    return np.asarray(rows, dtype=float).reshape(len(rows), 4)
