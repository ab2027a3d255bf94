"""Proctoring through the API: signals, warnings the candidate sees, pause seen by the
candidate, add time, terminate with a reason code, void, notes, overview and timeline."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from piaa.delivery.models import AttemptEvent
from tests.delivery.helpers import Sitting, bearer


@pytest.fixture
def sitting(app, session, candidate, make_assessment, make_window):
    window = make_window(make_assessment("loft"))
    sitting = Sitting(app.test_client(), bearer(session, candidate))
    sitting.open(window.id)
    sitting.check_in_and_start()
    return sitting


@pytest.fixture
def desk(app, session, proctor):
    """The proctor's client."""
    return Sitting(app.test_client(), bearer(session, proctor))


def test_signals_are_stored_with_severity_and_counted_for_the_proctor(session, sitting, desk):
    url = f"/attempts/{sitting.attempt_id}/events"
    body = sitting.call("POST", url, {"events": [
        {"kind": "heartbeat"}, {"kind": "page_hidden", "at": "2026-01-05T09:00:01Z"},
        {"kind": "paste", "data": {"length": 120}}, {"kind": "second_tab"}]})
    assert body["stored"] == 3 and body["attempt"]["state"] == "in_progress"
    bad = sitting.call("POST", url, {"events": [{"kind": "telepathy"}]}, expect=422)
    assert bad["error"]["field"] == "events[0].kind"
    assert bad["error"]["message"].startswith("events[0].kind must be one of page_hidden, window_blur")
    listing = desk.call("GET", "/proctor/attempts")["attempts"]
    assert len(listing) == 1 and listing[0]["flags"] == {"high": 1, "medium": 1, "low": 1}
    assert listing[0]["state"] == "in_progress" and listing[0]["time_left_s"] == 1800


def test_warning_reaches_the_candidate_until_acknowledged(sitting, desk):
    def warnings_seen():
        """By each kind of call: the status read, the items call (which learns from its
        locking read whether a warning waits) and the signals call."""
        url = f"/attempts/{sitting.attempt_id}"
        return [[w["message"] for w in body["warnings"]] for body in (
            sitting.call("GET", url), sitting.call("GET", url + "/items")["attempt"],
            sitting.call("POST", url + "/events", {"events": [{"kind": "heartbeat"}]})["attempt"])]

    assert warnings_seen() == [[], [], []]
    sent = desk.call("POST", f"/proctor/attempts/{sitting.attempt_id}/warn",
                     {"message": "Please keep your face in view"})
    assert warnings_seen() == [["Please keep your face in view"]] * 3
    sitting.call("POST", f"/attempts/{sitting.attempt_id}/warnings/{sent['id']}/ack")
    assert warnings_seen() == [[], [], []]


def test_pause_is_seen_by_the_candidate_and_stops_the_clock(sitting, desk, clock):
    ref = sitting.items()[0]["ref"]
    clock.advance(seconds=20)
    desk.call("POST", f"/proctor/attempts/{sitting.attempt_id}/pause", {"reason": "noise"})
    clock.advance(seconds=30)
    status = sitting.call("GET", f"/attempts/{sitting.attempt_id}")
    assert status["state"] == "paused" and status["time_left_s"] == 1780 and not status["clock_running"]
    assert sitting.items() == []  # nothing to read while paused
    refused = sitting.answer(ref, "B", expect=409)
    assert refused["error"]["code"] == "paused"
    clock.advance(seconds=100)
    desk.call("POST", f"/proctor/attempts/{sitting.attempt_id}/resume")
    status = sitting.call("GET", f"/attempts/{sitting.attempt_id}")
    assert status["state"] == "in_progress" and status["time_left_s"] == 1780
    assert sitting.answer(ref, "B")["saved"]


def test_add_time_terminate_and_void(session, sitting, desk, clock):
    url = f"/proctor/attempts/{sitting.attempt_id}"
    assert desk.call("POST", f"{url}/add-time", {"seconds": 600, "reason": "late start"})["time_left_s"] == 2400
    missing = desk.call("POST", f"{url}/add-time", {"seconds": 600}, expect=422)
    assert missing["error"]["field"] == "reason"
    bad = desk.call("POST", f"{url}/terminate", {"reason_code": "bored"}, expect=422)
    assert "reason_code must be one of" in bad["error"]["message"]
    ended = desk.call("POST", f"{url}/terminate", {"reason_code": "unauthorised_material",
                                                   "note": "phone on the desk"})
    assert ended["state"] == "scored"
    desk.call("POST", f"{url}/notes", {"text": "Phone seen at 09:20; candidate was told."}, expect=201)
    assert desk.call("POST", f"{url}/void", {"reason": "malpractice confirmed"})["state"] == "voided"
    timeline = desk.call("GET", f"{url}/timeline")
    actions = [a["action"] for a in timeline["audit"]]
    assert actions[-2:] == ["proctor.incident_note", "attempt.void"]
    assert {"attempt.terminate", "attempt.score", "proctor.add_time"} <= set(actions)
    assert timeline["attempt"]["end_reason"] == "unauthorised_material"
    assert timeline["audit"][-1]["data"]["reason"] == "malpractice confirmed"
    kinds = [e["kind"] for e in timeline["events"]]
    assert {"add_time", "terminate", "incident_note", "void"} <= set(kinds)
    assert len(timeline["items"]) == 10 and "answer" not in timeline["items"][0]


