"""The items JSON API: list, get, create, edit, submit, review, preview; errors as JSON."""
import pytest

from piaa.accounts.services import issue_token
from piaa.items import services
from tests.items.samples import ITEMS, item


@pytest.fixture
def bearer(session):
    def headers(user):
        token = issue_token(session, user, "test")
        session.commit()
        return {"Authorization": f"Bearer {token}"}

    return headers


def test_create_submit_review_through_the_api(client, bank, author, reviewer, bearer):
    as_author, as_reviewer = bearer(author), bearer(reviewer)
    created = client.post(f"/api/v1/banks/{bank.id}/items", json=ITEMS["ordering"], headers=as_author)
    assert created.status_code == 201, created.json
    body = created.json
    assert (body["code"], body["state"], body["version"]) == ("OR-1", "draft", 1)
    assert body["item"]["key"] == ["A", "B", "C", "D"]
    item_id = body["id"]
    submitted = client.post(f"/api/v1/items/{item_id}/submit", headers=as_author)
    assert submitted.json["state"] == "in_review"
    own = client.post(f"/api/v1/items/{item_id}/review", json={"decision": "approve"}, headers=as_author)
    assert own.status_code == 403 and own.json["error"]["code"] == "forbidden"
    approved = client.post(f"/api/v1/items/{item_id}/review",
                           json={"decision": "approve", "comments": "fine"}, headers=as_reviewer)
    assert approved.json["state"] == "approved"
    assert approved.json["decisions"][0]["comments"] == "fine"
    again = client.post(f"/api/v1/items/{item_id}/review", json={"decision": "approve"}, headers=as_reviewer)
    assert again.status_code == 409
    edited = client.put(f"/api/v1/items/{item_id}", json=item("ordering", partial_credit=False),
                        headers=as_author)
    assert (edited.json["version"], edited.json["state"]) == (2, "draft")


def test_create_reports_every_problem_with_its_field(client, bank, author, bearer):
    response = client.post(f"/api/v1/banks/{bank.id}/items", headers=bearer(author),
                           json=item("single_choice", key="Q", level=0))
    assert response.status_code == 422
    assert {p["field"] for p in response.json["error"]["problems"]} == {"key", "level"}
    not_json = client.post(f"/api/v1/banks/{bank.id}/items", headers=bearer(author), data="x")
    assert not_json.status_code == 415 and not_json.json["error"]["code"] == "unsupported_media_type"


def test_listing_filters_and_scoping(client, session, bank, author, bearer, make_user):
    for data in ITEMS.values():
        services.create_item_from_bank_json(session, bank, data, actor=author)
    session.commit()
    headers = bearer(author)
    assert [b["name"] for b in client.get("/api/v1/banks", headers=headers).json["banks"]] == ["Office Procedure"]
    listed = client.get(f"/api/v1/banks/{bank.id}/items?competency=BH-EMPATHY", headers=headers).json
    assert [i["code"] for i in listed["items"]] == ["LK-1", "SJ-1"] and listed["total"] == 2
    assert client.get(f"/api/v1/banks/{bank.id}/items?state=nope", headers=headers).status_code == 422
    overview = client.get(f"/api/v1/banks/{bank.id}", headers=headers).json
    assert overview["totals"]["draft"] == 8
    outsider = bearer(make_user(role="reviewer", organisation="Other Agency"))
    assert client.get("/api/v1/banks", headers=outsider).json["banks"] == []
    assert client.get(f"/api/v1/banks/{bank.id}/items", headers=outsider).status_code == 404
    assert client.get(f"/api/v1/banks/{bank.id}", headers=bearer(make_user(role="candidate"))).status_code == 403


def test_preview_has_no_key(client, session, bank, author, bearer):
    created = services.create_item_from_bank_json(session, bank, ITEMS["likert"], actor=author)
    session.commit()
    view = client.get(f"/api/v1/items/{created.id}/preview?lang=hi", headers=bearer(author)).json
    assert view["type"] == "likert" and all(set(o) == {"id", "text"} for o in view["options"])


def test_competencies_endpoint(client, dictionary, make_user, bearer):
    found = client.get("/api/v1/competencies?type=behavioural",
                       headers=bearer(make_user(role="analyst", organisation="CBC", kind="mdo"))).json
    assert [c["code"] for c in found["competencies"]] == ["BH-EMPATHY"] and found["competencies"][0]["version"] == 1


def test_every_items_route_is_documented(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/banks", "/banks/{bank_id}", "/banks/{bank_id}/items", "/items/{item_id}",
                 "/items/{item_id}/submit", "/items/{item_id}/review", "/competencies"):
        assert path in paths
    assert paths["/banks/{bank_id}/items"]["post"]["requestBody"]
