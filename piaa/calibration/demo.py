"""Demo step: the measurement loop, run once on the sample bank of data-informed decision
making (``FN-DATADEC``), with the app's own services, so a new user finds a calibrated
scale, decisions on items, cut scores from a standard setting and an adaptive assessment.

1. A field trial: simulated officials (with the optional attributes DIF reads) sit a LOFT
   form of 30 items in a window that closed months ago (``simulated_history``: the rows
   delivery and scoring write). One item is planted with DIF against one gender.
2. The first calibration, free (these responses set the scale), run by the app's job and
   activated by the demo psychometrician; items with C-class DIF are kept out of scoring.
3. An author of the bank's agency revises a few items (options put in another order: a new
   version each), a reviewer approves them: they are pretest items now.
4. A second round of the field trial seeds three pretest items in every sitting.
5. The second calibration holds the scale with the active set's items as fixed anchors and
   puts the pretest items on it; it is activated, and each pretest item is promoted or left
   as pretest as its results say (slope, item-rest correlation, fit, DIF).
6. The certification assessment ``DEMO-FN-DATADEC`` is adaptive on the calibrated bank,
   and a simulated bookmark panel sets its θ cuts (``piaa.standard_setting.demo``).
7. The psychometrician runs its bank-readiness check with an exposure cap, which stores the
   Sympson–Hetter parameters delivery uses (``piaa.delivery.readiness``).

Every step looks for its own result first, so a second run adds nothing.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from piaa.accounts.models import AUTHOR, PSYCHOMETRICIAN, REVIEWER, User
from piaa.calibration import services, simulated_history
from piaa.calibration.models import EXCLUDE, FINISHED, FIXED_ANCHORS, FREE, PROMOTE, CalibrationRun
from piaa.clock import now
from piaa.delivery import assessments as assessment_service
from piaa.delivery.models import LOFT, Assessment, Attempt, Cohort, Window
from piaa.errors import Conflict
from piaa.items.models import APPROVED, OPERATIONAL, Competency, Item, ItemBank

COMPETENCY = "FN-DATADEC"
PILOT_CODE = f"PILOT-{COMPETENCY}"
PILOT_COHORT = "Field-trial officials (demo)"
ROUNDS = (  # window name, officials, days before now it opened and closed
    ("Field trial, round 1", 1200, 150, 130),
    ("Field trial, round 2", 600, 110, 95),
)
ITEMS_PER_LEVEL = 6
PRETEST_PER_SITTING = 3
REVISED_ITEMS = 8
# Of the revised items, how many came out worse than written (a weak true slope), so the
# second calibration has reasons to leave some of them as pretest.
WEAK_REVISIONS = 2
DIF_SHIFT = ("gender", "male", 1.3)  # planted DIF: one item 1.3 logits harder for men
SEED = 2026
# The demo's exposure cap and the simulees of its readiness check: 1,000 settle the
# Sympson–Hetter parameters in about 10 s of CPU (3,000, the page's default, take 3x longer).
DEMO_MAX_EXPOSURE = 0.3
READINESS_EXAMINEES = 1000
# What a pretest item needs to be promoted.
PROMOTE_MIN_SLOPE = 0.5
PROMOTE_MIN_ITEM_REST = 0.15


@dataclass
class LoopSummary:
    """What the loop did in this run (empty lists: the step was done already)."""

    sittings: int = 0
    runs: list[dict] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    promoted: list[str] = field(default_factory=list)
    left_pretest: list[str] = field(default_factory=list)
    cuts: list[float] | None = None
    readiness: dict | None = None


def _user(users: list[User], role: str, organisation: str | None = None) -> User:
    for user in users:
        if user.role == role and (organisation is None or (user.organisation and user.organisation.name == organisation)):
            return user
    raise Conflict(f"the demo has no {role} account{f' of {organisation}' if organisation else ''}", field="users")


def truth(session: Session, competency_id: int) -> dict[int, list[float]]:
    """The simulated officials' true 2PL parameters of every item of the competency, the same
    on every run: difficulty follows the item's level tag (0.8 logit a level), slopes
    lognormal around 1; each item's draws are seeded by its code."""
    rows = session.execute(select(Item.id, Item.code, Item.level).where(Item.competency_id == competency_id)).all()
    out = {}
    for item_id, code, level in rows:
        seed = int.from_bytes(hashlib.sha256(f"{SEED}:{code}".encode()).digest()[:8], "little")
        rng = np.random.default_rng(seed)
        out[item_id] = [float(np.exp(rng.normal(0.0, 0.25))), (level - 3) * 0.8 + float(rng.normal(0.0, 0.3)), 0.0, 1.0]
    return out