def test_proctors_see_only_their_windows(app, session, sitting, make_user):
    stranger = Sitting(app.test_client(), bearer(session, make_user(role="proctor")))
    assert stranger.call("GET", "/proctor/attempts")["attempts"] == []
    stranger.call("POST", f"/proctor/attempts/{sitting.attempt_id}/pause", expect=404)


def test_admission_is_required_when_the_policy_says_so(app, session, candidate, desk, make_assessment,
                                                       make_window):
    window = make_window(make_assessment("loft", proctoring={"require_admission": True}))
    sitting = Sitting(app.test_client(), bearer(session, candidate))
    sitting.open(window.id)
    sitting.call("POST", f"/attempts/{sitting.attempt_id}/check-in",
                 {"identity_confirmed": True, "rules_accepted": True})
    waiting = sitting.call("POST", f"/attempts/{sitting.attempt_id}/start", expect=409)
    assert waiting["error"]["code"] == "awaiting_admission"
    desk.call("POST", f"/proctor/attempts/{sitting.attempt_id}/admit")
    assert sitting.call("POST", f"/attempts/{sitting.attempt_id}/start")["state"] == "in_progress"


def test_fast_answers_and_client_changes_raise_server_signals(app, session, sitting, clock):
    ref = sitting.items()[0]["ref"]
    clock.advance(seconds=1)
    sitting.answer(ref, "B")  # one second after the item was shown
    sitting.headers["X-PIAA-Client"] = "tab-2"
    sitting.call("GET", f"/attempts/{sitting.attempt_id}")
    kinds = set(session.scalars(select(AttemptEvent.kind).where(AttemptEvent.attempt_id == sitting.attempt_id)))
    assert {"fast_answer", "concurrent_session"} <= kinds


def test_heartbeat_loss_is_flagged_by_the_sweeper(session, sitting, clock):
    from piaa.delivery.sweeper import sweep

    clock.advance(seconds=100)
    assert sweep(session).heartbeat_lost == []  # within the 120 s heartbeat timeout
    clock.advance(seconds=21)
    assert sweep(session).heartbeat_lost == [sitting.attempt_id]
    assert sweep(session).heartbeat_lost == []  # once per silence
    clock.advance(seconds=timedelta(minutes=1).total_seconds())
    assert sitting.call("GET", f"/attempts/{sitting.attempt_id}")["time_left_s"] == 1800


# --- limits on what a candidate may add to the timeline ------------------------------------------

def stored_client_events(session, attempt_id):
    session.expire_all()
    return session.scalars(select(AttemptEvent).where(AttemptEvent.attempt_id == attempt_id)
                           .order_by(AttemptEvent.id)).all()


def test_a_signal_keeps_small_data_and_only_the_size_of_large_data(session, sitting):
    url = f"/attempts/{sitting.attempt_id}/events"
    big = {f"k{n}": "x" * 200_000 for n in range(10)}
    body = sitting.call("POST", url, {"events": [{"kind": "paste", "data": {"length": 12}}]})
    assert body["stored"] == 1
    sitting.call("POST", url, {"events": [{"kind": "paste", "data": {"k": "x" * 5000}}]})
    datas = [e.data for e in stored_client_events(session, sitting.attempt_id) if e.kind == "paste"]
    assert datas[0] == {"length": 12} and datas[1] == {"dropped_bytes": 5009}
    # 25 signals of 10 keys x 200 KB (50 MB) is refused at the door, before it is read.
    refused = sitting.client.post(f"/api/v1{url}", json={"events": [{"kind": "copy", "data": big}] * 25},
                                  headers=sitting.headers)
    assert refused.status_code == 413 and refused.json["error"]["code"] == "request_entity_too_large"


def test_signals_past_the_rate_are_counted_not_stored(session, sitting, clock):
    url = f"/attempts/{sitting.attempt_id}/events"
    body = sitting.call("POST", url, {"events": [{"kind": "window_blur"}] * 150 + [{"kind": "second_tab"}] * 5})
    assert body["stored"] == 60
    events = stored_client_events(session, sitting.attempt_id)
    over = [e for e in events if e.kind == "signals_over_rate"]
    assert len([e for e in events if e.kind == "window_blur"]) == 60
    assert over[0].data == {"per_minute": 60, "counts": {"window_blur": 90, "second_tab": 5}}
    clock.advance(seconds=61)
    assert sitting.call("POST", url, {"events": [{"kind": "second_tab"}]})["stored"] == 1


class TestSignalCallsAreRateLimitedPerAttempt:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "RATELIMIT_ENABLED": True}

    def test_the_thirty_first_call_in_a_minute_is_refused(self, sitting):
        url = f"/api/v1/attempts/{sitting.attempt_id}/events"
        codes = [sitting.client.post(url, json={"events": [{"kind": "heartbeat"}]},
                                     headers=sitting.headers).status_code for _ in range(31)]
        assert codes[:30] == [200] * 30 and codes[30] == 429
