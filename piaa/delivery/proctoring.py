"""Proctoring: browser signals in batches, warnings the candidate sees, the proctor's actions
(admit, warn, pause / resume, add time, terminate with a reason code, void, incident note),
the live overview of a proctor's windows and the post-hoc timeline of one attempt.

Every proctor action goes through ``piaa.delivery.attempts.transition`` when it changes the
state, and is written both to the attempt's timeline and to the audit log.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, inspect, select
from sqlalchemy.orm import Session

from piaa import audit
from piaa.accounts.models import ADMIN, User
from piaa.audit import AuditEvent
from piaa.clock import as_utc, now
from piaa.delivery import attempts as attempt_service
from piaa.delivery import states
from piaa.delivery.assessments import proctor_window_ids
from piaa.delivery.events import CLIENT_SIGNALS, record_event
from piaa.delivery.models import (CLIENT, INFO, PROCTOR, SERVER, Attempt, AttemptEvent, AttemptItem)
from piaa.errors import Conflict, Invalid, NotFound
from piaa.i18n import N_

MAX_BATCH = 200
# What one candidate may add to the proctor's timeline: a signal's data (the browser sends
# none today) is kept up to MAX_SIGNAL_DATA_BYTES of JSON, and at most MAX_SIGNALS_PER_MINUTE
# signals are stored per attempt; beyond that one "signals_over_rate" event counts them by
# kind, so a flood can neither fill the database nor hide a signal from the proctor.
MAX_SIGNAL_DATA_BYTES = 1024
MAX_SIGNAL_DATA_KEYS = 10
MAX_SIGNALS_PER_MINUTE = 60
MAX_EXTRA_TIME_S = 2 * 3600
TERMINATION_REASONS = {
    "impersonation": N_("Someone other than the enrolled official was sitting"),
    "unauthorised_material": N_("Use of notes, devices or other unauthorised material"),
    "collusion": N_("Help from or to another person"),
    "disruptive_conduct": N_("Conduct that disrupted the sitting"),
    "technical_failure": N_("A technical failure made a fair sitting impossible"),
    "candidate_request": N_("The candidate asked to stop"),
    "other": N_("Another reason, described in the note"),
}


# --- the candidate's side ------------------------------------------------------------------

def _client_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def receive_signals(session: Session, attempt_id: int, user: User, signals: Any,
                    client: attempt_service.ClientInfo | None = None) -> tuple[Attempt, int]:
    """Store a batch of browser signals; heartbeats only mark the contact. Returns the
    attempt (after closing it if its time is up) and how many signals were stored.

    :raise Invalid: naming the first signal of an unknown kind or a batch that is too long.
    """
    if not isinstance(signals, list):
        raise Invalid(N_('send {"events": [{"kind": ..., "at": ISO time, "data": {...}}, ...]}'), field="events")
    if len(signals) > MAX_BATCH:
        raise Invalid(N_("at most {max_batch} signals per batch, got {n_signals}"), field="events",
                      values={"max_batch": MAX_BATCH, "n_signals": len(signals)})
    for i, signal in enumerate(signals):
        if not isinstance(signal, dict) or signal.get("kind") not in CLIENT_SIGNALS:
            kind = signal.get("kind") if isinstance(signal, dict) else signal
            raise Invalid(N_("events[{i}]: unknown signal {kind}; known: {client_signals}"),
                          field=f"events[{i}].kind",
                          values={"i": i, "kind": repr(kind), "client_signals": ', '.join(CLIENT_SIGNALS)})
    attempt = attempt_service.poll(session, attempt_id, user, client)
    kept = [signal for signal in signals if signal["kind"] != "heartbeat"]
    stored = 0
    if states.is_open(attempt.state) and kept:
        at = now()
        room = max(0, MAX_SIGNALS_PER_MINUTE - session.scalar(_RECENT_SIGNALS, {
            "attempt_id": attempt.id, "since": at - timedelta(minutes=1)}))
        for signal in kept[:room]:
            record_event(session, attempt.id, CLIENT, signal["kind"], at=at,
                         client_at=_client_time(signal.get("at")), data=_signal_data(signal.get("data")))
            stored += 1
        if over := Counter(signal["kind"] for signal in kept[room:]):
            record_event(session, attempt.id, SERVER, "signals_over_rate", at=at,
                         data={"per_minute": MAX_SIGNALS_PER_MINUTE, "counts": dict(over)})
    session.flush()
    return attempt, stored


_RECENT_SIGNALS = (select(func.count()).select_from(AttemptEvent)
                   .where(AttemptEvent.attempt_id == bindparam("attempt_id"), AttemptEvent.source == CLIENT,
                          AttemptEvent.at >= bindparam("since")))


def _signal_data(data: Any) -> dict[str, Any]:
    """A signal's data as stored: its first keys, or only its size when too large."""
    if not isinstance(data, dict):
        return {}
    data = dict(list(data.items())[:MAX_SIGNAL_DATA_KEYS])
    size = len(json.dumps(data, default=str))
    return data if size <= MAX_SIGNAL_DATA_BYTES else {"dropped_bytes": size}