# --- the field trial ---------------------------------------------------------------------------

def _pilot(session: Session, bank: ItemBank, actor: User) -> Assessment:
    found = session.scalar(select(Assessment).where(Assessment.code == PILOT_CODE))
    if found is not None:
        return found
    competency = session.scalar(select(Competency).where(Competency.code == COMPETENCY))
    return assessment_service.create_assessment(
        session, code=PILOT_CODE, title=f"{competency.name}: field trial", competency=COMPETENCY,
        purpose="certification", mode=LOFT, time_limit_s=45 * 60, bank=bank, languages=bank.languages,
        blueprint={"cells": [{"level": level, "sub_area": None, "count": ITEMS_PER_LEVEL} for level in range(1, 6)],
                   "tolerance": 0},
        cut_scores=[-2.0, -1.0, 0.0, 1.0, 2.0], pretest_count=PRETEST_PER_SITTING, actor=actor)


def _round_window(session: Session, pilot: Assessment, index: int) -> Window:
    name, _, opened, closed = ROUNDS[index]
    found = session.scalar(select(Window).where(Window.assessment_id == pilot.id, Window.name == name))
    if found is not None:
        return found
    cohort = session.scalar(select(Cohort).where(Cohort.name == PILOT_COHORT)) \
        or assessment_service.create_cohort(session, name=PILOT_COHORT, course="Field trial of the bank")
    at = now()
    window = assessment_service.create_window(session, assessment=pilot, cohort=cohort,
                                              opens_at=at - timedelta(days=opened),
                                              closes_at=at - timedelta(days=closed), max_attempts=1)
    window.name = name
    return window


def _sat(session: Session, window: Window) -> int:
    return session.scalar(select(func.count()).select_from(Attempt).where(Attempt.window_id == window.id)) or 0


def _sit_round(session: Session, pilot: Assessment, index: int, true_params: dict, rng: np.random.Generator,
               dif: dict | None = None) -> tuple[Window, int]:
    window = _round_window(session, pilot, index)
    if _sat(session, window):
        return window, 0
    n = ROUNDS[index][1]
    users = simulated_history.add_officials(session, window.cohort, n, rng, prefix="trial")
    simulated_history.sit(session, window, users, true_params=true_params, rng=rng, dif=dif,
                          at=window.closes_at - timedelta(days=1))
    return window, n


# --- calibrations and decisions ------------------------------------------------------------------

def _activated_run(session: Session, competency_id: int, scale: str) -> CalibrationRun | None:
    return session.scalar(select(CalibrationRun).where(
        CalibrationRun.competency_id == competency_id, CalibrationRun.scale == scale,
        CalibrationRun.parameter_set_id.is_not(None)).order_by(CalibrationRun.id.desc()).limit(1))


def calibrate(session: Session, windows: list[Window], scale: str, actor: User) -> CalibrationRun:
    """Start a 2PL calibration of the windows' responses as the psychometrician's page does,
    let the app's job run it and return the finished run.

    :raise Conflict: if the job failed.
    """
    from piaa import jobs

    run = services.start_calibration(session, COMPETENCY, model="2pl", scale=scale,
                                     windows=[w.id for w in windows], actor=actor)
    run_id = run.id
    job_id = services.queue_calibration(session, run)  # commits, as queuing a job does
    job = jobs.job_status(job_id)
    if job is not None and job.backend == "rq" and job.state not in (jobs.FINISHED, jobs.FAILED):
        from flask import current_app

        jobs.run_worker(current_app._get_current_object(), burst=True)  # no worker need be running
    jobs.wait(job_id, timeout=600)
    session.expire_all()
    run = services.get_run(session, run_id)
    if run.state != FINISHED:
        raise Conflict(f"calibration run {run.id} {run.state}: {run.error}", field="run")
    return run


