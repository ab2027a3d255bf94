"""What one server process remembers between requests: a map whose entries may expire a set
time after they were stored and whose oldest entry goes once it holds ``max_size``.

The candidate's hot calls keep a few such maps (who holds a token, the active parameter
set, selection pools, frozen item versions); each says beside it how stale it may be and
why that is safe. Entries are read without the lock (a dict read is atomic) and written under
it, since web workers may run job threads beside the request.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, Hashable

MISSING = object()  # ``get(key, MISSING)`` tells an absent entry from a stored None


class ProcessCache:
    """``ttl_s``: a function giving the seconds an entry stays fresh (read on every lookup,
    so a module constant behind it can be changed by tests), or None for no expiry."""

    def __init__(self, ttl_s: Callable[[], float] | None = None, max_size: int | None = None):
        self.ttl_s, self.max_size = ttl_s, max_size
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default`` if there is none or it has expired."""
        found = self._entries.get(key)
        if found is None or (self.ttl_s is not None and time.monotonic() - found[0] >= self.ttl_s()):
            return default
        return found[1]

    def put(self, key: Hashable, value: Any) -> Any:
        """Store ``value`` under ``key`` (fresh from now); returns it."""
        with self._lock:
            if self.max_size is not None and key not in self._entries and len(self._entries) >= self.max_size:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (time.monotonic(), value)
        return value

    def pop(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self, *_args) -> None:
        """Forget everything (its extra arguments let it serve as an event listener)."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

