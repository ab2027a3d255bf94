"""The proctoring timeline of an attempt: signals from the browser and the server, and the
proctor's actions. The kinds and the severity each carries are data, listed here once."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from piaa.clock import now
from piaa.delivery.models import (CLIENT, HIGH, INFO, LOW, MEDIUM, PROCTOR, SERVER, AttemptEvent)
from piaa.delivery.writes import insert_row

# Browser signals the candidate client may send, with the severity of each.
CLIENT_SIGNALS: dict[str, str] = {
    "page_hidden": LOW,
    "window_blur": LOW,
    "fullscreen_exit": MEDIUM,
    "copy": MEDIUM,
    "paste": MEDIUM,
    "context_menu": LOW,
    "second_tab": HIGH,
    "offline": INFO,
    "online": INFO,
    "heartbeat": INFO,
}
# Signals the server raises itself.
SERVER_SIGNALS: dict[str, str] = {
    "ip_change": MEDIUM,
    "user_agent_change": HIGH,
    "concurrent_session": HIGH,
    "heartbeat_lost": MEDIUM,
    "reconnected": INFO,
    "fast_answer": LOW,
    "time_out": INFO,
    "signals_over_rate": MEDIUM,
}
# What proctors do; every one is also an audit event.
PROCTOR_ACTIONS: dict[str, str] = {
    "admit": INFO,
    "warning": INFO,
    "pause": INFO,
    "resume": INFO,
    "add_time": INFO,
    "terminate": INFO,
    "void": INFO,
    "incident_note": INFO,
}
SEVERITY_OF = {CLIENT: CLIENT_SIGNALS, SERVER: SERVER_SIGNALS, PROCTOR: PROCTOR_ACTIONS}


def record_event(session: Session, attempt_id: int, source: str, kind: str, *,
                 data: dict[str, Any] | None = None, actor: Any = None,
                 client_at: datetime | None = None, at: datetime | None = None) -> AttemptEvent:
    """Append one event to an attempt's timeline, in the caller's transaction. It is written
    at once with one INSERT: the candidate's hot calls raise signals (a fast answer), and
    otherwise need no pass of the unit of work."""
    severity = SEVERITY_OF[source][kind]
    event = AttemptEvent(attempt_id=attempt_id, at=at or now(), client_at=client_at, source=source,
                         kind=kind, severity=severity, data=data or {},
                         actor_id=actor if isinstance(actor, int) or actor is None else actor.id,
                         acknowledged_at=None)
    insert_row(session, event)
    return event