# Asked on every candidate call that returns the attempt's status: built once.
_PENDING_WARNINGS = (select(AttemptEvent).where(AttemptEvent.attempt_id == bindparam("attempt_id"),
                                                AttemptEvent.kind == "warning",
                                                AttemptEvent.acknowledged_at.is_(None))
                     .order_by(AttemptEvent.id))


def pending_warnings(session: Session, attempt: Attempt) -> list[dict[str, Any]]:
    """Warnings from the proctor the candidate has not acknowledged yet."""
    if "warning_pending" not in inspect(attempt).unloaded and not attempt.warning_pending:
        # Read with the attempt: none waits. One sent while this call waited for the lock
        # shows on the candidate's next call, seconds later.
        return []
    rows = session.scalars(_PENDING_WARNINGS, {"attempt_id": attempt.id})
    return [{"id": w.id, "message": w.data.get("message", ""), "at": as_utc(w.at).isoformat()}
            for w in rows]


def acknowledge_warning(session: Session, attempt_id: int, user: User, warning_id: int) -> None:
    """:raise NotFound: if the warning is not one sent on the caller's attempt."""
    attempt = attempt_service.candidate_attempt(session, attempt_id, user)
    warning = session.get(AttemptEvent, warning_id)
    if warning is None or warning.attempt_id != attempt.id or warning.kind != "warning":
        raise NotFound(N_("no warning {warning_id} on attempt {attempt_id}"),
                       values={"warning_id": warning_id, "attempt_id": attempt_id})
    if warning.acknowledged_at is None:
        warning.acknowledged_at = now()
    session.flush()


# --- the proctor's side --------------------------------------------------------------------

def watched_attempt(session: Session, proctor: User, attempt_id: int) -> Attempt:
    """An attempt in one of the proctor's windows (administrators: any).

    :raise NotFound: otherwise.
    """
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or (proctor.role != ADMIN
                           and attempt.window_id not in proctor_window_ids(session, proctor)):
        raise NotFound(N_("no attempt {attempt_id} in your windows"), values={"attempt_id": attempt_id})
    return attempt


def _act(session: Session, attempt: Attempt, proctor: User, kind: str, data: dict[str, Any]) -> None:
    record_event(session, attempt.id, PROCTOR, kind, actor=proctor, data=data)
    audit.record(session, f"proctor.{kind}", actor=proctor, subject_type="attempt",
                 subject_id=attempt.id, data=data)


def _reason(reason: Any, required: bool = True) -> str | None:
    text = reason.strip() if isinstance(reason, str) else ""
    if required and not text:
        raise Invalid(N_("give a reason; it is kept in the attempt's record"), field="reason")
    return text[:1000] or None


def admit(session: Session, proctor: User, attempt_id: int) -> Attempt:
    """Let the candidate start (where the policy asks for admission), or resume on another
    device: the attempt is freed from the client it was bound to."""
    attempt = attempt_service.lock_attempt(session, watched_attempt(session, proctor, attempt_id).id)
    if not states.is_open(attempt.state):
        raise Conflict(N_("attempt {attempt_id} is {attempt_state}; there is nothing to admit"), field="state",
                       values={"attempt_id": attempt.id, "attempt_state": attempt.state})
    attempt.admitted_at, attempt.admitted_by_id, attempt.client_id = now(), proctor.id, None
    _act(session, attempt, proctor, "admit", {"state": attempt.state})
    session.flush()
    return attempt


