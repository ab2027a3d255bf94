"""Calibration runs and the psychometrician's decisions.

A run is started by ``start_calibration`` (which checks the responses before anything is
stored, so a design that cannot be calibrated is refused with its reason), queued by
``queue_calibration`` and carried out by ``calibration_job`` in the background with a
progress bar. Decisions (``activate_run``, ``decide``) are each audited with who and why.
Services take the session, raise domain errors and never commit; ``queue_calibration``
commits, as queuing a job does.
"""
from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from piaa import audit
from piaa.accounts.models import User
from piaa.calibration import analysis
from piaa.calibration.models import (DECISIONS, EXCLUDE, FAILED, FINISHED, FIXED_ANCHORS, FLAG, FREE,
                                     INCLUDE, LINKED, PROMOTE, QUEUED, RETIRE, RUNNING, SCALE_METHODS,
                                     CalibrationDecision, CalibrationRun)
from piaa.calibration.responses import GROUP_COLUMNS, ResponseSelection, scored_responses, selection_for
from piaa.clock import as_utc, now
from piaa.delivery import states
from piaa.delivery.models import Attempt
from piaa.delivery.parameters import active_parameter_set, activate_parameter_set, record_parameter_set
from piaa.errors import Conflict, Invalid, NotFound
from piaa.i18n import N_
from piaa.items.calibration_models import ItemParameter, ParameterSet
from piaa.items.models import APPROVED, OPERATIONAL, RETIRED, Competency, Item
from piaa.process_cache import ProcessCache

if TYPE_CHECKING:
    import pandas as pd  # imported where frames are built: 0.3 s of CPU at start-up

log = logging.getLogger(__name__)

CALIBRATION_JOB = "piaa.calibration.services.calibration_job"
# The arrays start_calibration checked, kept for a job that a thread of the same process runs
# (no Redis): it calibrates what was checked instead of reading and decoding the responses a
# second time (1.5-3 s at the demo's size). A worker elsewhere reads them afresh. The key has
# the run's creation time too: SQLite may give a rolled-back run's id to the next one.
_CHECKED_INPUTS = ProcessCache(ttl_s=lambda: 600.0, max_size=2)
RESCORE_JOB = "piaa.calibration.services.rescore_job"
# Least responses per item by default; a psychometrician may ask for more (never fewer
# than MIN_RESPONSES_FLOOR, below which no estimate is worth showing).
DEFAULT_MIN_RESPONSES = {"rasch": 30, "1pl": 30, "2pl": 50, "3pl": 200}
MIN_RESPONSES_FLOOR = 10
SCALE_LABELS = {FIXED_ANCHORS: N_("Fixed anchors (the active set's items keep their values)"),
                LINKED: N_("Free calibration linked to the active set (Stocking-Lord)"),
                FREE: N_("Free calibration (first calibration: these responses set the scale)")}


# --- from long-form responses to arrays ------------------------------------------------------

@dataclass
class ItemColumn:
    item_id: int
    code: str
    version: int
    state: str


