"""Rows written outside the unit of work (``piaa.delivery.writes``): one statement each, the
values in the database, and nothing left for the flush or the commit to write again."""
from __future__ import annotations

from sqlalchemy import inspect

from piaa.clock import now
from piaa.delivery import attempts
from piaa.delivery.models import SERVER, Attempt, AttemptEvent
from piaa.delivery.writes import insert_row, write_rows
from tests.delivery.test_performance_paths import statements, writes


def test_changes_of_a_loaded_row_go_in_one_update_and_stay_written(session, candidate, make_assessment,
                                                                  make_window):
    attempt_id = attempts.create_attempt(session, candidate, make_window(make_assessment("loft")).id).id
    session.commit()
    attempt = session.get(Attempt, attempt_id)
    attempt.last_ip, attempt.language = "192.0.2.7", "hi"
    with statements() as run:
        write_rows(session, attempt)
        session.commit()
    assert run == ["UPDATE"]
    session.expire_all()
    assert (attempt.last_ip, attempt.language) == ("192.0.2.7", "hi")


def test_a_new_row_goes_in_with_one_insert_and_is_then_persistent(session, candidate, make_assessment,
                                                                  make_window):
    attempt_id = attempts.create_attempt(session, candidate, make_window(make_assessment("loft")).id).id
    session.commit()
    whole = AttemptEvent(attempt_id=attempt_id, at=now(), client_at=None, source=SERVER, kind="fast_answer",
                         severity="low", data={"seconds": 0.4}, actor_id=None, acknowledged_at=None)
    with statements() as run:
        insert_row(session, whole)
        assert inspect(whole).persistent and whole.id is not None
        session.commit()
    assert run == ["INSERT"]
    # A column left to its default: the flush inserts it, defaults and all.
    partial = AttemptEvent(attempt_id=attempt_id, at=now(), source=SERVER, kind="ip_change", severity="medium")
    insert_row(session, partial)
    assert inspect(partial).pending
    session.commit()
    assert session.get(AttemptEvent, partial.id).data == {}


def test_changed_rows_and_a_new_row_go_together(session, candidate, make_assessment, make_window):
    """On PostgreSQL as one statement: the UPDATEs ride as data-modifying CTEs of the INSERT."""
    attempt_id = attempts.create_attempt(session, candidate, make_window(make_assessment("loft")).id).id
    event = AttemptEvent(attempt_id=attempt_id, at=now(), client_at=None, source=SERVER, kind="ip_change",
                         severity="medium", data={"to": "192.0.2.8"}, actor_id=None, acknowledged_at=None)
    insert_row(session, event)
    session.commit()
    attempt, event = session.get(Attempt, attempt_id), session.get(AttemptEvent, event.id)
    attempt.last_ip, event.severity = "192.0.2.8", "high"
    new = AttemptEvent(attempt_id=attempt_id, at=now(), client_at=None, source=SERVER, kind="reconnected",
                       severity="info", data={}, actor_id=None, acknowledged_at=None)
    with statements() as run:
        write_rows(session, attempt, event, new=new)
        session.commit()
    assert run == writes("UPDATE", "UPDATE", "INSERT")
    session.expire_all()
    assert attempt.last_ip == "192.0.2.8" and event.severity == "high"
    assert session.get(AttemptEvent, new.id).kind == "reconnected"


def test_a_window_given_with_an_offset_opens_at_that_instant(app, session, make_user, cohort, make_assessment):
    """``10:00+05:30`` is 04:30 UTC on every database; SQLite keeps no offset, so a time
    stored with its offset only relabelled (not converted) would read back 5.5 hours late."""
    from datetime import datetime, timezone

    from piaa.clock import as_utc
    from piaa.delivery.models import Window
    from tests.delivery.helpers import bearer

    assessment = make_assessment("loft")
    response = app.test_client().post("/api/v1/windows", headers=bearer(session, make_user(role="admin")), json={
        "assessment_id": assessment.id, "cohort_id": cohort.id,
        "opens_at": "2026-03-02T10:00:00+05:30", "closes_at": "2026-03-02T18:00:00+05:30"})
    assert response.status_code in (200, 201), response.get_json()
    session.expire_all()
    window = session.get(Window, response.get_json()["id"])
    assert as_utc(window.opens_at) == datetime(2026, 3, 2, 4, 30, tzinfo=timezone.utc)
    assert as_utc(window.closes_at) == datetime(2026, 3, 2, 12, 30, tzinfo=timezone.utc)
