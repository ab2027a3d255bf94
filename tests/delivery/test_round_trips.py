"""A sitting in few round trips: an answer that carries the move to the next item, queued
answers saved together after a dead link, and a start whose reply carries the first item.

Each keeps the rules of the calls it stands for: a ``seq`` not newer than the stored one
changes nothing, a move is not made twice, and an answer acknowledged is stored.
"""
from __future__ import annotations

from sqlalchemy import select

from piaa.delivery.models import Attempt, AttemptItem
from tests.delivery.helpers import Sitting, bearer


def started(app, session, candidate, make_assessment, make_window, mode="adaptive", **settings) -> Sitting:
    window = make_window(make_assessment(mode, **settings))
    sitting = Sitting(app.test_client(), bearer(session, candidate))
    sitting.open(window.id)
    sitting.check_in_and_start()
    return sitting


def stored(session, attempt_id: int) -> dict[int, tuple]:
    session.expire_all()
    rows = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)
                           .order_by(AttemptItem.position))
    return {row.position: (row.answer, row.seq, row.locked_at is not None) for row in rows}


def answer_and_next(sitting: Sitting, ref: str, answer, seq: int, expect=200) -> dict:
    return sitting.call("PUT", f"/attempts/{sitting.attempt_id}/responses/{ref}",
                        {"answer": answer, "seq": seq, "next": True}, expect=expect)


# --- answer and move on in one round trip ------------------------------------------------------

def test_an_adaptive_answer_carries_the_next_item(app, session, calibration, candidate, make_assessment,
                                                  make_window):
    sitting = started(app, session, candidate, make_assessment, make_window)
    first = sitting.items()[0]
    body = answer_and_next(sitting, first["ref"], "B", 1)
    assert body["ref"] == first["ref"] and body["seq"] == 1 and body["saved"] is True
    assert body["attempt"]["position"] == 1 and body["attempt"]["answered"] == 1
    [shown] = body["items"]
    assert shown["position"] == 1 and shown["ref"] != first["ref"] and shown["answer"] is None
    assert "key" not in str(shown["content"]) and "rationale" not in str(shown["content"])
    # What the two-call client would see next is the same item.
    assert sitting.items() == [shown]
    assert stored(session, sitting.attempt_id)[0] == ("B", 1, True)
    # Answers and moves are JSON the sitting page reads, never documents: no document policy.
    reply = sitting.client.put(f"/api/v1/attempts/{sitting.attempt_id}/responses/{shown['ref']}",
                               json={"answer": "A", "seq": 1, "next": True}, headers=sitting.headers)
    assert reply.status_code == 200 and "Content-Security-Policy" not in reply.headers
    assert reply.headers["Cache-Control"] == "no-store" and reply.headers["X-Content-Type-Options"] == "nosniff"


def test_a_resent_answer_and_move_changes_nothing(app, session, calibration, candidate, make_assessment,
                                                  make_window):
    sitting = started(app, session, candidate, make_assessment, make_window)
    first = sitting.items()[0]
    once = answer_and_next(sitting, first["ref"], "B", 1)
    again = answer_and_next(sitting, first["ref"], "B", 1)  # the reply was lost: sent again
    assert again["saved"] is False and again["seq"] == 1
    assert again["items"] == once["items"] and again["attempt"]["position"] == 1
    assert len(stored(session, sitting.attempt_id)) == 2  # no second move, no third item


def test_the_old_answer_call_is_unchanged(app, session, calibration, candidate, make_assessment, make_window):
    sitting = started(app, session, candidate, make_assessment, make_window)
    ref = sitting.items()[0]["ref"]
    assert sitting.answer(ref, "B") == {"ref": ref, "seq": 1, "saved": True}
    assert sitting.next(ref)["attempt"]["position"] == 1


def test_a_linear_form_ends_with_an_empty_next(app, session, candidate, make_assessment, make_window):
    sitting = started(app, session, candidate, make_assessment, make_window, mode="loft", navigation="linear")
    items, seen, seq = sitting.items(), 0, 0
    while items:
        seq += 1
        seen += 1
        body = answer_and_next(sitting, items[0]["ref"], "B", seq)
        items = body["items"]
    assert seen == 10 and body["attempt"]["complete"] is True
    assert all(answer == "B" and locked for answer, _, locked in stored(session, sitting.attempt_id).values())


