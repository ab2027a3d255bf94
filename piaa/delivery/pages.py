"""What the delivery pages show: the candidate's board of assessments, where an attempt's
candidate belongs next, the settings the sitting script runs with, the θ scale of a result,
the proctor's windows and actions, and the merged timeline of an attempt for review.

These helpers read through the delivery services and never commit; the views commit.
Nothing built here for a candidate carries a key, a scoring rule or an IRT parameter:
the sitting page carries the items the candidate API would give (``candidate_view``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from piaa.accounts.models import ADMIN, User
from piaa.clock import as_utc, now
from piaa.delivery import attempts as attempt_service
from piaa.delivery import candidate_view
from piaa.delivery import proctoring, scoring, states
from piaa.delivery.assessments import is_open_at, proctor_window_ids, proctoring_policy, windows_for
from piaa.delivery.models import ADAPTIVE, Attempt, Enrolment, Window
from piaa.i18n import gettext as _
from piaa.i18n import in_language, pick
from piaa.i18n import N_

# Seconds between the sitting page's heartbeats (which also fetch warnings and pauses) and
# between refreshes of the proctor's dashboard; deployments may lower or raise them.
DEFAULT_SITTING_POLL_S = 10.0
DEFAULT_PROCTOR_POLL_S = 3.0
# While a sitting runs undisturbed, its heartbeat comes this much more rarely, but always well
# within the policy's heartbeat timeout (three quarters of it: a 30 s margin by default), so a
# live client is never taken for a lost one.
DEFAULT_SITTING_QUIET_POLL_S = 90.0
QUIET_SHARE_OF_TIMEOUT = 0.75
# Adaptive and linear: milliseconds an answer waits on the device before it is sent alone, so
# that one given just before Next goes with the move in one request.
DEFAULT_ANSWER_HOLD_MS = 1500
# The result scale: θ from -4 to +4 covers practically every official.
SCALE_LOW, SCALE_HIGH = -4.0, 4.0


STATE_LABELS = {
    "created": N_("Not started"), "checked_in": N_("Checked in"), "in_progress": N_("In progress"),
    "paused": N_("Paused"), "submitted": N_("Submitted"), "timed_out": N_("Timed out"),
    "terminated": N_("Terminated"), "awaiting_ratings": N_("Waiting for ratings"), "scored": N_("Finished"),
    "voided": N_("Voided"),
}
MODE_LABELS = {"fixed": N_("Fixed form"), "loft": N_("A form drawn for you"), "adaptive": N_("Adaptive")}
PURPOSE_LABELS = {"pre_course": N_("Before the course"), "post_course": N_("After the course"),
                  "certification": N_("Certification")}


# --- the candidate's board -----------------------------------------------------------------

@dataclass(frozen=True)
class BoardEntry:
    window: Window
    attempt: Attempt | None
    is_open: bool

    @property
    def action(self) -> str:
        """What the candidate can do: begin, continue, see the result, or wait."""
        if not self.is_open:
            return "upcoming"
        if self.attempt is None:
            return "begin"
        if states.is_open(self.attempt.state):
            return "continue"
        return "done" if self.attempt.state != states.VOIDED else "voided"


def candidate_board(session: Session, user: User, at: datetime | None = None) -> dict[str, list]:
    """Open windows (with the latest attempt at each), windows opening later, and every
    finished attempt of ``user``, newest first."""
    at = at or now()
    latest: dict[int, Attempt] = {}
    mine = list(session.scalars(select(Attempt).where(Attempt.user_id == user.id).order_by(Attempt.id)))
    for attempt in mine:
        latest[attempt.window_id] = attempt
    open_now = [BoardEntry(w, latest.get(w.id), True) for w in windows_for(session, user, at)]
    upcoming = session.scalars(select(Window).join(Enrolment, Enrolment.cohort_id == Window.cohort_id)
                               .where(Enrolment.user_id == user.id, Window.opens_at > at)
                               .order_by(Window.opens_at, Window.id))
    finished = [a for a in reversed(mine) if not states.is_open(a.state)]
    return {"open": open_now, "upcoming": [BoardEntry(w, None, False) for w in upcoming],
            "finished": finished}


def page_for(attempt: Attempt) -> str:
    """The URL where the attempt's candidate belongs now."""
    if attempt.state == states.CREATED:
        return url_for("delivery_pages.check_in", attempt_id=attempt.id)
    if states.is_open(attempt.state):
        return url_for("delivery_pages.sitting", attempt_id=attempt.id)
    return url_for("delivery_pages.result", attempt_id=attempt.id)


