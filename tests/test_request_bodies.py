"""Request bodies are checked against their operation's documented schema before the view runs
(piaa.request_bodies): each problem is named by its JSON path, refused bodies change nothing,
and every documented answer shape still reaches the item type's own rules."""
from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from piaa.api import openapi_document
from piaa.delivery.models import AttemptItem
from piaa.request_bodies import MAX_BODY_PROBLEMS, BodySchema, json_schema
from tests.delivery.conftest import *  # noqa: F401,F403  (a bank, assessments, windows)
from tests.delivery.helpers import Sitting, bearer
from tests.delivery.test_round_trips import started
from tests.items.samples import ITEMS


@pytest.fixture
def sitting(app, session, candidate, make_assessment, make_window) -> Sitting:
    return started(app, session, candidate, make_assessment, make_window, mode="loft")


def _saved(session, attempt_id: int) -> list:
    session.expire_all()
    return [row.answer for row in session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)
                                                  .order_by(AttemptItem.position))]


def _refused(response) -> dict:
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    return error


def _put(sitting: Sitting, ref: str, body, **kwargs):
    return sitting.client.put(f"/api/v1/attempts/{sitting.attempt_id}/responses/{ref}", json=body,
                              headers=sitting.headers, **kwargs)


def test_a_missing_required_field_is_named(sitting):
    error = _refused(sitting.client.post("/api/v1/attempts", json={"language": "hi"}, headers=sitting.headers))
    assert error["field"] == "window_id" and error["message"] == "window_id is required"
    assert error["problems"] == [{"field": "window_id", "message": "is required"}]


def test_a_wrong_type_is_named_and_nothing_is_saved(session, sitting):
    ref = sitting.items()[0]["ref"]
    error = _refused(_put(sitting, ref, {"answer": "B", "seq": "3"}))
    assert error["problems"] == [{"field": "seq", "message": "must be a whole number, got text"}]
    assert _saved(session, sitting.attempt_id)[0] is None


def test_an_unknown_field_is_refused_by_its_name(session, sitting):
    """A misspelt "next" would otherwise save the answer and silently not move on."""
    ref = sitting.items()[0]["ref"]
    error = _refused(_put(sitting, ref, {"answer": "B", "seq": 1, "nxt": True}))
    assert error["problems"] == [{"field": "nxt", "message": "is not a field of this request (unknown field)"}]
    assert error["message"] == "nxt is not a field of this request (unknown field)"
    assert _saved(session, sitting.attempt_id)[0] is None


def test_a_too_long_list_and_a_fault_deep_inside_are_named_by_path(session, sitting):
    refs = [item["ref"] for item in sitting.items()]
    url = f"/api/v1/attempts/{sitting.attempt_id}/responses"
    too_many = [{"ref": refs[0], "answer": "B", "seq": n} for n in range(1, 102)]
    error = _refused(sitting.client.post(url, json={"answers": too_many}, headers=sitting.headers))
    assert error["problems"] == [{"field": "answers", "message": "must hold at most 100 entries, got 101"}]
    deep = [{"ref": ref, "answer": "B", "seq": 1} for ref in refs[:3]] + [{"ref": refs[3], "answer": "B", "seq": 1.5}]
    error = _refused(sitting.client.post(url, json={"answers": deep}, headers=sitting.headers))
    assert error["field"] == "answers[3].seq" and error["problems"][0]["message"] == "must be a whole number, got a number"
    assert _saved(session, sitting.attempt_id)[:4] == [None] * 4  # the batch is refused whole


def test_problems_are_capped_in_number_and_length_and_never_echo_the_value(sitting):
    ref = sitting.items()[0]["ref"]
    body = {"answer": "B", "seq": 1, **{f"extra_{n:02}": 1 for n in range(50)}}
    error = _refused(_put(sitting, ref, body))
    assert len(error["problems"]) == MAX_BODY_PROBLEMS == 20
    assert error["message"] == ("extra_00 is not a field of this request (unknown field) "
                                "(and 49 other problems in the request body)")
    huge = _put(sitting, ref, {"answer": "B", "seq": "9" * 200_000})
    assert len(huge.data) < 1000 and "999" not in huge.get_data(as_text=True)


