"""Certificates follow scoring: a render job queued when the scoring commits produces the
signed PDF without anyone running the batch command; a rescore below the certifying level,
or below the assessment's confidence there, revokes with its reason in the audit log, and
one that certifies again issues a new certificate."""
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
from tests.standard_setting.helpers import PILOT_OF_TEN, angoff_cuts

SEVEN_OF_TEN = {"choose": lambda row: "B" if row.position < 7 else "A"}  # 70%: level 3 of [20, 40, 60, 75, 90]


@pytest.fixture
def psychometrician(make_user):
    return make_user(role="psychometrician")


@pytest.fixture
def certifying_window(session, make_assessment, make_window, psychometrician):
    """A classical assessment that may certify: per-cent cuts from a recorded Angoff panel and
    a pilot of its 10-mark form with KR-20 .90 (7 of 10 then holds level 3 with about 87%)."""
    assessment = make_assessment("loft", certifying_level=3)
    angoff_cuts(session, assessment, [20, 40, 60, 75, 90], psychometrician)
    assessment.classical_pilot = dict(PILOT_OF_TEN)
    session.commit()
    return make_window(assessment)


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

    angoff_cuts(session, certifying_window.assessment, cuts, make_user(role="psychometrician"))  # a new panel
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


def newest_certificate(session, attempt) -> Certificate:
    session.expire_all()
    return services.current_certificate(session, attempt.id)


def test_the_certificate_carries_the_decision_confidence(session, candidate, certifying_window):
    from piaa.psychometrics.decision import classical_level_confidence

    attempt = sit(session, candidate, certifying_window, **SEVEN_OF_TEN)
    certificate = newest_certificate(session, attempt)
    # The same beta-binomial posterior scoring used: P(true level >= 3 | 7 of 10, the pilot).
    expected = classical_level_confidence([7], 10, [20, 40, 60, 75, 90], mean=6.0, sd=2.5,
                                          reliability=0.9).at_or_above(3)[0]
    assert 0.8 <= expected < 0.95
    assert certificate.level == 3 and certificate.decision_confidence == pytest.approx(expected)
    results = certificate.credential["credentialSubject"]["result"]
    assert results[1]["value"] == str(round(100 * expected))
    assert f"We are {round(100 * expected)}% confident" in \
        certificate.credential["credentialSubject"]["achievement"]["criteria"]["narrative"]
    assert services.public_view(certificate).confidence == round(100 * expected)


def test_a_rescore_below_the_confidence_revokes_and_one_above_it_issues_anew(session, candidate, certifying_window,
                                                                             psychometrician):
    attempt = sit(session, candidate, certifying_window, **SEVEN_OF_TEN)
    first = newest_certificate(session, attempt)
    percent = round(100 * first.decision_confidence)
    assessment = certifying_window.assessment

    assessment.confidence_threshold = 0.95  # the agency asks for more certainty
    scoring.rescore(session, attempt, actor=psychometrician, reason="threshold raised")
    session.commit()
    first = session.get(Certificate, first.id)
    assert first.is_revoked and first.revocation_reason == (
        f"The attempt was rescored with {percent}% confidence at the certifying level 3, below the required 95%.")
    assert scoring.latest_score(session, attempt).decision == scoring.NOT_DECISIVE
    result = scoring.result_of(attempt)["decision"]
    assert result["decision"] == "not_decisive" and result["certifying_confidence"] == percent

    assessment.confidence_threshold = 0.80
    scoring.rescore(session, attempt, actor=psychometrician, reason="threshold restored")
    session.commit()
    second = newest_certificate(session, attempt)
    assert second.id != first.id and second.sequence == 2 and not second.is_revoked
    assert session.get(Certificate, first.id).is_revoked  # a revocation is final
    issued = session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.issued")
                            .order_by(AuditEvent.id.desc()).limit(1))
    assert issued.data["replaces"] == first.serial
    assert verify_chain(session).ok


def test_a_rescore_to_another_level_replaces_the_certificate(session, candidate, certifying_window, psychometrician):
    attempt = sit(session, candidate, certifying_window, **SEVEN_OF_TEN)
    first = newest_certificate(session, attempt)
    assessment = certifying_window.assessment
    angoff_cuts(session, assessment, [20, 40, 50, 65, 90], psychometrician)  # 70% is now level 4
    assessment.confidence_threshold = 0.60
    scoring.rescore(session, attempt, actor=psychometrician, reason="new panel")
    session.commit()
    second = newest_certificate(session, attempt)
    assert second.level == 4 and second.sequence == 2
    assert session.get(Certificate, first.id).revocation_reason == \
        "The attempt was rescored to level 4; a new certificate states it."