def build_input(session: Session, selection: ResponseSelection,
                base: ParameterSet | None) -> tuple[analysis.CalibrationInput, list[ItemColumn]]:
    """The calibration's arrays: one row per attempt, one column per item (at its current
    version; retired items left out), with the active set's values where it has them.

    :raise Invalid: if an item has polytomous scores (the app calibrates right/wrong items).
    """
    import pandas as pd

    frame = scored_responses(session, selection)
    items = {item.id: item for item in session.scalars(
        select(Item).where(Item.id.in_(frame["item_id"].unique().tolist())))}
    if len(frame):
        current = frame["item_version"].to_numpy() == frame["item_id"].map(
            lambda i: items[i].current_version).to_numpy()
        live = frame["item_id"].map(lambda i: items[i].state != RETIRED).to_numpy(dtype=bool)
        frame = frame[current & live]
    polytomous = frame.loc[frame["max_score"] > 1, "item"].unique().tolist()
    if polytomous:
        raise Invalid(N_("these items are scored in more than two categories; calibrate them with `piaa "
                         "calibrate --model grm` and import the result: {polytomous}"),
                      field="model",
                      values={"polytomous": ', '.join(map(str, polytomous[:8]))})
    attempt_ids = pd.unique(frame["attempt"])
    item_ids = sorted(pd.unique(frame["item_id"]).tolist(), key=lambda i: items[i].code)
    rows = pd.Index(attempt_ids).get_indexer(frame["attempt"])
    cols = pd.Index(item_ids).get_indexer(frame["item_id"])
    x = np.full((len(attempt_ids), len(item_ids)), np.nan)
    omitted = np.zeros(x.shape, bool)
    x[rows, cols] = frame["score"].to_numpy(dtype=float)
    omitted[rows, cols] = frame["omitted"].to_numpy(dtype=bool)
    banked = np.full((len(item_ids), 4), np.nan)
    banked_se = np.full((len(item_ids), 4), np.nan)
    if base is not None:
        stored = {row.item_id: row for row in session.scalars(
            select(ItemParameter).where(ItemParameter.parameter_set_id == base.id,
                                        ItemParameter.item_id.in_(item_ids)))}
        for j, item_id in enumerate(item_ids):
            # A revised item is a new item to the scale: its banked values are of an earlier version.
            if item_id in stored and stored[item_id].item_version == items[item_id].current_version:
                banked[j] = stored[item_id].params
                if stored[item_id].se:
                    banked_se[j] = [np.nan if v is None else v for v in stored[item_id].se]
    first = frame.drop_duplicates("attempt")
    groups = {name: first[name].to_numpy(dtype=object) for name in GROUP_COLUMNS}
    columns = [ItemColumn(i, items[i].code, items[i].current_version, items[i].state) for i in item_ids]
    data = analysis.CalibrationInput(
        x=x, omitted=omitted, codes=[c.code for c in columns],
        roles=["operational" if c.state == OPERATIONAL else "pretest" for c in columns],
        banked=banked, banked_se=banked_se, groups=groups)
    return data, columns


# --- starting and running --------------------------------------------------------------------

def start_calibration(session: Session, competency_code: str, *, model: str, scale: str,
                      windows: list[int] | None = None, purposes: list[str] | None = None,
                      period_from: Any = None, period_to: Any = None,
                      min_responses: int | None = None, actor: User | None = None) -> CalibrationRun:
    """A new run, after checking that the chosen responses can be calibrated as asked.

    :raise Invalid: for an unknown model or scale method, a scale the competency cannot hold
        that way, or responses that cannot be calibrated (too few per item, no variance, an
        unidentified design), naming the items; nothing is stored then.
    :raise NotFound: for an unknown competency or window.
    """
    model = str(model or "").lower()
    if model not in analysis.MODELS:
        raise Invalid(N_("model must be one of {models}, got {model}"), field="model",
                      values={"models": ', '.join(analysis.MODELS), "model": repr(model)})
    if scale not in SCALE_METHODS:
        raise Invalid(N_("scale must be one of {scale_methods}, got {scale}"), field="scale",
                      values={"scale_methods": ', '.join(SCALE_METHODS), "scale": repr(scale)})
    selection = selection_for(session, competency_code, windows=windows, purposes=purposes,
                              period_from=period_from, period_to=period_to)
    base = active_parameter_set(session, selection.competency_id)
    if base is None and scale != FREE:
        raise Invalid(N_("competency {competency_code} has no active parameter set to hold the scale; its "
                         "first calibration is a free one"), field="scale",
                      values={"competency_code": competency_code})
    if base is not None and scale == FREE:
        raise Invalid(N_("the active parameter set {base_id} holds competency {competency_code}'s scale; "
                         "calibrate with fixed anchors or link to it"), field="scale",
                      values={"base_id": base.id, "competency_code": competency_code})
    least = DEFAULT_MIN_RESPONSES[model] if min_responses in (None, "") else int(min_responses)
    if least < MIN_RESPONSES_FLOOR:
        raise Invalid(N_("at least {min_responses_floor} responses per item are needed, got {least}"),
                      field="min_responses",
                      values={"min_responses_floor": MIN_RESPONSES_FLOOR, "least": least})
    data, columns = build_input(session, selection, base)
    try:
        analysis.check_design(data, model, scale, least)
    except analysis.DesignError as exc:
        raise Invalid(str(exc), field="responses") from None
    run = CalibrationRun(competency_id=selection.competency_id, model=model, scale=scale,
                         selection=selection.to_json(), base_set_id=base.id if base else None,
                         min_responses=least, state=QUEUED, created_at=now(),
                         created_by_id=actor.id if actor else None)
    session.add(run)
    session.flush()
    if not current_app.config.get("PIAA_REDIS_URL"):
        _CHECKED_INPUTS.put(_input_key(run), (data, columns))
    audit.record(session, "calibration.started", actor=actor, subject_type="calibration_run",
                 subject_id=run.id, data={"competency": competency_code, "model": model, "scale": scale,
                                          "selection": run.selection, "attempts": int(data.x.shape[0]),
                                          "items": int(data.x.shape[1])})
    return run


