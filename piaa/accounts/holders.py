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

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session, make_transient_to_detached

from piaa.accounts.models import ApiToken, User
from piaa.process_cache import ProcessCache

HOLDER_TTL_S = 15.0
HELD_MAX = 50_000  # about one per official sitting at once, per process

_USER_COLUMNS = tuple(column.key for column in User.__mapper__.column_attrs)


@dataclass
class Held:
    """A user as read, and the token it was found by (its id and last use)."""

    user: User  # detached: never attached to any request's session
    token_id: int | None = None
    last_used_at: datetime | None = None

    def user_in(self, session: Session) -> User:
        """The user, as an object of ``session`` (no SQL)."""
        return session.merge(self.user, load=False)


_HELD = ProcessCache(ttl_s=lambda: HOLDER_TTL_S, max_size=HELD_MAX)


def recall(key: object) -> Held | None:
    """What is remembered under ``key``, if it was read within ``HOLDER_TTL_S``."""
    return _HELD.get(key)


def remember(key: object, user: User, token_id: int | None = None,
             last_used_at: datetime | None = None) -> Held:
    """Remember a snapshot of ``user`` (read just now) under ``key``."""
    snapshot = User(**{name: getattr(user, name) for name in _USER_COLUMNS})
    make_transient_to_detached(snapshot)
    return _HELD.put(key, Held(snapshot, token_id, last_used_at))


forget = _HELD.pop
forget_all = _HELD.clear

# A change to a user or a token written by this process reaches its next request at once.
for _model in (User, ApiToken):
    for _change in ("after_update", "after_delete"):
        event.listen(_model, _change, forget_all)
