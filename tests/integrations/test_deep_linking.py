"""LTI Deep Linking: a course author on the platform picks a PIAA assessment, and PIAA answers
with a signed LtiDeepLinkingResponse whose resource link later launches learners into it."""
from __future__ import annotations

import re

import jwt
import pytest
from sqlalchemy import select

from piaa.audit import AuditEvent
from piaa.integrations.models import LtiLaunch
from tests.integrations.conftest import launch, start_login
from tests.integrations.platform import CLAIM, CLIENT_ID, DEPLOYMENT, INSTRUCTOR, ISSUER

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"


def deep_link_claims(platform, nonce, *, roles=(INSTRUCTOR,), accept_multiple=False, **settings):
    claims = platform.claims(nonce, roles=roles)
    claims.pop(CLAIM + "resource_link")
    claims[CLAIM + "message_type"] = "LtiDeepLinkingRequest"
    claims[DL + "deep_linking_settings"] = {
        "deep_link_return_url": f"{platform.base_url}/courses/7/deep-link-return",
        "accept_types": ["ltiResourceLink"], "accept_presentation_document_targets": ["iframe", "window"],
        "accept_multiple": accept_multiple, "data": "opaque-platform-data", **settings}
    return claims


def deep_link_launch(client, platform, **options):
    auth = start_login(client)
    token = platform.id_token(deep_link_claims(platform, auth["nonce"], **options))
    return client.post("/lti/launch", data={"id_token": token, "state": auth["state"]})


def picker_of(client, platform, **options) -> str:
    response = deep_link_launch(client, platform, **options)
    assert response.status_code == 303 and re.fullmatch(r"/lti/deep-link/[\w-]+", response.location), \
        response.get_data(as_text=True)[:800]
    return response.location


def answer_jwt(page: str) -> tuple[str, str]:
    action = re.search(r'<form method="post" action="([^"]+)" id="deep-link-return"', page).group(1)
    token = re.search(r'name="JWT" value="([^"]+)"', page).group(1)
    return action, token


def test_a_course_author_picks_an_assessment_and_the_platform_gets_a_signed_resource_link(
        session, client, registered, platform, window, tool_key):
    picker = picker_of(client, platform)
    page = client.get(picker)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert window.assessment.code in html and 'type="radio"' in html
    assert "frame-ancestors 'self' https:" in page.headers["Content-Security-Policy"]

    answered = client.post(picker, data={"assessment": window.assessment.code})
    assert answered.status_code == 200
    action, token = answer_jwt(answered.get_data(as_text=True))
    assert action == f"{platform.base_url}/courses/7/deep-link-return"
    # The page's policy lets its form post to the platform, and only there.
    policy = answered.headers["Content-Security-Policy"]
    assert f"form-action 'self' {platform.base_url}" in policy and "frame-ancestors 'self' https:" in policy
    assert "X-Frame-Options" not in answered.headers

    # Signed by the tool's key (the platform checks it against /lti/jwks.json).
    header = jwt.get_unverified_header(token)
    assert header["kid"] == tool_key.kid
    claims = jwt.decode(token, jwt.PyJWK(tool_key.jwk).key, algorithms=["RS256"], audience=ISSUER)
    assert claims["iss"] == CLIENT_ID and claims[CLAIM + "deployment_id"] == DEPLOYMENT
    assert claims[CLAIM + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[DL + "data"] == "opaque-platform-data"
    (item,) = claims[DL + "content_items"]
    assert item["type"] == "ltiResourceLink" and item["url"].endswith("/lti/launch")
    assert item["custom"] == {"assessment": window.assessment.code}
    # Nothing chosen: the first target the platform accepts that PIAA offers, a window of its own.
    assert item["window"] == {"targetName": "piaa-assessment"} and "iframe" not in item
    assert item["lineItem"] == {"scoreMaximum": 100.0, "label": window.assessment.title,
                                "resourceId": window.assessment.code}
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "lti.deep_linked")).data[
        "assessments"] == [window.assessment.code]

    # The ticket is spent: the answer cannot be had twice.
    again = client.post(picker, data={"assessment": window.assessment.code})
    assert again.status_code == 401 and "ticket_used" in again.get_data(as_text=True)

    # A learner's launch of that link, with the custom parameter the platform stores, opens the sitting.
    learner = launch(client, platform, assessment=item["custom"]["assessment"],
                     headers={"Sec-Fetch-Dest": "document"})
    assert learner.status_code == 303
    assert session.scalar(select(LtiLaunch)).assessment_id == window.assessment_id


def test_a_learner_cannot_add_assessments_to_a_course(client, registered, platform, window):
    from tests.integrations.platform import LEARNER

    response = deep_link_launch(client, platform, roles=(LEARNER,))
    assert response.status_code == 401 and "not_a_course_author" in response.get_data(as_text=True)


@pytest.mark.parametrize("choice, message", [
    ({}, "Choose an assessment to add."),
    ({"assessment": "NO-SUCH"}, "No assessment has the code &#39;NO-SUCH&#39;."),
])
def test_a_bad_choice_is_named_and_the_page_stays_usable(client, registered, platform, window, choice, message):
    picker = picker_of(client, platform)
    response = client.post(picker, data=choice)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert "form-action 'self';" in response.headers["Content-Security-Policy"] + ";"
    assert client.post(picker, data={"assessment": window.assessment.code}).status_code == 200


