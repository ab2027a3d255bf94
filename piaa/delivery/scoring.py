"""Scoring an attempt: EAP θ with its standard error from operational items only, the level
from the assessment's cut scores, and a clearly labelled classical score before any
calibration exists. Every scoring is a new ``AttemptScore`` row naming the parameter set
used; rescoring after a recalibration is a recorded action with its reason, never a silent
overwrite.

Items administered but not answered count as wrong (category 0), so skipping a hard item
never helps; pretest items never count.

Every score carries its decision confidence (``piaa.psychometrics.decision``): from the θ
posterior, the probability of each level; for a classical score, from the beta-binomial
model of the form's pilot. A certificate states the highest level from the certifying level
up to the reported one that the candidate holds with at least the assessment's
``confidence_threshold``; when even the certifying level falls short, the result is not yet
decisive. A classical score counts for a certificate only with per-cent cuts from a recorded
standard setting and a form whose pilot reliability reaches ``PIAA_CLASSICAL_RELIABILITY_FLOOR``;
otherwise it is practice.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from piaa import audit
from piaa.clock import now
from piaa.delivery import states
from piaa.delivery.forms import row_content, version_views
from piaa.delivery.models import CLASSICAL, EAP, Attempt, AttemptItem, AttemptScore
from piaa.delivery.parameters import active_parameter_set, parameter_rows, stack_rows
from piaa.errors import Conflict, Invalid
from piaa.i18n import N_
from piaa.items.types import get_item_type
from piaa.psychometrics.decision import (ability_posterior, classical_level_confidence,
                                         posterior_level_confidence)
from piaa.psychometrics.estimation import estimate_ability

log = logging.getLogger(__name__)

# What a score means for a certificate (None: the assessment certifies nothing).
CERTIFY, NOT_DECISIVE, BELOW_LEVEL, PRACTICE = "certify", "not_decisive", "below_level", "practice"
DECISIONS = (CERTIFY, NOT_DECISIVE, BELOW_LEVEL, PRACTICE)
DEFAULT_RELIABILITY_FLOOR = 0.80


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
    rated = None
    for row in rows:
        version = versions[row.version_id]
        kind = get_item_type(version.item_type)
        content = row_content(attempt, row, version)  # an item model's instance for this attempt
        if kind.rated_by_people(content):  # the raters' agreed points (piaa.delivery.ratings)
            if rated is None:
                from piaa.delivery.ratings import agreed_points

                rated = agreed_points(session, attempt)
            score = kind.rated(content, rated.get(row.id), row.answer)
            row.credit, row.max_credit, row.category = score.credit, score.max_credit, score.category
            continue
        try:
            score = kind.score(content, row.answer)
        except Invalid:
            # An answer stored under an earlier version's shape: it earns nothing, visibly.
            log.warning("attempt %s position %s: stored answer no longer fits; scored 0",
                        attempt.id, row.position)
            score = kind.score(content, None)
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
        stacked = stack_rows(parameter_set.model, [params[r.item_id] for r in calibrated])
        estimate = estimate_ability(x, stacked, model=parameter_set.model, method="eap")
        theta, se = float(estimate.theta[0]), float(estimate.se[0])
        level = level_from_cuts(theta, assessment.cut_scores)
        posterior = ability_posterior(x, stacked, model=parameter_set.model)
        confidence = posterior_level_confidence(posterior, assessment.cut_scores, reported=[theta])
        decision = decide(assessment, level, confidence.probabilities[0])
    else:
        method = CLASSICAL
        parameter_set = None
        percent = 100.0 * raw / top if top else 0.0
        level = level_from_cuts(percent, assessment.percent_cut_scores)
        decision = _classical_decision(session, assessment, level, raw, top)
    number = (session.scalar(select(func.max(AttemptScore.number))
                             .where(AttemptScore.attempt_id == attempt.id)) or 0) + 1
    score = AttemptScore(attempt_id=attempt.id, number=number, method=method, theta=theta, se=se,
                         level=level, raw_score=raw, max_score=top, n_items=len(calibrated) or len(rows),
                         parameter_set_id=parameter_set.id if parameter_set else None,
                         scored_at=now(), actor_id=actor if isinstance(actor, int) or actor is None else actor.id,
                         reason=reason, **decision.columns())
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
                       "confidence": score.confidence, "certifying_confidence": score.certifying_confidence,
                       "decision": score.decision, "certified_level": score.certified_level,
                       "reason": reason, **({"previous": previous} if number > 1 else {})})
    return score


@dataclass(frozen=True)
class Decision:
    """A score's decision confidence and what it means for a certificate."""

    level_probabilities: list[float] | None = None
    confidence: float | None = None
    certifying_confidence: float | None = None
    certified_level: int | None = None
    certified_confidence: float | None = None
    decision: str | None = None
    # Why a classical score is practice only, in plain words.
    practice_reasons: list[tuple[str, dict]] = field(default_factory=list)

    def columns(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (
            "level_probabilities", "confidence", "certifying_confidence", "certified_level",
            "certified_confidence", "decision")}


