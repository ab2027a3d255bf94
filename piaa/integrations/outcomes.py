"""Results sent out when an attempt is scored: the score to the gradebook column of the
platform that launched it (LTI Assignment and Grade Services), and an HMAC-signed JSON POST
to every configured webhook.

Scoring knows nothing of this. A listener notices each new ``AttemptScore`` and, when the
attempt came from a launch with a gradebook column or a webhook is configured, queues
``send_results`` to run once the scoring commits. Each result to send is an
``OutboundDelivery`` row: tried at once, and after a failure again after 1, 2, 4, 8 and 16
minutes (``piaa lti deliver --every 30`` runs the due tries), then given up. Every delivery
and every giving up is written to the audit chain.

What a gradebook receives: ``scoreGiven`` of ``scoreMaximum`` 100 is the θ scale of the
result page (-4 to 4) mapped onto 0-100, or the per cent correct for a classical score; the
comment names the level, its label and how sure it is, and θ with its standard error.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from piaa import audit
from piaa.clock import as_utc, now
from piaa.delivery.models import CLASSICAL, Attempt, AttemptScore
from piaa.delivery.pages import SCALE_HIGH, SCALE_LOW
from piaa.errors import Invalid, NotFound
from piaa.i18n import N_
from piaa.integrations.models import (AGS, DELIVERED, GAVE_UP, PENDING, WEBHOOK, LtiLaunch, LtiPlatform,
                                      OutboundDelivery, Webhook)

log = logging.getLogger(__name__)
SEND_JOB = "piaa.integrations.outcomes.send_results"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCORE_MAXIMUM = 100.0
MAX_TRIES = 6
FIRST_RETRY = timedelta(minutes=1)
SIGNATURE_HEADER = "X-PIAA-Signature"
TIMESTAMP_HEADER = "X-PIAA-Timestamp"
PENDING_SCORES = "piaa.integrations.scored"  # session.info key


# --- noticing scores ------------------------------------------------------------------------

@event.listens_for(Session, "after_flush")
def _notice_scores(session: Session, flush_context) -> None:
    scores = [obj for obj in session.new if isinstance(obj, AttemptScore)]
    if scores:
        session.info.setdefault(PENDING_SCORES, []).extend(scores)


@event.listens_for(Session, "before_commit")
def _queue_sending(session: Session) -> None:
    scores = session.info.pop(PENDING_SCORES, None)
    if not scores:
        return
    session.flush()
    attempt_ids = {score.attempt_id for score in scores}
    wanted = session.scalar(select(LtiLaunch.id).where(LtiLaunch.attempt_id.in_(attempt_ids),
                                                       LtiLaunch.lineitem_url.is_not(None)).limit(1))
    wanted = wanted or session.scalar(select(Webhook.id).where(Webhook.active.is_(True)).limit(1))
    if wanted:
        from piaa.jobs import enqueue_after_commit

        enqueue_after_commit(session, SEND_JOB, score_ids=sorted(score.id for score in scores))


@event.listens_for(Session, "after_rollback")
def _forget_scores(session: Session) -> None:
    session.info.pop(PENDING_SCORES, None)


# --- what is sent ---------------------------------------------------------------------------

def scaled_score(score: AttemptScore) -> float:
    """The score on 0-100: θ placed on the result page's scale, or the per cent correct."""
    if score.method == CLASSICAL or score.theta is None:
        return round(SCORE_MAXIMUM * score.raw_score / score.max_score, 1) if score.max_score else 0.0
    share = (min(max(score.theta, SCALE_LOW), SCALE_HIGH) - SCALE_LOW) / (SCALE_HIGH - SCALE_LOW)
    return round(SCORE_MAXIMUM * share, 1)


def result_facts(attempt: Attempt, score: AttemptScore) -> dict[str, Any]:
    """The result as systems outside receive it (webhooks, the score's extension claim)."""
    assessment = attempt.assessment
    described = assessment.competency.level(score.level) if score.level else None
    return {"attempt": attempt.id, "assessment": assessment.code, "competency": assessment.competency.code,
            "score_number": score.number, "method": score.method,
            "theta": None if score.theta is None else round(score.theta, 4),
            "se": None if score.se is None else round(score.se, 4),
            "level": score.level, "level_label": described.label if described else None,
            "confidence": None if score.confidence is None else round(score.confidence, 4),
            "decision": score.decision, "certified_level": score.certified_level,
            "raw_score": score.raw_score, "max_score": score.max_score,
            "scaled_score": scaled_score(score), "scored_at": as_utc(score.scored_at).isoformat()}


def comment_of(facts: dict[str, Any]) -> str:
    if facts["level"]:
        level = f"Level {facts['level']}" + (f" ({facts['level_label']})" if facts["level_label"] else "")
    else:
        level = "Below level 1"
    parts = [level]
    if facts["confidence"] is not None:
        parts.append(f"decided with {round(100 * facts['confidence'])}% confidence")
    if facts["theta"] is not None:
        parts.append(f"θ {facts['theta']:.2f} (SE {facts['se']:.2f})")
    else:
        parts.append(f"classical score {facts['raw_score']:g} of {facts['max_score']:g}")
    return "; ".join(parts)