def parse_system_check(raw: str | None) -> dict[str, Any]:
    """The browser's system check as sent by the check-in page: a small flat JSON object.
    Anything else is recorded as missing rather than refused: the check informs, it does
    not gate."""
    import json

    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {"received": False}
    if not isinstance(data, dict):
        return {"received": False}
    clean = {str(k)[:40]: v for k, v in list(data.items())[:20]
             if isinstance(v, (bool, int, float)) or (isinstance(v, str) and len(v) <= 200)}
    return {"received": True, **clean}


# --- the sitting page ------------------------------------------------------------------------

# Every text the sitting script shows, in English; the page sends them translated.
SITTING_STRINGS = (
    N_("Question {n} of {total}"), N_("Question {n}"), N_("Saving…"), N_("Saved"), N_("Not answered yet"),
    N_("Offline: {n} answer(s) waiting; they are sent as soon as the connection returns."),
    N_("Offline: your answer is kept on this device and sent when the connection returns."),
    N_("Could not save: {message}"), N_("Not saved"), N_("All answers saved"), N_("Time left"), N_("Time is up. Submitting…"),
    N_("5 minutes left"), N_("1 minute left"), N_("{n} minutes left"), N_("Flag for review"),
    N_("Previous"), N_("Next"), N_("Review answers"), N_("Clear answer"), N_("Answered"), N_("Flagged"), N_("Unanswered"),
    N_("Queued"), N_("Back to question"), N_("Submit"), N_("Loading the next question…"),
    N_("The connection is back. Sending your answers…"),
    N_("No answer given. Press Next again to move on without answering."),
    N_("You have {unanswered} unanswered and {flagged} flagged question(s)."),
    N_("Every question has an answer."),
    N_("You are offline. Your answers are safe on this device; submit once the connection returns."),
    N_("Waiting for the proctor to admit you. This page updates by itself."),
    N_("You are admitted. Start when you are ready."),
    N_("This assessment is open in another tab or window. Close the other one: only one may be used."),
    N_("Your session has ended. Sign in again in this browser; your queued answers are kept."),
    N_("The assessment could not start: {message}"), N_("Choose a different position for each entry."),
    N_("Position"), N_("Your answer"), N_("Part {label}"), N_("This answer is final: it cannot be changed after moving on."),
    N_("The proctor has paused your assessment"), N_("The clock is stopped while paused."),
    N_("The clock keeps running while paused."), N_("Message from the proctor"), N_("I understand"),
    N_("All questions are answered. Submit when you are ready."), N_("Items could not be loaded: {message}"),
    N_("Start the assessment"), N_("Pick at most {n} options."), N_("Area"),
    N_("Point {n}"), N_("across, 0 to {n}"), N_("down, 0 to {n}"), N_("A point must lie on the picture."),
    N_("Pair {n}"), N_("first"), N_("second"), N_("Choose two different entries for a pair."),
    N_("Your file"), N_("Save the drawing"), N_("Start again"), N_("Or upload a photo of a drawing made on paper"),
    N_("Draw something first."), N_("{kinds}; at most {size} MB"), N_("Your answer: {name}"),
    N_("The file is too large."), N_("Sending {name}…"),
    N_("The file could not be sent; try again when the connection is back."),
)


