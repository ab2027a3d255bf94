"""Who is calling, remembered by each process for a few seconds.

Every request of a signed-in official starts by finding its user: the holder of its Bearer
token, or the user of its session cookie. A candidate answering items calls every few
seconds, and that read was a round trip and an object load on each call. So each process
remembers a user it has read (a detached snapshot of the row, with the token's id and last
use) for ``HOLDER_TTL_S``, and hands later requests a copy merged into their session without
SQL.

A change is honoured at once all the same: a flush that changes or deletes a user or a token
forgets everything this process remembered, and its commit moves the stamps of
``piaa.accounts.holder_changes``, on which every other process forgets too (at its next request
on this machine; within a second on others when Redis is configured). ``HOLDER_TTL_S`` only
bounds a change no commit of the service announced: a row updated by hand in SQL, or one
committed while the stamps could not be moved.

A long time to live matters: a candidate calls every few seconds, but each call goes to any of
the server's processes, so with a short one most calls found themselves forgotten (with 15 s,
4 workers and a call every 8 s, about two in three read the database again).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, make_transient_to_detached, object_session

from piaa.accounts.holder_changes import Announcements
from piaa.accounts.models import ApiToken, User
from piaa.process_cache import ProcessCache

HOLDER_TTL_S = 300.0
UNCHANGED = "holders_unchanged"  # execution option of an UPDATE that changes no one's access
_CHANGED = "piaa.holders.changed"  # in Session.info: a user or token change awaits its commit
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
announcements = Announcements()


def watch(stamp_path: Path | None, redis_url: str | None = None) -> None:
    """Read and move these stamps (``create_app`` calls it with the app's settings)."""
    announcements.watch(stamp_path, redis_url)


def recall(key: object) -> Held | None:
    """What is remembered under ``key``, if it was read within ``HOLDER_TTL_S`` and no
    change was announced since."""
    if announcements.moved():
        _HELD.clear()
    return _HELD.get(key)


def remember(key: object, user: User, token_id: int | None = None,
             last_used_at: datetime | None = None) -> Held:
    """Remember a snapshot of ``user`` (read just now) under ``key``."""
    snapshot = User(**{name: getattr(user, name) for name in _USER_COLUMNS})
    make_transient_to_detached(snapshot)
    return _HELD.put(key, Held(snapshot, token_id, last_used_at))


forget = _HELD.pop
forget_all = _HELD.clear


# A change to a user or a token reaches this process's next request at once, and the other
# processes' once it is committed.
def _row_changed(mapper, connection, target) -> None:
    forget_all()
    session = object_session(target)
    if session is not None:
        session.info[_CHANGED] = True


for _model in (User, ApiToken):
    for _change in ("after_update", "after_delete"):
        event.listen(_model, _change, _row_changed)


@event.listens_for(Session, "do_orm_execute")
def _statement_changes(state: ORMExecuteState) -> None:
    """An UPDATE or DELETE of users or tokens written as a statement (no object flushed)."""
    if ((state.is_update or state.is_delete) and not state.execution_options.get(UNCHANGED)
            and {m.class_ for m in state.all_mappers} & {User, ApiToken}):
        forget_all()
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        announcements.announce()


@event.listens_for(Session, "after_rollback")
def _withdraw(session: Session) -> None:
    session.info.pop(_CHANGED, None)
