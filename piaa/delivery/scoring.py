"""Scoring an attempt: EAP θ with its standard error from operational items only, the level
from the assessment's cut scores, and a clearly labelled classical score before any
calibration exists. Every scoring is a new ``AttemptScore`` row naming the parameter set
used; rescoring after a recalibration is a recorded action with its reason, never a silent
overwrite.

Items administered but not answered count as wrong (category 0), so skipping a hard item
never helps; pretest items never count.
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from piaa import audit
from piaa.clock import now
from piaa.delivery import states
from piaa.delivery.forms import version_views
from piaa.delivery.models import CLASSICAL, EAP, Attempt, AttemptItem, AttemptScore
from piaa.delivery.parameters import active_parameter_set, parameter_rows, stack_rows
from piaa.errors import Conflict, Invalid
from piaa.items.types import get_item_type
from piaa.psychometrics.estimation import estimate_ability

log = logging.getLogger(__name__)


def level_from_cuts(value: float | None, cuts: list[float] | None) -> int | None:
    """The highest level whose cut ``value`` reaches (cuts ascend, one per level 1..5);
    None below level 1 or without cuts."""
    if value is None or not cuts:
        return None
    reached = int(np.searchsorted(np.asarray(cuts, dtype=float), value, side="right"))
    return reached or None


def score_rows(session: Session, attempt: Attempt) -> list[AttemptItem]:
    """Credit and IRT category of every scored (operational) row, stored on the rows."""
    rows = list(session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id,
                                                          AttemptItem.scored.is_(True))
                                .order_by(AttemptItem.position)))
    # One read of the versions (or none: frozen versions are cached), and no flush per row.
    versions = version_views(session, [row.version_id for row in rows])
    for row in rows:
        version = versions[row.version_id]
        kind = get_item_type(version.item_type)
        try:
            score = kind.score(version.content, row.answer)
        except Invalid:
            # An answer stored under an earlier version's shape: it earns nothing, visibly.
            log.warning("attempt %s position %s: stored answer no longer fits; scored 0",
                        attempt.id, row.position)
            score = kind.score(version.content, None)
        row.credit, row.max_credit, row.category = score.credit, score.max_credit, score.category
    session.flush()
    return rows


def score_attempt(session: Session, attempt: Attempt, *, actor: Any = None,
                  reason: str | None = None) -> AttemptScore:
    """Score the attempt now and record it as its newest score."""
    assessment = attempt.assessment
    rows = score_rows(session, attempt)
    raw = float(sum(r.credit for r in rows))
    top = float(sum(r.max_credit for r in rows))
    parameter_set = active_parameter_set(session, assessment.competency_id)
    params = parameter_rows(session, parameter_set, [r.item_id for r in rows]) if parameter_set else {}
    calibrated = [r for r in rows if r.item_id in params]
    theta = se = None
    if calibrated:
        method = EAP
        x = np.array([[r.category for r in calibrated]], dtype=float)
        estimate = estimate_ability(x, stack_rows(parameter_set.model, [params[r.item_id] for r in calibrated]),
                                    model=parameter_set.model, method="eap")
        theta, se = float(estimate.theta[0]), float(estimate.se[0])
        level = level_from_cuts(theta, assessment.cut_scores)
    else:
        method = CLASSICAL
        parameter_set = None
        percent = 100.0 * raw / top if top else 0.0
        level = level_from_cuts(percent, assessment.percent_cut_scores)
    number = (session.scalar(select(func.max(AttemptScore.number))
                             .where(AttemptScore.attempt_id == attempt.id)) or 0) + 1
    score = AttemptScore(attempt_id=attempt.id, number=number, method=method, theta=theta, se=se,
                         level=level, raw_score=raw, max_score=top, n_items=len(calibrated) or len(rows),
                         parameter_set_id=parameter_set.id if parameter_set else None,
                         scored_at=now(), actor_id=actor if isinstance(actor, int) or actor is None else actor.id,
                         reason=reason)
    session.add(score)
    previous = {"theta": attempt.theta, "se": attempt.se, "level": attempt.level,
                "method": attempt.score_method, "parameter_set": attempt.parameter_set_id}
    attempt.theta, attempt.se, attempt.level, attempt.score_method = theta, se, level, method
    attempt.raw_score, attempt.max_score = raw, top
    attempt.parameter_set_id = score.parameter_set_id
    session.flush()
    audit.record(session, "attempt.rescored" if number > 1 else "attempt.scored", actor=actor,
                 subject_type="attempt", subject_id=attempt.id,
                 data={"score": number, "method": method, "theta": theta, "se": se, "level": level,
                       "raw": raw, "max": top, "parameter_set": score.parameter_set_id,
                       "reason": reason, **({"previous": previous} if number > 1 else {})})
    return score


def rescore(session: Session, attempt: Attempt, *, actor: Any, reason: str) -> AttemptScore:
    """Score a scored attempt again (after a recalibration), keeping the earlier score.

    :raise Invalid: without a reason.
    :raise Conflict: if the attempt is not scored.
    """
    if not (reason or "").strip():
        raise Invalid("say why the attempt is rescored", field="reason")
    if attempt.state != states.SCORED:
        raise Conflict(f"attempt {attempt.id} is {attempt.state}; only scored attempts are rescored",
                       field="state")
    score = score_attempt(session, attempt, actor=actor, reason=reason.strip())
    issue_certificate_if_due(session, attempt)
    return score


def rescore_competency(session: Session, competency_id: int, *, actor: Any, reason: str) -> int:
    """Rescore every scored attempt on the competency; returns how many."""
    from piaa.delivery.models import Assessment

    attempts = list(session.scalars(select(Attempt).join(Assessment, Assessment.id == Attempt.assessment_id)
                                    .where(Assessment.competency_id == competency_id,
                                           Attempt.state == states.SCORED).order_by(Attempt.id)))
    for attempt in attempts:
        rescore(session, attempt, actor=actor, reason=reason)
    return len(attempts)


def scores_of(session: Session, attempt: Attempt) -> list[AttemptScore]:
    return list(session.scalars(select(AttemptScore).where(AttemptScore.attempt_id == attempt.id)
                                .order_by(AttemptScore.number)))


def result_of(attempt: Attempt) -> dict[str, Any]:
    """The result as its candidate sees it: θ, its standard error, the level and what the
    level means; the classical score is labelled as such."""
    level = attempt.level
    described = attempt.assessment.competency.level(level) if level else None
    result: dict[str, Any] = {
        "method": attempt.score_method, "theta": _rounded(attempt.theta), "se": _rounded(attempt.se),
        "level": level, "level_label": described.label if described else None,
        "level_descriptor": described.descriptor if described else None,
        "competency": attempt.assessment.competency.name,
    }
    if attempt.score_method == CLASSICAL:
        result["classical"] = {"label": "Classical score (no calibration yet)",
                               "raw_score": attempt.raw_score, "max_score": attempt.max_score,
                               "percent": round(100 * attempt.raw_score / attempt.max_score, 1)
                               if attempt.max_score else 0.0}
    return result


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def issue_certificate_if_due(session: Session, attempt: Attempt) -> None:
    """Hand a scored attempt of a certifying assessment to the certificates domain, which
    issues only at or above the certifying level and only once per attempt, and revokes on a
    rescore below it. Without signing keys (``piaa keys init``) nothing is issued and a
    warning says so; the score stands."""
    assessment = attempt.assessment
    if assessment.certifying_level is None:
        return
    from piaa.certificates import services as certificates
    from piaa.certificates.keys import SigningKeyError

    described = assessment.competency.level(attempt.level) if attempt.level else None
    try:
        with session.begin_nested():
            certificates.on_attempt_scored(
                session, attempt_id=attempt.id, user=attempt.user, level=attempt.level,
                certifying_level=assessment.certifying_level,
                competency_code=assessment.competency.code, competency_name=assessment.competency.name,
                level_label=described.label if described else f"Level {attempt.level}",
                level_descriptor=described.descriptor if described else "",
                agency_name=assessment.organisation.name if assessment.organisation else "PIAA",
                assessed_at=attempt.ended_at or now(), window_id=attempt.window_id, render=False)
    except SigningKeyError as exc:
        log.warning("attempt %s reached the certifying level but no certificate was issued: %s",
                    attempt.id, exc)
