"""The attempt's states and the one table of legal moves between them.

States are stored as these strings and never translated. Status groups are predicates,
so callers ask ``is_open(state)`` instead of listing states. The table is data: the
transition function in ``piaa.delivery.attempts`` refuses any move not listed here.
"""
from __future__ import annotations

CREATED, CHECKED_IN, IN_PROGRESS, PAUSED = "created", "checked_in", "in_progress", "paused"
SUBMITTED, TIMED_OUT, TERMINATED, SCORED, VOIDED = "submitted", "timed_out", "terminated", "scored", "voided"
# The sitting is over and written answers wait for their raters (``piaa.delivery.ratings``).
AWAITING_RATINGS = "awaiting_ratings"
STATES = (CREATED, CHECKED_IN, IN_PROGRESS, PAUSED, SUBMITTED, TIMED_OUT, TERMINATED, AWAITING_RATINGS,
          SCORED, VOIDED)

# event -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "check_in": (frozenset({CREATED}), CHECKED_IN),
    "start": (frozenset({CHECKED_IN}), IN_PROGRESS),
    "pause": (frozenset({IN_PROGRESS}), PAUSED),
    "resume": (frozenset({PAUSED}), IN_PROGRESS),
    "submit": (frozenset({IN_PROGRESS}), SUBMITTED),
    "time_out": (frozenset({IN_PROGRESS, PAUSED}), TIMED_OUT),
    "terminate": (frozenset({CHECKED_IN, IN_PROGRESS, PAUSED}), TERMINATED),
    "await_ratings": (frozenset({SUBMITTED, TIMED_OUT, TERMINATED}), AWAITING_RATINGS),
    "score": (frozenset({SUBMITTED, TIMED_OUT, TERMINATED, AWAITING_RATINGS}), SCORED),
    "void": (frozenset(set(STATES) - {VOIDED}), VOIDED),
}


def target_of(event: str, state: str) -> str | None:
    """The state ``event`` leads to from ``state``, or None if the move is illegal."""
    sources, target = TRANSITIONS.get(event, (frozenset(), None))
    return target if state in sources else None


def is_open(state: str) -> bool:
    """The candidate may still be sitting (or about to sit) this attempt."""
    return state in (CREATED, CHECKED_IN, IN_PROGRESS, PAUSED)


def is_answering(state: str) -> bool:
    """Answers are accepted only while the attempt is running."""
    return state == IN_PROGRESS


def is_clock_running(state: str) -> bool:
    return state == IN_PROGRESS


def is_finished(state: str) -> bool:
    """The sitting is over: answers are frozen, scoring may run."""
    return state in (SUBMITTED, TIMED_OUT, TERMINATED, AWAITING_RATINGS, SCORED)


def is_completed(state: str) -> bool:
    return state in (SCORED, VOIDED) or is_finished(state)
