"""Courses, runs and enrolments by JSON API: a provider's own staff and an administrator write,
bulk enrolment is all or nothing and names every bad row, and every endpoint is documented."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from piaa.accounts.services import get_or_create_organisation
from piaa.reports import services
from tests.delivery.helpers import bearer


@pytest.fixture
def provider_staff(make_user):
    return make_user(role="analyst", organisation="Institute of Noting", kind="provider")


@pytest.fixture
def officials(make_user):
    return [make_user(role="candidate", organisation="Department of Posts", kind="mdo",
                      email=f"official{k}@example.gov.in") for k in range(3)]


def _call(client, method, url, auth, json=None):
    response = client.open(f"/api/v1{url}", method=method, json=json, headers=auth)
    return response.status_code, response.get_json()


def test_provider_staff_define_a_course_and_run_and_enrol_officials(client, session, competency,
                                                                    provider_staff, officials):
    auth = bearer(session, provider_staff)
    status, body = _call(client, "POST", "/courses", auth, {
        "code": "NOTE-101", "title": "Noting in practice", "provider": "Institute of Noting",
        "competencies": [{"competency": "FN-NOTING", "target_level": 3}]})
    assert status == 201, body
    assert body["competencies"] == [{"competency": "FN-NOTING", "target_level": 3}]
    status, run = _call(client, "POST", "/courses/NOTE-101/runs", auth, {
        "code": "NOTE-101-R1", "starts_at": "2026-07-01T09:00:00+05:30", "ends_at": "2026-07-05T17:00:00+05:30"})
    assert status == 201 and run["starts_at"] == "2026-07-01T03:30:00+00:00"

    emails = [{"email": o.email} for o in officials]
    status, body = _call(client, "POST", "/runs/NOTE-101-R1/enrolments", auth,
                         {"officials": emails[:2], "source": "platform"})
    assert status == 201 and body == {"added": 2, "already_enrolled": 0, "enrolled": 2}
    status, body = _call(client, "POST", "/runs/NOTE-101-R1/enrolments", auth,
                         {"officials": [{"email": officials[1].email.upper()}, emails[2]]})
    assert body == {"added": 1, "already_enrolled": 1, "enrolled": 3}
    status, body = _call(client, "GET", "/runs/NOTE-101-R1/enrolments", auth)
    assert [e["source"] for e in body["enrolments"]] == ["platform", "platform", "api"]
    status, body = _call(client, "GET", "/courses/NOTE-101", auth)
    assert [r["code"] for r in body["runs"]] == ["NOTE-101-R1"]


def test_bulk_enrolment_is_all_or_nothing_and_names_every_bad_row(client, session, competency, officials,
                                                                   provider_staff):
    provider = get_or_create_organisation(session, "Institute of Noting", "provider")
    course = services.create_course(session, code="NOTE-1", title="Noting", provider=provider,
                                    competencies={competency: 3})
    services.create_run(session, course, code="R1", starts_at=datetime(2026, 7, 1, tzinfo=timezone.utc),
                        ends_at=datetime(2026, 7, 3, tzinfo=timezone.utc))
    session.commit()
    auth = bearer(session, provider_staff)
    # Rows of the wrong shape are refused by the documented schema, each by its path ...
    status, body = _call(client, "POST", "/runs/R1/enrolments", auth, {"officials": [
        {"email": officials[0].email}, "official1@example.gov.in", {"name": "no e-mail"}]})
    assert status == 422 and body["error"]["problems"] == [
        {"field": "officials[1]", "message": "must be an object, got text"},
        {"field": "officials[2].name", "message": "is not a field of this request (unknown field)"},
        {"field": "officials[2].email", "message": "is required"}]
    # ... and rows of the right shape by the service, every bad row named.
    rows = [{"email": officials[0].email}, {"email": "nobody@example.gov.in"}, {"email": " "},
            {"email": officials[0].email}, {"email": ""}, {"email": officials[2].email}]
    status, body = _call(client, "POST", "/runs/R1/enrolments", auth, {"officials": rows})
    assert status == 422
    assert body["error"]["problems"] == [
        {"row": 2, "field": "email", "message": "no official 'nobody@example.gov.in'"},
        {"row": 3, "field": "email", "message": "an e-mail address is required"},
        {"row": 4, "field": "email", "message": "official0@example.gov.in listed twice"},
        {"row": 5, "field": "email", "message": "an e-mail address is required"}]
    assert body["error"]["message"].startswith("row 2, field email")
    assert _call(client, "GET", "/runs/R1/enrolments", auth)[1]["enrolments"] == []
    status, body = _call(client, "POST", "/runs/R1/enrolments", auth, {"officials": rows[:1], "source": "fax"})
    assert status == 422 and body["error"]["field"] == "source"


def test_who_may_write_and_read(client, session, competency, make_user, provider_staff):
    other = make_user(role="analyst", organisation="Drafting Academy", kind="provider")
    cbc = make_user(role="analyst", organisation="Capacity Building Commission", kind="mdo")
    admin = make_user(role="admin", organisation=None)
    course = {"code": "NOTE-2", "title": "Noting", "provider": "Institute of Noting",
              "competencies": [{"competency": "FN-NOTING", "target_level": 2}]}
    assert _call(client, "POST", "/courses", bearer(session, other), course)[0] == 403
    assert _call(client, "POST", "/courses", bearer(session, cbc), course)[0] == 403
    assert _call(client, "POST", "/courses", bearer(session, admin), course)[0] == 201
    assert _call(client, "POST", "/courses", bearer(session, admin), course)[1]["error"]["field"] == "code"
    bad = dict(course, code="NOTE-3", competencies=[{"competency": "FN-NOPE", "target_level": 2}])
    assert _call(client, "POST", "/courses", bearer(session, admin), bad)[0] == 404
    bad = dict(course, code="NOTE-3", competencies=[{"competency": "FN-NOTING", "target_level": 9}])
    refused = _call(client, "POST", "/courses", bearer(session, admin), bad)[1]["error"]
    assert refused["field"] == "competencies[0].target_level" and refused["message"].endswith("at most 5, got 9")
    # A provider reads its own courses only; another provider's course does not exist for it.
    assert [c["code"] for c in _call(client, "GET", "/courses", bearer(session, other))[1]["courses"]] == []
    assert _call(client, "GET", "/courses/NOTE-2", bearer(session, other))[0] == 404
    assert _call(client, "GET", "/courses/NOTE-2", bearer(session, provider_staff))[0] == 200
    assert _call(client, "POST", "/courses/NOTE-2/runs", bearer(session, provider_staff),
                 {"code": "R9", "starts_at": "2026-07-05", "ends_at": "2026-07-01"})[1]["error"]["field"] == "ends_at"
    candidate = make_user(role="candidate")
    assert _call(client, "GET", "/courses", bearer(session, candidate))[0] == 403


def test_endpoints_are_documented_and_guarded(app, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, method in (("/courses", "get"), ("/courses", "post"), ("/courses/{code}", "get"),
                         ("/courses/{code}/runs", "post"), ("/runs/{code}/enrolments", "get"),
                         ("/runs/{code}/enrolments", "post")):
        operation = paths[path][method]
        assert operation["summary"] and operation["tags"] == ["courses and enrolments"], (path, method)
    assert "officials" in paths["/runs/{code}/enrolments"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["properties"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("reports_api."):
            assert app.view_functions[rule.endpoint]._roles, rule.rule
