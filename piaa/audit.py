"""Append-only audit log whose rows are chained by SHA-256, so tampering is detectable.

Each row's hash covers the previous row's hash and the row's own content. Changing,
deleting or inserting a row breaks the chain from that row on; ``verify_chain`` names the
first row that no longer fits. ``record`` appends one event; ``record_many`` appends a
batch (a bank import) with one lock and one read of the tail.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, event, insert, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from piaa.clock import as_utc, now
from piaa.extensions import db
from piaa.i18n import N_

GENESIS = "0" * 64


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (db.Index("ix_audit_subject", "subject_type", "subject_id"),)


def _digest(prev_hash: str, at: datetime, actor_id: int | None, action: str,
            subject_type: str, subject_id: str, data: dict) -> str:
    # Canonical JSON so the same row always hashes the same on every database.
    body = json.dumps({"at": as_utc(at).isoformat(timespec="microseconds"), "actor": actor_id,
                       "action": action, "type": subject_type, "id": subject_id, "data": data},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _lock_chain(session: Session) -> None:
    """Serialise appends so two writers cannot both extend the same tail."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(726001)"))


def _actor_id(actor: Any) -> int | None:
    return actor if isinstance(actor, int) or actor is None else actor.id


def _payload(data: dict | None) -> dict:
    # What the JSON column will hand back, so the hash verifies after a round trip.
    return json.loads(json.dumps(data or {}, default=str))


def _tail(session: Session) -> str:
    """Lock the chain and return the hash its next row must link to."""
    _lock_chain(session)
    session.flush()
    return session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS


def record(session: Session, action: str, *, actor: Any = None, subject_type: str,
           subject_id: Any, data: dict | None = None) -> AuditEvent:
    """Append one event to the chain (in the caller's transaction)."""
    prev_hash = _tail(session)
    actor_id = _actor_id(actor)
    at = now()
    payload = _payload(data)
    row = AuditEvent(at=at, actor_id=actor_id, action=action, subject_type=subject_type,
                     subject_id=str(subject_id), data=payload, prev_hash=prev_hash,
                     hash=_digest(prev_hash, at, actor_id, action, subject_type,
                                  str(subject_id), payload))
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class Event:
    """One event for ``record_many``: the arguments ``record`` takes."""

    action: str
    subject_type: str
    subject_id: Any
    data: dict | None = None
    actor: Any = None


def record_many(session: Session, events: Iterable[Event]) -> int:
    """Append ``events`` to the chain in order (in the caller's transaction); returns how many.

    The rows ``record`` would write one by one (stamped with one moment), chained in memory
    after a single lock and read of the tail, and written by one executemany. Without
    RETURNING, both sqlite3 and psycopg run that as one INSERT per row in the order given, so
    ids ascend in chain order, the order ``verify_chain`` walks.
    """
    prev_hash = _tail(session)
    at = now()
    rows = []
    for entry in events:
        actor_id, subject_id, payload = _actor_id(entry.actor), str(entry.subject_id), _payload(entry.data)
        digest = _digest(prev_hash, at, actor_id, entry.action, entry.subject_type, subject_id, payload)
        rows.append({"at": at, "actor_id": actor_id, "action": entry.action,
                     "subject_type": entry.subject_type, "subject_id": subject_id, "data": payload,
                     "prev_hash": prev_hash, "hash": digest})
        prev_hash = digest
    if rows:
        session.execute(insert(AuditEvent.__table__), rows)
    return len(rows)


@dataclass
class ChainReport:
    ok: bool
    rows: int
    first_broken_id: int | None = None
    reason: str = ""


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the chain in id order; report the first row whose link or hash does not fit."""
    prev_hash, count, last_id = GENESIS, 0, 0
    while True:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.id > last_id)
                               .order_by(AuditEvent.id).limit(batch)).all()
        if not rows:
            return ChainReport(True, count)
        for row in rows:
            if row.prev_hash != prev_hash:
                return ChainReport(False, count, row.id, N_("does not link to the row before it"))
            expected = _digest(row.prev_hash, row.at, row.actor_id, row.action,
                               row.subject_type, row.subject_id, row.data)
            if expected != row.hash:
                return ChainReport(False, count, row.id, N_("content does not match its hash"))
            prev_hash, count, last_id = row.hash, count + 1, row.id


def recent_events(session: Session, limit: int = 20) -> list[AuditEvent]:
    """The newest events, newest first."""
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper, connection, target):  # pragma: no cover - guarded by tests
    raise RuntimeError("audit events are append-only")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper, connection, target):  # pragma: no cover - guarded by tests
    raise RuntimeError("audit events are append-only")
