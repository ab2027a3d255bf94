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


def test_a_course_author_adds_two_assessments_framed_in_the_course_page_by_keyboard(
        page, live_server, registered, platform, window, make_assessment):
    other = make_assessment(mode="loft", title="Noting and drafting, second form")
    platform.deep_linking, platform.launch_roles = True, (INSTRUCTOR,)
    platform.deep_link_targets, platform.deep_link_multiple = ("iframe", "window"), True
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{platform.base_url}/start?tool={live_server}")
    page.wait_for_url("**/lti/deep-link/**")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for label in (window.assessment.title, other.title):
        page.get_by_label(label, exact=False).focus()
        page.keyboard.press("Space")
    # the window comes first and is checked; the arrow key moves the choice to the frame
    assert page.locator("#presentation-window").is_checked()
    page.locator("#presentation-window").focus()
    page.keyboard.press("ArrowDown")
    assert page.locator("#presentation-iframe").is_checked()
    page.locator("#frame_height").fill("")
    page.locator("#frame_height").type("70")
    page.get_by_role("button", name="Add to the course").press("Enter")
    # refused beside the box, the choices kept
    page.wait_for_selector("#frame_height-error")
    assert "from 200 to 4000" in page.locator("#frame_height-error").inner_text()
    assert page.locator("#presentation-iframe").is_checked()
    page.locator("#frame_height").fill("720")
    page.get_by_role("button", name="Add to the course").press("Enter")
    page.wait_for_url(f"{platform.base_url}/deep-link-return")
    (answer,) = platform.deep_link_answers
    items = jwt.decode(answer, options={"verify_signature": False})[
        "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert sorted(i["custom"]["assessment"] for i in items) == sorted([window.assessment.code, other.code])
    assert [i["iframe"] for i in items] == [{"height": 720}] * 2