def _input_key(run: CalibrationRun) -> tuple:
    return run.id, as_utc(run.created_at).isoformat()


def _input_of(session: Session, run: CalibrationRun) -> tuple[analysis.CalibrationInput, list[ItemColumn]]:
    """The arrays checked when the run started, if this process kept them; else read anew."""
    key = _input_key(run)
    kept = _CHECKED_INPUTS.get(key)
    if kept is not None:
        _CHECKED_INPUTS.pop(key)
        return kept
    base = session.get(ParameterSet, run.base_set_id) if run.base_set_id else None
    return build_input(session, ResponseSelection.from_json(run.competency_id, run.selection), base)


def queue_calibration(session: Session, run: CalibrationRun) -> str:
    """Commit the run and queue its job; returns the job id (kept on the run)."""
    from piaa import jobs

    job_id = jobs.enqueue(CALIBRATION_JOB, created_by=run.created_by_id, run_id=run.id)
    run = session.get(CalibrationRun, run.id)
    if run.job_id is None:
        run.job_id = job_id
    session.commit()
    return job_id


def calibration_job(run_id: int) -> dict:
    """The background job: calibrate, analyse, store every figure on the run."""
    from piaa import jobs
    from piaa.extensions import db

    session = db.session
    run = session.get(CalibrationRun, run_id)
    if run is None:
        return {"ok": False, "error": f"no calibration run {run_id}"}
    run.state = RUNNING
    session.commit()
    started = time.perf_counter()
    try:
        data, columns = _input_of(session, run)
        results = analysis.calibrate(data, run.model, run.scale, min_responses=run.min_responses,
                                     progress=jobs.report_progress)
    except (analysis.DesignError, Invalid) as exc:
        session.rollback()
        return _failed(session, run_id, str(getattr(exc, "message", exc)))
    except Exception as exc:
        session.rollback()
        _failed(session, run_id, f"the calibration failed: {exc}")
        raise
    for entry, column in zip(results["items"], columns):
        entry.update(item_id=column.item_id, version=column.version)
    run = session.get(CalibrationRun, run_id)
    run.results, run.state = results, FINISHED
    run.duration_s, run.finished_at = time.perf_counter() - started, now()
    audit.record(session, "calibration.finished", actor=None, subject_type="calibration_run", subject_id=run.id,
                 data={"attempts": results["n_attempts"], "items": results["n_items"],
                       "converged": results["converged"], "seconds": round(run.duration_s, 3)})
    session.commit()
    return {"ok": True, "run": run.id}


def _failed(session: Session, run_id: int, message: str) -> dict:
    run = session.get(CalibrationRun, run_id)
    run.state, run.error, run.finished_at = FAILED, message, now()
    audit.record(session, "calibration.failed", actor=None, subject_type="calibration_run",
                 subject_id=run.id, data={"error": message})
    session.commit()
    return {"ok": False, "error": message}


def get_run(session: Session, run_id: int) -> CalibrationRun:
    """:raise NotFound: if there is no such run."""
    run = session.get(CalibrationRun, run_id)
    if run is None:
        raise NotFound(N_("no calibration run {run_id}"), values={"run_id": run_id})
    return run


def runs_of(session: Session, competency_id: int | None = None, limit: int = 50) -> list[CalibrationRun]:
    query = select(CalibrationRun).order_by(CalibrationRun.id.desc()).limit(limit)
    if competency_id is not None:
        query = query.where(CalibrationRun.competency_id == competency_id)
    return list(session.scalars(query))


