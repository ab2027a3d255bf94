"""Changes to who may call, announced to every process that remembers callers
(``piaa.accounts.holders``).

A process that commits a change to a user or a token (deactivated, another role, signed out
everywhere, a token revoked) moves a stamp; a process that finds the stamp moved forgets every
caller it remembered before it recalls the next one. Two stamps:

* on one machine, 8 bytes of a file (``PIAA_HOLDER_STAMP``, in the instance folder by default)
  mapped into memory by every process of the service there: gunicorn's workers, the job worker,
  the command line. Reading it costs a memory read, so it is read on every recall and a change
  counts at the next request;
* across machines, when ``PIAA_REDIS_URL`` is set, a Redis counter, read at most once every
  ``REDIS_POLL_S`` per process: a change made on one machine counts on the others within that.

A stamp that cannot be read or written (Redis away) only leaves the remembered callers to
their time to live, ``holders.HOLDER_TTL_S``; Redis is then left alone for ``REDIS_BACKOFF_S``
so that no request waits on it twice in a row.
"""
from __future__ import annotations

import logging
import mmap
import os
import time
from pathlib import Path

STAMP_BYTES = 8
REDIS_KEY = "piaa:holders:stamp"
REDIS_POLL_S = 1.0
REDIS_BACKOFF_S = 10.0
REDIS_TIMEOUT_S = 0.2

log = logging.getLogger(__name__)


class FileStamp:
    """8 bytes of a file shared by the processes of one machine, mapped into memory."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < STAMP_BYTES:
                os.ftruncate(fd, STAMP_BYTES)
            self._map = mmap.mmap(fd, STAMP_BYTES)
        finally:
            os.close(fd)  # the mapping keeps the file
        self.path = path
        self._seen = self._map[:STAMP_BYTES]

    def moved(self) -> bool:
        now = self._map[:STAMP_BYTES]
        if now == self._seen:
            return False
        self._seen = now
        return True

    def move(self) -> None:
        # Any new value tells the others; the writer itself forgets once more, harmlessly.
        self._map[:STAMP_BYTES] = os.urandom(STAMP_BYTES)


class RedisStamp:
    """A counter in Redis, read by each process at most once every ``REDIS_POLL_S``."""

    def __init__(self, url: str):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_S,
                                           socket_connect_timeout=REDIS_TIMEOUT_S)
        self._seen: int | None = None
        self._next_read = 0.0

    def moved(self) -> bool:
        at = time.monotonic()
        if at < self._next_read:
            return False
        self._next_read = at + REDIS_POLL_S
        now = self._call("get")
        if now is None:
            return False
        moved, self._seen = self._seen is not None and now != self._seen, now
        return moved

    def move(self) -> None:
        self._call("incr")

    def _call(self, command: str) -> int | None:
        """The stamp after ``command`` (0 while no change was ever announced; GET answers
        bytes, INCR a number), or None if Redis did not answer."""
        import redis

        try:
            value = getattr(self._redis, command)(REDIS_KEY)
        except redis.RedisError as exc:
            self._next_read = time.monotonic() + REDIS_BACKOFF_S
            log.warning("holder stamp in Redis unreachable (%s): callers stay remembered up to "
                        "their time to live", type(exc).__name__)
            return None
        return int(value or 0)


class Announcements:
    """The stamps this process reads and moves (none until ``watch``)."""

    def __init__(self):
        self.stamps: list[FileStamp | RedisStamp] = []

    def watch(self, stamp_path: Path | None, redis_url: str | None) -> None:
        stamps: list[FileStamp | RedisStamp] = []
        if stamp_path is not None:
            try:
                stamps.append(FileStamp(stamp_path))
            except OSError as exc:  # say, created by another account: serve, and say so
                log.warning("holder stamp %s cannot be opened (%s): changes to users and tokens "
                            "made by other processes count only after the holders' time to live",
                            stamp_path, exc)
        if redis_url:
            stamps.append(RedisStamp(redis_url))
        self.stamps = stamps

    def moved(self) -> bool:
        """Whether any process announced a change since this one last looked."""
        moved = False
        for stamp in self.stamps:
            moved = stamp.moved() or moved  # read every stamp, so each remembers what it saw
        return moved

    def announce(self) -> None:
        for stamp in self.stamps:
            stamp.move()