def test_one_assessment_where_the_platform_takes_one(client, registered, platform, window, make_assessment):
    other = make_assessment(mode="loft")
    picker = picker_of(client, platform)
    response = client.post(picker, data={"assessment": [window.assessment.code, other.code]})
    assert response.status_code == 422 and "takes one assessment" in response.get_data(as_text=True)
    several = picker_of(client, platform, accept_multiple=True)
    assert 'type="checkbox"' in client.get(several).get_data(as_text=True)
    _, token = answer_jwt(client.post(several, data={"assessment": [window.assessment.code, other.code]})
                          .get_data(as_text=True))
    items = jwt.decode(token, options={"verify_signature": False})[DL + "content_items"]
    assert [i["custom"]["assessment"] for i in items] == [window.assessment.code, other.code]


def test_a_deep_link_request_without_settings_is_refused(client, registered, platform):
    auth = start_login(client)
    claims = deep_link_claims(platform, auth["nonce"])
    del claims[DL + "deep_linking_settings"]
    response = client.post("/lti/launch", data={"id_token": platform.id_token(claims), "state": auth["state"]})
    assert response.status_code == 400 and "deep-linking settings" in response.get_data(as_text=True)


def content_items(page: str) -> list[dict]:
    _, token = answer_jwt(page)
    return jwt.decode(token, options={"verify_signature": False})[DL + "content_items"]


def test_the_author_chooses_a_frame_of_a_given_size_for_several_assessments_at_once(
        session, client, registered, platform, window, make_assessment):
    other = make_assessment(mode="loft")
    picker = picker_of(client, platform, accept_multiple=True)
    html = client.get(picker).get_data(as_text=True)
    assert 'id="presentation-window"' in html and 'id="presentation-iframe"' in html
    response = client.post(picker, data={"assessment": [other.code, window.assessment.code],
                                         "presentation": "iframe", "frame_width": "960", "frame_height": "720"})
    assert response.status_code == 200
    items = content_items(response.get_data(as_text=True))
    # one resource link per assessment, in the author's order, each framed at the chosen size
    assert [i["custom"]["assessment"] for i in items] == [other.code, window.assessment.code]
    assert [i["iframe"] for i in items] == [{"width": 960, "height": 720}] * 2
    assert all("window" not in i for i in items)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "lti.deep_linked"))
    assert event.data["presentation"] == {"iframe": {"width": 960, "height": 720}}


def test_a_named_window_and_a_frame_left_to_the_platform(client, registered, platform, window):
    picker = picker_of(client, platform)
    answered = client.post(picker, data={"assessment": window.assessment.code, "presentation": "window",
                                         "window_name": "course-7-tests"})
    (item,) = content_items(answered.get_data(as_text=True))
    assert item["window"] == {"targetName": "course-7-tests"}
    picker = picker_of(client, platform)
    answered = client.post(picker, data={"assessment": window.assessment.code, "presentation": "iframe",
                                         "frame_width": "", "frame_height": ""})
    (item,) = content_items(answered.get_data(as_text=True))
    assert item["iframe"] == {}


def test_only_the_targets_the_platform_accepts_are_offered(client, registered, platform, window):
    picker = picker_of(client, platform, accept_presentation_document_targets=["iframe", "popup"])
    html = client.get(picker).get_data(as_text=True)
    assert 'id="presentation-iframe"' in html and 'id="presentation-window"' not in html
    refused = client.post(picker, data={"assessment": window.assessment.code, "presentation": "window"})
    assert refused.status_code == 422 and "Choose how learners open the assessment." in refused.get_data(as_text=True)
    # the one target it takes needs no choosing
    (item,) = content_items(client.post(picker, data={"assessment": window.assessment.code,
                                                      "frame_height": "600"}).get_data(as_text=True))
    assert item["iframe"] == {"height": 600}


@pytest.mark.parametrize("fields, where, message", [
    ({"presentation": "iframe", "frame_width": "wide"}, "frame_width",
     "Give the frame&#39;s width in whole pixels from 200 to 4000, or leave it empty."),
    ({"presentation": "iframe", "frame_height": "90"}, "frame_height",
     "Give the frame&#39;s height in whole pixels from 200 to 4000, or leave it empty."),
    ({"presentation": "window", "window_name": "my window"}, "window_name",
     "Name the window with 1 to 64 letters, digits, hyphens or underscores, or leave it empty."),
    ({"presentation": "tab"}, "presentation", "Choose how learners open the assessment."),
])
def test_a_bad_presentation_is_said_beside_its_field_and_the_choice_is_kept(
        client, registered, platform, window, fields, where, message):
    picker = picker_of(client, platform)
    response = client.post(picker, data={"assessment": window.assessment.code, **fields})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="error" id="{where}-error">{message}</p>' in html
    assert re.search(rf'id="{where}"[^>]*aria-invalid="true"|id="{where}"[^>]*aria-describedby="[^"]*{where}-error',
                     html)
    assert f'value="{window.assessment.code}" checked' in html
    # the ticket is not spent by a refused answer
    assert client.post(picker, data={"assessment": window.assessment.code}).status_code == 200