def sitting_config(session: Session, attempt: Attempt, user: User) -> dict[str, Any]:
    """The settings and translated texts the sitting script needs, and what the candidate
    API would answer now (``initial``: the status and the items the candidate may see), so
    that the page shows the question without a further round trip. No key or score."""
    assessment = attempt.assessment
    one_at_a_time = attempt_service.shows_one_at_a_time(attempt)
    lang = attempt.language
    from piaa.i18n import current_language

    if current_language() in assessment.languages:
        lang = current_language()
    poll_s = float(current_app.config.get("PIAA_SITTING_POLL_S", DEFAULT_SITTING_POLL_S))
    heartbeat_timeout_s = float(proctoring_policy(assessment)["heartbeat_timeout_s"])
    return {
        "attempt_id": attempt.id,
        "api": url_for("delivery_api.attempt_status", attempt_id=attempt.id),
        "result_url": url_for("delivery_pages.result", attempt_id=attempt.id),
        "mode": assessment.mode,
        "adaptive": assessment.mode == ADAPTIVE,
        "one_at_a_time": one_at_a_time,
        "item_lang": lang,
        "clock_stops": attempt.pause_policy == "clock_stops",
        "poll_s": poll_s,
        "quiet_poll_s": max(poll_s, min(float(current_app.config.get("PIAA_SITTING_QUIET_POLL_S",
                                                                      DEFAULT_SITTING_QUIET_POLL_S)),
                                        heartbeat_timeout_s * QUIET_SHARE_OF_TIMEOUT)),
        "answer_hold_ms": int(current_app.config.get("PIAA_SITTING_ANSWER_HOLD_MS", DEFAULT_ANSWER_HOLD_MS)),
        "heartbeat_timeout_s": heartbeat_timeout_s,
        # The script shows a text as written when it has no translation: send only those that differ.
        "strings": {s: _(s) for s in SITTING_STRINGS if _(s) != s},
        "initial": {"attempt": candidate_view.status(session, attempt),
                    "items": candidate_view.items(session, attempt, lang)},
    }


# --- the result -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScalePoint:
    """Where an estimate and its ±1 standard error band fall on a scale drawn ``width``
    units wide (SVG user units)."""

    x: float
    band_from: float
    band_to: float
    low: float
    high: float


def scale_position(value: float, se: float | None, *, low: float = SCALE_LOW, high: float = SCALE_HIGH,
                   width: float = 100.0) -> ScalePoint:
    """Map ``value`` ± ``se`` linearly from [low, high] onto [0, width], clipped to the scale.

    :raise ValueError: if the scale is empty or ``se`` is negative.
    """
    if not high > low:
        raise ValueError(f"the scale needs high > low, got low={low}, high={high}")
    if se is not None and se < 0:
        raise ValueError(f"a standard error cannot be negative, got {se}")

    def at(v: float) -> float:
        return round(width * (min(max(v, low), high) - low) / (high - low), 2)

    spread = se or 0.0
    return ScalePoint(x=at(value), band_from=at(value - spread), band_to=at(value + spread),
                      low=round(value - spread, 2), high=round(value + spread, 2))


ENDINGS = ("submit", "time_out", "terminate")


def how_it_ended(session: Session, attempt: Attempt) -> str | None:
    """``submit``, ``time_out`` or ``terminate``: the audit log's record of the sitting's end."""
    from piaa.audit import AuditEvent

    action = session.scalar(select(AuditEvent.action).where(
        AuditEvent.subject_type == "attempt", AuditEvent.subject_id == str(attempt.id),
        AuditEvent.action.in_([f"attempt.{e}" for e in ENDINGS])).order_by(AuditEvent.id).limit(1))
    return action.split(".", 1)[1] if action else None