def warn(session: Session, proctor: User, attempt_id: int, message: Any) -> AttemptEvent:
    """A warning the candidate sees (and acknowledges) on their screen."""
    attempt = watched_attempt(session, proctor, attempt_id)
    text = message.strip() if isinstance(message, str) else ""
    if not text or len(text) > 500:
        raise Invalid(N_("a warning needs a message of 1-500 characters"), field="message")
    if not states.is_open(attempt.state):
        raise Conflict(N_("attempt {attempt_id} is {attempt_state}; the candidate is not sitting"), field="state",
                       values={"attempt_id": attempt.id, "attempt_state": attempt.state})
    record_event(session, attempt.id, PROCTOR, "warning", actor=proctor, data={"message": text})
    audit.record(session, "proctor.warning", actor=proctor, subject_type="attempt",
                 subject_id=attempt.id, data={"message": text})
    session.flush()
    return session.scalar(select(AttemptEvent).where(AttemptEvent.attempt_id == attempt.id,
                                                     AttemptEvent.kind == "warning")
                          .order_by(AttemptEvent.id.desc()).limit(1))


def pause(session: Session, proctor: User, attempt_id: int, reason: Any = None) -> Attempt:
    """Stop the sitting for a while (under "clock stops" the time is given back)."""
    text = _reason(reason, required=False)
    attempt = watched_attempt(session, proctor, attempt_id)
    attempt = attempt_service.transition(session, attempt, "pause", actor=proctor, reason=text)
    record_event(session, attempt.id, PROCTOR, "pause", actor=proctor, data={"reason": text})
    return attempt


def resume(session: Session, proctor: User, attempt_id: int) -> Attempt:
    attempt = watched_attempt(session, proctor, attempt_id)
    attempt = attempt_service.transition(session, attempt, "resume", actor=proctor)
    record_event(session, attempt.id, PROCTOR, "resume", actor=proctor)
    return attempt