def test_a_body_that_is_not_a_json_object_is_refused(sitting):
    url = f"/api/v1/attempts/{sitting.attempt_id}/next"
    error = _refused(sitting.client.post(url, json=["ref"], headers=sitting.headers))
    assert error["problems"] == [{"field": "", "message": "must be an object, got a list"}]
    assert error["message"] == "the request body must be an object, got a list"
    as_text = sitting.client.post(url, data="ref=1", content_type="text/plain", headers=sitting.headers)
    assert as_text.status_code == 415 and as_text.get_json()["error"]["code"] == "unsupported_media_type"


def test_proctor_and_administration_bodies_are_strict(app, session, sitting, proctor, make_user):
    desk = bearer(session, proctor)
    url = f"/api/v1/proctor/attempts/{sitting.attempt_id}"
    client = app.test_client()
    error = _refused(client.post(f"{url}/add-time", json={"seconds": 99_999, "reason": "power cut"}, headers=desk))
    assert error["problems"] == [{"field": "seconds", "message": "must be at most 7200, got 99999"}]
    error = _refused(client.post(f"{url}/warn", json={"message": "eyes on screen", "level": "high"}, headers=desk))
    assert error["field"] == "level"
    admin = bearer(session, make_user(role="admin"))
    error = _refused(client.post("/api/v1/windows", json={"assessment_id": 1, "cohort_id": 1, "opens_at": "soon",
                                                          "closes_at": "2026-02-01T00:00:00Z"}, headers=admin))
    assert error["problems"] == [{"field": "opens_at", "message": "must be an ISO 8601 time (2026-01-31T09:30:00+05:30)"}]


# A real answer of every item type's shape (sample items in tests/items/samples.py), plus the
# package types' shapes (matching pairs, hotspot areas, composite parts, extended text).
ANSWERS = {"single_choice": "B", "multiple_response": ["A", "B", "D"], "true_false": True,
           "text_entry": "Section Officer", "numeric_entry": 30, "ordering": ["A", "B", "C", "D"],
           "situational_judgement": "A", "likert": "3"}
PACKAGE_SHAPES = {"matching": [["S1", "T2"], ["S2", "T1"]], "hotspot": ["AREA1"], "one hotspot area": "AREA1",
                  "composite": {"R1": "A", "R2": ["B", "C"]}, "extended_text": "x" * 10_000,
                  "numeric text": "1,00,000", "true_false as an option id": "true", "cleared": None}


def _answer_schema(app) -> BodySchema:
    document = openapi_document(app)
    put = document["paths"]["/attempts/{attempt_id}/responses/{ref}"]["put"]
    return BodySchema(put["requestBody"]["content"]["application/json"]["schema"])


@pytest.mark.parametrize("item_type", sorted(ANSWERS))
def test_every_item_types_answer_passes_the_schema_and_the_types_own_check(app, item_type):
    from piaa.items.types import get_item_type

    sample = ITEMS[item_type]
    get_item_type(item_type).check_answer(sample, ANSWERS[item_type])  # a real answer of that type
    _answer_schema(app).check({"answer": ANSWERS[item_type], "seq": 1, "next": True})


@pytest.mark.parametrize("shape", sorted(PACKAGE_SHAPES))
def test_every_documented_answer_shape_passes_the_schema(app, shape):
    _answer_schema(app).check({"answer": PACKAGE_SHAPES[shape], "seq": 7})


def test_answer_shapes_outside_the_documented_ones_are_refused(app):
    from piaa.errors import Invalid

    schema = _answer_schema(app)
    for answer in ([1, 2], [["S1"]], [["S1", "T1", "T2"]], [{"id": "A"}]):
        with pytest.raises(Invalid) as refused:
            schema.check({"answer": answer, "seq": 1})
        assert refused.value.field == "answer" and refused.value.message.startswith("answer must be an option id")