def job_progress(run: CalibrationRun) -> dict:
    """State of the run's job for the progress bar: done of total (per cent)."""
    from piaa.jobs import job_status

    job = job_status(run.job_id) if run.job_id else None
    done, total = (job.done, job.total) if job is not None else (0, None)
    if run.state == FINISHED:
        done, total = 100, 100
    return {"state": run.state, "done": done or 0, "total": total or 100, "error": run.error}


# --- decisions -------------------------------------------------------------------------------

def _finished(run: CalibrationRun) -> None:
    if run.state != FINISHED or not run.results:
        raise Conflict(N_("calibration run {run_id} is {run_state}; decisions wait for its results"), field="run",
                       values={"run_id": run.id, "run_state": run.state})


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise Invalid(N_("say why: every decision is recorded with its reason"), field="reason")
    return text


def decisions_of(session: Session, run: CalibrationRun) -> list[CalibrationDecision]:
    return list(session.scalars(select(CalibrationDecision).where(CalibrationDecision.run_id == run.id)
                                .order_by(CalibrationDecision.id)))


def excluded_items(session: Session, run: CalibrationRun) -> set[int]:
    """Items the psychometrician keeps out of scoring (the latest of exclude / include)."""
    latest: dict[int, str] = {}
    for decision in decisions_of(session, run):
        if decision.action in (EXCLUDE, INCLUDE):
            latest[decision.item_id] = decision.action
    return {item_id for item_id, action in latest.items() if action == EXCLUDE}


def _set_rows(session: Session, run: CalibrationRun) -> tuple[dict[int, list], dict[int, list]]:
    """Parameters (and SEs) of the run's items that will score: excluded and retired
    items left out; anchors keep their banked SEs."""
    out = excluded_items(session, run)
    states_now = dict(session.execute(select(Item.id, Item.state).where(
        Item.id.in_([e["item_id"] for e in run.results["items"]]))).all())
    rows, ses = {}, {}
    for entry in run.results["items"]:
        item_id = entry["item_id"]
        if item_id in out or states_now.get(item_id) == RETIRED:
            continue
        rows[item_id] = entry["params"]
        ses[item_id] = entry["se"]
    return rows, ses


def _record_set(session: Session, run: CalibrationRun, actor: User | None, label: str) -> ParameterSet:
    rows, ses = _set_rows(session, run)
    if not rows:
        raise Conflict(N_("every item of the run is excluded or retired; nothing to activate"), field="run")
    competency = session.get(Competency, run.competency_id)
    parameter_set = record_parameter_set(session, competency, run.model, rows, label=label,
                                         source=f"calibration run {run.id}", activate=False, actor=actor)
    for row in parameter_set.items:
        row.se = [v if v is not None and np.isfinite(v) else None for v in ses[row.item_id]]
    if run.scale == FIXED_ANCHORS and run.base_set_id:
        banked = {r.item_id: r.se for r in session.scalars(
            select(ItemParameter).where(ItemParameter.parameter_set_id == run.base_set_id))}
        for row in parameter_set.items:
            if row.item_id in banked and all(v is None for v in row.se):
                row.se = banked[row.item_id]
    session.flush()
    activate_parameter_set(session, parameter_set, actor=actor)
    run.parameter_set_id = parameter_set.id
    return parameter_set


def activate_run(session: Session, run: CalibrationRun, *, actor: User | None, reason: str,
                 rescore_windows: list[int] | None = None) -> ParameterSet:
    """Record the run's parameters (less the items kept out of scoring and retired ones) as a
    parameter set and make it the competency's active set, so scoring and adaptive
    selection use it; optionally rescore the scored attempts of ``rescore_windows`` (in the
    background, after the commit).

    :raise Conflict: if the run has no results, or was activated already.
    :raise Invalid: without a reason.
    """
    _finished(run)
    reason = _reason(reason)
    if run.parameter_set_id is not None:
        raise Conflict(N_("calibration run {run_id} was activated already (parameter set {parameter_set_id})"),
                       field="run",
                       values={"run_id": run.id, "parameter_set_id": run.parameter_set_id})
    parameter_set = _record_set(session, run, actor, label=f"Calibration run {run.id} ({run.model}, {run.scale})")
    attempt_ids = _attempts_in_windows(session, run.competency_id, rescore_windows or [])
    audit.record(session, "calibration.activated", actor=actor, subject_type="calibration_run", subject_id=run.id,
                 data={"parameter_set": parameter_set.id, "reason": reason, "items": len(parameter_set.items),
                       "excluded": sorted(excluded_items(session, run)),
                       "rescore_windows": sorted(rescore_windows or []), "rescore_attempts": len(attempt_ids)})
    if attempt_ids:
        from piaa.jobs import enqueue_after_commit

        enqueue_after_commit(session, RESCORE_JOB, created_by=actor.id if actor else None,
                             attempt_ids=attempt_ids, actor_id=actor.id if actor else None,
                             reason=f"recalibration (run {run.id}): {reason}")
    return parameter_set