def add_time(session: Session, proctor: User, attempt_id: int, seconds: Any, reason: Any) -> Attempt:
    """Grant extra time; the deadline moves at once.

    :raise Invalid: unless 1 s to 2 h with a reason.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 1 <= seconds <= MAX_EXTRA_TIME_S:
        raise Invalid(N_("seconds must be a whole number from 1 to {max_extra_time_s}, got {seconds}"),
                      field="seconds",
                      values={"max_extra_time_s": MAX_EXTRA_TIME_S, "seconds": repr(seconds)})
    text = _reason(reason)
    attempt = attempt_service.lock_attempt(session, watched_attempt(session, proctor, attempt_id).id)
    if not states.is_open(attempt.state):
        raise Conflict(N_("attempt {attempt_id} is {attempt_state}; time can no longer be added"), field="state",
                       values={"attempt_id": attempt.id, "attempt_state": attempt.state})
    attempt.extra_time_s += seconds
    attempt_service.refresh_deadline(attempt, now())
    _act(session, attempt, proctor, "add_time", {"seconds": seconds, "total_extra_s": attempt.extra_time_s,
                                                 "reason": text})
    session.flush()
    return attempt


def terminate(session: Session, proctor: User, attempt_id: int, reason_code: Any, note: Any = "") -> Attempt:
    """End the sitting for a stated reason; what was answered is scored (voiding is a
    separate decision).

    :raise Invalid: if the reason code is not one of ``TERMINATION_REASONS``.
    """
    if reason_code not in TERMINATION_REASONS:
        raise Invalid(N_("reason_code must be one of {termination_reasons}, got {reason_code}"),
                      field="reason_code",
                      values={"termination_reasons": ', '.join(TERMINATION_REASONS), "reason_code": repr(reason_code)})
    text = _reason(note, required=reason_code == "other")
    attempt = watched_attempt(session, proctor, attempt_id)
    record_event(session, attempt.id, PROCTOR, "terminate", actor=proctor,
                 data={"reason_code": reason_code, "note": text})
    return attempt_service.finish(session, attempt, "terminate", actor=proctor, reason=reason_code)


def void(session: Session, proctor: User, attempt_id: int, reason: Any) -> Attempt:
    """Declare the attempt void: it counts for nothing (its items stay seen)."""
    text = _reason(reason)
    attempt = watched_attempt(session, proctor, attempt_id)
    record_event(session, attempt.id, PROCTOR, "void", actor=proctor, data={"reason": text})
    return attempt_service.transition(session, attempt, "void", actor=proctor, reason=text)


def incident_note(session: Session, proctor: User, attempt_id: int, text: Any) -> AttemptEvent:
    attempt = watched_attempt(session, proctor, attempt_id)
    note = text.strip() if isinstance(text, str) else ""
    if not note or len(note) > 5000:
        raise Invalid(N_("an incident note needs 1-5000 characters of text"), field="text")
    event = record_event(session, attempt.id, PROCTOR, "incident_note", actor=proctor, data={"text": note})
    audit.record(session, "proctor.incident_note", actor=proctor, subject_type="attempt",
                 subject_id=attempt.id, data={"text": note})
    session.flush()
    return event


# --- overview and timeline -----------------------------------------------------------------

def overview(session: Session, proctor: User, window_id: int | None = None) -> list[dict[str, Any]]:
    """Every attempt in the proctor's windows (or one of them): state, position, time left,
    last seen and flags counted by severity."""
    query = select(Attempt).order_by(Attempt.window_id, Attempt.id)
    if proctor.role != ADMIN:
        query = query.where(Attempt.window_id.in_(proctor_window_ids(session, proctor)))
    if window_id is not None:
        query = query.where(Attempt.window_id == window_id)
    attempts = list(session.scalars(query))
    ids = [a.id for a in attempts]
    flags: dict[int, dict[str, int]] = {}
    if ids:
        for attempt_id, severity, count in session.execute(
                select(AttemptEvent.attempt_id, AttemptEvent.severity, func.count())
                .where(AttemptEvent.attempt_id.in_(ids), AttemptEvent.severity != INFO)
                .group_by(AttemptEvent.attempt_id, AttemptEvent.severity)):
            flags.setdefault(attempt_id, {})[severity] = count
    at = now()
    rows = []
    for attempt in attempts:
        counts = flags.get(attempt.id, {})
        rows.append({
            "id": attempt.id, "window_id": attempt.window_id, "state": attempt.state,
            "candidate": {"id": attempt.user_id, "name": attempt.user.name, "name_hi": attempt.user.name_hi},
            "position": attempt.current_position, "planned_items": attempt.planned_items,
            "time_left_s": round(attempt_service.time_left_s(attempt, at), 1),
            "last_seen": as_utc(attempt.last_seen_at).isoformat() if attempt.last_seen_at else None,
            "disconnected": attempt_service.disconnected_since(attempt, at) is not None,
            "admitted": attempt.admitted_at is not None,
            "flags": {"high": counts.get("high", 0), "medium": counts.get("medium", 0),
                      "low": counts.get("low", 0)},
            "level": attempt.level,
        })
    return rows


def timeline(session: Session, proctor: User, attempt_id: int) -> dict[str, Any]:
    """The full record of an attempt for post-hoc review: state changes and proctor actions
    (audit log), signals, and when each item was shown and answered."""
    attempt = watched_attempt(session, proctor, attempt_id)
    audit_rows = session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "attempt",
                                                          AuditEvent.subject_id == str(attempt.id))
                                 .order_by(AuditEvent.id))
    events = session.scalars(select(AttemptEvent).where(AttemptEvent.attempt_id == attempt.id)
                             .order_by(AttemptEvent.at, AttemptEvent.id))
    items = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)
                            .order_by(AttemptItem.position))

    def iso(value):
        return as_utc(value).isoformat() if value else None

    return {
        "attempt": {"id": attempt.id, "state": attempt.state, "candidate": attempt.user.name,
                    "window_id": attempt.window_id, "started_at": iso(attempt.started_at),
                    "ended_at": iso(attempt.ended_at), "end_reason": attempt.end_reason,
                    "extra_time_s": attempt.extra_time_s, "paused_total_s": round(attempt.paused_total_s, 3),
                    "theta": attempt.theta, "se": attempt.se, "level": attempt.level,
                    "score_method": attempt.score_method},
        "audit": [{"at": iso(r.at), "action": r.action, "actor_id": r.actor_id, "data": r.data}
                  for r in audit_rows],
        "events": [{"id": e.id, "at": iso(e.at), "client_at": iso(e.client_at), "source": e.source,
                    "kind": e.kind, "severity": e.severity, "data": e.data, "actor_id": e.actor_id}
                   for e in events],
        "items": [{"position": r.position, "code": r.item.code, "presented_at": iso(r.presented_at),
                   "first_answered_at": iso(r.first_answered_at), "answered_at": iso(r.answered_at),
                   "locked_at": iso(r.locked_at), "seq": r.seq, "answered": r.answer is not None}
                  for r in items],
    }
