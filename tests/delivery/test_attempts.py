"""The attempt: one transition function, the server's clock, answer capture and resume."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from piaa.audit import AuditEvent, verify_chain
from piaa.clock import as_utc
from piaa.delivery import attempts, proctoring
from piaa.delivery.models import AttemptEvent, AttemptItem
from piaa.delivery.sweeper import sweep
from piaa.errors import Conflict, Invalid, NotFound
from tests.delivery.helpers import Sitting, bearer


@pytest.fixture
def running(session, candidate, make_assessment, make_window):
    """A started LOFT attempt (30-minute limit, clock stops on pause)."""
    window = make_window(make_assessment("loft"))
    attempt = attempts.create_attempt(session, candidate, window.id)
    attempts.check_in(session, attempt, candidate, identity_confirmed=True, rules_accepted=True)
    attempts.start(session, attempt, candidate)
    session.commit()
    return attempt


def keep_alive(session, attempt, user, clock, seconds: float, step: float = 30.0) -> None:
    """Let ``seconds`` pass with the client's heartbeat every ``step`` seconds."""
    while seconds > 0:
        clock.advance(seconds=min(step, seconds))
        seconds -= step
        proctoring.receive_signals(session, attempt.id, user, [{"kind": "heartbeat"}])
        session.commit()


def rows(session, attempt):
    return list(session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)
                                .order_by(AttemptItem.position)))


def test_illegal_moves_are_refused_and_every_change_is_audited(session, running, candidate, proctor):
    with pytest.raises(Conflict, match="in progress: cannot check in"):
        attempts.transition(session, running, "check_in", actor=candidate)
    session.rollback()
    attempts.transition(session, running, "pause", actor=proctor, reason="noise in the hall")
    session.commit()
    actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "attempt",
                                                                   AuditEvent.subject_id == str(running.id))
                                   .order_by(AuditEvent.id)))
    assert actions == ["attempt.created", "attempt.check_in", "attempt.start", "attempt.pause"]
    pause = session.scalar(select(AuditEvent).where(AuditEvent.action == "attempt.pause"))
    assert pause.actor_id == proctor.id and pause.data["reason"] == "noise in the hall"
    assert pause.data["from"] == "in_progress" and pause.data["to"] == "paused"
    assert verify_chain(session).ok


def test_same_or_lower_seq_changes_nothing(session, running, candidate):
    ref = rows(session, running)[0].ref
    assert attempts.save_answer(session, running.id, candidate, ref, "A", 3).saved
    again = attempts.save_answer(session, running.id, candidate, ref, "C", 3)
    older = attempts.save_answer(session, running.id, candidate, ref, "C", 2)
    session.commit()
    assert (again.saved, again.seq, older.saved, older.seq) == (False, 3, False, 3)
    assert rows(session, running)[0].answer == "A"
    assert attempts.save_answer(session, running.id, candidate, ref, "C", 4).saved
    session.commit()
    session.expire_all()
    assert rows(session, running)[0].answer == "C" and rows(session, running)[0].seq == 4


def test_bad_answers_and_seqs_are_refused_by_name(session, running, candidate, make_user):
    ref = rows(session, running)[0].ref
    with pytest.raises(Invalid, match="seq must be a whole number"):
        attempts.save_answer(session, running.id, candidate, ref, "A", 0)
    with pytest.raises(Invalid, match="option ids A, B, C, got 'Z'"):
        attempts.save_answer(session, running.id, candidate, ref, "Z", 1)
    with pytest.raises(NotFound):
        attempts.save_answer(session, running.id, make_user(role="candidate"), ref, "A", 1)
    with pytest.raises(NotFound):
        attempts.save_answer(session, running.id, candidate, "no-such-ref", "A", 1)


def test_answer_after_deadline_plus_grace_is_refused(session, running, candidate, clock):
    first, second = (r.ref for r in rows(session, running)[:2])
    keep_alive(session, running, candidate, clock, 1800 + 4)  # inside the 5 s grace
    assert attempts.save_answer(session, running.id, candidate, first, "B", 1).saved
    session.commit()
    clock.advance(seconds=2)
    with pytest.raises(Conflict, match="Time is up") as refused:
        attempts.save_answer(session, running.id, candidate, second, "B", 1)
    assert refused.value.code == "time_up" and refused.value.status == 409


def test_time_factor_and_proctor_time_move_the_deadline(session, candidate, proctor, cohort,
                                                        make_assessment, make_window, clock):
    from piaa.delivery.assessments import enrol

    enrol(session, cohort, candidate, time_factor=1.5)
    window = make_window(make_assessment("loft"))
    attempt = attempts.create_attempt(session, candidate, window.id)
    attempts.check_in(session, attempt, candidate, identity_confirmed=True, rules_accepted=True)
    attempts.start(session, attempt, candidate)
    proctoring.add_time(session, proctor, attempt.id, 300, "power cut")
    session.commit()
    assert attempts.deadline_of(attempt, clock()) == clock() + timedelta(seconds=1800 * 1.5 + 300)
    assert attempt.deadline_at is not None


