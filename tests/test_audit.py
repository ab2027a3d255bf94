"""The audit log is append-only and hash-chained; tampering is found and located."""
import pytest
from click.testing import CliRunner
from sqlalchemy import text

from piaa import audit
from piaa.cli import main


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


def _script_info(app):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)
