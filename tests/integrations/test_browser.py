"""LTI in Chromium: a course author adds a PIAA assessment by deep linking, then a learner
launches it from the platform and lands, signed in, on its check-in page. The browser keeps the
state cookie across the platform's redirects and posts, and honours each page's
Content-Security-Policy (the deep-linking answer may post only to the platform)."""
from __future__ import annotations

import jwt
import pytest

from tests.integrations.platform import INSTRUCTOR, LEARNER

pytestmark = pytest.mark.browser


def test_a_course_author_adds_an_assessment_and_a_learner_launches_it(page, live_server, registered,
                                                                      platform, window):
    platform.deep_linking, platform.launch_roles = True, (INSTRUCTOR,)
    page.goto(f"{platform.base_url}/start?tool={live_server}")
    page.wait_for_url("**/lti/deep-link/**")
    page.get_by_label(window.assessment.title, exact=False).check()
    page.get_by_role("button", name="Add to the course").click()
    page.wait_for_url(f"{platform.base_url}/deep-link-return")
    assert page.locator("#added").is_visible()
    (answer,) = platform.deep_link_answers
    (item,) = jwt.decode(answer, options={"verify_signature": False})[
        "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]

    learner = page.context.browser.new_context(locale="en-IN", viewport={"width": 360, "height": 740})
    try:
        tab = learner.new_page()
        platform.deep_linking, platform.launch_roles = False, (LEARNER,)
        platform.launch_assessment = item["custom"]["assessment"]
        tab.goto(f"{platform.base_url}/start?tool={live_server}")
        tab.wait_for_url("**/attempts/*/check-in")
        assert "Asha Verma" in tab.content()
        assert tab.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        learner.close()