def _attempts_in_windows(session: Session, competency_id: int, window_ids: list[int]) -> list[int]:
    if not window_ids:
        return []
    from piaa.delivery.models import Assessment

    return list(session.scalars(select(Attempt.id).join(Assessment, Assessment.id == Attempt.assessment_id)
                                .where(Attempt.window_id.in_([int(w) for w in window_ids]),
                                       Assessment.competency_id == competency_id,
                                       Attempt.state == states.SCORED).order_by(Attempt.id)))


def rescore_job(attempt_ids: list[int], actor_id: int | None, reason: str) -> dict:
    """Rescore the attempts with the active parameter set (each one audited by scoring)."""
    from piaa import jobs
    from piaa.delivery.scoring import rescore
    from piaa.extensions import db

    done = 0
    for done, attempt_id in enumerate(attempt_ids, start=1):  # one attempt's rows at a time
        attempt = db.session.get(Attempt, attempt_id)
        if attempt is not None and attempt.state == states.SCORED:
            rescore(db.session, attempt, actor=actor_id, reason=reason)
        jobs.report_progress(done, len(attempt_ids))
    db.session.commit()
    return {"rescored": done}


def decide(session: Session, run: CalibrationRun, item_id: int, action: str, *, actor: User | None,
           reason: str) -> CalibrationDecision:
    """One decision on one item of the run, with its reason:

    * ``flag``: mark the item for a closer look (no effect on delivery);
    * ``exclude`` / ``include``: keep the item out of scoring (typically C-class DIF) or
      take it back; if the run's set is active, a new set without (with) it is activated;
    * ``promote``: a calibrated pretest item becomes operational;
    * ``retire``: the item is no longer delivered.

    :raise Invalid: for an unknown action or without a reason.
    :raise NotFound: if the item is not one the run calibrated.
    :raise Conflict: if the run has no results, or the item's state does not allow the move.
    """
    from piaa.items.services import promote_item, retire_item

    _finished(run)
    if action not in DECISIONS:
        raise Invalid(N_("action must be one of {decisions}, got {action}"), field="action",
                      values={"decisions": ', '.join(DECISIONS), "action": repr(action)})
    reason = _reason(reason)
    entry = next((e for e in run.results["items"] if e["item_id"] == int(item_id)), None)
    if entry is None:
        raise NotFound(N_("item {item_id} is not among the items of calibration run {run_id}"),
                       values={"item_id": item_id, "run_id": run.id})
    item = session.get(Item, int(item_id))
    if action == PROMOTE:
        if item.state != APPROVED:
            raise Conflict(N_("item {item_code} is {item_state}; only pretest (approved) items are promoted"),
                           field="state",
                           values={"item_code": item.code, "item_state": item.state})
        promote_item(session, item, actor=actor)
    elif action == RETIRE:
        retire_item(session, item, actor=actor, reason=reason)
    decision = CalibrationDecision(run_id=run.id, item_id=item.id, action=action, reason=reason,
                                   actor_id=actor.id if actor else None, at=now())
    session.add(decision)
    session.flush()
    data: dict[str, Any] = {"run": run.id, "code": item.code, "reason": reason}
    if action in (EXCLUDE, INCLUDE, RETIRE) and _run_set_active(session, run):
        data["parameter_set"] = _record_set(session, run, actor,
                                            label=f"Calibration run {run.id}, after {action} of {item.code}").id
    audit.record(session, f"calibration.{action}", actor=actor, subject_type="item", subject_id=item.id, data=data)
    return decision


def _run_set_active(session: Session, run: CalibrationRun) -> bool:
    if run.parameter_set_id is None:
        return False
    active = active_parameter_set(session, run.competency_id)
    return active is not None and active.id == run.parameter_set_id


