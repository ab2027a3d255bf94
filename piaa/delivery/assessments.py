"""Assessments, their blueprints, cohorts and enrolments, and windows.

Services take the session and plain values, raise ``piaa.errors`` domain errors and never
commit. Who may call them is decided by the views (administrators); the checks here are the
rules of the domain: a sound blueprint, ascending cut scores, a window that closes after it
opens, officials who exist.
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from piaa import audit
from piaa.accounts.models import CANDIDATE, PROCTOR, PROVIDER, Organisation, User
from piaa.clock import as_utc, now
from piaa.delivery.models import (ADAPTIVE, FIXED, MODES, NAVIGATIONS, PURPOSES, Assessment,
                                  Cohort, Enrolment, Window, WindowProctor)
from piaa.delivery.timing import CLOCK_STOPS, PAUSE_POLICIES
from piaa.errors import Conflict, Invalid, NotFound, found_problem
from piaa.items.models import PROFICIENCY_LEVELS, Competency, ItemBank
from piaa.items.types import LANGUAGES
from piaa.i18n import N_

PROCTORING_DEFAULTS: dict[str, Any] = {
    # A proctor must admit the candidate after check-in before the sitting can start.
    "require_admission": False,
    # Resuming from another device (another browser) without a proctor's admission.
    "allow_other_device": True,
    # Silence longer than this counts as a disconnection. A running sitting's client beats
    # every 90 s at most (three quarters of this; sooner while paused, waiting or offline), so
    # that its heartbeat costs a phone under 20 KB in 20 minutes; a shorter drop costs the
    # candidate no time, since answers wait on the device and go when the link returns.
    "heartbeat_timeout_s": 120,
    # Under "clock stops", disconnected time given back per sitting, at most; beyond it the
    # clock runs, and only a proctor's added time (an audited decision) gives more.
    "max_disconnected_s": 300,
    # A first answer sooner than this after the item was shown is flagged as implausible.
    "min_reading_s": 2.0,
}


def proctoring_policy(assessment: Assessment) -> dict[str, Any]:
    return {**PROCTORING_DEFAULTS, **(assessment.proctoring or {})}


# --- blueprint -----------------------------------------------------------------------------

@dataclass(frozen=True)
class BlueprintCell:
    level: int | None
    sub_area: str | None
    count: int

    @property
    def label(self) -> str:
        return f"L{self.level or '*'}/{self.sub_area or '*'}"

    def holds(self, level: int, sub_area: str | None) -> bool:
        return ((self.level is None or self.level == level)
                and (self.sub_area is None or self.sub_area == sub_area))


def blueprint_cells(blueprint: dict[str, Any]) -> list[BlueprintCell]:
    return [BlueprintCell(c.get("level"), c.get("sub_area"), int(c["count"]))
            for c in blueprint.get("cells", [])]


def check_blueprint(blueprint: Any) -> dict[str, Any]:
    """The blueprint in canonical form.

    :raise Invalid: naming the bad cell and field.
    """
    if not isinstance(blueprint, dict) or not isinstance(blueprint.get("cells"), list) \
            or not blueprint["cells"]:
        raise Invalid(N_('a blueprint is {"cells": [{"level", "sub_area", "count"}, ...], "tolerance": n}'
                      " with at least one cell"), field="blueprint")
    cells, seen = [], set()
    for i, cell in enumerate(blueprint["cells"]):
        where = f"blueprint.cells[{i}]"
        if not isinstance(cell, dict):
            raise Invalid(N_("{where} must be an object"), field=where, values={"where": where})
        level, sub_area, count = cell.get("level"), cell.get("sub_area"), cell.get("count")
        if level is not None and (isinstance(level, bool) or level not in PROFICIENCY_LEVELS):
            raise Invalid(N_("{where}.level must be 1 to 5 or null, got {level}"), field=f"{where}.level",
                          values={"where": where, "level": repr(level)})
        if sub_area is not None and (not isinstance(sub_area, str) or not sub_area.strip()):
            raise Invalid(N_("{where}.sub_area must be text or null, got {sub_area}"),
                          field=f"{where}.sub_area",
                          values={"where": where, "sub_area": repr(sub_area)})
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise Invalid(N_("{where}.count must be a whole number of at least 1, got {count}"),
                          field=f"{where}.count",
                          values={"where": where, "count": repr(count)})
        if (level, sub_area) in seen:
            raise Invalid(N_("{where} repeats level {level} and sub-area {sub_area}"), field=where,
                          values={"where": where, "level": level, "sub_area": repr(sub_area)})
        seen.add((level, sub_area))
        cells.append({"level": level, "sub_area": sub_area, "count": count})
    tolerance = blueprint.get("tolerance", 0)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int) or tolerance < 0:
        raise Invalid(N_("blueprint.tolerance must be a whole number >= 0, got {tolerance}"),
                      field="blueprint.tolerance",
                      values={"tolerance": repr(tolerance)})
    return {"cells": cells, "tolerance": tolerance}


def _check_cuts(values: Any, field: str, *, low: float, high: float) -> list[float]:
    if not isinstance(values, (list, tuple)) or len(values) != 5:
        raise Invalid(N_("{field} must list 5 values (where levels 1 to 5 begin), got {values}"),
                      field=field,
                      values={"field": field, "values": repr(values)})
    try:
        cuts = [float(v) for v in values]
    except (TypeError, ValueError):
        raise Invalid(N_("{field} must be numbers, got {values}"), field=field,
                      values={"field": field, "values": repr(values)}) from None
    if any(not low <= c <= high for c in cuts):
        raise Invalid(N_("{field} must lie between {low} and {high}, got {cuts}"), field=field,
                      values={"field": field, "low": low, "high": high, "cuts": str(cuts)})
    if any(b <= a for a, b in zip(cuts, cuts[1:])):
        raise Invalid(N_("{field} must rise from level 1 to level 5, got {cuts}"), field=field,
                      values={"field": field, "cuts": str(cuts)})
    return cuts


# --- assessments ---------------------------------------------------------------------------

# The settings ``update_assessment`` may change, each checked by ``_checked_settings``.
SETTINGS = ("title", "title_hi", "purpose", "mode", "blueprint", "time_limit_s", "cut_scores",
            "se_target", "min_items", "max_items", "pretest_count", "percent_cut_scores",
            "certifying_level", "navigation", "pause_policy", "proctoring", "languages",
            "exposure_k", "confidence_threshold", "rating_tolerance")
DEFAULT_CONFIDENCE = 0.8
# Points two raters of a written answer may differ by before a third adjudicates.
DEFAULT_RATING_TOLERANCE = 1.0


def create_assessment(session: Session, *, code: str, title: str, competency: str, purpose: str,
                      mode: str, blueprint: dict, time_limit_s: int, cut_scores: list,
                      actor: User | None = None, title_hi: str | None = None,
                      bank: ItemBank | None = None, organisation: Organisation | None = None,
                      se_target: float | None = None, min_items: int | None = None,
                      max_items: int | None = None, pretest_count: int = 0,
                      percent_cut_scores: list | None = None, certifying_level: int | None = None,
                      navigation: str = "free", pause_policy: str = CLOCK_STOPS,
                      proctoring: dict | None = None, languages: Iterable[str] = ("en",),
                      exposure_k: int = 3, confidence_threshold: float = DEFAULT_CONFIDENCE,
                      rating_tolerance: float = DEFAULT_RATING_TOLERANCE) -> Assessment:
    """A new assessment of ``competency`` (a dictionary code).

    :raise Invalid: naming the first bad field.
    :raise Conflict: if the code is taken.
    """
    for name, value in (("code", code), ("title", title), ("competency", competency),
                        ("purpose", purpose), ("mode", mode)):
        if value is not None and not isinstance(value, str):
            raise Invalid(N_("{name} must be text, got {type}"), field=name,
                          values={"name": name, "type": type(value).__name__})
    code = (code or "").strip()
    if not code or len(code) > 64:
        raise Invalid(N_("an assessment needs a code of 1-64 characters, got {code}"), field="code",
                      values={"code": repr(code)})
    if session.scalar(select(Assessment.id).where(Assessment.code == code)):
        raise Conflict(N_("an assessment with code {code} exists"), field="code", values={"code": repr(code)})
    record = session.scalar(select(Competency).where(Competency.code == competency))
    if record is None:
        raise Invalid(N_("no competency with code {competency} in the dictionary"), field="competency",
                      values={"competency": repr(competency)})
    settings = _checked_settings(
        title=title, title_hi=title_hi, purpose=purpose, mode=mode, blueprint=blueprint,
        time_limit_s=time_limit_s, cut_scores=cut_scores, se_target=se_target, min_items=min_items,
        max_items=max_items, pretest_count=pretest_count, percent_cut_scores=percent_cut_scores,
        certifying_level=certifying_level, navigation=navigation, pause_policy=pause_policy,
        proctoring=proctoring, languages=languages, exposure_k=exposure_k,
        confidence_threshold=confidence_threshold, rating_tolerance=rating_tolerance)
    assessment = Assessment(
        code=code, competency=record, bank=bank,
        organisation=organisation or (bank.organisation if bank else None),
        created_at=now(), created_by_id=actor.id if actor else None, **settings)
    session.add(assessment)
    session.flush()
    audit.record(session, "assessment.created", actor=actor, subject_type="assessment",
                 subject_id=assessment.id, data={"code": code, "competency": competency,
                                                 "mode": mode, "purpose": purpose})
    return assessment


def update_assessment(session: Session, assessment: Assessment, *, actor: User | None = None,
                      bank: ItemBank | None = None, **values: Any) -> Assessment:
    """Change an assessment's settings (not its code or competency); the audit log keeps
    which fields changed from what. Running attempts keep the timing they started with.

    :raise Invalid: naming the first bad field.
    :raise Conflict: if the mode would change once an attempt exists.
    """
    from piaa.delivery.models import Attempt

    unknown = sorted(set(values) - set(SETTINGS))
    if unknown:
        raise Invalid(N_("unknown assessment setting(s) {unknown}"), field=unknown[0],
                      values={"unknown": ', '.join(unknown)})
    current = {name: getattr(assessment, name) for name in SETTINGS}
    settings = _checked_settings(**{**current, **values})
    if settings["mode"] != assessment.mode and session.scalar(
            select(Attempt.id).where(Attempt.assessment_id == assessment.id).limit(1)):
        raise Conflict(N_("assessment {assessment_code} has attempts: its mode cannot change from "
                          "{assessment_mode}"), field="mode",
                       values={"assessment_code": assessment.code, "assessment_mode": assessment.mode})
    changed = {name: {"from": current[name], "to": value} for name, value in settings.items()
               if value != current[name]}
    if (bank.id if bank else None) != assessment.bank_id:
        changed["bank"] = {"from": assessment.bank_id, "to": bank.id if bank else None}
        assessment.bank = bank
        if bank is not None:
            assessment.organisation = bank.organisation
    for name, value in settings.items():
        setattr(assessment, name, value)
    session.flush()
    if changed:
        audit.record(session, "assessment.updated", actor=actor, subject_type="assessment",
                     subject_id=assessment.id, data={"code": assessment.code, "changed": changed})
    return assessment


def _checked_settings(*, title, title_hi, purpose, mode, blueprint, time_limit_s, cut_scores,
                      se_target, min_items, max_items, pretest_count, percent_cut_scores,
                      certifying_level, navigation, pause_policy, proctoring, languages,
                      exposure_k, confidence_threshold, rating_tolerance=DEFAULT_RATING_TOLERANCE) -> dict[str, Any]:
    """Every setting of an assessment checked and in canonical form.

    :raise Invalid: naming the first bad field.
    """
    if not (title or "").strip():
        raise Invalid(N_("an assessment needs a title"), field="title")
    if purpose not in PURPOSES:
        raise Invalid(N_("purpose must be one of {purposes}, got {purpose}"), field="purpose",
                      values={"purposes": ', '.join(PURPOSES), "purpose": repr(purpose)})
    if mode not in MODES:
        raise Invalid(N_("mode must be one of {modes}, got {mode}"), field="mode",
                      values={"modes": ', '.join(MODES), "mode": repr(mode)})
    if navigation not in NAVIGATIONS:
        raise Invalid(N_("navigation must be one of {navigations}, got {navigation}"),
                      field="navigation",
                      values={"navigations": ', '.join(NAVIGATIONS), "navigation": repr(navigation)})
    if pause_policy not in PAUSE_POLICIES:
        raise Invalid(N_("pause_policy must be one of {pause_policies}, got {pause_policy}"),
                      field="pause_policy",
                      values={"pause_policies": ', '.join(PAUSE_POLICIES), "pause_policy": repr(pause_policy)})
    if isinstance(time_limit_s, bool) or not isinstance(time_limit_s, int) or not 60 <= time_limit_s <= 6 * 3600:
        raise Invalid(N_("time_limit_s must be whole seconds between 60 and 21600, got {time_limit_s}"),
                      field="time_limit_s",
                      values={"time_limit_s": repr(time_limit_s)})
    blueprint = check_blueprint(blueprint)
    cuts = _check_cuts(cut_scores, "cut_scores", low=-6.0, high=6.0)
    percent_cuts = (_check_cuts(percent_cut_scores, "percent_cut_scores", low=0.0, high=100.0)
                    if percent_cut_scores is not None else None)
    if certifying_level is not None and certifying_level not in PROFICIENCY_LEVELS:
        raise Invalid(N_("certifying_level must be 1 to 5, got {certifying_level}"), field="certifying_level",
                      values={"certifying_level": repr(certifying_level)})
    if (isinstance(confidence_threshold, bool) or not isinstance(confidence_threshold, (int, float))
            or not 0.5 <= confidence_threshold < 1):
        raise Invalid(N_("confidence_threshold must be at least 0.5 and below 1, got {confidence_threshold}"),
                      field="confidence_threshold",
                      values={"confidence_threshold": repr(confidence_threshold)})
    if isinstance(pretest_count, bool) or not isinstance(pretest_count, int) or not 0 <= pretest_count <= 20:
        raise Invalid(N_("pretest_count must be 0 to 20, got {pretest_count}"), field="pretest_count",
                      values={"pretest_count": repr(pretest_count)})
    se_target, min_items, max_items = _check_stopping(mode, se_target, min_items, max_items)
    languages = list(dict.fromkeys(languages or ["en"]))
    if "en" not in languages or any(lang not in LANGUAGES for lang in languages):
        raise Invalid(N_("languages must include en and be among {languages}, got {languages2}"),
                      field="languages",
                      values={"languages": ', '.join(LANGUAGES), "languages2": str(languages)})
    policy = {**PROCTORING_DEFAULTS, **(proctoring or {})}
    unknown = sorted(set(policy) - set(PROCTORING_DEFAULTS))
    if unknown:
        raise Invalid(N_("unknown proctoring setting(s) {unknown}; known: {proctoring_defaults}"), field="proctoring",
                      values={"unknown": ', '.join(unknown), "proctoring_defaults": ', '.join(PROCTORING_DEFAULTS)})
    if isinstance(exposure_k, bool) or not isinstance(exposure_k, int) or not 1 <= exposure_k <= 20:
        raise Invalid(N_("exposure_k must be 1 to 20, got {exposure_k}"), field="exposure_k",
                      values={"exposure_k": repr(exposure_k)})
    if (isinstance(rating_tolerance, bool) or not isinstance(rating_tolerance, (int, float))
            or not 0 <= rating_tolerance <= 100):
        raise Invalid(N_("rating_tolerance must be a number of points from 0 to 100, got {rating_tolerance}"),
                      field="rating_tolerance",
                      values={"rating_tolerance": repr(rating_tolerance)})
    return dict(title=title.strip(), title_hi=(title_hi or "").strip() or None, purpose=purpose,
                mode=mode, blueprint=blueprint, time_limit_s=time_limit_s, se_target=se_target,
                min_items=min_items, max_items=max_items, pretest_count=pretest_count, cut_scores=cuts,
                percent_cut_scores=percent_cuts, certifying_level=certifying_level,
                confidence_threshold=float(confidence_threshold), navigation=navigation,
                pause_policy=pause_policy, proctoring=policy, languages=languages, exposure_k=exposure_k,
                rating_tolerance=float(rating_tolerance))


def _check_stopping(mode, se_target, min_items, max_items):
    if mode != ADAPTIVE:
        return None, None, None
    if se_target is None and max_items is None:
        raise Invalid(N_("an adaptive assessment needs se_target, max_items or both"), field="se_target")
    if se_target is not None and (isinstance(se_target, bool) or not isinstance(se_target, (int, float))
                                  or not 0 < se_target < 2):
        raise Invalid(N_("se_target must be a number between 0 and 2, got {se_target}"), field="se_target",
                      values={"se_target": repr(se_target)})
    min_items = 1 if min_items is None else min_items
    if isinstance(min_items, bool) or not isinstance(min_items, int) or min_items < 1:
        raise Invalid(N_("min_items must be a whole number of at least 1, got {min_items}"),
                      field="min_items",
                      values={"min_items": repr(min_items)})
    if max_items is not None and (isinstance(max_items, bool) or not isinstance(max_items, int)
                                  or max_items < min_items):
        raise Invalid(N_("max_items must be a whole number of at least min_items ({min_items}), got "
                         "{max_items}"), field="max_items",
                      values={"min_items": min_items, "max_items": repr(max_items)})
    return (float(se_target) if se_target is not None else None), min_items, max_items


def get_assessment(session: Session, assessment_id: int) -> Assessment:
    """:raise NotFound: if there is no such assessment."""
    assessment = session.get(Assessment, assessment_id)
    if assessment is None:
        raise NotFound(N_("no assessment {assessment_id}"), values={"assessment_id": assessment_id})
    return assessment


def planned_length(assessment: Assessment) -> int:
    """Items a candidate will see (scored and pretest); for adaptive, the most it can be."""
    if assessment.mode == ADAPTIVE:
        return (assessment.max_items or 0) + assessment.pretest_count
    if assessment.mode == FIXED and assessment.forms:
        return len(assessment.forms[0].items) + assessment.pretest_count
    return sum(c.count for c in blueprint_cells(assessment.blueprint)) + assessment.pretest_count


# --- cohorts and enrolment -----------------------------------------------------------------

def create_cohort(session: Session, *, name: str, course: str = "", provider: Organisation | None = None,
                  actor: User | None = None, name_hi: str | None = None) -> Cohort:
    """:raise Invalid: if the name is empty or the provider is not a CBP provider.
    :raise Conflict: if the name is taken."""
    name = (name or "").strip()
    if not name:
        raise Invalid(N_("a cohort needs a name"), field="name")
    if provider is not None and provider.kind != PROVIDER:
        raise Invalid(N_("{provider_name} is a {provider_kind}, not a CBP provider"), field="provider",
                      values={"provider_name": provider.name, "provider_kind": provider.kind})
    if session.scalar(select(Cohort.id).where(Cohort.name == name)):
        raise Conflict(N_("a cohort named {name} exists"), field="name", values={"name": repr(name)})
    cohort = Cohort(name=name, name_hi=(name_hi or "").strip() or None, course=(course or "").strip(),
                    provider=provider, created_at=now(),
                    created_by_id=actor.id if actor else None)
    session.add(cohort)
    session.flush()
    audit.record(session, "cohort.created", actor=actor, subject_type="cohort", subject_id=cohort.id,
                 data={"name": name, "course": cohort.course,
                       "provider": provider.name if provider else None})
    return cohort


def enrol(session: Session, cohort: Cohort, user: User, *, time_factor: float = 1.0,
          actor: User | None = None) -> Enrolment:
    """Put an official in a cohort (again: update the accommodation).

    :raise Invalid: if the user is not a candidate or the time factor is not in (0, 4].
    """
    if user.role != CANDIDATE:
        raise Invalid(N_("{user_email} is a {user_role}, not an official who sits assessments"), field="user",
                      values={"user_email": user.email, "user_role": user.role})
    if isinstance(time_factor, bool) or not isinstance(time_factor, (int, float)) or not 0 < time_factor <= 4:
        raise Invalid(N_("time_factor must be above 0 and at most 4, got {time_factor}"), field="time_factor",
                      values={"time_factor": repr(time_factor)})
    enrolment = session.scalar(select(Enrolment).where(Enrolment.cohort_id == cohort.id,
                                                       Enrolment.user_id == user.id))
    if enrolment is None:
        enrolment = Enrolment(cohort=cohort, user=user, time_factor=float(time_factor), created_at=now())
        session.add(enrolment)
    else:
        enrolment.time_factor = float(time_factor)
    session.flush()
    audit.record(session, "cohort.enrolled", actor=actor, subject_type="cohort", subject_id=cohort.id,
                 data={"user": user.id, "time_factor": float(time_factor)})
    return enrolment


def import_cohort_csv(session: Session, cohort: Cohort, data: str, *, actor: User | None = None,
                      file: str = "cohort.csv") -> list[Enrolment]:
    """Enrol the officials listed in a CSV with columns ``email`` and optional ``time_factor``.

    All or nothing: every problem is listed (file, row, field) before anything is written.
    """
    reader = csv.DictReader(io.StringIO(data))
    if not reader.fieldnames or "email" not in [f.strip() for f in reader.fieldnames]:
        raise Invalid(N_("{file} needs a header with an email column"), field="email",
                      problems=[{"file": file, "row": 1, "field": "email",
                                 "message": N_("missing column email")}],
                      values={"file": file})
    rows, problems = [], []
    for number, row in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        email = row.get("email", "").lower()
        user = session.scalar(select(User).where(User.email == email)) if email else None
        if user is None:
            problems.append(found_problem(N_("no account with e-mail {email}"), {"email": repr(email)},
                                          file=file, row=number, field="email"))
            continue
        if user.role != CANDIDATE:
            problems.append(found_problem(N_("{email} is a {role}, not an official"),
                                          {"email": email, "role": user.role}, file=file, row=number, field="email"))
            continue
        factor_text = row.get("time_factor") or "1"
        try:
            factor = float(factor_text)
            if not 0 < factor <= 4:
                raise ValueError
        except ValueError:
            problems.append(found_problem(N_("must be a number above 0 and at most 4, got {value}"),
                                          {"value": repr(factor_text)}, file=file, row=number, field="time_factor"))
            continue
        rows.append((user, factor))
    if problems:
        raise Invalid(N_("{file}: {n_problems} problem(s); nothing was enrolled"), problems=problems,
                      values={"file": file, "n_problems": len(problems)})
    return [enrol(session, cohort, user, time_factor=factor, actor=actor) for user, factor in rows]


def enrolment_of(session: Session, cohort_id: int, user_id: int) -> Enrolment | None:
    return session.scalar(select(Enrolment).where(Enrolment.cohort_id == cohort_id,
                                                  Enrolment.user_id == user_id))


# --- windows -------------------------------------------------------------------------------

def _code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def _hindi_window_name(assessment: Assessment, cohort: Cohort) -> str | None:
    """The default name in Hindi, where the assessment's title has it."""
    if not assessment.title_hi:
        return None
    return f"{assessment.title_hi}: {cohort.name_hi or cohort.name}".strip()[:200]