def ags_score(launch: LtiLaunch, facts: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The AGS score body (application/vnd.ims.lis.v1.score+json)."""
    return {"userId": launch.subject, "scoreGiven": facts["scaled_score"], "scoreMaximum": SCORE_MAXIMUM,
            "comment": comment_of(facts), "activityProgress": "Completed",
            "gradingProgress": "FullyGraded", "timestamp": facts["scored_at"],
            f"{base_url.rstrip('/')}/lti/claim/result": facts}


def _scores_url(lineitem_url: str) -> str:
    """``<lineitem>/scores``, keeping any query string the platform put on the column URL."""
    path, sep, query = lineitem_url.partition("?")
    return f"{path.rstrip('/')}/scores{sep}{query}"


def plan_deliveries(session: Session, score: AttemptScore, base_url: str) -> list[OutboundDelivery]:
    """The deliveries one score needs: one per gradebook column it was launched from (the
    newest launch of each), one per active webhook for its assessment. Ones already planned
    are not planned again."""
    attempt = session.get(Attempt, score.attempt_id)
    facts = result_facts(attempt, score)
    planned: list[OutboundDelivery] = []
    launches = session.scalars(select(LtiLaunch).where(LtiLaunch.attempt_id == attempt.id,
                                                       LtiLaunch.lineitem_url.is_not(None))
                               .order_by(LtiLaunch.id.desc()))
    columns: set[tuple[int, str]] = set()
    for launch in launches:
        if (launch.platform_id, launch.lineitem_url) in columns or SCORE_SCOPE not in (launch.ags_scopes or []):
            continue
        columns.add((launch.platform_id, launch.lineitem_url))
        planned.append(OutboundDelivery(kind=AGS, attempt_id=attempt.id, score_id=score.id, launch_id=launch.id,
                                        url=_scores_url(launch.lineitem_url),
                                        payload=ags_score(launch, facts, base_url)))
    hooks = session.scalars(select(Webhook).where(Webhook.active.is_(True)).order_by(Webhook.id))
    for hook in hooks:
        if hook.assessment_id not in (None, attempt.assessment_id):
            continue
        planned.append(OutboundDelivery(kind=WEBHOOK, attempt_id=attempt.id, score_id=score.id,
                                        webhook_id=hook.id, url=hook.url,
                                        payload={"event": "attempt.scored", "result": facts}))
    fresh = []
    for delivery in planned:
        known = session.scalar(select(OutboundDelivery.id).where(
            OutboundDelivery.kind == delivery.kind, OutboundDelivery.score_id == score.id,
            OutboundDelivery.launch_id.is_(None) if delivery.launch_id is None
            else OutboundDelivery.launch_id == delivery.launch_id,
            OutboundDelivery.webhook_id.is_(None) if delivery.webhook_id is None
            else OutboundDelivery.webhook_id == delivery.webhook_id))
        if known is None:
            delivery.state, delivery.tries, delivery.created_at, delivery.next_try_at = PENDING, 0, now(), now()
            session.add(delivery)
            fresh.append(delivery)
    session.flush()
    return fresh


# --- sending --------------------------------------------------------------------------------

class DeliveryFailed(Exception):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``<timestamp>.<body>`` (the timestamp is signed
    too, so a receiver can refuse an old delivery replayed)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _post_webhook(session: Session, delivery: OutboundDelivery, http) -> int:
    hook = session.get(Webhook, delivery.webhook_id)
    body = json.dumps({**delivery.payload, "delivery": delivery.id}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = str(int(now().timestamp()))
    try:
        response = http.post(delivery.url, data=body, headers={
            "Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(hook.secret, timestamp, body), "X-PIAA-Delivery": str(delivery.id)})
    except Exception as exc:  # refused, timed out, unresolvable: all worth another try
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:200]}", response.status_code)
    return response.status_code


def _post_score(session: Session, delivery: OutboundDelivery, http) -> int:
    from pylti1p3.exception import LtiServiceException
    from pylti1p3.service_connector import ServiceConnector

    from piaa.integrations.lti import registration_of

    launch = session.get(LtiLaunch, delivery.launch_id)
    platform = session.get(LtiPlatform, launch.platform_id)
    connector = ServiceConnector(registration_of(platform), requests_session=http)
    try:
        connector.make_service_request([SCORE_SCOPE], delivery.url, is_post=True,
                                       data=json.dumps(delivery.payload, ensure_ascii=False),
                                       content_type="application/vnd.ims.lis.v1.score+json")
    except LtiServiceException as exc:
        raise DeliveryFailed(str(exc)[:500], exc.response.status_code) from exc
    except Exception as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
    return 200


def try_delivery(session: Session, delivery: OutboundDelivery, http=None) -> bool:
    """One try of one delivery; the outcome recorded on the row and in the audit chain.
    Returns True when delivered."""
    from piaa.integrations.lti import http_session

    http = http or http_session()
    delivery.tries += 1
    try:
        status = (_post_score if delivery.kind == AGS else _post_webhook)(session, delivery, http)
    except DeliveryFailed as exc:
        delivery.last_error, delivery.last_status = str(exc), exc.status
        if delivery.tries >= MAX_TRIES:
            delivery.state, delivery.next_try_at = GAVE_UP, None
            action = "integration.result_gave_up"
        else:
            delivery.next_try_at = now() + FIRST_RETRY * 2 ** (delivery.tries - 1)
            action = "integration.result_failed"
        audit.record(session, action, subject_type="attempt", subject_id=delivery.attempt_id,
                     data={"delivery": delivery.id, "kind": delivery.kind, "url": delivery.url,
                           "try": delivery.tries, "error": delivery.last_error[:300],
                           "next_try_at": delivery.next_try_at})
        return False
    delivery.state, delivery.last_status, delivery.last_error = DELIVERED, status, None
    delivery.delivered_at, delivery.next_try_at = now(), None
    audit.record(session, "integration.result_sent", subject_type="attempt", subject_id=delivery.attempt_id,
                 data={"delivery": delivery.id, "kind": delivery.kind, "url": delivery.url, "try": delivery.tries,
                       "score": delivery.payload.get("scoreGiven", delivery.payload.get("result", {}).get(
                           "scaled_score"))})
    return True


def send_results(score_ids: list[int]) -> dict:
    """Job: plan and try the deliveries of newly recorded scores (each committed on its own)."""
    from flask import current_app

    from piaa.extensions import db

    base_url = current_app.config["PIAA_BASE_URL"]
    planned: list[int] = []
    for score_id in sorted(set(score_ids)):
        score = db.session.get(AttemptScore, score_id)
        if score is None:
            continue
        planned.extend(d.id for d in plan_deliveries(db.session, score, base_url))
        db.session.commit()
    return _try_each(db.session, planned)


def due_deliveries(session: Session, at=None) -> list[int]:
    at = at or now()
    return list(session.scalars(select(OutboundDelivery.id).where(
        OutboundDelivery.state == PENDING, OutboundDelivery.next_try_at <= at).order_by(OutboundDelivery.id)))


def retry_due(session: Session) -> dict:
    """Try every pending delivery whose time has come (``piaa lti deliver``)."""
    return _try_each(session, due_deliveries(session))


def retry_due_job() -> dict:
    from piaa.extensions import db

    return retry_due(db.session)


def _try_each(session: Session, delivery_ids: list[int]) -> dict:
    report = {"delivered": [], "failed": [], "gave_up": []}
    for delivery_id in delivery_ids:
        delivery = session.get(OutboundDelivery, delivery_id)
        if delivery is None or delivery.state != PENDING:
            continue
        try:
            ok = try_delivery(session, delivery)
            session.commit()
        except Exception:  # one broken delivery must not hold up the rest; it is logged
            session.rollback()
            log.exception("result delivery %s could not be tried", delivery_id)
            report["failed"].append(delivery_id)
            continue
        key = "delivered" if ok else ("gave_up" if delivery.state == GAVE_UP else "failed")
        report[key].append(delivery_id)
    return report


# --- webhooks -------------------------------------------------------------------------------

def add_webhook(session: Session, url: str, *, assessment_code: str | None = None, actor=None) -> tuple[Webhook, str]:
    """Register a webhook; returns it and its secret (shown once to the administrator).

    :raise Invalid: if the URL is not http(s).
    :raise NotFound: if the assessment code is unknown.
    """
    from urllib.parse import urlparse

    from piaa.delivery.models import Assessment

    url = (url or "").strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise Invalid(N_("the webhook URL must be http(s), got {url}"), field="url", values={"url": repr(url)})
    assessment = None
    if assessment_code:
        assessment = session.scalar(select(Assessment).where(Assessment.code == assessment_code))
        if assessment is None:
            raise NotFound(N_("no assessment {assessment_code}"), field="assessment",
                           values={"assessment_code": repr(assessment_code)})
    secret = secrets.token_hex(32)
    hook = Webhook(url=url, secret=secret, assessment_id=assessment.id if assessment else None, active=True,
                   created_at=now(), created_by_id=getattr(actor, "id", None))
    session.add(hook)
    session.flush()
    audit.record(session, "integration.webhook_added", actor=actor, subject_type="webhook", subject_id=hook.id,
                 data={"url": url, "assessment": assessment_code})
    return hook, secret


def recent_deliveries(session: Session, limit: int = 50, attempt_id: int | None = None) -> list[OutboundDelivery]:
    """The delivery log, newest first: every result sent or being retried, and how it went."""
    query = select(OutboundDelivery).order_by(OutboundDelivery.id.desc()).limit(limit)
    if attempt_id is not None:
        query = query.where(OutboundDelivery.attempt_id == attempt_id)
    return list(session.scalars(query))
