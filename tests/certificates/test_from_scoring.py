"""Certificates follow scoring: a render job queued when the scoring commits produces the
signed PDF without anyone running the batch command; a rescore below the certifying level
revokes, with its reason in the audit log."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from piaa import jobs
from piaa.audit import AuditEvent, verify_chain
from piaa.certificates import pdf_signing, services
from piaa.certificates.models import Certificate
from piaa.delivery import scoring
from tests.delivery.conftest import (  # noqa: F401  (fixtures of the delivery tests)
    _fresh_pool_cache, agency, bank, candidate, cohort, competency, make_assessment, make_window, proctor, sit,
)

SEVEN_OF_TEN = {"choose": lambda row: "B" if row.position < 7 else "A"}  # 70%: level 3 of [20, 40, 60, 75, 90]


@pytest.fixture
def certifying_window(make_assessment, make_window):
    return make_window(make_assessment("loft", certifying_level=3))


def render_jobs(session) -> list[jobs.Job]:
    session.expire_all()
    return list(session.scalars(select(jobs.Job).where(jobs.Job.func == services.RENDER_JOB).order_by(jobs.Job.created_at)))


def test_scoring_queues_the_render_and_the_signed_pdf_appears(session, candidate, certifying_window, cert_pem):
    attempt = sit(session, candidate, certifying_window, **SEVEN_OF_TEN)
    assert attempt.level == 3
    [job] = render_jobs(session)
    assert jobs.wait(job.id, timeout=60).state == jobs.FINISHED and job.result == {"rendered": 1}

    session.expire_all()
    certificate = session.scalar(select(Certificate).where(Certificate.attempt_id == attempt.id))
    assert certificate.rendered_at is not None and certificate.pdf.startswith(b"%PDF-")
    report = pdf_signing.validate_pdf(certificate.pdf, cert_pem)
    assert report.intact and report.valid and report.trusted and report.coverage == "ENTIRE_FILE"
    assert pdf_signing.attached_credential(certificate.pdf) == certificate.credential


def test_scoring_again_neither_issues_nor_renders_again(session, candidate, certifying_window, make_user):
    attempt = sit(session, candidate, certifying_window, **SEVEN_OF_TEN)
    jobs.wait(render_jobs(session)[0].id, timeout=60)
    certificate = session.scalar(select(Certificate).where(Certificate.attempt_id == attempt.id))
    rendered_at = certificate.rendered_at

    scoring.rescore(session, attempt, actor=make_user(role="psychometrician"), reason="second look")
    session.commit()
    assert session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert len(render_jobs(session)) == 1  # nothing queued for a certificate that has its PDF
    # The job itself renders only what has no PDF yet: a duplicate of it is harmless.
    assert jobs.wait(jobs.enqueue(services.RENDER_JOB, certificate_ids=[certificate.id, 999])).result == {"rendered": 0}
    session.expire_all()
    assert session.get(Certificate, certificate.id).rendered_at == rendered_at


def test_nothing_is_queued_when_the_scoring_rolls_back(session, candidate, certifying_window):
    from piaa.delivery import attempts

    attempt = sit(session, candidate, certifying_window, submit=False, **SEVEN_OF_TEN)
    attempts.submit(session, attempt.id, candidate)
    assert session.scalar(select(func.count()).select_from(Certificate)) == 1  # issued, not committed
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Certificate)) == 0
    assert render_jobs(session) == []


@pytest.mark.parametrize("cuts, reached", [([20, 40, 80, 90, 95], "level 2"), ([80, 85, 90, 95, 99], "no level")])
def test_a_rescore_below_the_certifying_level_revokes_with_the_reason(session, candidate, certifying_window,
                                                                       make_user, cuts, reached):
    attempt = sit(session, candidate, certifying_window, **SEVEN_OF_TEN)
    jobs.wait(render_jobs(session)[0].id, timeout=60)
    certificate = session.scalar(select(Certificate).where(Certificate.attempt_id == attempt.id))
    assert not certificate.is_revoked

    certifying_window.assessment.percent_cut_scores = cuts  # the agency raised its standard
    scoring.rescore(session, attempt, actor=make_user(role="psychometrician"), reason="standard setting revised")
    session.commit()
    session.expire_all()
    certificate = session.get(Certificate, certificate.id)
    assert certificate.is_revoked and certificate.revoked_by_id is None
    assert certificate.revocation_reason == f"The attempt was rescored to {reached}, below the certifying level 3."
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoked"))
    assert event.subject_id == certificate.public_id and event.actor_id is None
    assert event.data["reason"] == certificate.revocation_reason and event.data["attempt_id"] == attempt.id
    assert verify_chain(session).ok
    assert services.public_view(certificate).status == "revoked"

    # Scoring it again below the level records no second revocation.
    scoring.rescore(session, attempt, actor=None, reason="again")
    session.commit()
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "certificate.revoked")) == 1
