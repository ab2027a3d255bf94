"""Workplace (360) assessments by JSON API under /api/v1: open a round, nominate raters (their
invitation goes by e-mail; the link never comes back in a response), resend, read the round's
summary under the anonymity rule, and rate, either with the invitation's token or as a signed-in
rater. Who may call what is what the pages allow (``piaa.workplace.views``)."""
from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_login import current_user
from sqlalchemy import select

from piaa.accounts.auth import public, role_required
from piaa.accounts.models import ADMIN, CANDIDATE, MDO_STAFF, WORKPLACE_RATER, User
from piaa.api import api_blueprint, iso_time, openapi, request_object, strict
from piaa.errors import Forbidden, Invalid, NotFound
from piaa.i18n import N_
from piaa.extensions import db

from . import services
from .models import RELATIONS, WorkplaceAssessment, WorkplaceRater
from .views import MANAGERS, deliver

api = api_blueprint("workplace_api", __name__, "/workplace")
TAGS = ["workplace assessments"]

NOMINATION_SCHEMA = strict({
    "relation": {"type": "string", "enum": list(RELATIONS)}, "name": {"type": "string"},
    "email": {"type": "string", "format": "email"}}, "relation", "name", "email")
RATINGS_SCHEMA = strict({
    "ratings": {"type": "object", "description": "competency code -> level 1-5 or \"not_observed\", "
                                                  "one for every competency of the round",
                "additionalProperties": {"description": "a level 1-5 or \"not_observed\"",
                                         "oneOf": [{"type": "integer", "minimum": 1, "maximum": 5},
                                                   {"type": "string", "enum": [services.NOT_OBSERVED]}]}},
    "comments": {"type": "object", "description": "competency code -> comment",
                 "additionalProperties": {"type": "string"}}}, "ratings")
RATER_FIELDS = "raters: [{id, relation, name, email, invited_at, expires_at, sent_at, send_count, send_error, rated}]"


def _rater_json(rater: WorkplaceRater) -> dict[str, Any]:
    return {"id": rater.id, "relation": rater.relation, "name": rater.name, "email": rater.email,
            "invited_at": iso_time(rater.invited_at), "expires_at": iso_time(rater.expires_at),
            "sent_at": iso_time(rater.sent_at), "send_count": rater.send_count, "send_error": rater.send_error,
            "rated": rater.submitted_at is not None}


def _assessment_json(assessment: WorkplaceAssessment) -> dict[str, Any]:
    summary = []
    for s in services.summarise(db.session, assessment):
        summary.append({"competency": s.competency.code, "supervisor": s.supervisor, "self": s.self_rating,
                        "groups": {rel: {"raters": g.n, "mean": g.mean, "shown": g.mean is not None}
                                   for rel, g in s.groups.items()},
                        "rating": s.rating, "raters": s.n_raters, "agreement_rwg": s.agreement,
                        "low_agreement": s.low_agreement, "not_observed": s.not_observed})
    return {"id": assessment.id, "official": assessment.official.email, "official_name": assessment.official.name,
            "opened_at": iso_time(assessment.opened_at), "closed_at": iso_time(assessment.closed_at),
            "raters": [_rater_json(r) for r in assessment.raters], "summary": summary,
            "minimum_group": services.MIN_GROUP}


def _managed(assessment_id: int) -> WorkplaceAssessment:
    found = services.get_assessment(db.session, assessment_id)
    if not services.may_manage(current_user, found, db.session):
        raise NotFound(N_("no workplace assessment {assessment_id}"), field="assessment",
                       values={"assessment_id": assessment_id})
    return found


@api.post("/assessments")
@role_required(CANDIDATE, MDO_STAFF, ADMIN)
@openapi("Open a workplace assessment on the competencies the official's position requires: an official "
         "opens their own; their MDO's staff or an administrator name the official", tags=TAGS,
         request=strict({"official": {"type": "string", "format": "email"}}),
         responses={201: "the round", 403: "not the official's MDO", 422: "no position with competencies"})
def open_assessment():
    official = current_user
    if current_user.role != CANDIDATE:
        email = str(request_object().get("official") or "").strip().lower()
        official = db.session.scalar(select(User).where(User.email == email))
        if official is None:
            raise Invalid(N_("no official with e-mail {email}"), field="official", values={"email": repr(email)})
    assessment = services.open_assessment(db.session, official, actor=current_user)
    db.session.commit()
    return jsonify(_assessment_json(assessment)), 201


@api.get("/assessments/<int:assessment_id>")
@role_required(*MANAGERS)
@openapi("A round: its raters and the summary per competency (peers and reports only from three raters; "
         "agreement r_wg, flagged below .50)", tags=TAGS,
         responses={200: f"id, official, {RATER_FIELDS}, summary", 404: "no such round, or not the caller's"})
