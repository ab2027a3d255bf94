"""The sweeper: closes attempts whose time is up even when no client is connected, voids
attempts never started when their window closes, and flags candidates whose heartbeat
stopped. Runs as a job (``piaa.delivery.sweeper.sweep_job``) and as ``piaa delivery sweep``.

Each attempt is handled in its own transaction, so one failure never holds up the rest.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from piaa.clock import now
from piaa.delivery import attempts as attempt_service
from piaa.delivery import states
from piaa.delivery.events import record_event
from piaa.delivery.models import SERVER, Attempt, AttemptEvent, Window

log = logging.getLogger(__name__)
# No assessment sets a heartbeat timeout below this; used to narrow the query.
MIN_HEARTBEAT_TIMEOUT = timedelta(seconds=10)


@dataclass
class SweepReport:
    closed: list[int] = field(default_factory=list)
    heartbeat_lost: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"closed": self.closed, "heartbeat_lost": self.heartbeat_lost, "failed": self.failed}


def due_attempt_ids(session: Session, at: datetime) -> list[int]:
    """Open attempts past their stored deadline or whose window has closed."""
    open_states = (states.CREATED, states.CHECKED_IN, states.IN_PROGRESS, states.PAUSED)
    query = (select(Attempt.id).join(Window, Window.id == Attempt.window_id)
             .where(Attempt.state.in_(open_states),
                    or_(Attempt.deadline_at <= at, Window.closes_at <= at))
             .order_by(Attempt.id))
    return list(session.scalars(query))


def silent_attempt_ids(session: Session, at: datetime) -> list[int]:
    return list(session.scalars(select(Attempt.id).where(
        Attempt.state == states.IN_PROGRESS, Attempt.last_seen_at < at - MIN_HEARTBEAT_TIMEOUT)
        .order_by(Attempt.id)))


def close_due(session: Session, attempt_id: int, at: datetime) -> bool:
    attempt = attempt_service.lock_attempt(session, attempt_id)
    return attempt_service.close_if_overdue(session, attempt, at)


def flag_silence(session: Session, attempt_id: int, at: datetime) -> bool:
    """Record "heartbeat lost" once per silence."""
    attempt = session.get(Attempt, attempt_id)
    gone = attempt_service.disconnected_since(attempt, at)
    if gone is None:
        return False
    known = session.scalar(select(AttemptEvent.id).where(AttemptEvent.attempt_id == attempt.id,
                                                         AttemptEvent.kind == "heartbeat_lost",
                                                         AttemptEvent.at >= gone).limit(1))
    if known:
        return False
    record_event(session, attempt.id, SERVER, "heartbeat_lost", at=at,
                 data={"since": gone.isoformat(), "seconds": round((at - gone).total_seconds(), 3)})
    return True


def sweep(session: Session, at: datetime | None = None) -> SweepReport:
    """One pass; commits after each attempt (this is a unit of work per attempt)."""
    at = at or now()
    report = SweepReport()
    for attempt_id in due_attempt_ids(session, at):
        try:
            if close_due(session, attempt_id, at):
                report.closed.append(attempt_id)
            session.commit()
        except Exception:  # one broken attempt must not stop the sweep; it is logged
            session.rollback()
            log.exception("sweeper could not close attempt %s", attempt_id)
            report.failed.append(attempt_id)
    for attempt_id in silent_attempt_ids(session, at):
        try:
            if flag_silence(session, attempt_id, at):
                report.heartbeat_lost.append(attempt_id)
            session.commit()
        except Exception:  # as above
            session.rollback()
            log.exception("sweeper could not flag attempt %s", attempt_id)
            report.failed.append(attempt_id)
    return report


def sweep_job() -> dict:
    """Job entry point (``enqueue("piaa.delivery.sweeper.sweep_job")``)."""
    from piaa.extensions import db

    return sweep(db.session).as_dict()
