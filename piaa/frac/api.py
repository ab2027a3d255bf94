"""The FRAC's JSON API under /api/v1: positions (list, get, import), the CoE competency flow
(duplicate check, draft, revise, moves) and an MDO's gap map. Who may call what is what the
pages allow (``piaa.frac.views``); the services check the rest (an MDO's own staff, the
reviewer who owns nothing)."""
from __future__ import annotations

import json
from typing import Any

from flask import jsonify, request
from flask_login import current_user

from piaa.accounts.auth import role_required
from piaa.accounts.models import ADMIN, ANALYST, COE_REVIEWER, MDO_LEADERSHIP, MDO_STAFF, Organisation
from piaa.api import api_blueprint, iso_time, openapi, request_object, strict
from piaa.errors import Invalid
from piaa.extensions import db
from piaa.i18n import N_

from . import gaps as gap_service
from . import positions as position_service
from . import proposals as proposal_service
from .models import CompetencyProposal, Position, PositionVersion
from .views import FLOW_READERS, POSITION_READERS, own_mdo

api = api_blueprint("frac_api", __name__)
POSITIONS, FLOW, GAPS = ["FRAC positions"], ["CoE competency flow"], ["gap maps"]

TEXT, LEVEL = {"type": "string"}, {"type": "integer", "minimum": 1, "maximum": 5}
OPTIONAL_TEXT = {"type": "string", "nullable": True}
LEVELS_SCHEMA = {"type": "array", "minItems": 5, "maxItems": 5, "items": strict(
    {"level": LEVEL, "label": TEXT, "descriptor": TEXT}, "level", "descriptor")}
RECORD_SCHEMA = strict({
    "code": TEXT, "name": TEXT, "name_hi": TEXT,
    "type": {"type": "string", "enum": ["behavioural", "functional", "domain"]},
    "description": TEXT, "area": {**TEXT, "description": "competency area"},
    "levels": LEVELS_SCHEMA}, "code", "name", "type", "levels")
MOVE_SCHEMA = strict({
    "action": {"type": "string", "enum": sorted({a for _, a in proposal_service.MOVES})},
    "comment": {"type": "string", "description": "required to return or send back"}}, "action")
# The file's form (what GET /positions/{id} and the export give, title_hi null where none).
POSITION_FILE_SCHEMA = strict({
    "format": {"type": "string", "enum": [position_service.POSITION_FORMAT]},
    "mdo": {"type": "string", "description": "the MDO's name (administrators; staff import for their own MDO)"},
    "positions": {"type": "array", "items": strict({
        "code": TEXT, "title": TEXT, "title_hi": OPTIONAL_TEXT, "description": OPTIONAL_TEXT,
        "description_hi": OPTIONAL_TEXT,
        "roles": {"type": "array", "items": strict({
            "name": TEXT, "name_hi": OPTIONAL_TEXT, "activities": {"type": "array", "items": TEXT},
            "activities_hi": {"type": "array", "items": TEXT,
                              "description": "one per activity, in the same order; \"\" where none"}},
            "name")},
        "competencies": {"type": "array", "items": strict({"code": TEXT, "level": LEVEL}, "code", "level")}},
        "code", "title", "competencies")}}, "positions")


# --- positions ---------------------------------------------------------------------------------

def _version_json(version: PositionVersion) -> dict[str, Any]:
    return {"number": version.number, "state": version.state, "approved_at": iso_time(version.approved_at),
            **{k: v for k, v in position_service.position_record(version.position, version).items() if k != "code"}}


def _position_json(position: Position, versions: bool = False) -> dict[str, Any]:
    body = {"id": position.id, "code": position.code, "mdo": position.mdo.name,
            "approved_version": position.approved.number if position.approved else None,
            "newest": _version_json(position.newest) if position.newest else None}
    if versions:
        body["versions"] = [_version_json(v) for v in position.versions]
    return body


@api.get("/positions")
@role_required(*POSITION_READERS)
@openapi("Positions, newest version each, optionally of one MDO, matching a text or needing a competency",
         tags=POSITIONS, parameters=[
             {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "text in code, title, roles"},
             {"name": "mdo", "in": "query", "schema": {"type": "string"}},
             {"name": "competency", "in": "query", "schema": {"type": "string"}}],
         responses={200: "positions: [{id, code, mdo, approved_version, newest: {number, state, title, roles, "
                         "competencies: [{code, level}]}}]", 404: "no such MDO"})
def list_positions():
    name = (request.args.get("mdo") or "").strip()
    mdo = position_service.require_mdo(db.session, name) if name else None
    found = position_service.search_positions(db.session, text=request.args.get("q"), mdo=mdo,
                                              competency=(request.args.get("competency") or "").strip() or None)
    return jsonify({"positions": [_position_json(p) for p in found]})