@pytest.mark.parametrize("policy, given_back", [("clock_stops", 600), ("clock_runs", 0)])
def test_pause_gives_time_back_only_when_the_clock_stops(session, candidate, proctor, make_assessment,
                                                         make_window, clock, policy, given_back):
    window = make_window(make_assessment("loft", pause_policy=policy))
    attempt = attempts.create_attempt(session, candidate, window.id)
    attempts.check_in(session, attempt, candidate, identity_confirmed=True, rules_accepted=True)
    attempts.start(session, attempt, candidate)
    started = clock()
    keep_alive(session, attempt, candidate, clock, 100)
    proctoring.pause(session, proctor, attempt.id, "candidate unwell")
    clock.advance(seconds=600)
    proctoring.resume(session, proctor, attempt.id)
    session.commit()
    assert attempts.deadline_of(attempt, clock()) == started + timedelta(seconds=1800 + given_back)
    assert attempt.paused_total_s == 600


def test_disconnection_is_given_back_exactly_under_clock_stops(session, running, candidate, clock):
    ref = rows(session, running)[0].ref
    started = clock()
    clock.advance(seconds=30)
    attempts.save_answer(session, running.id, candidate, ref, "A", 1)
    session.commit()
    clock.advance(seconds=250)  # silent past the 120 s heartbeat timeout, within the 300 s cap
    assert attempts.deadline_of(running, clock()) == started + timedelta(seconds=1800 + 250)
    attempts.save_answer(session, running.id, candidate, ref, "B", 2)
    session.commit()
    assert running.paused_total_s == 250
    assert attempts.deadline_of(running, clock()) == started + timedelta(seconds=1800 + 250)
    kinds = set(session.scalars(select(AttemptEvent.kind).where(AttemptEvent.attempt_id == running.id)))
    assert {"heartbeat_lost", "reconnected"} <= kinds


def test_sweeper_submits_an_overdue_attempt_without_any_client(session, running, candidate, clock):
    ref = rows(session, running)[0].ref
    attempts.save_answer(session, running.id, candidate, ref, "B", 1)
    session.commit()
    clock.advance(seconds=40)
    attempts.poll(session, running.id, candidate)  # the last contact
    session.commit()
    clock.advance(minutes=20)
    assert sweep(session).closed == []  # disconnected: under "clock stops" the time is held
    # The window's close ends every sitting.
    clock.current = as_utc(running.window.closes_at) + timedelta(seconds=1)
    report = sweep(session)
    assert report.closed == [running.id]
    session.expire_all()
    assert running.state == "scored" and running.end_reason is None
    assert running.raw_score == 1.0


def test_the_server_times_out_a_connected_candidate_after_deadline_and_grace(session, running,
                                                                             candidate, clock):
    for _ in range(70):  # heartbeats every 30 s until past the deadline
        clock.advance(seconds=30)
        proctoring.receive_signals(session, running.id, candidate, [{"kind": "heartbeat"}])
        session.commit()
        if running.state != "in_progress":
            break
    assert running.state == "scored" and clock() - running.started_at.replace(tzinfo=clock().tzinfo) \
        == timedelta(seconds=1830)
    actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == str(running.id))))
    assert "attempt.time_out" in actions and "attempt.submit" not in actions
    session.rollback()
    with pytest.raises(Conflict):
        attempts.save_answer(session, running.id, candidate, rows(session, running)[1].ref, "B", 1)


def test_reload_and_another_device_resume_at_the_same_place(app, session, candidate, proctor, calibration,
                                                           make_assessment, make_window):
    window = make_window(make_assessment("adaptive", proctoring={"allow_other_device": False}))
    auth = bearer(session, candidate)
    phone = Sitting(app.test_client(), auth, {"X-PIAA-Client": "phone", "User-Agent": "Phone/1"})
    phone.open(window.id)
    phone.check_in_and_start()
    first = phone.items()[0]
    phone.answer(first["ref"], "B")
    phone.next(first["ref"])
    second = phone.items()[0]
    phone.answer(second["ref"], "A")
    # Reload: same client id, same item, the answer in place.
    assert phone.items() == [dict(second, answer="A", seq=phone.seq)]
    laptop = Sitting(app.test_client(), auth, {"X-PIAA-Client": "laptop", "User-Agent": "Laptop/2"})
    laptop.attempt_id = phone.attempt_id
    refused = laptop.call("GET", f"/attempts/{laptop.attempt_id}/items", expect=409)
    assert refused["error"]["code"] == "other_device"
    proctoring.admit(session, proctor, phone.attempt_id)
    session.commit()
    assert laptop.items() == [dict(second, answer="A", seq=phone.seq)]
    kinds = set(session.scalars(select(AttemptEvent.kind).where(AttemptEvent.attempt_id == phone.attempt_id)))
    assert "user_agent_change" in kinds and "admit" in kinds


