"""Numbers a 64-bit column cannot hold, non-finite numbers and deeply nested JSON, anywhere in
a request (path, query, body), answer 404 or 422, never 500, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from tests.delivery.helpers import Sitting, bearer

HUGE = 2**63 + 5
DIGITS_25 = "1" * 25


@pytest.fixture
def sitting(app, session, candidate, make_assessment, make_window):
    window = make_window(make_assessment("fixed"))
    sitting = Sitting(app.test_client(), bearer(session, candidate))
    sitting.open(window.id)
    sitting.check_in_and_start()
    return sitting


@pytest.mark.parametrize("path", [f"/certificates/status/{DIGITS_25}", f"/certificates/status/{2**63}",
                                  "/certificates/status/" + "9" * 5000])
def test_a_huge_number_in_a_public_path_is_not_found(client, path):
    assert client.get(path).status_code == 404


def test_huge_numbers_in_the_sitting_are_refused(sitting):
    ref = sitting.items()[0]["ref"]
    url = f"/attempts/{sitting.attempt_id}"
    assert sitting.call("GET", f"/attempts/{DIGITS_25}", expect=404)["error"]["code"] == "not_found"
    refused = sitting.call("PUT", f"{url}/responses/{ref}", {"answer": "A", "seq": HUGE}, expect=422)
    assert "out of range" in refused["error"]["message"]
    sitting.call("PUT", f"{url}/responses/{ref}", {"answer": 10**400, "seq": 1}, expect=422)
    sitting.call("PUT", f"{url}/responses/{ref}", {"answer": 1, "seq": -HUGE}, expect=422)
    raw = sitting.client.put(f"/api/v1{url}/responses/{ref}", data='{"answer": 1e400, "seq": 2}',
                             headers={**sitting.headers, "Content-Type": "application/json"})
    assert raw.status_code == 422
    raw = sitting.client.put(f"/api/v1{url}/responses/{ref}", data='{"answer": NaN, "seq": 2}',
                             headers={**sitting.headers, "Content-Type": "application/json"})
    assert raw.status_code == 422
    assert sitting.call("GET", url)["state"] == "in_progress"  # and the sitting goes on
    sitting.answer(ref, "B")


def test_deeply_nested_json_is_refused(sitting):
    url = f"/api/v1/attempts/{sitting.attempt_id}/events"
    for depth in (100, 100_000):
        body = '{"events": ' + "[" * depth + "]" * depth + "}"
        response = sitting.client.post(url, data=body, headers={**sitting.headers,
                                                                "Content-Type": "application/json"})
        assert response.status_code == 422 and "nested" in response.json["error"]["message"]


def test_huge_numbers_in_a_query_are_refused(app, session, make_user):
    from piaa.accounts.services import issue_token

    admin = make_user(role="admin")
    headers = {"Authorization": f"Bearer {issue_token(session, admin)}"}
    session.commit()
    client = app.test_client()
    for url in (f"/api/v1/proctor/attempts?window_id={DIGITS_25}", f"/api/v1/banks/1/items?page={DIGITS_25}",
                f"/api/v1/banks/1/items?level={DIGITS_25}"):
        assert client.get(url, headers=headers).status_code in (404, 422), url
    assert client.get(f"/api/v1/banks/{DIGITS_25}/items", headers=headers).status_code == 404


def test_huge_numbers_in_a_page_query_are_refused(client, make_user, login_as):
    login_as(make_user(role="proctor"))
    # PostgreSQL compares the number as numeric and finds no window (an empty page); SQLite
    # cannot bind it, and the error handler answers 422.
    assert client.get(f"/proctor?window={DIGITS_25}").status_code in (200, 422)
