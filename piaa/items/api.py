"""JSON API for the competency dictionary, item banks and items (bank format of item_banks/)."""
from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from piaa.accounts.auth import role_required
from piaa.api import api_blueprint, openapi, strict
from piaa.errors import Invalid
from piaa.extensions import db
from piaa.items import services
from piaa.items.bank_format import item_fields, item_problems
from piaa.items.models import ITEM_STATES
from piaa.items.types import ITEM_TYPES
from piaa.items.views import AUTHORS, BANK_READERS, DICTIONARY_READERS, REVIEWERS
from piaa.i18n import N_

api = api_blueprint("items_api", __name__)

ITEM_SCHEMA = strict({
    # The fields of the bank format's item (each type takes some of them); what each holds,
    # per type, is checked against piaa/items/schemas/item-file.schema.json by the service.
    **{name: {} for name in item_fields()},
    "id": {"type": "string"}, "type": {"type": "string", "enum": list(ITEM_TYPES)},
    "competency": {"type": "string"}, "level": {"type": "integer", "minimum": 1, "maximum": 5},
    "stem": {"type": "object", "additionalProperties": {"type": "string"}}},
    "id", "type", "competency", "level", "stem",
    description="One item in the bank format (see item_banks/README): id, type, competency, level, "
                "sub_area, stem, options, key, partial_credit, accepted, case_sensitive, "
                "collapse_spaces, tolerance, unit, rationale, reference, and the fields of the "
                "package types (matching, hotspot, composite, extended text).")


def _bank_format_problems(body) -> list[dict]:
    """The bank format's own verdict on an item the API schema refuses: every problem at once."""
    return item_problems(body)


REVIEW_SCHEMA = strict({"decision": {"type": "string", "enum": ["approve", "return"]},
                        "comments": {"type": "string"}}, "decision")
FILTERS = [
    {"name": "competency", "in": "query", "schema": {"type": "string"}, "description": "competency code"},
    {"name": "level", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 5}},
    {"name": "state", "in": "query", "schema": {"type": "string", "enum": list(ITEM_STATES)}},
    {"name": "type", "in": "query", "schema": {"type": "string", "enum": list(ITEM_TYPES)}},
    {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "text in code, stem, options"},
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
]


def _user():
    return current_user._get_current_object()


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid(N_("send a JSON object (Content-Type: application/json)"))
    return body


def _bank_json(bank) -> dict:
    return {"id": bank.id, "name": bank.name, "agency": bank.organisation.name,
            "description": bank.description, "languages": bank.languages}


def _item_summary(item) -> dict:
    return {"id": item.id, "code": item.code, "type": item.type, "competency": item.competency.code,
            "level": item.level, "sub_area": item.sub_area, "state": item.state,
            "version": item.current_version, "bank_id": item.bank_id}


def _item_json(item) -> dict:
    return {**_item_summary(item), "item": services.item_to_bank_json(item),
            "versions": [{"number": v.number, "created_at": v.created_at.isoformat(),
                          "created_by": v.created_by_id, "frozen": v.frozen} for v in item.versions],
            "decisions": [{"version": d.item_version.number, "decision": d.decision,
                           "comments": d.comments, "reviewer": d.reviewer_id, "at": d.at.isoformat()}
                          for d in services.decisions_for(db.session, item)]}


@api.get("/competencies")
@role_required(*DICTIONARY_READERS)
@openapi("Search the competency dictionary", tags=["items"], parameters=[
    {"name": "q", "in": "query", "schema": {"type": "string"}},
    {"name": "type", "in": "query", "schema": {"type": "string", "enum": ["behavioural", "functional", "domain"]}}],
    responses={200: "Competencies in the dictionary JSON form, with their version"})
def competencies():
    found = services.search_competencies(db.session, text=request.args.get("q"),
                                         competency_type=request.args.get("type") or None)
    return jsonify({"competencies": [{**services.competency_record(c), "version": c.version} for c in found]})


@api.get("/banks")
@role_required(*BANK_READERS)
@openapi("Item banks the caller may read", tags=["items"], responses={200: "The banks"})
def banks():
    return jsonify({"banks": [_bank_json(b) for b in services.list_banks(db.session, _user())]})


@api.get("/banks/<int:bank_id>")
@role_required(*BANK_READERS)
@openapi("One bank with its item counts by competency, level and state", tags=["items"],
         responses={200: "The bank", 404: "No such bank, or not the caller's"})