def _exclude_c_dif(session: Session, run: CalibrationRun, actor: User) -> list[str]:
    """Keep every item with C-class DIF out of scoring, with the reason."""
    excluded = []
    for entry in run.results["items"]:
        if services.worst_dif(entry) == "C":
            comparisons = ", ".join(d["comparison"] for d in entry["dif"] if d["mh_class"] == "C")
            services.decide(session, run, entry["item_id"], EXCLUDE, actor=actor,
                            reason=f"C-class DIF (Mantel-Haenszel) in {comparisons}: kept out of scoring "
                                   "until the item is reviewed")
            excluded.append(entry["code"])
    return excluded


def _pretest_verdicts(session: Session, run: CalibrationRun, actor: User) -> tuple[list[str], list[str]]:
    """Promote each calibrated pretest item whose results hold up; flag the others with why."""
    promoted, left = [], []
    states_now = dict(session.execute(select(Item.id, Item.state).where(
        Item.id.in_([e["item_id"] for e in run.results["items"]]))).all())
    for entry in run.results["items"]:
        if states_now.get(entry["item_id"]) != APPROVED:
            continue
        a, r = entry["params"][0], entry["pbis"]
        problems = []
        if not (a is not None and a >= PROMOTE_MIN_SLOPE):
            problems.append(f"slope {a:.2f} below {PROMOTE_MIN_SLOPE}")
        if not (r is not None and r >= PROMOTE_MIN_ITEM_REST):
            problems.append(f"item-rest correlation {r:.2f} below {PROMOTE_MIN_ITEM_REST}")
        if entry["fit"]["flagged"]:
            problems.append("S-X² misfit")
        if services.worst_dif(entry) == "C":
            problems.append("C-class DIF")
        if problems:
            services.decide(session, run, entry["item_id"], "flag", actor=actor,
                            reason="Left as pretest: " + "; ".join(problems) + ".")
            left.append(entry["code"])
        else:
            services.decide(session, run, entry["item_id"], PROMOTE, actor=actor,
                            reason=f"Calibrated on the anchored scale with slope {a:.2f}, item-rest "
                                   f"correlation {r:.2f}, no misfit and no C-class DIF.")
            promoted.append(entry["code"])
    return promoted, left


def _revise_for_pretest(session: Session, bank: ItemBank, competency_id: int, excluded: set[int],
                        author: User, reviewer: User, rng: np.random.Generator) -> list[Item]:
    """A few single-choice items get their options in another order (a new version each),
    through the author's edit and a reviewer's approval: pretest items, as any new version."""
    from piaa.items import services as items

    candidates = list(session.scalars(select(Item).where(
        Item.bank_id == bank.id, Item.competency_id == competency_id, Item.state == OPERATIONAL,
        Item.type == "single_choice", Item.level.between(2, 4)).order_by(Item.code)))
    candidates = [i for i in candidates if i.id not in excluded]
    chosen = [candidates[k] for k in sorted(rng.choice(len(candidates), REVISED_ITEMS, replace=False))]
    for item in chosen:
        content = items.item_to_bank_json(item)
        content["options"] = list(reversed(content["options"]))
        fields = {k: v for k, v in content.items() if k not in ("id", "type", "competency", "level", "sub_area")}
        items.update_item(session, item, content=fields, actor=author)
        items.submit_item(session, item, actor=author)
        items.review_item(session, item, reviewer=reviewer, decision="approve",
                          comments="Options in a more natural order; pretest the new version.")
    return chosen


# --- the whole loop ------------------------------------------------------------------------------