def create_window(session: Session, *, assessment: Assessment, cohort: Cohort, opens_at: datetime,
                  closes_at: datetime, name: str | None = None, access_code: str | None = None,
                  max_attempts: int = 1, proctors: Iterable[User] = (),
                  actor: User | None = None, name_hi: str | None = None) -> Window:
    """Open ``assessment`` to ``cohort`` from ``opens_at`` to ``closes_at``.

    :raise Invalid: if it closes before it opens, or a proctor is not a proctor.
    """
    opens_at, closes_at = as_utc(opens_at), as_utc(closes_at)
    if closes_at <= opens_at:
        raise Invalid(N_("a window must close after it opens ({opens_at} to {closes_at})"), field="closes_at",
                      values={"opens_at": opens_at.isoformat(), "closes_at": closes_at.isoformat()})
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or not 1 <= max_attempts <= 10:
        raise Invalid(N_("max_attempts must be 1 to 10, got {max_attempts}"), field="max_attempts",
                      values={"max_attempts": repr(max_attempts)})
    window = Window(assessment=assessment, cohort=cohort, opens_at=opens_at, closes_at=closes_at,
                    name=(name or f"{assessment.title}: {cohort.name}").strip()[:200],
                    name_hi=(name_hi or (None if name else _hindi_window_name(assessment, cohort))),
                    access_code_hash=_code_hash(access_code) if access_code else None,
                    max_attempts=max_attempts, created_at=now(),
                    created_by_id=actor.id if actor else None)
    session.add(window)
    session.flush()
    for proctor in proctors:
        assign_proctor(session, window, proctor, actor=actor)
    audit.record(session, "window.created", actor=actor, subject_type="window", subject_id=window.id,
                 data={"assessment": assessment.code, "cohort": cohort.name,
                       "opens_at": opens_at.isoformat(), "closes_at": closes_at.isoformat(),
                       "access_code": bool(access_code)})
    return window


