"""Who is calling, remembered by each process for a few seconds.

Every request of a signed-in official starts by finding its user: the holder of its Bearer
token, or the user of its session cookie. A candidate answering items calls every few
seconds, and that read was a round trip and an object load on each call. So each process
remembers a user it has read (a detached snapshot of the row, with the token's id and last
use) for ``HOLDER_TTL_S``, and hands later requests a copy merged into their session without
SQL.

What that costs: a token revoked, or a user deactivated or given another role, by another
process is honoured by this one within ``HOLDER_TTL_S``. In this process it is honoured at
once: a flush that changes or deletes a user or a token forgets everything remembered.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session, make_transient_to_detached

from piaa.accounts.models import ApiToken, User

HOLDER_TTL_S = 15.0
HELD_MAX = 50_000  # about one per official sitting at once, per process

_USER_COLUMNS = tuple(column.key for column in User.__mapper__.column_attrs)


@dataclass
class Held:
    """A user as read ``read_at`` (monotonic seconds), and the token it was found by."""

    user: User  # detached: never attached to any request's session
    read_at: float
    token_id: int | None = None
    last_used_at: datetime | None = None

    def fresh(self) -> bool:
        return time.monotonic() - self.read_at <= HOLDER_TTL_S

    def user_in(self, session: Session) -> User:
        """The user, as an object of ``session`` (no SQL)."""
        return session.merge(self.user, load=False)


_HELD: dict[object, Held] = {}
_LOCK = threading.Lock()


def recall(key: object) -> Held | None:
    """What is remembered under ``key``, if it was read within ``HOLDER_TTL_S``."""
    held = _HELD.get(key)
    return held if held is not None and held.fresh() else None


def remember(key: object, user: User, token_id: int | None = None,
             last_used_at: datetime | None = None) -> Held:
    """Remember a snapshot of ``user`` (read just now) under ``key``."""
    snapshot = User(**{name: getattr(user, name) for name in _USER_COLUMNS})
    make_transient_to_detached(snapshot)
    held = Held(snapshot, time.monotonic(), token_id, last_used_at)
    with _LOCK:
        if len(_HELD) >= HELD_MAX:
            _HELD.pop(next(iter(_HELD)))
        _HELD[key] = held
    return held


def forget(key: object) -> None:
    with _LOCK:
        _HELD.pop(key, None)


def forget_all(*_args) -> None:
    with _LOCK:
        _HELD.clear()


# A change to a user or a token written by this process reaches its next request at once.
for _model in (User, ApiToken):
    for _change in ("after_update", "after_delete"):
        event.listen(_model, _change, forget_all)
