"""The sitting on a phone (Debian's Chromium): a compact header that leaves the question, its
options and Next on the first screen at 360 x 740.
"""
from __future__ import annotations

import pytest

from tests.conftest import browser_login
from tests.delivery.test_browser import PHONE, SMALL, check_in_and_start, heading, stored_answers, the_attempt

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PIAA_SITTING_POLL_S": 1, "PIAA_SITTING_QUIET_POLL_S": 1, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="en-IN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


@pytest.mark.parametrize("navigation", ["linear", "free"])
def test_the_question_its_options_and_next_fit_the_first_screen_of_a_phone(live_server, phone, candidate,
                                                                           make_assessment, make_window,
                                                                           navigation):
    window = make_window(make_assessment("loft", blueprint=SMALL, navigation=navigation))
    check_in_and_start(phone, live_server, candidate, window)
    for _ in range(3):
        question, options, next_button = box(phone, "#question-heading"), phone.locator("#item .choice"), \
            box(phone, "#next-button")
        assert question["y"] < 120, question  # the header leaves the question near the top
        last_option = options.nth(options.count() - 1).bounding_box()
        assert last_option["y"] + last_option["height"] <= PHONE["height"]
        assert next_button["y"] + next_button["height"] <= PHONE["height"], next_button
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        before = heading(phone)
        phone.locator("#item input").nth(1).check()
        phone.get_by_role("button", name="Next").click()
        phone.wait_for_function("h => document.getElementById('question-heading').textContent !== h", arg=before)
    # The clock and the saving state stay in view, on one short bar.
    bar = box(phone, ".sitting-bar")
    assert bar["height"] < 60 and phone.locator("#timer").is_visible() and phone.locator("#save-state").is_visible()