def test_the_certificate_states_only_the_level_held_with_confidence(session, candidate, certifying_window,
                                                                    psychometrician):
    angoff_cuts(session, certifying_window.assessment, [20, 40, 50, 65, 90], psychometrician)
    attempt = sit(session, candidate, certifying_window, **SEVEN_OF_TEN)
    assert attempt.level == 4  # 70% >= 65%, but only about 70% sure of it
    score = scoring.latest_score(session, attempt)
    assert score.certifying_confidence >= 0.8 > sum(score.level_probabilities[4:])
    assert score.certified_level == 3 and newest_certificate(session, attempt).level == 3


def test_an_administrators_revocation_is_never_undone_by_a_rescore(session, candidate, certifying_window,
                                                                   psychometrician, make_user):
    attempt = sit(session, candidate, certifying_window, **SEVEN_OF_TEN)
    certificate = newest_certificate(session, attempt)
    services.revoke(session, public_id=certificate.public_id, reason="Impersonation", actor=make_user(role="admin"))
    scoring.rescore(session, attempt, actor=psychometrician, reason="recalibration")
    session.commit()
    assert session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert newest_certificate(session, attempt).revocation_reason == "Impersonation"


def test_classical_scores_without_a_standard_setting_or_pilot_are_practice(session, candidate, make_assessment,
                                                                          make_window, psychometrician):
    window = make_window(make_assessment("loft", certifying_level=3))
    attempt = sit(session, candidate, window)  # every answer right: 100%, "level 5"
    assert attempt.level == 5
    decision = scoring.result_of(attempt)["decision"]
    assert decision["decision"] == "practice" and decision["confidence"] is None
    assert [text for text, _ in decision["practice_reasons"]] == [
        "Its per-cent cut scores did not come from a recorded standard setting.",
        "No pilot has measured the reliability of its form."]
    assert session.scalar(select(func.count()).select_from(Certificate)) == 0

    # A recorded panel is not enough while the form's reliability is below the floor.
    angoff_cuts(session, window.assessment, [20, 40, 60, 75, 90], psychometrician)
    window.assessment.classical_pilot = PILOT_OF_TEN | {"reliability": 0.62}
    scoring.rescore(session, attempt, actor=psychometrician, reason="pilot recorded")
    session.commit()
    decision = scoring.result_of(attempt)["decision"]
    assert decision["practice_reasons"] == [("Its form's reliability ({reliability}) is below the required {floor}.",
                                             {"reliability": "0.62", "floor": "0.80"})]
    assert decision["confidence"] is not None  # reported, but not for a certificate
    assert session.scalar(select(func.count()).select_from(Certificate)) == 0


def test_the_demo_classical_form_no_longer_certifies(session, candidate, proctor, bank):
    """The demo's assessment of an uncalibrated bank: a 10-item classical form with the
    demo's default per-cent cuts, certifying level 3. All ten right once gave "Expert"."""
    from piaa.delivery.demo import open_demo_windows
    from piaa.delivery.models import Assessment, Window

    open_demo_windows(session, [candidate, proctor], echo=lambda _: None)
    session.commit()
    assessment = session.scalar(select(Assessment).where(Assessment.code == "DEMO-FN-NOTING"))
    assert assessment.mode == "loft" and assessment.certifying_level == 3
    window = session.scalar(select(Window).where(Window.assessment_id == assessment.id))
    attempt = sit(session, candidate, window)
    assert (attempt.score_method, attempt.max_score, attempt.raw_score) == ("classical", 10.0, 10.0)
    assert scoring.latest_score(session, attempt).decision == scoring.PRACTICE
    assert session.scalar(select(func.count()).select_from(Certificate)) == 0


def test_the_result_page_says_how_sure_the_level_is_in_english_and_hindi(session, candidate, certifying_window,
                                                                         login_as, psychometrician):
    attempt = sit(session, candidate, certifying_window, **SEVEN_OF_TEN)
    percent = round(100 * scoring.latest_score(session, attempt).confidence)
    client = login_as(candidate)
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert f"We are {percent}% confident this level is right." in page
    assert 'data-decision="certify"' in page and "A certificate is issued for level 3 (Proficient)" in page
    hindi = client.get(f"/attempts/{attempt.id}/result?lang=hi").get_data(as_text=True)
    assert f"हमें {percent}% विश्वास है कि यह स्तर सही है।" in hindi

    certifying_window.assessment.confidence_threshold = 0.97
    certifying_window.max_attempts = 2  # a retake is offered only while attempts remain
    scoring.rescore(session, attempt, actor=psychometrician, reason="threshold raised")
    session.commit()
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert 'data-decision="not_decisive"' in page and "This result is not yet decisive." in page
    assert 'id="retake"' in page