def result_view(session: Session, attempt: Attempt) -> dict[str, Any]:
    """What the result page shows: the scored result, or why there is none."""
    view: dict[str, Any] = {"state": attempt.state, "end_reason": attempt.end_reason,
                            "ended_by": how_it_ended(session, attempt),
                            "title": pick({"en": attempt.assessment.title,
                                           "hi": attempt.assessment.title_hi or attempt.assessment.title}),
                            "result": None, "scale": None, "percent_scale": None}
    if attempt.state != states.SCORED:
        return view
    # The page rounds the stored θ and SE once (to 2 places); result_of's 3-place values are
    # the API's, and rounding those again could move the last digit.
    result = dict(scoring.result_of(attempt), theta=attempt.theta, se=attempt.se)
    view["result"] = result
    # The competency and the level's words in the reader's language, where the dictionary has them.
    competency = attempt.assessment.competency
    described = competency.level(result["level"]) if result["level"] else None
    view["competency"] = in_language(competency, "name")
    view["level_label"] = in_language(described, "label") if described else result["level_label"]
    view["level_descriptor"] = in_language(described, "descriptor") if described else result["level_descriptor"]
    view["next"] = next_steps(session, attempt)
    if result.get("classical"):
        view["marks"] = {"raw": readable(result["classical"]["raw_score"]),
                         "max": readable(result["classical"]["max_score"])}
    if result["theta"] is not None:
        view["scale"] = scale_position(result["theta"], result["se"])
        view["ticks"] = [(v, scale_position(v, None).x) for v in range(int(SCALE_LOW), int(SCALE_HIGH) + 1)]
    elif result.get("classical"):
        percent = result["classical"]["percent"]
        view["percent_scale"] = scale_position(percent, None, low=0.0, high=100.0)
        view["ticks"] = [(v, float(v)) for v in range(0, 101, 25)]
    return view


def readable(value: float | None) -> str:
    """A score as people write it: whole numbers without decimals, others to one decimal
    place ("2.3", not "2.33333")."""
    if value is None:
        return ""
    rounded = round(float(value), 1)
    return f"{rounded:.0f}" if rounded == int(rounded) else f"{rounded:.1f}"


def next_steps(session: Session, attempt: Attempt) -> dict[str, Any]:
    """What the candidate can do after a scored attempt: the certificate it earned (with its
    links), or the level that certifies, the attempts left in the window and whether a
    retake can begin now."""
    from piaa.certificates.services import current_certificate

    assessment, window = attempt.assessment, attempt.window
    certificate = current_certificate(session, attempt.id)
    if certificate is not None and certificate.is_revoked:
        certificate = None
    used = session.scalar(select(func.count(Attempt.id)).where(
        Attempt.window_id == window.id, Attempt.user_id == attempt.user_id, Attempt.state != states.VOIDED)) or 0
    left = max(window.max_attempts - used, 0)
    certifying = assessment.certifying_level
    described = assessment.competency.level(certifying) if certifying else None
    return {
        "certificate": None if certificate is None else {
            "serial": certificate.serial, "level": certificate.level,
            "pdf_url": url_for("certificates.certificate_pdf", public_id=certificate.public_id)
            if certificate.rendered_at else None,
            "verify_url": url_for("certificates.verify_page", public_id=certificate.public_id)},
        "certifying_level": certifying, "certifying_label": described.label if described else "",
        "attempts_left": left, "window_id": window.id, "needs_code": window.access_code_hash is not None,
        "can_retake": certificate is None and left > 0 and is_open_at(window, now()),
    }


# --- proctors -------------------------------------------------------------------------------

def proctor_windows(session: Session, proctor: User) -> list[Window]:
    """The windows a proctor watches (administrators: every window), by opening time."""
    query = select(Window).order_by(Window.opens_at.desc(), Window.id)
    if proctor.role != ADMIN:
        query = query.where(Window.id.in_(proctor_window_ids(session, proctor)))
    return list(session.scalars(query))


def _seconds(form: dict, field: str) -> int:
    """Minutes typed by the proctor as whole seconds.

    :raise Invalid: naming the field if it is not a number of minutes.
    """
    from piaa.errors import Invalid

    raw = (form.get(field) or "").strip()
    try:
        minutes = float(raw)
    except ValueError:
        raise Invalid(N_("{field} must be a number of minutes, got {raw}"), field=field,
                      values={"field": field, "raw": repr(raw)}) from None
    return round(minutes * 60)


