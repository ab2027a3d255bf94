"""Workplace assessments by API: open, nominate (the e-mail carries the link, the response never
does), rate with the token once, the summary under the three-rater rule, expiry, and rating as a
signed-in rater."""
from __future__ import annotations

from tests.delivery.helpers import bearer
from tests.frac.conftest import OTHER_MINISTRY
from tests.workplace.test_invitations import outbox_links


def _call(client, method, url, auth=None, json=None):
    response = client.open(f"/api/v1{url}", method=method, json=json, headers=auth or {})
    return response.status_code, response.get_json()


def _token(app, email):
    return outbox_links(app)[email].rsplit("/", 1)[1]


def test_open_nominate_and_rate_by_api(app, client, session, official, dictionary, mdo, make_user):
    auth = bearer(session, official)
    status, body = _call(client, "POST", "/workplace/assessments", auth)
    assert status == 201 and body["official"] == official.email and body["raters"] == []
    url = f"/workplace/assessments/{body['id']}"
    emails = ["boss@example.gov.in", "p1@example.gov.in", "p2@example.gov.in"]
    for relation, email in zip(["supervisor", "peer", "peer"], emails):
        status, body = _call(client, "POST", url + "/raters", auth, {"relation": relation, "name": email, "email": email})
        assert status == 201 and body["rater"]["send_count"] == 1 and body["rater"]["send_error"] is None
        assert _token(app, email) not in str(body)
    status, body = _call(client, "POST", url + "/raters", auth, {"relation": "boss", "name": "X", "email": "x@example.gov.in"})
    assert status == 422

    rater = app.test_client()  # no account, no sign-in: the token is the key
    token = _token(app, "boss@example.gov.in")
    status, sheet = _call(rater, "GET", f"/workplace/ratings/{token}")
    assert status == 200 and [c["code"] for c in sheet["competencies"]] == ["FN-NOTING", "DM-RTI"]
    assert sheet["competencies"][0]["levels"][2]["descriptor"] == "Noting and drafting: level 3 work"
    assert _call(rater, "POST", f"/workplace/ratings/{token}", json={"ratings": {"FN-NOTING": 3}})[0] == 422
    assert _call(rater, "POST", f"/workplace/ratings/{token}", json={"ratings": {"BH-EMPATHY": 3}})[0] == 422
    status, body = _call(rater, "POST", f"/workplace/ratings/{token}",
                         json={"ratings": {"FN-NOTING": 3, "DM-RTI": "not_observed"}, "comments": {"FN-NOTING": "Clear notes"}})
    assert status == 201 and body["rated"]
    assert _call(rater, "POST", f"/workplace/ratings/{token}", json={"ratings": {"FN-NOTING": 4, "DM-RTI": 4}})[0] == 409
    for email, level in [("p1@example.gov.in", 5), ("p2@example.gov.in", 1)]:
        _call(rater, "POST", f"/workplace/ratings/{_token(app, email)}", json={"ratings": {"FN-NOTING": level, "DM-RTI": level}})

    status, body = _call(client, "GET", url, auth)
    noting = next(s for s in body["summary"] if s["competency"] == "FN-NOTING")
    # two peers: never shown, nor pooled into the rating beside the supervisor's
    assert noting["groups"]["peer"] == {"raters": 2, "mean": None, "shown": False}
    assert (noting["supervisor"], noting["rating"], noting["raters"]) == (3, 3.0, 1)
    assert [r["rated"] for r in body["raters"]] == [True, True, True]

    # the official's MDO staff read the round; another MDO's staff and other roles do not
    staff = make_user(role="mdo_staff", organisation=mdo.name, kind="mdo")
    from piaa.reports.services import set_official

    set_official(session, official, mdo=mdo)
    session.commit()
    assert _call(client, "GET", url, bearer(session, staff))[0] == 200
    stranger = make_user(role="mdo_staff", organisation=OTHER_MINISTRY, kind="mdo")
    assert _call(client, "GET", url, bearer(session, stranger))[0] == 404
    analyst = make_user(role="analyst", organisation="Capacity Building Commission", kind="mdo")
    assert _call(client, "GET", url, bearer(session, analyst))[0] == 403


def test_expired_and_replaced_tokens_are_refused_and_a_rater_account_rates(app, client, session, official,
                                                                           dictionary, clock, make_user):
    auth = bearer(session, official)
    status, body = _call(client, "POST", "/workplace/assessments", auth)
    url = f"/workplace/assessments/{body['id']}"
    _, body = _call(client, "POST", url + "/raters", auth, {"relation": "peer", "name": "P", "email": "p@example.gov.in"})
    rater_id, first = body["rater"]["id"], _token(app, "p@example.gov.in")
    status, body = _call(client, "POST", f"{url}/raters/{rater_id}/resend", auth)
    assert status == 200 and body["rater"]["send_count"] == 2
    second = _token(app, "p@example.gov.in")
    assert _call(client, "GET", f"/workplace/ratings/{first}")[0] == 410
    clock.advance(days=15)
    status, body = _call(client, "GET", f"/workplace/ratings/{second}")
    assert status == 410 and body["error"]["code"] == "link_gone"
    assert _call(client, "GET", "/workplace/ratings/not-a-token")[0] == 404

    account = make_user(role="workplace_rater", organisation=None, email="p@example.gov.in")
    rater_auth = bearer(session, account)
    status, body = _call(client, "GET", "/workplace/requests", rater_auth)
    assert status == 200 and [r["id"] for r in body["requests"]] == [rater_id]
    status, body = _call(client, "POST", f"/workplace/requests/{rater_id}/ratings", rater_auth,
                         {"ratings": {"FN-NOTING": 2, "DM-RTI": 2}})
    assert status == 201 and body["rated"]
    other = make_user(role="workplace_rater", organisation=None, email="q@example.gov.in")
    assert _call(client, "POST", f"/workplace/requests/{rater_id}/ratings", bearer(session, other),
                 {"ratings": {"FN-NOTING": 2, "DM-RTI": 2}})[0] == 403