# --- found by the crash and timing harness -----------------------------------------------------

def test_disconnected_time_is_given_back_only_up_to_the_cap_per_sitting(session, running, candidate,
                                                                       proctor, clock):
    ref = rows(session, running)[0].ref
    started = clock()
    attempts.save_answer(session, running.id, candidate, ref, "A", 1)
    session.commit()
    clock.advance(seconds=200)
    attempts.save_answer(session, running.id, candidate, ref, "B", 2)  # 200 s given back
    session.commit()
    clock.advance(seconds=200)  # only 100 s are left to give
    assert attempts.deadline_of(running, clock()) == started + timedelta(seconds=1800 + 300)
    attempts.save_answer(session, running.id, candidate, ref, "C", 3)
    session.commit()
    assert (running.paused_total_s, running.disconnected_total_s) == (300, 300)
    given = [e.data["given_back_s"] for e in session.scalars(
        select(AttemptEvent).where(AttemptEvent.attempt_id == running.id, AttemptEvent.kind == "reconnected")
        .order_by(AttemptEvent.id))]
    assert given == [200, 100]
    # Beyond the cap only a proctor's added time (audited) gives more.
    proctoring.add_time(session, proctor, running.id, 120, "network outage in the hall")
    session.commit()
    assert attempts.deadline_of(running, clock()) == started + timedelta(seconds=1800 + 300 + 120)


def test_going_silent_until_past_the_deadline_buys_no_more_than_the_cap(session, running, candidate, clock):
    ref = rows(session, running)[0].ref
    started = clock()
    attempts.save_answer(session, running.id, candidate, ref, "A", 1)
    session.commit()
    clock.current = started + timedelta(seconds=1800 + 300 + 7)  # past deadline, cap and grace
    with pytest.raises(Conflict) as late:
        attempts.save_answer(session, running.id, candidate, ref, "B", 2)
    assert late.value.code == "time_up"


def test_the_sweeper_closes_an_attempt_silent_past_the_cap(session, running, candidate, clock):
    ref = rows(session, running)[0].ref
    started = clock()
    attempts.save_answer(session, running.id, candidate, ref, "A", 1)
    session.commit()
    clock.current = started + timedelta(seconds=1800 + 300 - 1)
    assert sweep(session).closed == []  # the cap's time is still owed
    clock.current = started + timedelta(seconds=1800 + 300 + 6)
    assert sweep(session).closed == [running.id]
    session.expire_all()
    assert running.state == "scored" and running.raw_score is not None


def test_a_resent_check_in_is_answered_as_the_first(app, session, candidate, make_assessment, make_window):
    window = make_window(make_assessment("loft"))
    sitting = Sitting(app.test_client(), bearer(session, candidate))
    sitting.open(window.id)
    body = {"identity_confirmed": True, "rules_accepted": True, "system_check": {"ok": True}}
    first = sitting.call("POST", f"/attempts/{sitting.attempt_id}/check-in", body)
    again = sitting.call("POST", f"/attempts/{sitting.attempt_id}/check-in", body)
    assert first["state"] == again["state"] == "checked_in"
    sitting.call("POST", f"/attempts/{sitting.attempt_id}/start")
    assert sitting.call("POST", f"/attempts/{sitting.attempt_id}/check-in", body)["state"] == "in_progress"
    checks = session.scalars(select(AuditEvent.action).where(AuditEvent.action == "attempt.check_in")).all()
    assert len(checks) == 1


def test_a_stale_answer_after_submit_or_time_up_is_a_conflict(session, running, candidate, clock):
    ref = rows(session, running)[0].ref
    attempts.save_answer(session, running.id, candidate, ref, "A", 1)
    session.commit()
    keep_alive(session, running, candidate, clock, 1800)  # in touch until the deadline
    clock.advance(seconds=6)  # past the grace; no poll has closed it yet
    with pytest.raises(Conflict) as late:
        attempts.save_answer(session, running.id, candidate, ref, "A", 1)  # the same, resent
    assert late.value.code == "time_up"
    session.rollback()


def test_a_stale_answer_after_submit_says_not_in_progress(session, running, candidate):
    ref = rows(session, running)[0].ref
    attempts.save_answer(session, running.id, candidate, ref, "A", 1)
    attempts.submit(session, running.id, candidate)
    session.commit()
    with pytest.raises(Conflict) as resent:
        attempts.save_answer(session, running.id, candidate, ref, "A", 1)
    assert resent.value.code == "not_in_progress"


def test_an_answer_after_a_poll_closed_the_attempt_says_time_up(session, running, candidate, clock):
    ref = rows(session, running)[0].ref
    keep_alive(session, running, candidate, clock, 1800 + 30)  # the heartbeat poll closes it
    session.expire_all()
    assert running.state == "scored"
    with pytest.raises(Conflict) as late:
        attempts.save_answer(session, running.id, candidate, ref, "B", 1)
    assert late.value.code == "time_up"
