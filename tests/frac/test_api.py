"""The FRAC API: positions (list, get, import all or nothing), the CoE flow by its moves with the
pages' role checks, and the gap map with its suppression, all in the OpenAPI document."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from piaa.frac.models import Position
from piaa.items.models import Competency
from tests.delivery.helpers import bearer
from tests.frac.conftest import MINISTRY, OTHER_MINISTRY, new_competency, position_record
from tests.frac.test_gaps import _small_mdo


def _call(client, method, url, auth, json=None):
    response = client.open(f"/api/v1{url}", method=method, json=json, headers=auth)
    return response.status_code, response.get_json()


def test_positions_are_imported_listed_and_read(client, session, dictionary, staff, reviewer, make_user):
    auth = bearer(session, staff)
    status, body = _call(client, "POST", "/positions/import", auth,
                         {"format": "piaa-positions/1", "positions": [position_record()]})
    assert status == 201 and body == {"mdo": MINISTRY, "created": ["ASO"], "revised": [], "unchanged": []}
    bad = position_record("SO", "Section Officer", competencies=[{"code": "NO-SUCH", "level": 3}])
    status, body = _call(client, "POST", "/positions/import", auth,
                         {"positions": [position_record(title="Changed"), bad]})
    assert status == 422 and body["error"]["problems"][0]["row"] == 2
    assert session.scalar(select(Position).where(Position.code == "SO")) is None  # nothing imported
    status, body = _call(client, "GET", "/positions?q=noting", bearer(session, reviewer))
    assert status == 200 and [p["code"] for p in body["positions"]] == ["ASO"]
    newest = body["positions"][0]["newest"]
    assert newest["title"] == "Assistant Section Officer" and newest["state"] == "draft"
    assert newest["competencies"] == [{"code": "DM-RTI", "level": 2}, {"code": "FN-NOTING", "level": 3}]
    assert _call(client, "GET", "/positions?competency=BH-EMPATHY", auth)[1]["positions"] == []
    status, body = _call(client, "GET", f"/positions/{body['positions'][0]['id']}", auth)
    assert status == 200 and body["versions"][0]["roles"][1]["name"] == "RTI"
    assert _call(client, "GET", "/positions/999", auth)[0] == 404
    official = make_user(role="candidate", organisation=None)
    assert _call(client, "GET", "/positions", bearer(session, official))[0] == 403
    assert _call(client, "POST", "/positions/import", bearer(session, reviewer), {"positions": []})[0] == 403


def test_the_coe_flow_by_its_moves(client, session, dictionary, staff, leader, reviewer, make_user):
    s, lead, rev = bearer(session, staff), bearer(session, leader), bearer(session, reviewer)
    status, body = _call(client, "GET", "/competency-proposals/similar?name=Empathy+with+citizens", s)
    assert status == 200 and body["similar"][0]["code"] == "BH-EMPATHY"
    record = {**new_competency(), "area": "Persuasion"}
    status, body = _call(client, "POST", "/competency-proposals", s, record)
    assert status == 201 and body["state"] == "draft" and body["allowed_moves"] == ["submit"] and body["editable"]
    url = f"/competency-proposals/{body['id']}"
    assert _call(client, "GET", url, rev)[0] == 404  # not yet before the CoE
    other = make_user(role="mdo_staff", organisation=OTHER_MINISTRY, kind="mdo")
    assert _call(client, "GET", url, bearer(session, other))[0] == 404
    assert _call(client, "POST", url + "/moves", s, {"action": "submit"})[0] == 201
    assert _call(client, "POST", url + "/moves", s, {"action": "forward"})[0] == 403  # leadership's move
    status, body = _call(client, "POST", url + "/moves", lead, {"action": "forward"})
    assert status == 201 and body["move"]["to"] == "coe_review"
    status, body = _call(client, "GET", url, rev)
    assert body["allowed_moves"] == ["consent", "return"] and not body["editable"]
    assert _call(client, "PUT", url, rev, new_competency(name="Reviewer's wording"))[0] == 403
    assert _call(client, "POST", url + "/moves", rev, {"action": "return"})[0] == 422  # a comment is needed
    status, body = _call(client, "POST", url + "/moves", rev, {"action": "return", "comment": "Level 2 is vague."})
    assert status == 201 and body["proposal"]["state"] == "returned"
    status, body = _call(client, "PUT", url, s, new_competency(name="Negotiation and consensus"))
    assert status == 200 and body["record"]["name"] == "Negotiation and consensus"
    _call(client, "POST", url + "/moves", s, {"action": "resubmit"})
    _call(client, "POST", url + "/moves", lead, {"action": "forward"})
    assert _call(client, "POST", url + "/moves", rev, {"action": "consent"})[0] == 201
    status, body = _call(client, "POST", url + "/moves", rev, {"action": "approve"})
    assert status == 403 and session.scalar(select(Competency).where(Competency.code == "BH-NEGOTIATE")) is None
    status, body = _call(client, "POST", url + "/moves", lead, {"action": "approve"})
    assert status == 201 and body["proposal"]["state"] == "approved" and body["proposal"]["revision"] == 2
    assert [m["action"] for m in body["proposal"]["moves"]] == [
        "submit", "forward", "return", "resubmit", "forward", "consent", "approve"]
    assert body["proposal"]["moves"][2]["comment"] == "Level 2 is vague."
    session.expire_all()
    approved = session.scalar(select(Competency).where(Competency.code == "BH-NEGOTIATE"))
    assert approved.name == "Negotiation and consensus"
    assert [p["code"] for p in _call(client, "GET", "/competency-proposals", rev)[1]["proposals"]] == ["BH-NEGOTIATE"]


def test_the_gap_map_as_json_keeps_the_suppression(client, session, mdo, make_user, dictionary, staff):
    _small_mdo(session, mdo, make_user, dictionary)
    status, body = _call(client, "GET", "/gap-maps", bearer(session, staff))
    assert status == 200 and body["mdo"] == MINISTRY and body["minimum_officials"] == 10
    cells = {(c["position"], c["competency"]): c for c in body["cells"]}
    noting, empathy = cells[("ASO", "FN-NOTING")], cells[("SO", "BH-EMPATHY")]
    assert (noting["officials"], noting["below_required"], noting["share_below"]) == (10, 6, 0.6)
    assert (empathy["officials"], empathy["suppressed"], empathy["below_required"], empathy["share_below"]) == (
        2, True, None, None)
    measured = noting["courses"][0]
    assert (measured["code"], measured["matched_learners"], measured["gain_lower"], measured["gain_upper"]) == (
        "NOTE-101", 10, 0.333, 0.767)
    assert measured["mean_gain"] == pytest.approx(0.55)
    assert noting["courses"][1]["status"] == "not yet measured"
    assert cells[("ASO", "DM-RTI")]["courses"][0]["mean_gain"] is None
    analyst = make_user(role="analyst", organisation="Capacity Building Commission", kind="mdo")
    assert _call(client, "GET", "/gap-maps", bearer(session, analyst))[0] == 422  # which MDO?
    assert _call(client, "GET", f"/gap-maps?mdo={MINISTRY}", bearer(session, analyst))[1]["cells"] == body["cells"]
    reviewer = make_user(role="coe_reviewer", organisation="ISTM", kind="provider")
    assert _call(client, "GET", f"/gap-maps?mdo={MINISTRY}", bearer(session, reviewer))[0] == 403


def test_every_frac_and_workplace_operation_is_documented(app, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    expected = {("/positions", "get"): "FRAC positions", ("/positions/{position_id}", "get"): "FRAC positions",
                ("/positions/import", "post"): "FRAC positions",
                ("/competency-proposals/{proposal_id}/moves", "post"): "CoE competency flow",
                ("/gap-maps", "get"): "gap maps",
                ("/workplace/assessments", "post"): "workplace assessments",
                ("/workplace/assessments/{assessment_id}/raters", "post"): "workplace assessments",
                ("/workplace/ratings/{token}", "post"): "workplace assessments"}
    for (path, method), tag in expected.items():
        operation = paths[path][method]
        assert operation["tags"] == [tag] and operation["summary"], (path, method)
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("frac_api.", "workplace_api.")):
            view = app.view_functions[rule.endpoint]
            assert getattr(view, "_roles", None) or getattr(view, "_public", False), rule.rule
