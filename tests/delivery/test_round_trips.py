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


def test_the_api_document_describes_the_move(client):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/attempts/{attempt_id}/responses/{ref}"]["put"]
    assert "next" in operation["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert "next item" in operation["responses"]["200"]["description"]
