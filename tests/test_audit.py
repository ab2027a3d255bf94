"""The audit log is append-only and hash-chained; tampering is found and located."""
import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from piaa import audit
from piaa.cli import main
from piaa.extensions import db


def _three_events(session):
    for n in range(3):
        audit.record(session, "item.approved", subject_type="item", subject_id=n, data={"n": n})
    session.commit()


def test_chain_links_each_row_to_the_one_before(session):
    _three_events(session)
    rows = session.query(audit.AuditEvent).order_by(audit.AuditEvent.id).all()
    assert rows[0].prev_hash == audit.GENESIS
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert audit.verify_chain(session).ok and audit.verify_chain(session).rows == 3


def test_edited_row_is_named_as_first_broken(session):
    _three_events(session)
    second = session.query(audit.AuditEvent).order_by(audit.AuditEvent.id).all()[1]
    # tamper behind the ORM's back, as an attacker with database access would
    session.execute(text("UPDATE audit_event SET data = :d WHERE id = :i"),
                    {"d": '{"n": 99}', "i": second.id})
    session.commit()
    session.expire_all()
    report = audit.verify_chain(session)
    assert not report.ok and report.first_broken_id == second.id
    assert "hash" in report.reason


def test_deleted_row_breaks_the_link_of_the_next(session):
    _three_events(session)
    ids = [r.id for r in session.query(audit.AuditEvent).order_by(audit.AuditEvent.id)]
    session.execute(text("DELETE FROM audit_event WHERE id = :i"), {"i": ids[1]})
    session.commit()
    report = audit.verify_chain(session)
    assert not report.ok and report.first_broken_id == ids[2]


def test_orm_refuses_to_change_or_delete_events(session):
    _three_events(session)
    row = session.query(audit.AuditEvent).first()
    row.action = "forged"
    with pytest.raises(RuntimeError, match="append-only"):
        session.flush()
    session.rollback()


def test_cli_verify_reports_intact_and_broken(app, session):
    _three_events(session)
    runner = CliRunner()
    result = runner.invoke(main, ["audit", "verify"], obj=_script_info(app))
    assert result.exit_code == 0 and "3 rows" in result.output
    session.execute(text("UPDATE audit_event SET action = 'x' WHERE id = (SELECT MIN(id) FROM audit_event)"))
    session.commit()
    result = runner.invoke(main, ["audit", "verify"], obj=_script_info(app))
    assert result.exit_code != 0 and "broken at row" in result.output


# --- appending many at once ------------------------------------------------------------------

def _events(count: int, start: int = 0) -> list[audit.Event]:
    return [audit.Event("item.approved", "item", n, {"n": n}) for n in range(start, start + count)]


def _rows(session) -> list[audit.AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(audit.AuditEvent).order_by(audit.AuditEvent.id)))


def test_record_many_writes_the_rows_record_writes(session):
    # The reference is ``record`` itself: the same events at the same (fake) moment must give
    # the same rows, hash for hash.
    _three_events(session)
    one_by_one = [(r.at, r.action, r.subject_id, r.data, r.prev_hash, r.hash) for r in _rows(session)]
    session.execute(text("DELETE FROM audit_event"))
    session.commit()
    assert audit.record_many(session, _events(3)) == 3
    session.commit()
    in_bulk = [(r.at, r.action, r.subject_id, r.data, r.prev_hash, r.hash) for r in _rows(session)]
    assert in_bulk == one_by_one


def test_record_many_continues_the_chain_in_id_order(session, make_user, clock):
    _three_events(session)
    clock.advance(seconds=5)
    actor = make_user(role="admin")
    assert audit.record_many(session, [audit.Event("item.load", "item", n, {"at": clock()}, actor)
                                       for n in range(3, 1203)]) == 1200
    audit.record(session, "item.retire", subject_type="item", subject_id=1203)
    session.commit()
    rows = _rows(session)
    assert [r.subject_id for r in rows] == [str(n) for n in range(1204)]
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert {r.actor_id for r in rows[3:1203]} == {actor.id}
    assert rows[3].data == {"at": str(clock())}  # stored as ``record`` stores it: JSON-safe
    assert audit.verify_chain(session, batch=500) == audit.ChainReport(True, 1204)


def test_edited_bulk_row_is_named_as_first_broken(session):
    audit.record_many(session, _events(5))
    session.commit()
    fourth = _rows(session)[3]
    session.execute(text("UPDATE audit_event SET subject_id = '99' WHERE id = :i"), {"i": fourth.id})
    session.commit()
    report = audit.verify_chain(session)
    assert not report.ok and report.first_broken_id == fourth.id


def test_record_many_of_nothing_writes_nothing(session):
    assert audit.record_many(session, []) == 0
    assert audit.verify_chain(session).rows == 0


def test_record_many_holds_the_chain_until_commit(app, session):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the chain lock is PostgreSQL's advisory lock; SQLite has one writer anyway")
    audit.record_many(session, _events(2))
    try_lock = text("SELECT pg_try_advisory_xact_lock(726001)")
    with db.engine.connect() as other:
        assert other.scalar(try_lock) is False, "another writer could extend the same tail"
        other.rollback()
        session.commit()
        assert other.scalar(try_lock) is True
        other.rollback()


def _script_info(app):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)
