"""The candidate's hot calls stay cheap: how many SQL statements an answer, a move to the
next adaptive item and an answer carrying that move cost, and that a Bearer token's last use
is written at most once per ``TOKEN_USE_RESOLUTION``, without reading its user again.

The counts are the design (see ``piaa.delivery.attempts``): an answer is the attempt locked
together with the item, the contact and the answer written (one statement on PostgreSQL),
then the commit; the token's holder is read once per process until a change to users or
tokens is announced (``piaa.accounts.holders``). ``benchmarks/delivery_load.py`` measures what they cost in time.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, select, update

from piaa.accounts.models import ApiToken
from piaa.accounts.services import TOKEN_USE_RESOLUTION
from piaa.delivery import forms, parameters
from piaa.delivery.parameters import record_parameter_set
from piaa.extensions import db
from piaa.items.calibration_models import ParameterSet
from tests.delivery.helpers import Sitting, bearer


@contextmanager
def statements():
    """The SQL statements run inside the block (commits are not statements)."""
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.split()[0].upper())

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def writes(*statements: str) -> list[str]:
    """A hot path's writes: one statement on PostgreSQL (the UPDATEs as data-modifying CTEs),
    one each elsewhere."""
    return ["WITH"] if db.engine.dialect.name == "postgresql" else list(statements)


def adaptive_sitting(app, session, candidate, make_assessment, make_window) -> Sitting:
    window = make_window(make_assessment("adaptive"))
    sitting = Sitting(app.test_client(), bearer(session, candidate))
    sitting.open(window.id)
    sitting.check_in_and_start()
    return sitting


def test_an_answer_costs_one_read_and_its_writes(app, session, calibration, candidate, make_assessment,
                                         make_window, clock):
    sitting = adaptive_sitting(app, session, candidate, make_assessment, make_window)
    ref = sitting.items()[0]["ref"]
    clock.advance(seconds=30)  # a plausible reading time: no fast-answer flag to write
    with statements() as first:
        sitting.answer(ref, "A")
    clock.advance(seconds=5)
    with statements() as again:
        sitting.answer(ref, "B")
    # attempt + item under the lock (the token's holder was read by an earlier call); the
    # contact and the answer
    assert first == again == ["SELECT", *writes("UPDATE", "UPDATE")]


def test_a_move_to_the_next_item_costs_two_reads_and_its_writes(app, session, calibration, candidate,
                                                         make_assessment, make_window):
    sitting = adaptive_sitting(app, session, candidate, make_assessment, make_window)
    ref = sitting.items()[0]["ref"]
    sitting.answer(ref, "B")
    with statements() as run:
        body = sitting.next(ref)
    assert body["items"] and body["items"][0]["ref"] != ref
    # lock (which also tells that no warning waits), the rows; the attempt's contact and θ,
    # the item made final, the next item. The token's holder and the active parameter set
    # were read by earlier calls; the shown item and the answered count come from the rows
    # already read.
    assert run == ["SELECT"] * 2 + writes("UPDATE", "UPDATE", "INSERT"), run


def test_an_answer_carrying_the_move_costs_what_the_move_alone_does(app, session, calibration, candidate,
                                                                   make_assessment, make_window, clock):
    sitting = adaptive_sitting(app, session, candidate, make_assessment, make_window)
    ref = sitting.items()[0]["ref"]
    clock.advance(seconds=30)  # a plausible reading time: no fast-answer flag to write
    with statements() as run:
        body = sitting.call("PUT", f"/attempts/{sitting.attempt_id}/responses/{ref}",
                            {"answer": "B", "seq": 1, "next": True})
    assert body["saved"] and body["items"] and body["items"][0]["ref"] != ref
    # One read of the locked attempt and one of its rows serve the answer and the move; the
    # attempt's contact and θ, the item answered and made final, the next item are written
    # together (the answer's own lock and write, separate before, are gone).
    assert run == ["SELECT"] * 2 + writes("UPDATE", "UPDATE", "INSERT"), run


def test_a_token_use_is_written_at_most_once_per_resolution(app, session, candidate, make_assessment,
                                                      make_window, clock):
    window = make_window(make_assessment("loft"))
    sitting = Sitting(app.test_client(), bearer(session, candidate))

    def last_used():
        return session.scalar(select(ApiToken.last_used_at).execution_options(populate_existing=True))

    sitting.call("GET", "/me/windows")
    first = last_used()
    assert first is not None
    clock.advance(seconds=(TOKEN_USE_RESOLUTION - timedelta(seconds=1)).total_seconds())
    with statements() as run:
        sitting.call("GET", "/me/windows")
    assert "UPDATE" not in run and last_used() == first
    clock.advance(seconds=1)
    sitting.open(window.id)
    assert last_used() > first


def test_a_token_use_written_costs_its_update_alone(app, session, candidate, make_assessment, make_window,
                                                    clock):
    make_window(make_assessment("loft"))
    sitting = Sitting(app.test_client(), bearer(session, candidate))
    sitting.call("GET", "/me/windows")
    clock.advance(seconds=(TOKEN_USE_RESOLUTION - timedelta(seconds=1)).total_seconds())
    with statements() as quiet:  # the last use is not yet due
        sitting.call("GET", "/me/windows")
    clock.advance(seconds=1)
    with statements() as used:  # due: written and committed before the view runs
        sitting.call("GET", "/me/windows")
    # The commit of the last use does not make the request read its user again.
    assert "UPDATE" not in quiet and used == ["UPDATE", *quiet], (quiet, used)


def test_activating_a_parameter_set_reaches_selection_in_the_same_transaction(
        session, competency, calibration, operational, make_assessment):
    assessment = make_assessment("adaptive")
    before = forms.adaptive_pool(session, assessment)
    assert forms.adaptive_pool(session, assessment) is before  # one lookup per transaction
    newer = record_parameter_set(session, competency, "2pl",
                                 {item.id: [1.0, 0.0, 0.0, 1.0] for item in operational}, label="recalibrated")
    assert forms.adaptive_pool(session, assessment).parameter_set_id == newer.id != before.parameter_set_id


def test_an_activation_elsewhere_reaches_selection_within_its_time_to_live(
        session, competency, calibration, operational, make_assessment, monkeypatch):
    assessment = make_assessment("adaptive")
    assert forms.adaptive_pool(session, assessment).parameter_set_id == calibration.id
    session.commit()
    # Another process activates a new set: this one learns of it from the database only.
    newer = record_parameter_set(session, competency, "2pl", {item.id: [1.0, 0.0, 0.0, 1.0] for item in operational},
                                 label="recalibrated elsewhere", activate=False)
    session.execute(update(ParameterSet).values(active=ParameterSet.id == newer.id))
    session.commit()
    assert forms.adaptive_pool(session, assessment).parameter_set_id == calibration.id
    session.commit()
    monkeypatch.setattr(parameters, "ACTIVE_SET_TTL_S", 0.0)  # the time to live has passed
    assert forms.adaptive_pool(session, assessment).parameter_set_id == newer.id


def test_the_next_item_call_counts_answers_as_the_database_does(app, session, calibration, candidate,
                                                                 make_assessment, make_window):
    sitting = adaptive_sitting(app, session, candidate, make_assessment, make_window)
    first = sitting.items()[0]["ref"]
    sitting.answer(first, "B")
    second = sitting.next(first)["items"][0]["ref"]
    sitting.answer(second, "A")
    sitting.answer(second, None)  # cleared: it still counts, as the database's count has it
    moved = sitting.next(second)
    polled = sitting.call("GET", f"/attempts/{sitting.attempt_id}")
    assert moved["attempt"]["answered"] == polled["answered"] == 2


def test_scoring_reads_the_versions_once_whatever_the_length(session, calibration, candidate,
                                                             make_assessment, make_window):
    from piaa.delivery import scoring
    from tests.delivery.conftest import sit

    attempt = sit(session, candidate, make_window(make_assessment("loft")), submit=False)
    session.refresh(attempt)  # read before counting
    forms.clear_pool_cache()  # a fresh process: nothing cached
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        rows = scoring.score_rows(session, attempt)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert len(rows) > 2 and all(row.max_credit is not None for row in rows)
    # the scored rows and their versions (one read), then the credits written
    reads = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 2 and "FROM item_version" in reads[1], reads


def test_a_submit_reads_the_items_versions_once_not_per_item(app, session, candidate, make_assessment,
                                                             make_window):
    window = make_window(make_assessment("loft"))
    sitting = Sitting(app.test_client(), bearer(session, candidate))
    sitting.open(window.id)
    sitting.check_in_and_start()
    shown = sitting.items()
    assert len(shown) > 3
    for item in shown:
        sitting.answer(item["ref"], "B")
    forms.clear_pool_cache()  # as in a process that has not met these versions yet
    texts: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        texts.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        sitting.submit()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    # Whether any answer waits for raters is told from the versions, read in one query (the
    # rows' item and version, asked one by one, cost two queries per item).
    reads_of_versions = [t for t in texts if t.startswith("SELECT") and "FROM item_version" in t]
    assert len(reads_of_versions) <= 1, reads_of_versions
