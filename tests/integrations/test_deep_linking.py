"""LTI Deep Linking against the platform in the test: a course author's deep-linking request
shows the windows the platform's learners may sit, the pick comes back to the platform as a
response signed with the tool's key (one resource link naming the assessment and window, and
a 0-100 gradebook column), the pick works once, and a learner following the new link lands in
that window."""
from __future__ import annotations

import re
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select

from piaa.audit import AuditEvent
from piaa.delivery.models import Attempt
from piaa.integrations.models import LtiLaunch
from tests.integrations.conftest import launch
from tests.integrations.platform import CLAIM, CLIENT_ID, DEPLOYMENT, INSTRUCTOR, ISSUER

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"


def deep_link_claims(platform, **settings) -> dict:
    return {CLAIM + "message_type": "LtiDeepLinkingRequest",
            DL + "deep_linking_settings": {"deep_link_return_url": f"{platform.base_url}/deep-link-return",
                                           "accept_types": ["ltiResourceLink"],
                                           "accept_presentation_document_targets": ["iframe", "window"],
                                           "data": "platform-opaque-7", **settings}}


def author_request(client, platform, roles=(INSTRUCTOR,)):
    return launch(client, platform, roles=roles, ags=False, email=None, **deep_link_claims(platform))


@pytest.fixture
def windows(calibration, make_assessment, make_window, clock):
    first = make_window(make_assessment(mode="loft"), name="January batch")
    later = make_window(make_assessment(mode="loft"), name="March batch",
                        opens_at=clock() + timedelta(days=30), closes_at=clock() + timedelta(days=31))
    return first, later


def picked(response) -> str:
    match = re.search(r'action="(/lti/deep-link/[^"]+)"', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:1500]
    return match.group(1)


def test_a_course_author_picks_a_window_and_the_platform_gets_a_signed_link(
        session, client, registered, platform, tool_key, windows):
    first, later = windows
    page = author_request(client, platform)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "January batch" in html and "March batch" in html
    assert "frame-ancestors 'self' https:" in page.headers["Content-Security-Policy"]
    answer = client.post(picked(page), data={"window": str(later.id)})
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    assert f'action="{platform.base_url}/deep-link-return"' in body
    token = re.search(r'name="JWT" value="([^"]+)"', body).group(1)
    # the platform checks the answer against the tool's published key
    key = next(k for k in tool_key.jwks()["keys"] if k["kid"] == jwt.get_unverified_header(token)["kid"])
    claims = jwt.decode(token, jwt.PyJWK(key).key, algorithms=["RS256"], audience=ISSUER)
    assert claims["iss"] == CLIENT_ID and claims[CLAIM + "deployment_id"] == DEPLOYMENT
    assert claims[CLAIM + "message_type"] == "LtiDeepLinkingResponse"
    assert claims[DL + "data"] == "platform-opaque-7"
    (item,) = claims[DL + "content_items"]
    assert item["type"] == "ltiResourceLink" and item["url"].endswith("/lti/launch")
    assert item["custom"] == {"assessment": later.assessment.code, "window": str(later.id)}
    assert item["lineItem"]["scoreMaximum"] == 100.0 and item["lineItem"]["resourceId"] == later.assessment.code
    actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "lti.deep_link_requested" in actions and "lti.deep_link_returned" in actions
    # the pick works once
    again = client.post(picked(page), data={"window": str(first.id)})
    assert again.status_code == 401 and "already made" in again.get_data(as_text=True)


def test_a_learner_following_the_new_link_lands_in_the_window_picked(
        session, client, registered, platform, windows, make_window, clock):
    first, _ = windows
    also_open = make_window(first.assessment, name="Open too")
    response = launch(client, platform, assessment=first.assessment.code,
                      **{CLAIM + "custom": {"assessment": first.assessment.code, "window": str(also_open.id)}})
    assert response.status_code == 200
    stored = session.scalar(select(LtiLaunch))
    # without the pick the learner would land in the first open window of the assessment
    assert also_open.id > first.id and session.get(Attempt, stored.attempt_id).window_id == also_open.id


def test_learners_and_unknown_windows_cannot_make_links(session, client, registered, platform, windows):
    refused = author_request(client, platform, roles=("http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",))
    assert refused.status_code == 401 and b"not_course_staff" in refused.data
    page = author_request(client, platform)
    wrong = client.post(picked(page), data={"window": "999999"})
    assert wrong.status_code == 404 and b"not one this platform" in wrong.data
    assert client.post(picked(page), data={"window": str(windows[0].id)}).status_code == 200


def test_a_deep_linking_request_without_resource_links_is_refused(client, registered, platform, windows):
    response = launch(client, platform, roles=(INSTRUCTOR,), ags=False,
                      **deep_link_claims(platform, accept_types=["link"]))
    assert response.status_code == 401
