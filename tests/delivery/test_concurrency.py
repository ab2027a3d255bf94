"""Two tabs answering at once cannot corrupt an attempt: on PostgreSQL every answer and every
move locks the attempt row (SELECT ... FOR UPDATE), so the newest seq wins everywhere and
a move to the next item happens once however many tabs ask for it."""
import os
import threading

import pytest
from sqlalchemy import func, select

from piaa.delivery.models import AttemptItem
from tests.delivery.helpers import Sitting, bearer

pytestmark = pytest.mark.skipif(not os.environ.get("PIAA_TEST_DATABASE_URL", "").startswith("postgresql"),
                                reason="row locks are PostgreSQL's; set PIAA_TEST_DATABASE_URL")


def run_together(jobs):
    barrier = threading.Barrier(len(jobs))
    errors = []

    def run(job):
        try:
            barrier.wait()
            job()
        except Exception as exc:  # surfaced below with the others
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors


def test_two_tabs_answering_at_once_keep_the_newest_answer(app, session, candidate, make_assessment,
                                                           make_window):
    window = make_window(make_assessment("loft"))
    auth = bearer(session, candidate)
    first = Sitting(app.test_client(), auth, {"X-PIAA-Client": "tab-1"})
    first.open(window.id)
    first.check_in_and_start()
    refs = [item["ref"] for item in first.items()]
    second = Sitting(app.test_client(), auth, {"X-PIAA-Client": "tab-2"})
    second.attempt_id = first.attempt_id

    def tab(sitting, answer, seqs):
        def go():
            for seq in seqs:
                for ref in refs:
                    body = sitting.answer(ref, answer, seq=seq)
                    assert body["seq"] >= seq
        return go

    # Odd seqs from one tab ("A"), even from the other ("C"); the last seq (20) is the other's.
    run_together([tab(first, "A", range(1, 20, 2)), tab(second, "C", range(2, 21, 2))])
    session.expire_all()
    rows = list(session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == first.attempt_id)))
    assert [(row.seq, row.answer) for row in rows] == [(20, "C")] * len(refs)


def adaptive_tabs(app, session, candidate, make_assessment, make_window) -> tuple[list[Sitting], dict]:
    """Four tabs of one candidate in one running adaptive attempt, and its first item."""
    window = make_window(make_assessment("adaptive"))
    auth = bearer(session, candidate)
    tabs = [Sitting(app.test_client(), auth, {"X-PIAA-Client": f"tab-{i}"}) for i in range(4)]
    tabs[0].open(window.id)
    tabs[0].check_in_and_start()
    for tab in tabs[1:]:
        tab.attempt_id = tabs[0].attempt_id
    return tabs, tabs[0].items()[0]


def test_many_tabs_moving_on_at_once_move_once(app, session, candidate, calibration, make_assessment,
                                               make_window):
    tabs, current = adaptive_tabs(app, session, candidate, make_assessment, make_window)
    tabs[0].answer(current["ref"], "B")
    run_together([lambda tab=tab: tab.next(current["ref"]) for tab in tabs])
    count = session.scalar(select(func.count()).where(AttemptItem.attempt_id == tabs[0].attempt_id))
    assert count == 2


def test_many_tabs_answering_and_moving_on_at_once_move_once(app, session, candidate, calibration,
                                                             make_assessment, make_window):
    tabs, current = adaptive_tabs(app, session, candidate, make_assessment, make_window)
    replies = []

    def answer_and_move(tab, seq):
        replies.append(tab.call("PUT", f"/attempts/{tab.attempt_id}/responses/{current['ref']}",
                                {"answer": "B", "seq": seq, "next": True}, expect=(200, 409)))

    # Each tab answers the first item with its own seq and moves on: the first to hold the
    # lock answers and moves; a later one finds the item behind it (a newer seq is refused
    # as final, an older one changes nothing) and the move is not made again.
    run_together([lambda tab=tab, seq=seq: answer_and_move(tab, seq) for seq, tab in enumerate(tabs, 1)])
    session.expire_all()
    rows = list(session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == tabs[0].attempt_id)
                                .order_by(AttemptItem.position)))
    assert len(rows) == 2 and rows[0].locked_at is not None
    saved = [r for r in replies if r.get("saved")]
    assert len(saved) == 1 and (rows[0].seq, rows[0].answer) == (saved[0]["seq"], "B")