def assign_proctor(session: Session, window: Window, proctor: User, *, actor: User | None = None) -> None:
    """:raise Invalid: if the user is not a proctor."""
    if proctor.role != PROCTOR:
        raise Invalid(N_("{proctor_email} is a {proctor_role}, not a proctor"), field="proctors",
                      values={"proctor_email": proctor.email, "proctor_role": proctor.role})
    if session.get(WindowProctor, (window.id, proctor.id)) is None:
        session.add(WindowProctor(window_id=window.id, user_id=proctor.id))
        session.flush()
        audit.record(session, "window.proctor_assigned", actor=actor, subject_type="window",
                     subject_id=window.id, data={"proctor": proctor.id})


def check_access_code(window: Window, code: str | None) -> None:
    """:raise Forbidden-like Invalid: if the window has a code and ``code`` is not it."""
    if window.access_code_hash is None:
        return
    if not code or not hmac.compare_digest(_code_hash(code), window.access_code_hash):
        raise Invalid(N_("the access code is not right; ask your proctor for it"), field="access_code")


def is_open_at(window: Window, at: datetime) -> bool:
    return as_utc(window.opens_at) <= at < as_utc(window.closes_at)


def windows_for(session: Session, user: User, at: datetime | None = None) -> list[Window]:
    """Windows open now whose cohort includes ``user``, by closing time."""
    at = at or now()
    query = (select(Window).join(Enrolment, Enrolment.cohort_id == Window.cohort_id)
             .where(Enrolment.user_id == user.id, Window.opens_at <= at, Window.closes_at > at)
             .order_by(Window.closes_at, Window.id))
    return list(session.scalars(query))


