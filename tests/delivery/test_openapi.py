"""Every delivery endpoint is in the OpenAPI document with a summary and guarded by a role."""


def test_delivery_endpoints_are_documented(app, client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    expected = {("/me/windows", "get"), ("/attempts", "post"), ("/attempts/{attempt_id}/start", "post"),
                ("/attempts/{attempt_id}/items", "get"), ("/attempts/{attempt_id}/responses/{ref}", "put"),
                ("/attempts/{attempt_id}/events", "post"), ("/attempts/{attempt_id}/submit", "post"),
                ("/attempts/{attempt_id}/check-in", "post"), ("/attempts/{attempt_id}/next", "post"),
                ("/proctor/attempts", "get"), ("/proctor/attempts/{attempt_id}/terminate", "post")}
    for path, method in expected:
        operation = paths[path][method]
        assert operation["summary"] and operation["tags"][0].startswith("delivery"), (path, method)
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("delivery_api."):
            assert app.view_functions[rule.endpoint]._roles, rule.rule


# --- the document says what the API does ------------------------------------------------------

import inspect  # noqa: E402
import re  # noqa: E402

import pytest  # noqa: E402

from tests.delivery.helpers import Sitting, bearer  # noqa: E402


def test_every_success_status_a_view_returns_is_documented(app):
    """A view returning ``..., 201`` documents 201 (before: POST /cohorts, /windows, the
    forms, and the proctor's warnings and notes documented only 200)."""
    undocumented = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        view = app.view_functions[rule.endpoint]
        returned = set(re.findall(r"\),\s*(20\d)\b", inspect.getsource(inspect.unwrap(view))))
        documented = {str(status) for status in view._openapi["responses"]}
        undocumented += [(rule.rule, status) for status in returned - documented]
    assert undocumented == []


def test_a_cohort_and_a_note_answer_the_201_their_operations_document(app, session, make_user, candidate,
                                                                      make_assessment, make_window):
    admin = make_user(role="admin")
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    office = Sitting(app.test_client(), bearer(session, admin))
    response = office.client.post("/api/v1/cohorts", json={"name": "Batch 7"}, headers=office.headers)
    assert response.status_code == 201 and "201" in paths["/cohorts"]["post"]["responses"]
    sitting = Sitting(app.test_client(), bearer(session, candidate))
    sitting.open(make_window(make_assessment("loft")).id)
    note = office.client.post(f"/api/v1/proctor/attempts/{sitting.attempt_id}/notes",
                              json={"text": "noise in the hall"}, headers=office.headers)
    assert note.status_code == 201
    assert set(paths["/proctor/attempts/{attempt_id}/notes"]["post"]["responses"]) >= {"201"}


def test_a_405_says_which_methods_are_allowed(client):
    response = client.delete("/api/v1/openapi.json")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET"}
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_a_signal_batch_not_sent_as_json_is_refused(app, session, candidate, make_assessment, make_window):
    sitting = Sitting(app.test_client(), bearer(session, candidate))
    sitting.open(make_window(make_assessment("loft")).id)
    sitting.check_in_and_start()
    url = f"/api/v1/attempts/{sitting.attempt_id}/events"
    for body, content_type in (('{"events": [{"kind": "paste"}]}', "text/plain"),
                               ("events=paste", "application/x-www-form-urlencoded")):
        response = sitting.client.post(url, data=body, content_type=content_type, headers=sitting.headers)
        assert response.status_code == 415, (content_type, response.get_data(as_text=True)[:200])
        assert response.get_json()["error"]["code"] == "unsupported_media_type"
    assert sitting.client.post(url, headers=sitting.headers).status_code == 200  # no body: an empty batch


@pytest.mark.parametrize("query", ["type=astrology", "type=BEHAVIOURAL"])
def test_an_unknown_competency_type_is_refused(client, session, make_user, query):
    response = client.get(f"/api/v1/competencies?{query}", headers=bearer(session, make_user(role="author")))
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "type"


def test_unknown_languages_and_filters_are_refused(app, session, make_user, candidate, bank,
                                                   make_assessment, make_window):
    author = make_user(role="author", organisation=bank.organisation.name)
    reader = Sitting(app.test_client(), bearer(session, author))
    item_id = reader.call("GET", f"/banks/{bank.id}/items")["items"][0]["id"]
    for url, field in ((f"/items/{item_id}/preview?lang=fr", "lang"),
                       (f"/banks/{bank.id}/items?type=essay-ish", "type"),
                       (f"/banks/{bank.id}/items?state=published", "state"),
                       (f"/banks/{bank.id}/items?level=9", "level"),
                       (f"/banks/{bank.id}/items?page=two", "page")):
        body = reader.call("GET", url, expect=422)
        assert body["error"]["field"] == field, url
    assert reader.call("GET", f"/items/{item_id}/preview?lang=hi")  # a known one still works
    sitting = Sitting(app.test_client(), bearer(session, candidate))
    sitting.open(make_window(make_assessment("loft")).id)
    sitting.check_in_and_start()
    body = sitting.call("GET", f"/attempts/{sitting.attempt_id}/items?lang=xx", expect=422)
    assert body["error"]["field"] == "lang"
    assert sitting.call("GET", f"/attempts/{sitting.attempt_id}/items?lang=en")["items"]


@pytest.mark.parametrize("body, field", [
    ({"name": "Batch 8", "provider": -4434694}, "provider"),  # was a 500 on PostgreSQL (varchar = integer)
    ({"name": "Batch 8", "course": ["a list"]}, "course"),  # was a 500 everywhere ('list' has no strip)
    ({"name": 8}, "name"),
])
def test_a_cohort_field_of_the_wrong_type_is_a_422(client, session, make_user, body, field):
    response = client.post("/api/v1/cohorts", json=body, headers=bearer(session, make_user(role="admin")))
    assert response.status_code == 422 and response.get_json()["error"]["field"] == field


def test_text_holding_nul_is_refused_on_every_database(client, session, make_user):
    """PostgreSQL cannot store NUL in text (a 500 before); SQLite can: both refuse it alike."""
    response = client.post("/api/v1/cohorts", data='{"name": "Batch 9", "course": "a\\u0000b"}',
                           content_type="application/json", headers=bearer(session, make_user(role="admin")))
    assert response.status_code == 422 and "NUL" in response.get_json()["error"]["message"]
    assert client.post("/api/v1/cohorts", data='{"name": "Batch 9", "course": "a\\\\u0000b"}',
                       content_type="application/json",
                       headers=bearer(session, make_user(role="admin"))).status_code == 201  # a backslash, then u0000


@pytest.mark.parametrize("seed", [-1, "7", 1.5])
def test_a_form_seed_that_is_not_a_whole_number_of_0_or_more_is_a_422(client, session, make_user,
                                                                       make_assessment, seed):
    """A negative seed was a 500 (numpy refuses it); a seed of another type was silently ignored."""
    assessment = make_assessment("fixed", n_forms=0)
    response = client.post(f"/api/v1/assessments/{assessment.id}/forms", json={"seed": seed},
                           headers=bearer(session, make_user(role="admin")))
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "seed"


def test_an_empty_value_for_a_query_parameter_with_choices_is_refused(client, session, make_user):
    response = client.get("/api/v1/competencies?type=", headers=bearer(session, make_user(role="author")))
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "type"
