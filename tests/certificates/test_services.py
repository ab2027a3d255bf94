"""Issuing, revoking, the status list and batch rendering, against the database."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from piaa.audit import AuditEvent, verify_chain
from piaa.certificates import services, status_list
from piaa.certificates.models import Certificate
from piaa.errors import Conflict, Invalid, NotFound

ASSESSED = datetime(2026, 1, 5, 8, 30, tzinfo=timezone.utc)


def facts(user, attempt_id=101, **overrides):
    values = dict(attempt_id=attempt_id, user=user, competency_code="FN-DA-01", competency_name="Data analysis",
                  level=3, level_label="Proficient", level_descriptor="Analyses routine data independently.",
                  agency_name="National Assessment Agency", assessed_at=ASSESSED, decision_confidence=0.93)
    return values | overrides


def test_issue_is_idempotent_on_the_attempt(session, make_user):
    official = make_user(role="candidate", name="Asha Verma", name_hi="आशा वर्मा")
    first = services.issue_for_attempt(session, **facts(official))
    session.commit()
    again = services.issue_for_attempt(session, **facts(official, level=4))
    session.commit()
    assert again.id == first.id and again.level == 3
    assert session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert first.pdf.startswith(b"%PDF-") and first.credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert first.official_name_hi == "आशा वर्मा" and len(first.public_id) == 32


def test_on_attempt_scored_issues_only_at_or_above_the_certifying_level(session, make_user):
    official = make_user()
    below = facts(official, attempt_id=1, level=2)
    assert services.on_attempt_scored(session, certifying_level=3, **below) is None
    assert services.on_attempt_scored(session, certifying_level=3, **(below | {"level": None})) is None
    issued = services.on_attempt_scored(session, certifying_level=3, **facts(official, attempt_id=2, level=3, render=False))
    assert issued is not None and issued.rendered_at is None


def test_bad_facts_are_refused_with_the_field(session, make_user):
    official = make_user()
    with pytest.raises(Invalid, match="1..5, got 7") as error:
        services.issue_for_attempt(session, **facts(official, level=7))
    assert error.value.field == "level"
    with pytest.raises(Invalid, match="agency_name"):
        services.issue_for_attempt(session, **facts(official, agency_name=" "))


def test_revocation_is_audited_and_shows_in_the_status_list_at_once(session, make_user):
    official, admin = make_user(), make_user(role="admin")
    certificate = services.issue_for_attempt(session, **facts(official, render=False))
    session.commit()
    listed = services.status_list_document(session, certificate.status_list_number)
    assert not status_list.is_set(status_list.decode(listed["credentialSubject"]["encodedList"]), certificate.status_list_index)

    services.revoke(session, public_id=certificate.public_id, reason="Impersonation found by the proctor", actor=admin)
    session.commit()
    listed = services.status_list_document(session, certificate.status_list_number)
    assert status_list.is_set(status_list.decode(listed["credentialSubject"]["encodedList"]), certificate.status_list_index)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoked"))
    assert event.actor_id == admin.id and event.data["reason"] == "Impersonation found by the proctor"
    assert verify_chain(session).ok

    with pytest.raises(Conflict, match="revoked already"):
        services.revoke(session, public_id=certificate.public_id, reason="again", actor=admin)
    with pytest.raises(Invalid, match="reason"):
        services.revoke(session, public_id=certificate.public_id, reason="  ", actor=admin)
    with pytest.raises(NotFound):
        services.revoke(session, public_id="0" * 32, reason="x", actor=admin)


def test_status_list_of_an_unused_number_is_not_found(session):
    with pytest.raises(NotFound, match="status list 9"):
        services.status_list_document(session, 9)


def test_batch_rendering_through_the_job_runner(app, session, make_user):
    from piaa.jobs import FINISHED, enqueue, wait

    official = make_user()
    for attempt in range(3):
        services.issue_for_attempt(session, **facts(official, attempt_id=attempt, window_id=7, render=False))
    services.issue_for_attempt(session, **facts(official, attempt_id=99, window_id=8, render=False))
    session.commit()
    ids = services.pending_certificate_ids(session, window_id=7)
    assert len(ids) == 3
    job = wait(enqueue("piaa.certificates.jobs.render_batch", certificate_ids=ids), timeout=120)
    assert job.state == FINISHED, job.error
    assert job.result == {"rendered": 3} and job.done == 3
    session.expire_all()
    assert services.pending_certificate_ids(session, window_id=7) == []
    assert services.pending_certificate_ids(session) == [session.scalar(select(Certificate.id).where(Certificate.attempt_id == 99))]
    assert len(services.pending_certificate_ids(session, window_id=7, rerender=True)) == 3


def test_masked_name():
    assert services.mask_name("Asha  Verma") == "A*** V****"