def proctor_window_ids(session: Session, proctor: User) -> list[int]:
    return list(session.scalars(select(WindowProctor.window_id).where(WindowProctor.user_id == proctor.id)))


def get_window(session: Session, window_id: int) -> Window:
    """:raise NotFound: if there is no such window."""
    window = session.get(Window, window_id)
    if window is None:
        raise NotFound(N_("no window {window_id}"), values={"window_id": window_id})
    return window



def unassign_proctor(session: Session, window: Window, proctor: User, *, actor: User | None = None) -> None:
    """Take a proctor off a window (their past actions stay in the audit log)."""
    row = session.get(WindowProctor, (window.id, proctor.id))
    if row is not None:
        session.delete(row)
        session.flush()
        audit.record(session, "window.proctor_unassigned", actor=actor, subject_type="window",
                     subject_id=window.id, data={"proctor": proctor.id})


# --- what administrators look through -------------------------------------------------------

def list_assessments(session: Session) -> list[Assessment]:
    return list(session.scalars(select(Assessment).order_by(Assessment.code)))


def list_cohorts(session: Session) -> list[Cohort]:
    return list(session.scalars(select(Cohort).order_by(Cohort.name)))


def get_cohort(session: Session, cohort_id: int) -> Cohort:
    """:raise NotFound: if there is no such cohort."""
    cohort = session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound(N_("no cohort {cohort_id}"), values={"cohort_id": cohort_id})
    return cohort


