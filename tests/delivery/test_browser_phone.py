"""The sitting on a phone and from the keyboard (Debian's Chromium): a compact header that
leaves the question, its options and Next on the first screen at 360 x 740, and a sitting
done with the keyboard alone.
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


# --- the keyboard alone ------------------------------------------------------------------------

def tab_to(page, selector: str, limit: int = 30) -> None:
    """Press Tab (the keyboard only) until ``selector`` has the focus."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} not reached with Tab")


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def keyboard_start(page, base: str, user, window) -> None:
    """Sign in, begin at the window, check in and start the sitting with the keyboard alone."""
    browser_login(page, base, user)
    tab_to(page, f"#window-{window.id} button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/check-in")
    for box in ("#identity", "#rules"):
        tab_to(page, box)
        page.keyboard.press("Space")
    page.wait_for_selector('#system-check li[data-check="server"].ok')
    tab_to(page, "#check-in-button")
    page.keyboard.press("Enter")
    page.wait_for_url("**/sit")
    page.wait_for_selector("#start-button:not([hidden])")
    tab_to(page, "#start-button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#sitting[data-state=question]")


def keyboard_submit(page) -> None:
    """Submit from the end of the sitting with the keyboard alone and wait for the result."""
    tab_to(page, "#done-view .submit-button")
    page.keyboard.press("Enter")
    tab_to(page, "#submit-confirm")
    page.keyboard.press("Enter")
    page.wait_for_url("**/result")


def test_a_keyboard_only_sitting_chooses_the_right_option_of_every_radio_item(live_server, page, session, candidate,
                                                                             make_assessment, make_window):
    from tests.delivery.test_browser import RIGHT

    window = make_window(make_assessment("loft", blueprint=SMALL, navigation="linear"))
    keyboard_start(page, live_server, candidate, window)
    assert focused_id(page) == "question-heading"  # the focus goes to the question after Start
    for n in range(1, 6):
        assert heading(page) == f"Question {n} of 5"
        labels = page.locator("#item .choice label").all_inner_texts()
        right = labels.index(RIGHT)
        tab_to(page, "#item input[type=radio]")  # Tab enters the group at its first option
        assert page.evaluate("document.activeElement.name") == page.locator("#item input").first.get_attribute("name")
        if right == 0:
            page.keyboard.press("Space")
        for _ in range(right):  # the arrow keys move the choice within the group
            page.keyboard.press("ArrowDown")
        assert page.get_by_label(RIGHT, exact=True).is_checked()
        tab_to(page, "#next-button")
        page.keyboard.press("Enter")
        if n < 5:
            page.wait_for_function("h => document.getElementById('question-heading').textContent === h",
                                   arg=f"Question {n + 1} of 5")
            assert focused_id(page) == "question-heading"  # and after Next
    page.wait_for_selector("#sitting[data-state=done]")
    assert focused_id(page) == "done-heading"
    keyboard_submit(page)
    attempt = the_attempt(session, candidate)
    assert attempt.state == "scored" and stored_answers(session, attempt.id) == {i: "B" for i in range(5)}


def test_the_time_warnings_interrupt_only_a_candidate_who_asked(live_server, page, candidate, make_assessment,
                                                               make_window, clock):
    window = make_window(make_assessment("loft", blueprint=SMALL, pause_policy="clock_runs"))
    check_in_and_start(page, live_server, candidate, window)
    assert page.locator("#timer-spoken").get_attribute("aria-live") == "polite"
    spoken: list[str] = []
    page.expose_function("noteSpoken", lambda text: spoken.append(text))
    page.evaluate("""() => new MutationObserver(() => window.noteSpoken(document.getElementById('timer-spoken').textContent))
        .observe(document.getElementById('timer-spoken'), {childList: true, characterData: true, subtree: true})""")
    def after(seconds: int, text: str) -> None:
        clock.advance(seconds=seconds)  # the next heartbeat brings the time left
        page.wait_for_function("t => document.getElementById('timer-spoken').textContent === t", arg=text)

    after(1800 - 600, "10 minutes left")  # crossing 10 minutes left: spoken, politely
    after(300, "5 minutes left")  # the 5-minute warning: shown and spoken politely, no alert
    assert page.locator("#time-warning").inner_text() == "5 minutes left" and page.locator("#alert").is_hidden()
    for left in (4, 3, 2):  # each minute of the last five
        after(60, f"{left} minutes left")
    # The candidate asks to be interrupted: the 1-minute warning is an alert.
    page.locator(".sitting-settings summary").click()
    page.get_by_label("Interrupt me with the 5- and 1-minute warnings", exact=False).check()
    clock.advance(seconds=60)
    page.wait_for_selector("#alert:not([hidden])")
    assert page.locator("#alert").inner_text() == "1 minute left"
    assert spoken == ["10 minutes left", "5 minutes left", "4 minutes left", "3 minutes left", "2 minutes left"]