def test_an_answer_with_next_still_moves_on_and_a_batch_still_saves(session, sitting):
    refs = [item["ref"] for item in sitting.items()]
    assert sitting.answer(refs[0], "B")["saved"] is True
    body = sitting.call("POST", f"/attempts/{sitting.attempt_id}/responses",
                        {"answers": [{"ref": refs[1], "answer": "A", "seq": 1}, {"ref": refs[2], "answer": None, "seq": 1}]})
    assert [r["saved"] for r in body["results"]] == [True, True]
    assert _saved(session, sitting.attempt_id)[:3] == ["B", "A", None]


def test_every_documented_request_schema_is_sound_and_strict(app):
    """Each body schema compiles, and every object that lists its fields refuses others: a new
    operation cannot document a lax body by forgetting additionalProperties."""
    lax = []
    for path, operations in openapi_document(app)["paths"].items():
        for method, operation in operations.items():
            if "requestBody" not in operation:
                continue
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            Draft202012Validator.check_schema(json_schema(schema))
            stack = [("", schema)]
            while stack:
                where, node = stack.pop()
                if isinstance(node, dict):
                    if "properties" in node and node.get("additionalProperties") is not False:
                        lax.append(f"{method.upper()} {path} {where or 'body'}")
                    stack.extend((f"{where}.{key}", value) for key, value in node.items())
                elif isinstance(node, list):
                    stack.extend((f"{where}[{n}]", value) for n, value in enumerate(node))
    assert lax == []


def test_a_validator_is_compiled_once_per_operation(app, sitting):
    from piaa.delivery.api import save_response

    ref = sitting.items()[0]["ref"]
    sitting.answer(ref, "A")
    check = save_response._request_body
    compiled = check.compile()
    sitting.answer(ref, "B")
    assert check.compile() is compiled


def test_query_parameters_are_checked_as_documented(app, session, make_user):
    client, admin = app.test_client(), bearer(session, make_user(role="admin"))
    error = _refused(client.get("/api/v1/competency-proposals/similar", headers=admin))
    assert error["problems"] == [{"field": "name", "message": "is required"}]
    error = _refused(client.get("/api/v1/competencies?type=spiritual", headers=admin))
    assert error["field"] == "type" and error["message"].startswith("type must be one of behavioural, functional")


def test_a_proctoring_setting_of_the_wrong_type_is_refused_before_it_is_stored(app, session, make_user):
    """The service checks the policy's names only: a setting of the wrong type would be stored as sent."""
    admin = bearer(session, make_user(role="admin"))
    body = {"code": "A-1", "title": "T", "competency": "FN-NOTING", "purpose": "certification", "mode": "loft",
            "blueprint": {}, "time_limit_s": 1800, "cut_scores": [-2, -1, 0, 1, 2],
            "proctoring": {"heartbeat_timeout_s": "120", "require_admission": 1}}
    error = _refused(app.test_client().post("/api/v1/assessments", json=body, headers=admin))
    assert error["problems"] == [
        {"field": "proctoring.require_admission", "message": "must be true or false, got a whole number"},
        {"field": "proctoring.heartbeat_timeout_s", "message": "must be a number, got text"}]


def test_the_sitting_pages_own_bodies_are_accepted(sitting):
    """What piaa/static/js/sitting.js sends, as it sends it (known is null before the first status)."""
    url = f"/attempts/{sitting.attempt_id}"
    ref = sitting.items()[0]["ref"]
    signals = {"events": [{"kind": "page_hidden", "at": "2026-01-05T09:00:01.250Z", "data": {}}], "known": None}
    assert sitting.call("POST", f"{url}/events", signals)["stored"] == 1
    sitting.call("POST", f"{url}/responses/{ref}/flag", {"flagged": True})
    sitting.call("PUT", f"{url}/responses/{ref}", {"answer": "B", "seq": 1})
    sitting.call("POST", f"{url}/responses", {"answers": [{"ref": ref, "answer": "C", "seq": 2}]})