def list_windows(session: Session, assessment_id: int | None = None) -> list[Window]:
    """Windows, latest opening first."""
    query = select(Window).order_by(Window.opens_at.desc(), Window.id.desc())
    if assessment_id is not None:
        query = query.where(Window.assessment_id == assessment_id)
    return list(session.scalars(query))


@dataclass
class Readiness:
    """What a competency's pool (in one bank, or all) holds for an assessment, by proficiency
    level and sub-area: operational items (scored), approved ones (pretest) and how many of
    each are calibrated in the competency's active parameter set."""

    sub_areas: list[str | None]
    # (level, sub_area) -> {"operational": n, "pretest": n, "calibrated": n}
    cells: dict[tuple[int, str | None], dict[str, int]]
    parameter_set_id: int | None

    def count(self, level: int | None, sub_area: str | None, kind: str = "operational") -> int:
        """Items of ``kind`` a blueprint cell (None: any level or sub-area) may draw on."""
        probe = BlueprintCell(level, sub_area, 1)
        return sum(counts[kind] for (lvl, sub), counts in self.cells.items() if probe.holds(lvl, sub))

    @property
    def totals(self) -> dict[str, int]:
        return {kind: self.count(None, None, kind) for kind in ("operational", "pretest", "calibrated")}

    def shortfalls(self, blueprint: dict[str, Any]) -> list[str]:
        """Blueprint cells the operational pool cannot fill, in words."""
        return [f"{cell.label} needs {cell.count}, the pool holds {self.count(cell.level, cell.sub_area)}"
                for cell in blueprint_cells(blueprint) if self.count(cell.level, cell.sub_area) < cell.count]