# --- results as tables -------------------------------------------------------------------------

PARAM_NAMES = ("a", "b", "c", "d")


def result_tables(session: Session, run: CalibrationRun) -> dict[str, pd.DataFrame]:
    """Every figure of the run as tables: summary, items, dif (long), drift."""
    import pandas as pd

    _finished(run)
    r = run.results
    out = excluded_items(session, run)
    flags = {d.item_id for d in decisions_of(session, run) if d.action == FLAG}
    summary = {"run": run.id, "competency": run.competency.code, "model": run.model, "scale": run.scale,
               "attempts": r["n_attempts"], "responses": r["n_responses"], "items": r["n_items"],
               "loglik": r["loglik"], "em_cycles": r["n_iter"], "converged": r["converged"],
               "latent_mean": r["latent"]["mean"], "latent_sd": r["latent"]["sd"],
               "marginal_reliability": r["reliability"]["marginal"],
               "empirical_reliability": r["reliability"]["empirical"], "seconds": run.duration_s}
    if r.get("linking"):
        summary.update({f"linking_{k}": v for k, v in r["linking"].items()})
    items, dif, drift = [], [], []
    for e in r["items"]:
        row = {"item": e["code"], "item_id": e["item_id"], "version": e["version"], "role": e["role"],
               "n": e["n"], "p": e["p"], "point_biserial": e["pbis"], "omit_rate": e["omit_rate"]}
        row.update({name: e["params"][k] for k, name in enumerate(PARAM_NAMES)})
        row.update({f"se_{name}": e["se"][k] for k, name in enumerate(PARAM_NAMES)})
        row.update({"sx2": e["fit"]["statistic"], "sx2_df": e["fit"]["df"], "sx2_p": e["fit"]["p_value"],
                    "rmsea": e["fit"]["rmsea"], "misfit": e["fit"]["flagged"],
                    "worst_dif": worst_dif(e), "flagged": e["item_id"] in flags,
                    "excluded": e["item_id"] in out})
        items.append(row)
        for d in e["dif"]:
            dif.append({"item": e["code"], **d})
        if e["drift"]:
            drift.append({"item": e["code"], "banked_a": e["banked"][0], "banked_b": e["banked"][1], **e["drift"]})
    return {"summary": pd.DataFrame([summary]), "items": pd.DataFrame(items), "dif": pd.DataFrame(dif),
            "drift": pd.DataFrame(drift)}


def worst_dif(entry: dict) -> str | None:
    """The most severe ETS class of the item over every comparison (A < B < C)."""
    classes = [d["mh_class"] for d in entry["dif"] if d["mh_class"]]
    return max(classes) if classes else None


RESULT_FORMATS = {"csv": "text/csv",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def result_bytes(session: Session, run: CalibrationRun, fmt: str) -> bytes:
    """CSV (the items table, DIF classes per comparison as columns) or XLSX (a sheet per table).

    :raise Invalid: for another format.
    """
    import pandas as pd

    if fmt not in RESULT_FORMATS:
        raise Invalid(N_("format must be csv or xlsx, got {fmt}"), field="format", values={"fmt": repr(fmt)})
    tables = result_tables(session, run)
    out = io.BytesIO()
    if fmt == "csv":
        items = tables["items"]
        if len(tables["dif"]):
            wide = tables["dif"].pivot_table(index="item", columns="comparison",
                                             values=["mh_delta", "mh_class", "lr_delta_r2", "lr_class"],
                                             aggfunc="first")
            wide.columns = [f"{value} [{comparison}]" for value, comparison in wide.columns]
            items = items.merge(wide, left_on="item", right_index=True, how="left")
        if len(tables["drift"]):
            items = items.merge(tables["drift"][["item", "delta_a", "delta_b", "se_b", "flagged"]]
                                .rename(columns={"flagged": "drift_flagged", "se_b": "drift_se_b"}),
                                on="item", how="left")
        items.to_csv(out, index=False, float_format="%.6g")
    else:
        with pd.ExcelWriter(out, engine="openpyxl") as writer:
            for name, table in tables.items():
                table.to_excel(writer, sheet_name=name, index=False)
    return out.getvalue()