def get_assessment(assessment_id: int):
    return jsonify(_assessment_json(_managed(assessment_id)))


@api.post("/assessments/<int:assessment_id>/raters")
@role_required(*MANAGERS)
@openapi("Nominate a rater; the invitation (a signed link that expires) is e-mailed to them and is never "
         "part of the response", tags=TAGS, request=NOMINATION_SCHEMA,
         responses={201: "rater: {id, relation, ..., sent_at, send_error}", 409: "already nominated",
                    422: "bad relation, name or e-mail; a second supervisor or self-rater"})
def nominate(assessment_id: int):
    found = _managed(assessment_id)
    body = request_object()
    invitation = services.nominate(db.session, found, relation=str(body.get("relation") or ""),
                                   name=str(body.get("name") or ""), email=str(body.get("email") or ""),
                                   actor=current_user)
    db.session.commit()
    deliver(invitation)
    return jsonify({"rater": _rater_json(invitation.rater)}), 201


@api.post("/assessments/<int:assessment_id>/raters/<int:rater_id>/resend")
@role_required(*MANAGERS)
@openapi("Send a rater a new link; the previous one stops working", tags=TAGS,
         responses={200: "rater", 409: "already rated, or the round is closed"})
def resend(assessment_id: int, rater_id: int):
    rater = services.get_rater(db.session, rater_id, _managed(assessment_id))
    invitation = services.resend(db.session, rater, actor=current_user)
    db.session.commit()
    deliver(invitation)
    return jsonify({"rater": _rater_json(rater)})


def _sheet_json(rater: WorkplaceRater) -> dict[str, Any]:
    return {"official": rater.assessment.official.name, "relation": rater.relation,
            "rated": rater.submitted_at is not None,
            "competencies": [{"code": c.code, "name": c.name, "levels": [
                {"level": lvl.level, "label": lvl.label, "descriptor": lvl.descriptor} for lvl in c.levels]}
                for c in services.rating_sheet(db.session, rater)]}


def _rate(rater: WorkplaceRater):
    body = request_object()
    ratings, comments = body.get("ratings"), body.get("comments") or {}
    if not isinstance(ratings, dict) or not isinstance(comments, dict):
        raise Invalid(N_("ratings (and comments) must be objects keyed by competency code"), field="ratings")
    ids = {c.code: c.id for c in services.rating_sheet(db.session, rater)}
    unknown = sorted(set(ratings) - set(ids))
    if unknown:
        raise Invalid(N_("not rated in this round: {unknown}"), field="ratings", values={"unknown": ', '.join(unknown)})
    services.submit_ratings(db.session, rater, {ids[code]: value for code, value in ratings.items()},
                            {ids[code]: str(text) for code, text in comments.items() if code in ids})
    db.session.commit()
    return jsonify(_sheet_json(rater)), 201


@api.get("/ratings/<token>")
@public
@openapi("The rating sheet an invitation's token opens: each competency with its level descriptors", tags=TAGS,
         responses={200: "official, relation, rated, competencies", 404: "not a token of ours",
                    410: "the link has expired or was replaced"})
def sheet_by_token(token: str):
    return jsonify(_sheet_json(services.rater_for_token(db.session, token)))


@api.post("/ratings/<token>")
@public
@openapi("Rate with an invitation's token, once, without an account", tags=TAGS, request=RATINGS_SCHEMA,
         responses={201: "the sheet, rated", 409: "already rated", 410: "the link has expired or was replaced",
                    422: "a competency without a level or not_observed"})
def rate_by_token(token: str):
    return _rate(services.rater_for_token(db.session, token))


def _own_request(rater_id: int) -> WorkplaceRater:
    rater = services.get_rater(db.session, rater_id)
    if not services.may_rate_as(current_user, rater):
        raise Forbidden(N_("this rating request was made to someone else"))
    return rater


@api.get("/requests")
@role_required(WORKPLACE_RATER)
@openapi("A signed-in rater's rating requests", tags=TAGS,
         responses={200: "requests: [{id, official, relation, invited_at, rated}]"})
def my_requests():
    mine = db.session.scalars(select(WorkplaceRater).where(WorkplaceRater.email == current_user.email.lower())
                              .order_by(WorkplaceRater.invited_at.desc()))
    return jsonify({"requests": [{"id": r.id, "official": r.assessment.official.name, "relation": r.relation,
                                  "invited_at": iso_time(r.invited_at), "rated": r.submitted_at is not None}
                                 for r in mine]})


@api.post("/requests/<int:rater_id>/ratings")
@role_required(WORKPLACE_RATER)
@openapi("Rate a request made to the signed-in rater's address", tags=TAGS, request=RATINGS_SCHEMA,
         responses={201: "the sheet, rated", 403: "made to someone else", 409: "already rated"})
def rate_request(rater_id: int):
    return _rate(_own_request(rater_id))