# action name -> (what the proctor did, in words; the service call)
ProctorAction = Callable[[Session, User, int, dict], Any]
PROCTOR_ACTIONS: dict[str, tuple[str, ProctorAction]] = {
    "admit": (N_("Candidate admitted."), lambda s, p, a, f: proctoring.admit(s, p, a)),
    "warn": (N_("Warning sent."), lambda s, p, a, f: proctoring.warn(s, p, a, f.get("message"))),
    "pause": (N_("Attempt paused."), lambda s, p, a, f: proctoring.pause(s, p, a, f.get("reason"))),
    "resume": (N_("Attempt resumed."), lambda s, p, a, f: proctoring.resume(s, p, a)),
    "add-time": (N_("Time added."), lambda s, p, a, f: proctoring.add_time(s, p, a, _seconds(f, "minutes"),
                                                                        f.get("reason"))),
    "terminate": (N_("Attempt terminated."), lambda s, p, a, f: proctoring.terminate(
        s, p, a, f.get("reason_code"), f.get("note"))),
    "void": (N_("Attempt voided."), lambda s, p, a, f: proctoring.void(s, p, a, f.get("reason"))),
    "note": (N_("Incident note written."), lambda s, p, a, f: proctoring.incident_note(s, p, a, f.get("text"))),
}


def review_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    """One chronological list from an attempt's timeline: state changes and proctor actions
    from the audit log, signals from browser and server, and each item shown and answered."""
    rows: list[dict[str, Any]] = []
    for entry in record["audit"]:
        if entry["action"].startswith("attempt."):
            rows.append({"at": entry["at"], "source": "state", "kind": entry["action"][8:],
                         "severity": "info", "detail": _detail(entry["data"])})
    for event in record["events"]:
        rows.append({"at": event["at"], "source": event["source"], "kind": event["kind"],
                     "severity": event["severity"], "detail": _detail(event["data"])})
    shown: dict[str, list[str]] = {}  # a form laid out at once is one row, not one per item
    for item in record["items"]:
        if item["presented_at"]:
            shown.setdefault(item["presented_at"], []).append(f"#{item['position'] + 1} {item['code']}")
    for at, labels in shown.items():
        rows.append({"at": at, "source": "item", "kind": "shown", "severity": "info",
                     "detail": ", ".join(labels)})
    for item in record["items"]:
        if item["answered_at"]:
            rows.append({"at": item["answered_at"], "source": "item", "kind": "answered",
                         "severity": "info", "detail": f"#{item['position'] + 1} seq {item['seq']}"})
    rows.sort(key=lambda r: r["at"] or "")
    return rows


def item_timing(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Seconds from showing each item to its first and its last answer."""
    out = []
    for item in record["items"]:
        shown = _when(item["presented_at"])
        first, last = _when(item["first_answered_at"]), _when(item["answered_at"])
        out.append({**item, "to_first_s": _gap(shown, first), "to_last_s": _gap(shown, last)})
    return out


def _when(value: str | None) -> datetime | None:
    return as_utc(datetime.fromisoformat(value)) if value else None


def _gap(start: datetime | None, end: datetime | None) -> float | None:
    return round((end - start).total_seconds(), 1) if start and end else None


def _detail(data: dict | None) -> str:
    """The event's data as "name: value; ...", in the reader's language where they are words."""
    if not data:
        return ""

    def word(value):
        if isinstance(value, bool) or isinstance(value, str):
            value = str(value)
            return _(STATE_LABELS.get(value, value))
        if isinstance(value, dict):  # the browser's system check: {"storage": true, "screen": 360, ...}
            return ", ".join(f"{_(k)} {word(v)}" for k, v in value.items())
        return value

    return "; ".join(f"{_(k)}: {word(v)}" for k, v in data.items() if v not in (None, "", {}, []))[:300]