@api.get("/positions/<int:position_id>")
@role_required(*POSITION_READERS)
@openapi("One position with every version (an approved version never changes)", tags=POSITIONS,
         responses={200: "the position and its versions", 404: "no such position"})
def get_position(position_id: int):
    return jsonify(_position_json(position_service.get_position(db.session, position_id), versions=True))


@api.post("/positions/import")
@role_required(MDO_STAFF, ADMIN)
@openapi("Import positions (the JSON position file), all or nothing: any bad record imports nothing and "
         "every problem is named; a changed approved position gets a new draft version", tags=POSITIONS,
         request=POSITION_FILE_SCHEMA,
         responses={201: "created, revised, unchanged: lists of position codes",
                    422: "error.problems: [{row, field, message}]"})
def import_positions():
    body = request_object()
    if current_user.role == MDO_STAFF:
        mdo = own_mdo()
    else:
        name = body.get("mdo")
        mdo = position_service.require_mdo(db.session, name) if isinstance(name, str) and name.strip() else None
    if mdo is None:
        raise Invalid(N_("say which MDO the positions belong to"), field="mdo")
    records = position_service.parse_position_json(json.dumps({k: v for k, v in body.items() if k != "mdo"}),
                                                   "request")
    report = position_service.import_positions(db.session, mdo, records, actor=current_user, filename="request")
    db.session.commit()
    return jsonify({"mdo": mdo.name, "created": report.created, "revised": report.revised,
                    "unchanged": report.unchanged}), 201


# --- the CoE competency flow -------------------------------------------------------------------

def _proposal_json(proposal: CompetencyProposal, detail: bool = False) -> dict[str, Any]:
    body = {"id": proposal.id, "code": proposal.code, "mdo": proposal.mdo.name, "area": proposal.area,
            "state": proposal.state, "revision": proposal.revision, "name": proposal.record.get("name"),
            "updated_at": iso_time(proposal.updated_at)}
    if detail:
        body.update(record=proposal.record,
                    moves=[{"action": m.action, "from": m.from_state, "to": m.to_state, "comment": m.comment,
                            "actor": m.actor.name if m.actor else None, "role": m.actor.role if m.actor else None,
                            "at": iso_time(m.at)} for m in proposal.moves],
                    allowed_moves=[m.action for m in proposal_service.moves_for(proposal, current_user)],
                    editable=proposal_service.may_edit(current_user, proposal))
    return body