def test_free_navigation_refuses_the_move_and_keeps_nothing(app, session, candidate, make_assessment,
                                                            make_window):
    sitting = started(app, session, candidate, make_assessment, make_window, mode="loft")
    ref = sitting.items()[0]["ref"]
    body = answer_and_next(sitting, ref, "B", 1, expect=409)
    assert body["error"]["code"] == "free_navigation"
    assert stored(session, sitting.attempt_id)[0] == (None, 0, False)


def test_an_answer_behind_the_candidate_is_refused_with_its_move(app, session, calibration, candidate,
                                                                 make_assessment, make_window):
    sitting = started(app, session, candidate, make_assessment, make_window)
    first = sitting.items()[0]
    answer_and_next(sitting, first["ref"], "B", 1)
    body = answer_and_next(sitting, first["ref"], "A", 2, expect=409)  # a newer answer, too late
    assert body["error"]["code"] == "answer_final"
    session.expire_all()
    attempt = session.get(Attempt, sitting.attempt_id)
    assert attempt.current_position == 1 and stored(session, attempt.id)[0][0] == "B"


def test_the_api_document_describes_the_move_the_batch_the_start_and_the_heartbeat(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    operation = paths["/attempts/{attempt_id}/responses/{ref}"]["put"]
    assert "next" in operation["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert "next item" in operation["responses"]["200"]["description"]
    batch = paths["/attempts/{attempt_id}/responses"]["post"]
    assert batch["tags"] == ["delivery: candidate"]
    assert {"answers", "next"} <= set(batch["requestBody"]["content"]["application/json"]["schema"]["properties"])
    assert "items" in paths["/attempts/{attempt_id}/start"]["post"]["responses"]["200"]["description"]
    assert "304" in paths["/attempts/{attempt_id}"]["get"]["responses"]
    assert "204" in paths["/attempts/{attempt_id}/events"]["post"]["responses"]


# --- queued answers sent together ------------------------------------------------------------------

def batch(sitting: Sitting, answers: list[dict], expect=200, **extra) -> dict:
    return sitting.call("POST", f"/attempts/{sitting.attempt_id}/responses", {"answers": answers, **extra},
                        expect=expect)


def test_queued_answers_are_saved_together_each_by_its_seq(app, session, candidate, make_assessment, make_window):
    sitting = started(app, session, candidate, make_assessment, make_window, mode="loft")
    refs = [item["ref"] for item in sitting.items()]
    sent = [{"ref": refs[0], "answer": "A", "seq": 1}, {"ref": refs[1], "answer": "B", "seq": 1},
            {"ref": refs[0], "answer": "B", "seq": 2}, {"ref": refs[2], "answer": "C", "seq": 3}]
    body = batch(sitting, sent)
    assert body["results"] == [{"ref": refs[0], "seq": 1, "saved": True}, {"ref": refs[1], "seq": 1, "saved": True},
                               {"ref": refs[0], "seq": 2, "saved": True}, {"ref": refs[2], "seq": 3, "saved": True}]
    assert body["attempt"]["answered"] == 3 and "items" not in body
    # The reply was lost and the batch comes again, with an older answer among it: nothing changes.
    again = batch(sitting, sent)
    assert [r["saved"] for r in again["results"]] == [False] * 4
    assert [r["seq"] for r in again["results"]] == [2, 1, 2, 3]
    answers = stored(session, sitting.attempt_id)
    assert [answers[p][:2] for p in range(3)] == [("B", 2), ("B", 1), ("C", 3)]


def test_a_refused_answer_leaves_the_rest_of_the_batch_saved(app, session, candidate, make_assessment,
                                                             make_window):
    sitting = started(app, session, candidate, make_assessment, make_window, mode="loft")
    refs = [item["ref"] for item in sitting.items()]
    body = batch(sitting, [{"ref": refs[0], "answer": "B", "seq": 1}, {"ref": "no-such-item", "answer": "B", "seq": 1},
                           {"ref": refs[1], "answer": "Z", "seq": 1}, {"ref": refs[2], "answer": "B", "seq": 0},
                           {"ref": refs[3], "answer": "A", "seq": 1}])
    codes = [r.get("error", {}).get("code") for r in body["results"]]
    assert codes == [None, "not_found", "invalid", "invalid", None], body["results"]
    answers = stored(session, sitting.attempt_id)
    assert [answers[p][0] for p in range(4)] == ["B", None, None, "A"]


def test_a_batch_after_the_deadline_saves_nothing_and_says_why(app, session, candidate, make_assessment,
                                                               make_window, clock):
    sitting = started(app, session, candidate, make_assessment, make_window, mode="loft")
    refs = [item["ref"] for item in sitting.items()]
    clock.advance(seconds=1800 + 600)  # past the deadline, the disconnection given back and the grace
    body = batch(sitting, [{"ref": ref, "answer": "B", "seq": 1} for ref in refs[:3]])
    assert {r["error"]["code"] for r in body["results"]} == {"time_up"}
    assert all(answer is None for answer, _, _ in stored(session, sitting.attempt_id).values())


def test_a_batch_may_end_with_the_move_past_its_last_item(app, session, calibration, candidate, make_assessment,
                                                          make_window):
    sitting = started(app, session, candidate, make_assessment, make_window)
    first = sitting.items()[0]["ref"]
    body = batch(sitting, [{"ref": first, "answer": "A", "seq": 1}, {"ref": first, "answer": "B", "seq": 2}],
                 next=first)
    assert [r["saved"] for r in body["results"]] == [True, True]
    assert body["attempt"]["position"] == 1 and body["items"][0]["position"] == 1
    assert stored(session, sitting.attempt_id)[0] == ("B", 2, True)
    # Sent again (the reply was lost): the answers are not newer, the move is behind.
    again = batch(sitting, [{"ref": first, "answer": "B", "seq": 2}], next=first)
    assert again["results"][0]["saved"] is False and again["items"] == body["items"]


def test_a_refused_move_keeps_the_answers_of_the_batch(app, session, candidate, make_assessment, make_window):
    sitting = started(app, session, candidate, make_assessment, make_window, mode="loft")
    ref = sitting.items()[0]["ref"]
    body = batch(sitting, [{"ref": ref, "answer": "B", "seq": 1}], next=ref)
    assert body["next_error"]["code"] == "free_navigation" and "items" not in body
    assert stored(session, sitting.attempt_id)[0] == ("B", 1, False)


def test_a_batch_is_a_list_of_answers_to_the_callers_own_attempt(app, session, candidate, make_user,
                                                                 make_assessment, make_window):
    sitting = started(app, session, candidate, make_assessment, make_window, mode="loft")
    ref = sitting.items()[0]["ref"]
    assert batch(sitting, [], expect=422)["error"]["field"] == "answers"
    assert batch(sitting, [{"ref": ref, "answer": "B", "seq": 1}] * 101, expect=422)["error"]["field"] == "answers"
    assert batch(sitting, [{"answer": "B", "seq": 1}], expect=422)["error"]["field"] == "answers[0].ref"
    other = Sitting(app.test_client(), bearer(session, make_user(role="candidate")))
    other.attempt_id = sitting.attempt_id
    batch(other, [{"ref": ref, "answer": "A", "seq": 5}], expect=404)
    assert stored(session, sitting.attempt_id)[0] == (None, 0, False)


# --- check-in to the first question -----------------------------------------------------------------

def test_the_start_reply_carries_the_first_item(app, session, calibration, candidate, make_assessment,
                                                make_window):
    window = make_window(make_assessment("adaptive"))
    sitting = Sitting(app.test_client(), bearer(session, candidate))
    sitting.open(window.id)
    body = sitting.check_in_and_start()
    assert body["state"] == "in_progress" and body["position"] == 0
    [first] = body["items"]
    assert first["position"] == 0 and first["answer"] is None and "key" not in first["content"]
    again = sitting.call("POST", f"/attempts/{sitting.attempt_id}/start")  # a retried start
    assert again["items"] == [first] == sitting.items()


def test_the_start_reply_carries_the_form_in_the_language_asked(app, session, candidate, make_assessment,
                                                                make_window):
    window = make_window(make_assessment("loft"))
    sitting = Sitting(app.test_client(), bearer(session, candidate))
    sitting.open(window.id)
    sitting.call("POST", f"/attempts/{sitting.attempt_id}/check-in",
                 {"identity_confirmed": True, "rules_accepted": True})
    body = sitting.call("POST", f"/attempts/{sitting.attempt_id}/start?lang=hi")
    assert len(body["items"]) == 10 and body["items"][0]["content"]["stem"].startswith("प्रश्न")


def test_the_sitting_page_carries_the_current_question(app, session, calibration, candidate, make_assessment,
                                                       make_window):
    import json
    import re

    from tests.conftest import login

    window = make_window(make_assessment("adaptive"))
    sitting = Sitting(app.test_client(), bearer(session, candidate))
    sitting.open(window.id)
    first = sitting.check_in_and_start()["items"][0]
    browser = app.test_client()
    login(browser, candidate)
    page = browser.get(f"/attempts/{sitting.attempt_id}/sit")
    html = page.get_data(as_text=True)
    config = json.loads(re.search(r'<script type="application/json" id="sitting-config">(.*?)</script>',
                                  html, re.DOTALL).group(1))
    assert config["initial"]["attempt"]["state"] == "in_progress"
    assert config["initial"]["items"] == [first]
    assert page.headers["Cache-Control"] == "no-store"
    assert '"key"' not in html and "Rationale" not in html and "1.2345678" not in html


# --- the heartbeat in few bytes -------------------------------------------------------------------

def test_an_unchanged_status_is_answered_without_a_body(app, session, candidate, proctor, make_assessment,
                                                        make_window):
    sitting = started(app, session, candidate, make_assessment, make_window, mode="loft")
    url = f"/api/v1/attempts/{sitting.attempt_id}"
    first = sitting.client.get(url, headers=sitting.headers)
    version = first.json["v"]
    assert first.headers["ETag"] == f'"{version}"'
    again = sitting.client.get(url, headers={**sitting.headers, "If-None-Match": f'"{version}"'})
    assert again.status_code == 304 and again.data == b""
    # The heartbeat's answers carry no document policy: they are never documents.
    assert "Content-Security-Policy" not in again.headers and "X-Frame-Options" not in again.headers
    assert "Content-Security-Policy" in sitting.client.get(f"/attempts/{sitting.attempt_id}/sit").headers
    # A warning from the proctor changes the version: the next heartbeat gets the status.
    desk = Sitting(app.test_client(), bearer(session, proctor))
    desk.call("POST", f"/proctor/attempts/{sitting.attempt_id}/warn", {"message": "Eyes on your screen"})
    warned = sitting.client.get(url, headers={**sitting.headers, "If-None-Match": f'"{version}"'})
    assert warned.status_code == 200 and warned.json["warnings"][0]["message"] == "Eyes on your screen"
    assert warned.json["v"] != version


def test_signals_sent_with_a_known_status_are_answered_204(app, session, candidate, make_assessment,
                                                           make_window, clock):
    sitting = started(app, session, candidate, make_assessment, make_window, mode="loft")
    url = f"/api/v1/attempts/{sitting.attempt_id}/events"
    version = sitting.call("GET", f"/attempts/{sitting.attempt_id}")["v"]
    clock.advance(seconds=30)  # the time left changes, the version does not
    quiet = sitting.client.post(url, json={"events": [{"kind": "window_blur"}], "known": version},
                                headers=sitting.headers)
    assert quiet.status_code == 204 and quiet.data == b""
    assert sitting.call("POST", f"/attempts/{sitting.attempt_id}/events", {"events": []})["attempt"]["v"] == version
    stale = sitting.client.post(url, json={"events": [], "known": "00000000"}, headers=sitting.headers)
    assert stale.status_code == 200 and stale.json["attempt"]["v"] == version


def test_the_quiet_heartbeat_stays_within_the_policys_timeout(app, session, candidate, make_assessment,
                                                              make_window):
    import json
    import re

    from tests.conftest import login

    def config_for(assessment):
        window = make_window(assessment)
        attempt = Sitting(app.test_client(), bearer(session, candidate))
        attempt.open(window.id)
        attempt.check_in_and_start()
        browser = app.test_client()
        login(browser, candidate)
        html = browser.get(f"/attempts/{attempt.attempt_id}/sit").get_data(as_text=True)
        return json.loads(re.search(r'id="sitting-config">(.*?)</script>', html, re.DOTALL).group(1))

    default = config_for(make_assessment("loft", code="Q-1"))
    assert (default["poll_s"], default["quiet_poll_s"], default["heartbeat_timeout_s"]) == (10.0, 90.0, 120.0)
    strict = config_for(make_assessment("loft", code="Q-2", proctoring={"heartbeat_timeout_s": 45}))
    assert strict["quiet_poll_s"] == 33.75
