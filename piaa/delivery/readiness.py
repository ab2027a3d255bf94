"""Bank readiness for an adaptive assessment, and its adaptive policy.

Before an adaptive assessment goes live (and after every new active parameter set) a
psychometrician checks that its bank can carry it: :func:`check_bank_readiness` simulates
candidates from the population through the very test delivery would give (the active
parameter set's operational items, the assessment's cut scores, blueprint sub-areas,
stopping rule and decision confidence) with ``piaa.psychometrics.cat.check_readiness``,
and stores the Sympson–Hetter exposure parameters it calibrated on the assessment, where
adaptive selection reads them (``piaa.delivery.forms.exposure_control``). The summary it
returns is the one ``piaa cat simulate`` writes to ``summary.json``.

:func:`set_adaptive_policy` changes the decision confidence and the exposure cap.
Both are audited; neither commits.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from piaa import audit
from piaa.accounts.models import User
from piaa.clock import now
from piaa.delivery import forms
from piaa.delivery.models import Assessment
from piaa.errors import Invalid
from piaa.i18n import N_
from piaa.psychometrics.cat import check_readiness

# Simulees of a check from the app: enough for accuracy figures to about +-0.01 and for the
# exposure calibration to settle, in well under a minute for a few hundred items.
DEFAULT_EXAMINEES = 3000


def set_adaptive_policy(session: Session, assessment: Assessment, *,
                        confidence_threshold: float | None = None,
                        max_exposure: float | None = None, actor: User | None = None) -> Assessment:
    """Set the posterior probability at which the level is decided (the adaptive test may
    stop, and a certificate may be issued) and the exposure cap (0 < cap <= 1). Changing the cap forgets the stored
    exposure parameters: they were calibrated for the old one.

    :raise Invalid: naming the field out of range.
    """
    changes: dict[str, Any] = {}
    if confidence_threshold is not None:
        if not (isinstance(confidence_threshold, (int, float)) and 0.5 <= confidence_threshold < 1):
            raise Invalid(N_("confidence_threshold must be at least 0.5 and below 1, got "
                             "{confidence_threshold}"), field="confidence_threshold",
                          values={"confidence_threshold": repr(confidence_threshold)})
        changes["confidence_threshold"] = float(confidence_threshold)
    if max_exposure is not None:
        if not (isinstance(max_exposure, (int, float)) and 0 < max_exposure <= 1):
            raise Invalid(N_("max_exposure must be above 0 and at most 1, got {max_exposure}"),
                          field="max_exposure",
                          values={"max_exposure": repr(max_exposure)})
        changes["max_exposure"] = float(max_exposure)
        if assessment.max_exposure != float(max_exposure):
            assessment.exposure_control = None
    for key, value in changes.items():
        setattr(assessment, key, value)
    session.flush()
    audit.record(session, "assessment.adaptive_policy", actor=actor, subject_type="assessment",
                 subject_id=assessment.id, data=changes)
    return assessment


def check_bank_readiness(session: Session, assessment: Assessment, *, examinees: int = DEFAULT_EXAMINEES,
                         seed: int | None = None, store: bool = True,
                         actor: User | None = None) -> dict:
    """Simulate the adaptive assessment on its active parameter set; returns the summary
    (``accuracy_at_cuts``, ``exact_level_accuracy``, ``reliability``, ``mean_length``,
    ``max_exposure``, ...). With ``store`` the exposure parameters found are kept on the
    assessment for delivery, tied to the parameter set they were computed for.

    :raise Invalid: if the assessment is not adaptive or has no cut scores or no maximum length.
    :raise Conflict: if the competency has no active parameter set (from ``forms.adaptive_pool``).
    """
    if not forms.is_adaptive(assessment):
        raise Invalid(N_("assessment {assessment_code} is {assessment_mode}; a bank-readiness check is for "
                         "adaptive assessments"), field="mode",
                      values={"assessment_code": assessment.code, "assessment_mode": assessment.mode})
    if not assessment.cut_scores:
        raise Invalid(N_("assessment {assessment_code} has no cut scores to classify at"),
                      field="cut_scores",
                      values={"assessment_code": assessment.code})
    if not assessment.max_items:
        raise Invalid(N_("assessment {assessment_code} needs a maximum length for the check"),
                      field="max_items",
                      values={"assessment_code": assessment.code})
    if isinstance(examinees, bool) or not isinstance(examinees, int) or not 100 <= examinees <= 100_000:
        raise Invalid(N_("examinees must be 100 to 100000, got {examinees}"), field="examinees",
                      values={"examinees": repr(examinees)})
    adaptive = forms.adaptive_pool(session, assessment)
    blueprint = adaptive.content.targets if adaptive.content is not None else None
    cap = assessment.max_exposure or 1.0
    seed = int(seed) if seed is not None else int(assessment.id)
    result = check_readiness(
        adaptive.bank.params, assessment.cut_scores, model=adaptive.model,
        max_items=min(int(assessment.max_items), adaptive.bank.n_items),
        min_items=int(assessment.min_items or 1), confidence=assessment.confidence_threshold,
        se_target=assessment.se_target, max_exposure=cap, examinees=examinees,
        content=adaptive.bank.cells[adaptive.bank.cell_of_item], blueprint=blueprint,
        rng=np.random.default_rng([seed, adaptive.parameter_set_id]))
    summary = {**result.summary, "parameter_set_id": adaptive.parameter_set_id, "seed": seed,
               "checked_at": now().isoformat()}
    if store:
        assessment.exposure_control = {
            "parameter_set_id": adaptive.parameter_set_id, "max_exposure": cap,
            "checked_at": summary["checked_at"],
            "k": {str(p.item_id): round(float(k), 6) for p, k in zip(adaptive.items, result.exposure_k)
                  if k < 1.0},
            "summary": _json_safe(summary)}
        session.flush()
    audit.record(session, "assessment.readiness_checked", actor=actor, subject_type="assessment",
                 subject_id=assessment.id,
                 data={"parameter_set_id": adaptive.parameter_set_id, "stored": store,
                       "accuracy_at_cuts": summary["accuracy_at_cuts"],
                       "reliability": summary["reliability"], "max_exposure": summary["max_exposure"]})
    return summary


def _json_safe(value: Any) -> Any:
    """NaN and infinities as None, so the stored summary is valid JSON in every database."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _number(form: dict, field: str, kind=float):
    text = (form.get(field) or "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise Invalid(N_("{field} must be a number, got {text}"), field=field,
                      values={"field": field, "text": repr(text)}) from None


def check_from_form(session: Session, assessment: Assessment, form: dict, *,
                    actor: User | None = None) -> dict:
    """The readiness page's request: the policy fields given in ``form``
    (``confidence_threshold``, ``max_exposure``, ``examinees``), then the check, stored.

    :raise Invalid: naming the field that is not a number or out of range.
    """
    set_adaptive_policy(session, assessment, confidence_threshold=_number(form, "confidence_threshold"),
                        max_exposure=_number(form, "max_exposure"), actor=actor)
    examinees = _number(form, "examinees", int)
    return check_bank_readiness(session, assessment, actor=actor,
                                examinees=DEFAULT_EXAMINEES if examinees is None else examinees)


def last_check(assessment: Assessment) -> dict | None:
    """The summary of the assessment's stored readiness check, with each cut beside its
    accuracy; None if none is stored."""
    stored = assessment.exposure_control or {}
    summary = stored.get("summary")
    if not summary:
        return None
    return {**summary, "cuts": list(zip(summary["policy"]["cuts"], summary["accuracy_at_cuts"]))}