def readiness(session: Session, competency_id: int, bank_id: int | None = None) -> Readiness:
    """The pool of ``competency_id`` (in ``bank_id`` only, when given)."""
    from sqlalchemy import func

    from piaa.delivery.parameters import active_parameter_set_id
    from piaa.items.calibration_models import ItemParameter
    from piaa.items.models import APPROVED, OPERATIONAL, Item

    where = [Item.competency_id == competency_id, Item.state.in_((OPERATIONAL, APPROVED))]
    if bank_id is not None:
        where.append(Item.bank_id == bank_id)
    cells: dict[tuple[int, str | None], dict[str, int]] = {}

    def cell(level, sub_area):
        return cells.setdefault((level, sub_area), {"operational": 0, "pretest": 0, "calibrated": 0})

    for level, sub_area, state, count in session.execute(
            select(Item.level, Item.sub_area, Item.state, func.count(Item.id)).where(*where)
            .group_by(Item.level, Item.sub_area, Item.state)):
        cell(level, sub_area)["operational" if state == OPERATIONAL else "pretest"] += count
    set_id = active_parameter_set_id(session, competency_id)
    if set_id is not None:
        for level, sub_area, count in session.execute(
                select(Item.level, Item.sub_area, func.count(Item.id))
                .join(ItemParameter, ItemParameter.item_id == Item.id)
                .where(ItemParameter.parameter_set_id == set_id, *where)
                .group_by(Item.level, Item.sub_area)):
            cell(level, sub_area)["calibrated"] += count
    sub_areas = sorted({sub for _, sub in cells}, key=lambda s: (s is None, s or ""))
    return Readiness(sub_areas=sub_areas, cells=cells, parameter_set_id=set_id)


def items_in_order(session: Session, entries: list[tuple[int, int | None]]) -> list[dict[str, Any]]:
    """What an administrator previews of a form: for each ``(item id, version number)``
    (None: the current version) in order, the item's code, level, sub-area and stem."""
    from piaa.items.models import Item, ItemVersion

    ids = [item_id for item_id, _ in entries]
    found = {item.id: item for item in session.scalars(select(Item).where(Item.id.in_(ids)))}
    versions = {(v.item_id, v.number): v for v in session.scalars(
        select(ItemVersion).where(ItemVersion.item_id.in_(ids)))}
    rows = []
    for position, (item_id, number) in enumerate(entries, start=1):
        item = found[item_id]
        version = versions[(item_id, number or item.current_version)]
        stem = version.content.get("stem") if isinstance(version.content, dict) else None
        rows.append({"position": position, "item_id": item_id, "code": item.code, "version": version.number,
                     "level": version.level, "sub_area": version.sub_area,
                     "stem": stem if isinstance(stem, dict) else {"en": str(stem or "")}})
    return rows
