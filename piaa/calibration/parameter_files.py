"""Parameter files in and out of the service, in the format ``piaa calibrate --out`` writes
(one row per item: ``item``, ``model``, ``a``, ``b`` (or ``b1..bK``), ``c``, ``d``, then the
standard errors ``se_a``, ...), so parameters from R mirt, another program or an earlier
calibration can be loaded as a parameter set. The ``item`` column holds item codes.

An import checks the whole file first and lists every problem by row and field; nothing is
stored unless the whole file is good.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from piaa.accounts.models import User
from piaa.delivery.parameters import active_parameter_set, check_row, record_parameter_set
from piaa.errors import Invalid, NotFound, found_problem
from piaa.i18n import N_
from piaa.items.calibration_models import ItemParameter, ParameterSet
from piaa.items.models import Competency, Item, ItemBank


def _competency(session: Session, code: str) -> Competency:
    competency = session.scalar(select(Competency).where(Competency.code == code))
    if competency is None:
        raise NotFound(N_("no competency {code}"), field="competency", values={"code": repr(code)})
    return competency


def import_parameters(session: Session, path: str | Path, competency_code: str, *, bank: str | None = None,
                      label: str = "", activate: bool = False, actor: User | None = None) -> ParameterSet:
    """Store the file's parameters as a new parameter set of the competency.

    :raise Invalid: listing every problem (file, row, field) when the file does not fit:
        its format, an item code no item of the competency (or of ``bank``) has, a code
        several banks share, or parameters the model does not allow.
    :raise NotFound: for an unknown competency or bank.
    """
    from piaa.psychometrics_cli import InputError, _row, read_params

    name = Path(path).name
    competency = _competency(session, competency_code)
    try:
        found = read_params(str(path))
    except InputError as exc:
        raise Invalid(str(exc.message), problems=[{"file": name, "message": exc.message}]) from None
    query = select(Item).where(Item.competency_id == competency.id)
    if bank:
        bank_row = session.scalar(select(ItemBank).where(ItemBank.name == bank))
        if bank_row is None:
            raise NotFound(N_("no bank {bank}"), field="bank", values={"bank": repr(bank)})
        query = query.where(Item.bank_id == bank_row.id)
    by_code: dict[str, list[Item]] = {}
    for item in session.scalars(query):
        by_code.setdefault(item.code, []).append(item)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    problems, rows, ses = [], {}, {}
    for k, (code, values) in enumerate(zip(found.items, found.params)):
        row = _row(k)
        matches = by_code.get(code, [])
        if not matches:
            where = {"file": name, "row": row, "field": "item"}
            problems.append(
                found_problem(N_("no item {code} of competency {competency} in bank {bank}"),
                              {"code": repr(code), "competency": competency.code, "bank": repr(bank)}, **where)
                if bank else found_problem(N_("no item {code} of competency {competency}"),
                                           {"code": repr(code), "competency": competency.code}, **where))
            continue
        if len(matches) > 1:
            problems.append(found_problem(N_("item code {code} is used in {n_banks} banks; name the bank"),
                                          {"code": repr(code), "n_banks": len(matches)},
                                          file=name, row=row, field="item"))
            continue
        values = [float(v) for v in values if not np.isnan(v)]
        try:
            rows[matches[0].id] = check_row(found.model, values, f"item {code}")
        except Invalid as exc:
            problems.append({"file": name, "row": row, "field": "params", "message": exc.message})
            continue
        ses[matches[0].id] = _se_row(frame.iloc[k], len(values), found.model, name, row, problems)
    if problems:
        raise Invalid(N_("{name}: {n_problems} problem(s); nothing was stored"), problems=problems,
                      values={"name": name, "n_problems": len(problems)})
    parameter_set = record_parameter_set(session, competency, found.model, rows, label=label or f"Imported from {name}",
                                         source=f"imported from {name}", activate=activate, actor=actor)
    for item_parameter in parameter_set.items:
        item_parameter.se = ses[item_parameter.item_id]
    session.flush()
    return parameter_set


def _se_row(record: pd.Series, width: int, model: str, name: str, row: int, problems: list) -> list | None:
    names = ["a", "b", "c", "d"] if model in ("rasch", "1pl", "2pl", "3pl", "4pl") else \
        ["a"] + [f"b{k}" for k in range(1, width)]
    out = []
    for column in (f"se_{n}" for n in names[:width]):
        text = str(record.get(column, "")).strip()
        if text.lower() in ("", "na", "nan"):
            out.append(None)
            continue
        try:
            value = float(text)
        except ValueError:
            problems.append(found_problem(N_("{text} is not a number"), {"text": repr(text)},
                                          file=name, row=row, field=column))
            return None
        if not np.isfinite(value) or value < 0:
            problems.append(found_problem(N_("a standard error must be a number of 0 or more, got {text}"),
                                          {"text": repr(text)}, file=name, row=row, field=column))
            return None
        out.append(value)
    return out if any(v is not None for v in out) else None


def export_parameters(session: Session, competency_code: str, set_id: int | None = None) -> pd.DataFrame:
    """A parameter set (default: the active one) as a PARAMS table.

    :raise NotFound: if the competency has no such set.
    """
    from piaa.psychometrics_cli import params_frame

    competency = _competency(session, competency_code)
    parameter_set = session.get(ParameterSet, set_id) if set_id else active_parameter_set(session, competency.id)
    if parameter_set is None or parameter_set.competency_id != competency.id:
        raise NotFound(N_("competency {competency_code} has no parameter set {value}"),
                       values={"competency_code": competency.code, "value": set_id or '(active)'})
    stored = session.execute(select(Item.code, ItemParameter.params, ItemParameter.se)
                             .join(Item, Item.id == ItemParameter.item_id)
                             .where(ItemParameter.parameter_set_id == parameter_set.id).order_by(Item.code)).all()
    width = max(len(p) for _, p, _ in stored)
    params = np.full((len(stored), width), np.nan)
    se = np.full((len(stored), width), np.nan)
    for j, (_, p, s) in enumerate(stored):  # rows differ in length for polytomous items
        params[j, :len(p)] = p
        if s:
            se[j, :len(s)] = [np.nan if v is None else v for v in s]
    return params_frame(parameter_set.model, [code for code, _, _ in stored], params, se)
