"""The server's clock. Deadlines are computed from it, so tests can move time by hand."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, has_app_context


def system_now() -> datetime:
    return datetime.now(timezone.utc)


def now() -> datetime:
    """Aware UTC time from the app's injectable clock (``PIAA_CLOCK``), else the system's."""
    if has_app_context():
        clock = current_app.config.get("PIAA_CLOCK")
        if clock is not None:
            return clock()
    return system_now()


def as_utc(moment: datetime) -> datetime:
    """The same instant in UTC. Databases may hand back naive datetimes (SQLite): those are
    UTC already. An aware time is converted, not relabelled: SQLite stores no offset, so a
    ``+05:30`` time written as given would read back 5.5 hours late."""
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class FakeClock:
    """A settable clock for tests and simulations."""

    def __init__(self, start: datetime | None = None):
        self.current = start or datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta) -> datetime:
        from datetime import timedelta

        self.current += timedelta(**delta)
        return self.current