def decide(assessment, level: int | None, probabilities) -> Decision:
    """The decision for a score at ``level`` (None: below level 1) whose true level has
    ``probabilities`` (levels 0..5, 0 below level 1).

    The certificate's level is the highest from the certifying level up to ``level`` held
    with at least the assessment's confidence threshold: a certificate never states more
    than was measured well enough.
    """
    probs = [float(p) for p in probabilities]
    at_or_above = [sum(probs[k:]) for k in range(len(probs))]
    reported = level or 0
    result = dict(level_probabilities=[round(p, 6) for p in probs], confidence=probs[reported])
    certifying = assessment.certifying_level
    if certifying is None:
        return Decision(**result)
    result["certifying_confidence"] = at_or_above[certifying]
    if reported < certifying:
        return Decision(**result, decision=BELOW_LEVEL)
    held = [k for k in range(certifying, reported + 1) if at_or_above[k] >= assessment.confidence_threshold]
    if not held:
        return Decision(**result, decision=NOT_DECISIVE)
    return Decision(**result, decision=CERTIFY, certified_level=held[-1], certified_confidence=at_or_above[held[-1]])


def reliability_floor() -> float:
    """``PIAA_CLASSICAL_RELIABILITY_FLOOR`` of the running app (0.80 outside one)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return DEFAULT_RELIABILITY_FLOOR
    return float(current_app.config.get("PIAA_CLASSICAL_RELIABILITY_FLOOR") or DEFAULT_RELIABILITY_FLOOR)


def practice_reasons(session: Session, assessment, max_score: float | None = None) -> list[tuple[str, dict]]:
    """Why a classical score of ``assessment`` cannot certify (empty: it can), each as an
    English text with ``{placeholders}`` and their values, ready for ``_()``."""
    reasons: list[tuple[str, dict]] = []
    if not assessment.percent_cut_scores:
        reasons.append((N_("The assessment has no per-cent cut scores."), {}))
    elif not _recorded_standard_setting(session, assessment):
        reasons.append((N_("Its per-cent cut scores did not come from a recorded standard setting."), {}))
    pilot = assessment.classical_pilot
    floor = reliability_floor()
    if not pilot:
        reasons.append((N_("No pilot has measured the reliability of its form."), {}))
    elif pilot["reliability"] < floor:
        reasons.append((N_("Its form's reliability ({reliability}) is below the required {floor}."),
                        {"reliability": f"{pilot['reliability']:.2f}", "floor": f"{floor:.2f}"}))
    elif max_score is not None and abs(float(pilot["max_score"]) - max_score) > 1e-9:
        reasons.append((N_("Its pilot was of a form of {pilot} marks, not {marks}."),
                        {"pilot": f"{pilot['max_score']:g}", "marks": f"{max_score:g}"}))
    return reasons


def in_english(reasons: list[tuple[str, dict]]) -> str:
    return " ".join(text.format(**values) for text, values in reasons)


def _recorded_standard_setting(session: Session, assessment) -> bool:
    """Whether the per-cent cuts are the applied result of a recorded standard setting."""
    if assessment.percent_cuts_standard_setting_id is None:
        return False
    from piaa.standard_setting.services import cuts_came_from

    return cuts_came_from(session, assessment, assessment.percent_cuts_standard_setting_id,
                          assessment.percent_cut_scores)


def _classical_decision(session: Session, assessment, level: int | None, raw: float, top: float) -> Decision:
    certifying = assessment.certifying_level is not None
    reasons = practice_reasons(session, assessment, top)
    pilot = assessment.classical_pilot
    if not (pilot and top and assessment.percent_cut_scores and abs(float(pilot["max_score"]) - top) <= 1e-9):
        return Decision(decision=PRACTICE if certifying else None, practice_reasons=reasons)
    try:
        confidence = classical_level_confidence([raw], top, assessment.percent_cut_scores, mean=pilot["mean"],
                                                sd=pilot["sd"], reliability=pilot["reliability"])
    except ValueError as exc:  # a pilot whose moments no beta fits: say so, certify nothing
        log.warning("assessment %s: pilot unusable for decision confidence: %s", assessment.code, exc)
        return Decision(decision=PRACTICE if certifying else None,
                        practice_reasons=reasons + [(N_("Its pilot cannot be used: {error}."), {"error": str(exc)})])
    decided = decide(assessment, level, confidence.probabilities[0])
    if reasons and certifying:
        return replace(decided, decision=PRACTICE, certified_level=None, certified_confidence=None,
                       practice_reasons=reasons)
    return decided


def latest_score(session: Session, attempt: Attempt) -> AttemptScore | None:
    return session.scalar(select(AttemptScore).where(AttemptScore.attempt_id == attempt.id)
                          .order_by(AttemptScore.number.desc()).limit(1))


def rescore(session: Session, attempt: Attempt, *, actor: Any, reason: str) -> AttemptScore:
    """Score a scored attempt again (after a recalibration), keeping the earlier score.

    :raise Invalid: without a reason.
    :raise Conflict: if the attempt is not scored.
    """
    if not (reason or "").strip():
        raise Invalid(N_("say why the attempt is rescored"), field="reason")
    if attempt.state != states.SCORED:
        raise Conflict(N_("attempt {attempt_id} is {attempt_state}; only scored attempts are rescored"),
                       field="state",
                       values={"attempt_id": attempt.id, "attempt_state": attempt.state})
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
    level means, how sure the level is and what it means for a certificate; the classical
    score is labelled as such."""
    level = attempt.level
    described = attempt.assessment.competency.level(level) if level else None
    result: dict[str, Any] = {
        "method": attempt.score_method, "theta": _rounded(attempt.theta), "se": _rounded(attempt.se),
        "level": level, "level_label": described.label if described else None,
        "level_descriptor": described.descriptor if described else None,
        "competency": attempt.assessment.competency.name,
    }
    if attempt.score_method == CLASSICAL:
        result["classical"] = {"label": N_("Classical score (no calibration yet)"),
                               "raw_score": attempt.raw_score, "max_score": attempt.max_score,
                               "percent": round(100 * attempt.raw_score / attempt.max_score, 1)
                               if attempt.max_score else 0.0}
    session = object_session(attempt)
    score = latest_score(session, attempt) if session is not None else None
    if score is not None:
        result["decision"] = _decision_view(session, attempt, score)
    return result


