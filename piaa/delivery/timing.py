"""Deadlines, computed on the server from the attempt's own record; the browser's timer is
only a display.

A deadline is the start plus the time limit scaled by the candidate's accommodation, plus
any time a proctor granted, plus, under the "clock stops" policy, every second the attempt
spent paused and its disconnections up to the assessment's cap per sitting.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

CLOCK_STOPS, CLOCK_RUNS = "clock_stops", "clock_runs"
PAUSE_POLICIES = (CLOCK_STOPS, CLOCK_RUNS)
# Answers in flight when the clock hits zero are still accepted for this long.
ANSWER_GRACE = timedelta(seconds=5)


@dataclass(frozen=True)
class Timing:
    started_at: datetime
    time_limit_s: int
    time_factor: float = 1.0
    extra_time_s: int = 0
    paused_total_s: float = 0.0
    paused_since: datetime | None = None
    pause_policy: str = CLOCK_STOPS
    paused_since_cap_s: float | None = None  # an ongoing stop counts this long at most

    def __post_init__(self):
        if self.pause_policy not in PAUSE_POLICIES:
            raise ValueError(f"pause_policy must be one of {PAUSE_POLICIES}, got {self.pause_policy!r}")
        if self.time_factor <= 0:
            raise ValueError(f"time_factor must be positive, got {self.time_factor}")

    def paused_seconds(self, at: datetime) -> float:
        """Seconds given back under "clock stops", counting an ongoing pause up to ``at``."""
        if self.pause_policy != CLOCK_STOPS:
            return 0.0
        ongoing = max((at - self.paused_since).total_seconds(), 0.0) if self.paused_since else 0.0
        if self.paused_since_cap_s is not None:
            ongoing = min(ongoing, self.paused_since_cap_s)
        return self.paused_total_s + ongoing

    def deadline(self, at: datetime) -> datetime:
        allowed = self.time_limit_s * self.time_factor + self.extra_time_s
        return self.started_at + timedelta(seconds=allowed + self.paused_seconds(at))

    def time_left_s(self, at: datetime) -> float:
        return max((self.deadline(at) - at).total_seconds(), 0.0)

    def accepts_answer_at(self, at: datetime) -> bool:
        return at <= self.deadline(at) + ANSWER_GRACE

    def is_overdue(self, at: datetime) -> bool:
        return at > self.deadline(at)
