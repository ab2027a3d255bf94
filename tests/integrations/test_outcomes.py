"""Results sent out after scoring: the score to the launching platform's gradebook column
(Assignment and Grade Services, through a token bought with the tool's signed assertion) and
HMAC-signed webhooks; failures retried with a growing delay, every outcome audited."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from piaa import jobs
from piaa.audit import AuditEvent
from piaa.delivery.models import Attempt, AttemptScore
from piaa.integrations import outcomes
from piaa.integrations.models import AGS, DELIVERED, GAVE_UP, PENDING, WEBHOOK, OutboundDelivery
from tests.delivery.conftest import sit
from tests.integrations.conftest import launch
from tests.integrations.platform import CLIENT_ID


def _launched_attempt(session, client, platform, window) -> Attempt:
    response = launch(client, platform, assessment=window.assessment.code)
    entry = re.search(r'href="(/lti/enter/[^"]+)"', response.get_data(as_text=True)).group(1)
    attempt_id = int(client.get(entry).location.split("/")[2])
    return session.get(Attempt, attempt_id)


def _finish(session, attempt: Attempt, window) -> Attempt:
    """The launched learner sits and submits; ``sit`` resumes the attempt the launch opened."""
    sat = sit(session, attempt.user, window)
    assert sat.id == attempt.id
    jobs.join_threads()
    session.expire_all()
    return session.get(Attempt, attempt.id)


def test_the_scored_result_reaches_the_platforms_gradebook(session, client, registered, platform, window, clock):
    attempt = _finish(session, _launched_attempt(session, client, platform, window), window)
    score = session.scalar(select(AttemptScore).where(AttemptScore.attempt_id == attempt.id))
    assert attempt.state == "scored" and score.theta is not None
    (received,) = platform.received_scores
    body = received["body"]
    # theta on the result page's -4..4 scale, placed on 0..100
    assert body["scoreGiven"] == pytest.approx(round(100 * (score.theta + 4) / 8, 1))
    assert body["scoreMaximum"] == 100 and body["userId"] == "learner-0001"
    assert (body["activityProgress"], body["gradingProgress"]) == ("Completed", "FullyGraded")
    level_text = f"Level {score.level}" if score.level else "Below level 1"
    assert body["comment"].startswith(level_text)
    assert f"{round(100 * score.confidence)}% confidence" in body["comment"]
    assert f"θ {score.theta:.2f} (SE {score.se:.2f})" in body["comment"]
    assert received["headers"]["Content-Type"] == "application/vnd.ims.lis.v1.score+json"
    assert received["headers"]["Authorization"].startswith("Bearer platform-token-")
    # The token was bought with an assertion the platform checked against the tool's JWKS.
    (token_request,) = platform.token_requests
    assert token_request["claims"]["iss"] == CLIENT_ID and token_request["scope"] == outcomes.SCORE_SCOPE
    delivery = session.scalar(select(OutboundDelivery))
    assert (delivery.kind, delivery.state, delivery.tries, delivery.last_status) == (AGS, DELIVERED, 1, 200)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "integration.result_sent"))
    assert event.subject_id == str(attempt.id) and event.data["kind"] == AGS


def test_the_administrator_reads_the_delivery_log(session, client, registered, platform, window, make_user,
                                                  login_as):
    platform.fail_next = 1
    attempt = _finish(session, _launched_attempt(session, client, platform, window), window)
    page = login_as(make_user(role="admin")).get("/admin/lti").get_data(as_text=True)
    row = re.search(r'<table id="deliveries">.*?</table>', page, re.S).group(0)
    assert f"<td>{attempt.id}</td>" in row and "pending" in row and "HTTP 503" in row


def test_a_failed_passback_is_retried_with_a_growing_delay_then_given_up(
        session, client, registered, platform, window, clock, monkeypatch):
    platform.fail_next = 1
    attempt = _finish(session, _launched_attempt(session, client, platform, window), window)
    delivery = session.scalar(select(OutboundDelivery).where(OutboundDelivery.attempt_id == attempt.id))
    assert (delivery.state, delivery.tries, delivery.last_status) == (PENDING, 1, 503)
    assert delivery.next_try_at.replace(tzinfo=None) == (clock() + timedelta(minutes=1)).replace(tzinfo=None)
    assert outcomes.retry_due(session) == {"delivered": [], "failed": [], "gave_up": []}  # not yet due
    clock.advance(minutes=1)
    assert outcomes.retry_due(session)["delivered"] == [delivery.id]
    assert len(platform.received_scores) == 1
    actions = [e.action for e in session.scalars(select(AuditEvent).where(
        AuditEvent.action.like("integration.%")).order_by(AuditEvent.id))]
    assert actions == ["integration.result_failed", "integration.result_sent"]
    # A platform that never answers: 1, 2, 4, 8, 16 minutes apart, then given up.
    platform.fail_next = 100
    session.delete(delivery)
    session.commit()
    outcomes.send_results([session.scalar(select(AttemptScore.id))])
    gaps = []
    for _ in range(outcomes.MAX_TRIES - 1):
        row = session.scalar(select(OutboundDelivery))
        gaps.append(round((row.next_try_at.replace(tzinfo=None) - clock().replace(tzinfo=None)).total_seconds()))
        clock.current = row.next_try_at.replace(tzinfo=clock().tzinfo)
        outcomes.retry_due(session)
    assert gaps == [60, 120, 240, 480, 960]
    row = session.scalar(select(OutboundDelivery))
    assert (row.state, row.tries, row.next_try_at) == (GAVE_UP, outcomes.MAX_TRIES, None)
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "integration.result_gave_up"))


def test_webhooks_are_signed_and_name_the_result(session, platform, window, candidate):
    hook, secret = outcomes.add_webhook(session, f"{platform.base_url}/hook")
    session.commit()
    attempt = sit(session, candidate, window)
    jobs.join_threads()
    (received,) = platform.received_hooks
    headers, body = received["headers"], received["body"]
    expected = hmac.new(secret.encode(), headers["X-Piaa-Timestamp"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    assert headers["X-Piaa-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    session.expire_all()
    scored = session.get(Attempt, attempt.id)
    assert payload["event"] == "attempt.scored"
    assert payload["result"]["attempt"] == attempt.id and payload["result"]["level"] == scored.level
    assert payload["result"]["theta"] == pytest.approx(scored.theta, abs=1e-4)
    delivery = session.scalar(select(OutboundDelivery))
    assert (delivery.kind, delivery.state) == (WEBHOOK, DELIVERED)
    # Tampering with the body breaks the signature a receiver computes.
    forged = hmac.new(secret.encode(), headers["X-Piaa-Timestamp"].encode() + b"." + body.replace(b"scored", b"xcored"),
                      hashlib.sha256).hexdigest()
    assert headers["X-Piaa-Signature"] != f"sha256={forged}"


def test_a_webhook_for_another_assessment_receives_nothing(session, platform, window, candidate,
                                                           make_assessment):
    other = make_assessment(mode="loft")
    outcomes.add_webhook(session, f"{platform.base_url}/hook", assessment_code=other.code)
    session.commit()
    sit(session, candidate, window)
    jobs.join_threads()
    assert platform.received_hooks == [] and session.scalar(select(OutboundDelivery)) is None


def test_scoring_without_a_launch_or_webhook_queues_nothing(session, window, candidate):
    from piaa.jobs import Job

    sit(session, candidate, window)
    jobs.join_threads()
    assert session.scalar(select(Job).where(Job.func == outcomes.SEND_JOB)) is None


def test_a_bad_webhook_url_is_refused(session):
    from piaa.errors import Invalid

    with pytest.raises(Invalid, match="must be http"):
        outcomes.add_webhook(session, "file:///etc/passwd")


@pytest.mark.parametrize("theta, expected", [(-4.0, 0.0), (0.0, 50.0), (1.0, 62.5), (4.0, 100.0),
                                             (-6.0, 0.0), (7.5, 100.0)])
def test_the_scaled_score_places_theta_on_the_result_scale(theta, expected):
    score = AttemptScore(method="eap", theta=theta, raw_score=3, max_score=10)
    assert outcomes.scaled_score(score) == expected


def test_a_classical_score_is_sent_as_per_cent_correct():
    assert outcomes.scaled_score(AttemptScore(method="classical", theta=None, raw_score=7, max_score=8)) == 87.5