def _percent(p: float | None) -> int | None:
    """A probability as a whole per cent, never rounded up to a certainty it is not."""
    if p is None:
        return None
    return min(int(round(100 * p)), 99) if p < 1 else 100


def _decision_view(session: Session, attempt: Attempt, score: AttemptScore) -> dict[str, Any]:
    assessment = attempt.assessment
    view = {"decision": score.decision, "confidence": _percent(score.confidence),
            "certifying_level": assessment.certifying_level,
            "certifying_confidence": _percent(score.certifying_confidence),
            "threshold": _percent(assessment.confidence_threshold),
            "certified_level": score.certified_level,
            "certified_confidence": _percent(score.certified_confidence),
            "practice_reasons": []}
    if score.decision == PRACTICE:
        view["practice_reasons"] = practice_reasons(session, assessment, score.max_score)
    if score.certified_level:
        described = assessment.competency.level(score.certified_level)
        view["certified_label"] = described.label if described else None
    return view


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def issue_certificate_if_due(session: Session, attempt: Attempt) -> None:
    """Hand a scored attempt of a certifying assessment to the certificates domain: a
    certificate at the newest score's certified level when it decided to certify; otherwise
    the revocation of any certificate an earlier scoring issued, with the reason. Without
    signing keys (``piaa keys init``) nothing is issued and a warning says so; the score
    stands."""
    assessment = attempt.assessment
    if assessment.certifying_level is None:
        return
    from piaa.certificates import services as certificates
    from piaa.certificates.keys import SigningKeyError

    score = latest_score(session, attempt)
    level = score.certified_level if score is not None and score.decision == CERTIFY else None
    described = assessment.competency.level(level) if level else None
    try:
        with session.begin_nested():
            certificates.on_attempt_scored(
                session, attempt_id=attempt.id, user=attempt.user, level=level,
                certifying_level=assessment.certifying_level,
                decision_confidence=score.certified_confidence if level else None,
                not_certified_reason=_not_certified_reason(attempt, score),
                competency_code=assessment.competency.code, competency_name=assessment.competency.name,
                level_label=described.label if described else f"Level {level}",
                level_descriptor=described.descriptor if described else "",
                agency_name=assessment.organisation.name if assessment.organisation else "PIAA",
                **_hindi_facts(assessment, described),
                assessed_at=attempt.ended_at or now(), window_id=attempt.window_id, render=False)
    except SigningKeyError as exc:
        log.warning("attempt %s reached the certifying level but no certificate was issued: %s",
                    attempt.id, exc)


def _hindi_facts(assessment, described) -> dict[str, str | None]:
    """The certificate's competency, level label and agency in Hindi, where known: the
    dictionary's own Hindi label if it has one, else the Hindi of a default label."""
    from piaa.items.models import DEFAULT_LEVEL_LABELS_HI

    label_hi = None
    if described is not None:
        label_hi = getattr(described, "label_hi", None) or DEFAULT_LEVEL_LABELS_HI.get(described.label)
    return {"competency_name_hi": assessment.competency.name_hi, "level_label_hi": label_hi,
            "agency_name_hi": assessment.organisation.name_hi if assessment.organisation else None}


def _not_certified_reason(attempt: Attempt, score: AttemptScore | None) -> str:
    """Why a (re)scored attempt holds no certificate, for the revocation of an earlier one."""
    certifying = attempt.assessment.certifying_level
    decision = score.decision if score is not None else None
    if decision == NOT_DECISIVE:
        return (f"The attempt was rescored with {_percent(score.certifying_confidence)}% confidence at the "
                f"certifying level {certifying}, below the required "
                f"{_percent(attempt.assessment.confidence_threshold)}%.")
    if decision == PRACTICE:
        return ("The attempt was rescored as a practice result: "
                + in_english(practice_reasons(object_session(attempt), attempt.assessment, score.max_score)))
    reached = f"level {attempt.level}" if attempt.level is not None else "no level"
    return f"The attempt was rescored to {reached}, below the certifying level {certifying}."