def run_measurement_loop(session: Session, users: list[User], echo: Callable[[str], None] = print,
                         step: Callable[[str], None] = lambda _: None) -> LoopSummary:
    """Run (or finish) the demo's measurement loop; see the module's docstring.

    ``step(label)`` is called as each of the loop's steps begins (a progress bar).
    """
    from piaa.delivery.demo import adaptive_assessment

    summary = LoopSummary()
    competency = session.scalar(select(Competency).where(Competency.code == COMPETENCY))
    bank = session.scalar(select(ItemBank).join(Item, Item.bank_id == ItemBank.id)
                          .where(Item.competency_id == competency.id).limit(1)) if competency else None
    if bank is None:
        echo(f"measurement loop: no sample bank of {COMPETENCY}; skipped")
        return summary
    psychometrician = _user(users, PSYCHOMETRICIAN)
    rng = np.random.default_rng(SEED)
    true_params = truth(session, competency.id)

    step("field trial, round 1")
    pilot = _pilot(session, bank, psychometrician)
    middle = list(session.scalars(select(Item.id).where(Item.competency_id == competency.id, Item.level == 3)
                                  .order_by(Item.code)))
    dif_item = middle[len(middle) // 2]
    first, n = _sit_round(session, pilot, 0, true_params, rng, dif={dif_item: DIF_SHIFT})
    summary.sittings += n

    step("first calibration (free)")
    run = _activated_run(session, competency.id, FREE)
    if run is None:
        run = calibrate(session, [first], FREE, psychometrician)
        services.activate_run(session, run, actor=psychometrician,
                              reason="First calibration of the field trial: these responses set the scale.")
        summary.excluded += _exclude_c_dif(session, run, psychometrician)
        summary.runs.append(_described(run))
    excluded = services.excluded_items(session, run)

    step("revised items to pretest")
    second = _round_window(session, pilot, 1)
    if not _sat(session, second):
        author = _user(users, AUTHOR, bank.organisation.name if bank.organisation else None)
        reviewer = _user(users, REVIEWER, bank.organisation.name if bank.organisation else None)
        revised = _revise_for_pretest(session, bank, competency.id, excluded, author, reviewer, rng)
        for item in revised[:WEAK_REVISIONS]:  # reordered options that confuse: the item discriminates less
            true_params[item.id] = [0.25, true_params[item.id][1] + 0.5, 0.0, 1.0]

    step("field trial, round 2 (with pretest items)")
    second, n = _sit_round(session, pilot, 1, true_params, rng, dif={dif_item: DIF_SHIFT})
    summary.sittings += n

    step("second calibration (fixed anchors)")
    if _activated_run(session, competency.id, FIXED_ANCHORS) is None:
        run = calibrate(session, [first, second], FIXED_ANCHORS, psychometrician)
        services.activate_run(session, run, actor=psychometrician,
                              reason="The field trial's second round on the active scale, pretest items included.")
        summary.excluded += _exclude_c_dif(session, run, psychometrician)
        summary.promoted, summary.left_pretest = _pretest_verdicts(session, run, psychometrician)
        summary.runs.append(_described(run))

    step("adaptive assessment and bookmark standard setting")
    from piaa.standard_setting import demo as standard_setting_demo

    assessment = adaptive_assessment(session, bank, competency, echo)
    if standard_setting_demo.applied_setting(session, assessment) is None:
        standard_setting_demo.simulated_bookmark_setting(session, assessment, actor=psychometrician,
                                                         rng=np.random.default_rng(SEED))
        summary.cuts = list(assessment.cut_scores)

    step("bank-readiness check with exposure control")
    if assessment.exposure_control is None:
        from piaa.delivery import readiness

        readiness.set_adaptive_policy(session, assessment, max_exposure=DEMO_MAX_EXPOSURE, actor=psychometrician)
        check = readiness.check_bank_readiness(session, assessment, examinees=READINESS_EXAMINEES,
                                               actor=psychometrician)
        summary.readiness = {**check, "examinees": READINESS_EXAMINEES}
        session.commit()
    return summary


def _described(run: CalibrationRun) -> dict:
    r = run.results
    return {"run": run.id, "scale": run.scale, "attempts": r["n_attempts"], "responses": r["n_responses"],
            "items": r["n_items"], "converged": r["converged"], "reliability": r["reliability"]["marginal"],
            "seconds": run.duration_s}
