"""The legal-move table and the server's deadline arithmetic."""
from datetime import datetime, timedelta, timezone

import pytest

from piaa.delivery import states
from piaa.delivery.timing import CLOCK_RUNS, CLOCK_STOPS, Timing

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def test_every_legal_move_and_no_other():
    legal = {("check_in", "created"), ("start", "checked_in"), ("pause", "in_progress"),
             ("resume", "paused"), ("submit", "in_progress"), ("time_out", "in_progress"),
             ("time_out", "paused"), ("terminate", "checked_in"), ("terminate", "in_progress"),
             ("terminate", "paused"), ("score", "submitted"), ("score", "timed_out"),
             ("score", "terminated"), ("await_ratings", "submitted"), ("await_ratings", "timed_out"),
             ("await_ratings", "terminated"), ("score", "awaiting_ratings")} | \
        {("void", s) for s in states.STATES if s != "voided"}
    for event in states.TRANSITIONS:
        for state in states.STATES:
            assert (states.target_of(event, state) is not None) == ((event, state) in legal), (event, state)
    assert states.target_of("no_such_event", "created") is None


def test_status_groups_partition_the_states():
    for state in states.STATES:
        assert states.is_open(state) + states.is_finished(state) + (state == "voided") == 1


def test_deadline_scales_with_accommodation_and_adds_proctor_time():
    timing = Timing(started_at=T0, time_limit_s=1800, time_factor=1.25, extra_time_s=300)
    assert timing.deadline(T0) == T0 + timedelta(seconds=1800 * 1.25 + 300)


def test_clock_stops_policy_gives_paused_time_back_exactly():
    paused_at = T0 + timedelta(minutes=10)
    timing = Timing(started_at=T0, time_limit_s=600, paused_total_s=42.5, paused_since=paused_at,
                    pause_policy=CLOCK_STOPS)
    later = paused_at + timedelta(seconds=90)
    assert timing.deadline(later) == T0 + timedelta(seconds=600 + 42.5 + 90)
    runs = Timing(started_at=T0, time_limit_s=600, paused_total_s=42.5, paused_since=paused_at,
                  pause_policy=CLOCK_RUNS)
    assert runs.deadline(later) == T0 + timedelta(seconds=600)


def test_answers_accepted_within_grace_only():
    timing = Timing(started_at=T0, time_limit_s=60)
    assert timing.accepts_answer_at(T0 + timedelta(seconds=64))
    assert not timing.accepts_answer_at(T0 + timedelta(seconds=66))
    assert timing.is_overdue(T0 + timedelta(seconds=61)) and timing.time_left_s(T0 + timedelta(seconds=61)) == 0


def test_bad_policy_is_named():
    with pytest.raises(ValueError, match="'forever'"):
        Timing(started_at=T0, time_limit_s=60, pause_policy="forever")