def bank(bank_id: int):
    found = services.get_bank(db.session, bank_id, _user())
    overview = services.bank_overview(db.session, found)
    counts = [{"competency": code, "level": level, **states}
              for (code, _name, level), states in overview.cells.items()]
    return jsonify({**_bank_json(found), "totals": overview.totals, "counts": counts})


@api.get("/banks/<int:bank_id>/items")
@role_required(*BANK_READERS)
@openapi("List a bank's items, filtered", tags=["items"], parameters=FILTERS,
         responses={200: "A page of items (50 a page)", 422: "A filter value is not valid"})
def items(bank_id: int):
    found = services.get_bank(db.session, bank_id, _user())
    try:
        level = int(request.args["level"]) if request.args.get("level") else None
        page_number = int(request.args.get("page") or 1)
    except ValueError:
        raise Invalid(N_("level and page must be whole numbers"), field="level") from None
    page = services.search_items(db.session, found, competency=request.args.get("competency") or None,
                                 level=level, state=request.args.get("state") or None,
                                 item_type=request.args.get("type") or None,
                                 text=request.args.get("q") or None, page=page_number)
    return jsonify({"items": [_item_summary(i) for i in page.items], "total": page.total,
                    "page": page.page, "pages": page.pages})


@api.post("/banks/<int:bank_id>/items")
@role_required(*AUTHORS)
@openapi("Create a draft item from the bank format", tags=["items"], request=ITEM_SCHEMA, request_problems=_bank_format_problems,
         responses={201: "The item", 422: "Problems, each with its field", 403: "Not the caller's bank"})
def create_item(bank_id: int):
    found = services.get_bank(db.session, bank_id, _user())
    created = services.create_item_from_bank_json(db.session, found, _json_body(), actor=_user())
    db.session.commit()
    return jsonify(_item_json(created)), 201


@api.get("/items/<int:item_id>")
@role_required(*BANK_READERS)
@openapi("One item: current version in the bank format, versions and review decisions", tags=["items"],
         responses={200: "The item", 404: "No such item, or not the caller's"})
def item(item_id: int):
    return jsonify(_item_json(services.get_item(db.session, item_id, _user())))


@api.put("/items/<int:item_id>")
@role_required(*AUTHORS)
@openapi("Edit an item (a new version unless it is the caller's unsubmitted draft)", tags=["items"],
         request=ITEM_SCHEMA, request_problems=_bank_format_problems, responses={200: "The item", 409: "In review or retired", 422: "Problems"})
def update_item(item_id: int):
    found = services.get_item(db.session, item_id, _user())
    body = _json_body()
    if body.get("id", found.code) != found.code or body.get("type", found.type) != found.type:
        raise Invalid(N_("an item's id and type cannot change; create a new item"), field="id")
    services.update_item(db.session, found, content=body, actor=_user(), competency=body.get("competency"),
                         level=body.get("level"), sub_area=body.get("sub_area"))
    db.session.commit()
    return jsonify(_item_json(found))


@api.post("/items/<int:item_id>/submit")
@role_required(*AUTHORS)
@openapi("Submit a draft for review (its version is frozen from now on)", tags=["items"],
         responses={200: "The item", 409: "Not a draft"})
def submit(item_id: int):
    found = services.get_item(db.session, item_id, _user())
    services.submit_item(db.session, found, actor=_user())
    db.session.commit()
    return jsonify(_item_json(found))


@api.post("/items/<int:item_id>/review")
@role_required(*REVIEWERS)
@openapi("Approve or return an item in review (not one's own)", tags=["items"], request=REVIEW_SCHEMA,
         responses={200: "The item", 403: "The caller wrote or submitted this version", 409: "Not in review"})
def review(item_id: int):
    found = services.get_item(db.session, item_id, _user())
    body = _json_body()
    services.review_item(db.session, found, reviewer=_user(), decision=body.get("decision"),
                         comments=body.get("comments") or "")
    db.session.commit()
    return jsonify(_item_json(found))


@api.get("/items/<int:item_id>/preview")
@role_required(*BANK_READERS)
@openapi("The item as a candidate's browser receives it (no key, credit or rationale)", tags=["items"],
         parameters=[{"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["en", "hi"]}}],
         responses={200: "The candidate view"})
def preview(item_id: int):
    found = services.get_item(db.session, item_id, _user())
    return jsonify(services.candidate_view(found.current, request.args.get("lang", "en")))