def _record(body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    record = {k: body[k] for k in ("code", "name", "name_hi", "type", "description", "levels") if k in body}
    area = body.get("area", "")
    if not isinstance(area, str):
        raise Invalid(N_("area must be text"), field="area")
    return record, area


def _readable_proposal(proposal_id: int) -> CompetencyProposal:
    found = proposal_service.get_proposal(db.session, proposal_id)
    proposal_service.check_readable(current_user, found)
    return found


@api.get("/competency-proposals")
@role_required(*FLOW_READERS)
@openapi("Proposed competencies the caller works on: an MDO's own, or those before the CoE reviewer",
         tags=FLOW, responses={200: "proposals: [{id, code, mdo, area, state, revision, name, updated_at}]"})
def list_proposals():
    return jsonify({"proposals": [_proposal_json(p) for p in proposal_service.proposals_for(db.session, current_user)]})


@api.get("/competency-proposals/similar")
@role_required(*FLOW_READERS)
@openapi("The duplicate check: dictionary competencies nearest to a name and text, best first", tags=FLOW,
         parameters=[{"name": "name", "in": "query", "required": True, "schema": {"type": "string"}},
                     {"name": "text", "in": "query", "schema": {"type": "string"}}],
         responses={200: "similar: [{code, name, score, name_score, text_score}]"})
def similar():
    name, text = (request.args.get("name") or "").strip(), (request.args.get("text") or "").strip()
    if not name:
        raise Invalid(N_("give the proposed competency's name"), field="name")
    found = proposal_service.similar_competencies(db.session, name, text)
    return jsonify({"similar": [{"code": s.code, "name": s.name, "score": round(s.score, 4),
                                 "name_score": round(s.name_score, 4), "text_score": round(s.text_score, 4)}
                                for s in found]})


@api.post("/competency-proposals")
@role_required(MDO_STAFF)
@openapi("Draft a new competency for the caller's MDO (after the duplicate check)", tags=FLOW,
         request=RECORD_SCHEMA, responses={201: "the proposal", 409: "the code is taken", 422: "incomplete"})
def create_proposal():
    record, area = _record(request_object())
    created = proposal_service.draft_proposal(db.session, current_user, record, area=area)
    db.session.commit()
    return jsonify(_proposal_json(created, detail=True)), 201


@api.get("/competency-proposals/<int:proposal_id>")
@role_required(*FLOW_READERS)
@openapi("One proposal with its record, its moves (with comments) and the moves the caller may make",
         tags=FLOW, responses={200: "the proposal", 404: "no such proposal, or not the caller's to read"})
def get_proposal(proposal_id: int):
    return jsonify(_proposal_json(_readable_proposal(proposal_id), detail=True))


@api.put("/competency-proposals/<int:proposal_id>")
@role_required(MDO_STAFF)
@openapi("Revise a draft or returned proposal (its MDO's staff only; the code stays)", tags=FLOW,
         request=RECORD_SCHEMA, responses={200: "the proposal", 403: "not editable by the caller"})
def revise_proposal(proposal_id: int):
    found = _readable_proposal(proposal_id)
    record, area = _record(request_object())
    proposal_service.revise_proposal(db.session, current_user, found, record, area=area)
    db.session.commit()
    return jsonify(_proposal_json(found, detail=True))


@api.post("/competency-proposals/<int:proposal_id>/moves")
@role_required(MDO_STAFF, MDO_LEADERSHIP, COE_REVIEWER)
@openapi("Move a proposal: submit, send_back, forward, consent, return, resubmit, approve. Each move has "
         "its role (the CoE reviewer only consents or returns); approval writes it into the dictionary",
         tags=FLOW, request=MOVE_SCHEMA,
         responses={201: "the move and the proposal", 403: "not the caller's move",
                    422: "not a legal move from this state, or a comment is missing"})
def move_proposal(proposal_id: int):
    found = _readable_proposal(proposal_id)
    body = request_object()
    action, comment = body.get("action"), body.get("comment", "")
    if not isinstance(action, str) or not isinstance(comment, str):
        raise Invalid(N_("action (and comment) must be text"), field="action")
    entry = proposal_service.move(db.session, current_user, found, action, comment=comment)
    db.session.commit()
    return jsonify({"move": {"action": entry.action, "from": entry.from_state, "to": entry.to_state,
                             "comment": entry.comment, "at": iso_time(entry.at)},
                    "proposal": _proposal_json(found, detail=True)}), 201


# --- gap maps ----------------------------------------------------------------------------------

def _gap_json(gaps: gap_service.GapMap) -> dict[str, Any]:
    cells = []
    for c in gaps.rows():
        cells.append({
            "position": c.position_code, "competency": c.competency_code, "required_level": c.required,
            "officials": c.n_officials, "suppressed": c.suppressed,
            "below_required": None if c.suppressed else c.n_below, "share_below": c.share_below,
            "workplace_rated": c.workplace_n,
            "workplace_below": None if c.workplace_share_below is None else c.workplace_below,
            "courses": [{"code": k.code, "title": k.title, "title_hi": k.title_hi, "provider": k.provider,
                         "target_level": k.target_level,
                         "runs": k.runs, "matched_learners": k.matched, "mean_gain": k.mean_gain,
                         "gain_lower": k.lower, "gain_upper": k.upper, "status": k.status} for k in c.courses]})
    return {"mdo": gaps.mdo.name, "minimum_officials": gap_service.MIN_OFFICIALS,
            "positions": [{"code": code, "title": title} for code, title in gaps.positions],
            "competencies": [{"code": code, "name": name} for code, name in gaps.competencies], "cells": cells}


@api.get("/gap-maps")
@role_required(MDO_STAFF, MDO_LEADERSHIP, ANALYST, ADMIN)
@openapi("An MDO's gap map: per position and required competency, the share of officials below the "
         "required level (null under 10 officials), workplace ratings beside, and the courses aimed at "
         "the gap with their measured effectiveness. MDO staff and leadership get their own MDO's",
         tags=GAPS, parameters=[{"name": "mdo", "in": "query", "schema": {"type": "string"},
                                 "description": "the MDO's name (analysts and administrators)"}],
         responses={200: "mdo, positions, competencies, cells", 404: "no such MDO"})
def gap_map():
    if current_user.role in (MDO_STAFF, MDO_LEADERSHIP):
        mdo: Organisation | None = own_mdo()
    else:
        name = (request.args.get("mdo") or "").strip()
        mdo = position_service.require_mdo(db.session, name) if name else None
    if mdo is None:
        raise Invalid(N_("say which MDO's gap map (?mdo=...)"), field="mdo")
    return jsonify(_gap_json(gap_service.gap_map(db.session, mdo)))
