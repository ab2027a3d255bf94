"""Sittings in a real browser (Debian's Chromium through Playwright): one full sitting per
mode, reload and resume, answers given offline and sent when the link returns, a proctor's
warning and pause seen by the candidate with the clock stopped, the server's time-out, the
axe-core check at 360 px and on a desktop, and the weight of the item screen.

The server's clock is the test's fake clock, so time moves only when a test moves it; the
browser's countdown is a display synchronised to the server on every answer it receives.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from piaa.delivery.attempts import time_left_s
from piaa.delivery.forms import assemble_fixed_form
from piaa.delivery.models import Attempt, AttemptEvent, AttemptItem
from piaa.items import services as items
from piaa.items.models import OPERATIONAL
from tests.conftest import browser_login
from tests.items.samples import item as sample

pytestmark = pytest.mark.browser

SMALL = {"cells": [{"level": level, "sub_area": "noting", "count": 1} for level in range(1, 6)],
         "tolerance": 0}
RIGHT, WRONG = "Section Officer", "Assistant"
PHONE = {"width": 360, "height": 740}
_axe = Axe()


@pytest.fixture
def app_config(app_config):
    # Quick heartbeats so pauses and time-outs show within a second; real CSRF checks so the
    # scripts are proven to send the token.
    return {**app_config, "PIAA_SITTING_POLL_S": 1, "PIAA_SITTING_QUIET_POLL_S": 1, "PIAA_PROCTOR_POLL_S": 1,
            "WTF_CSRF_ENABLED": True}


# --- helpers -------------------------------------------------------------------------------

def serious_violations(page) -> list[str]:
    violations = _axe.run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in violations if v["impact"] in ("serious", "critical")]


def check_in_and_start(page, base: str, user, window, start: bool = True) -> None:
    """Sign in, begin at the window, check in with the keyboard, start the sitting."""
    browser_login(page, base, user)
    assert page.url.endswith("/assessments")
    page.locator(f"#window-{window.id} button[type=submit]").click()
    page.wait_for_url("**/check-in")
    for box in ("#identity", "#rules"):
        page.focus(box)
        page.keyboard.press("Space")
    page.wait_for_selector('#system-check li[data-check="server"].ok')
    page.get_by_role("button", name="Check in").click()
    page.wait_for_url("**/sit")
    if start:
        page.get_by_role("button", name="Start the assessment").click()
        page.wait_for_selector("#sitting[data-state=question]")


def answer(page, option: str = RIGHT) -> None:
    page.get_by_label(option, exact=True).check()


def wait_saved(page) -> None:
    page.wait_for_selector("#save-state[data-state=saved]")


def heading(page) -> str:
    return page.locator("#question-heading").inner_text()


def stored_answers(session, attempt_id: int) -> dict[int, object]:
    session.expire_all()
    rows = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)
                           .order_by(AttemptItem.position))
    return {row.position: row.answer for row in rows}


def the_attempt(session, user) -> Attempt:
    session.expire_all()
    return session.scalar(select(Attempt).where(Attempt.user_id == user.id).order_by(Attempt.id.desc()))


def submit(page) -> None:
    if page.locator("#review-button").is_visible():  # free navigation submits from the review
        page.locator("#review-button").click()
    page.locator(".submit-button:visible").click()
    page.get_by_role("button", name="Submit now").click()
    page.wait_for_url("**/result")


# --- one sitting per mode ------------------------------------------------------------------

def test_fixed_form_with_navigator_flags_review_and_reload(live_server, page, session, candidate,
                                                          make_assessment, make_window):
    window = make_window(make_assessment("fixed", n_forms=1, blueprint=SMALL))
    check_in_and_start(page, live_server, candidate, window)
    attempt = the_attempt(session, candidate)
    assert heading(page) == "Question 1 of 5"
    # Keyboard only: arrows move the choice within the radio group, as in any form.
    page.get_by_label(WRONG, exact=True).focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    wait_saved(page)
    assert page.locator("#item-note").inner_text() == "Saved"
    page.get_by_role("button", name="Next").click()
    answer(page, WRONG)
    page.get_by_role("button", name="Flag for review").click()
    wait_saved(page)
    page.get_by_role("button", name="Question 4: Unanswered").click()
    assert heading(page) == "Question 4 of 5"
    answer(page)
    wait_saved(page)
    assert serious_violations(page) == []

    page.reload()  # mid-attempt: back at question 4 with every answer in place
    page.wait_for_selector("#sitting[data-state=question]")
    assert heading(page) == "Question 4 of 5"
    assert page.get_by_label(RIGHT, exact=True).is_checked()
    assert page.get_by_role("button", name="Question 2: Answered, Flagged").is_visible()

    page.get_by_role("button", name="Review answers").click()
    assert page.locator("#review-summary").inner_text() == "You have 2 unanswered and 1 flagged question(s)."
    assert serious_violations(page) == []
    page.locator("#review-rows button", has_text="Question 3").click()
    answer(page)
    wait_saved(page)
    submit(page)
    assert page.locator("#result-state").get_attribute("data-state") == "scored"
    answers = stored_answers(session, attempt.id)
    assert answers == {0: "B", 1: "A", 2: "B", 3: "B", 4: None}
    flagged = session.scalars(select(AttemptItem.position).where(AttemptItem.attempt_id == attempt.id,
                                                                 AttemptItem.flagged.is_(True))).all()
    assert flagged == [1]
    assert serious_violations(page) == []


def test_loft_answers_survive_a_dead_link_a_reload_and_going_offline(live_server, page, session, candidate,
                                                                      make_assessment, make_window):
    window = make_window(make_assessment("loft", blueprint=SMALL))
    check_in_and_start(page, live_server, candidate, window)
    attempt = the_attempt(session, candidate)
    answer(page)
    wait_saved(page)

    # The answer calls fail (the link drops for them only); the page itself still loads.
    page.route("**/responses/**", lambda route: route.abort("internetdisconnected"))
    page.get_by_role("button", name="Next").click()
    answer(page)
    page.wait_for_selector("#save-state[data-state=queued]")
    assert page.locator("#item-note").inner_text().startswith("Offline: your answer is kept")
    page.reload()
    page.wait_for_selector("#sitting[data-state=question]")
    assert heading(page) == "Question 2 of 5" and page.get_by_label(RIGHT, exact=True).is_checked()
    assert stored_answers(session, attempt.id)[1] is None  # still only on the device
    page.unroute("**/responses/**")
    wait_saved(page)
    assert stored_answers(session, attempt.id)[1] == "B"

    # Offline for three answers, one of them changed twice, then back online.
    page.context.set_offline(True)
    for position, choice in ((2, WRONG), (3, RIGHT), (2, RIGHT), (4, RIGHT)):
        page.get_by_role("button", name=f"Question {position + 1}:").click()
        answer(page, choice)
    page.wait_for_selector("#save-state[data-state=queued]")
    assert page.locator("#save-state").get_attribute("data-pending") == "3"
    assert page.locator("#navigator button.queued").count() == 3
    assert stored_answers(session, attempt.id) == {0: "B", 1: "B", 2: None, 3: None, 4: None}
    page.context.set_offline(False)
    wait_saved(page)
    assert stored_answers(session, attempt.id) == {0: "B", 1: "B", 2: "B", 3: "B", 4: "B"}
    submit(page)
    assert the_attempt(session, candidate).state == "scored"


def test_adaptive_sitting_on_a_phone(live_server, browser, session, candidate, calibration,
                                     make_assessment, make_window):
    window = make_window(make_assessment("adaptive", se_target=0.2, min_items=4, max_items=5))
    context = browser.new_context(viewport=PHONE, locale="en-IN")
    page = context.new_page()
    page.set_default_timeout(15000)
    weights: dict[str, int] = {}

    def count(request):
        sizes = request.sizes()
        kind = request.resource_type
        weights[kind] = weights.get(kind, 0) + sizes["responseBodySize"] + sizes["responseHeadersSize"]

    try:
        browser_login(page, live_server, candidate)
        assert serious_violations(page) == []
        page.locator(f"#window-{window.id} button[type=submit]").click()
        page.wait_for_url("**/check-in")
        page.wait_for_selector('#system-check li[data-check="server"].ok')
        assert serious_violations(page) == []
        page.check("#identity")
        page.check("#rules")
        page.get_by_role("button", name="Check in").click()
        page.get_by_role("button", name="Start the assessment").click()
        page.wait_for_selector("#sitting[data-state=question]")
        # Weigh a first visit: no cached copy of the scripts or style sheets.
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        page.on("requestfinished", count)
        page.reload()
        page.wait_for_selector("#sitting[data-state=question]")
        page.wait_for_timeout(300)
        page.remove_listener("requestfinished", count)
        markup = weights.get("document", 0) + weights.get("script", 0) + weights.get("stylesheet", 0)
        print(f"\nitem screen weight: HTML+JS+CSS {markup} bytes; all requests {sum(weights.values())} "
              f"bytes ({weights})")
        assert markup < 100_000
        # Nothing wider than the phone: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert serious_violations(page) == []

        seen = 0
        while page.locator("#sitting").get_attribute("data-state") == "question":
            seen += 1
            assert heading(page) == f"Question {seen}"
            answer(page, RIGHT if seen % 2 else WRONG)
            page.get_by_role("button", name="Next").click()
            page.wait_for_function(f"""() => {{
                const s = document.getElementById('sitting').dataset.state;
                return s === 'done' || (s === 'question' &&
                    document.getElementById('question-heading').textContent === 'Question {seen + 1}');
            }}""")
        assert seen == 5
        submit(page)
        assert page.locator("#scale-text").is_visible()
        assert "Your ability estimate (θ) is" in page.locator("#scale-text").inner_text()
        assert serious_violations(page) == []
        attempt = the_attempt(session, candidate)
        assert attempt.state == "scored" and attempt.score_method == "eap"
        assert list(stored_answers(session, attempt.id).values()) == ["B", "A", "B", "A", "B"]
    finally:
        context.close()


# --- the proctor and the clock -------------------------------------------------------------

def test_proctor_warning_and_pause_reach_the_candidate_and_stop_the_clock(
        live_server, browser, page, session, candidate, proctor, make_assessment, make_window, clock):
    window = make_window(make_assessment("loft", blueprint=SMALL, proctoring={"require_admission": True}))
    check_in_and_start(page, live_server, candidate, window, start=False)
    attempt = the_attempt(session, candidate)
    expect(page.locator("#waiting-text")).to_contain_text("Waiting for the proctor to admit you")
    expect(page.get_by_role("button", name="Start the assessment")).to_be_hidden()

    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    watch = desk.new_page()
    watch.set_default_timeout(15000)
    try:
        browser_login(watch, live_server, proctor)
        row = watch.locator(f'tr[data-attempt="{attempt.id}"]')
        row.wait_for()
        expect(row.locator('[data-field="state"]')).to_have_text("Checked in")
        assert serious_violations(watch) == []
        row.get_by_role("button", name="Admit").click()
        page.get_by_role("button", name="Start the assessment").click()
        page.wait_for_selector("#sitting[data-state=question]")
        answer(page)
        wait_saved(page)
        expect(row.locator('[data-field="state"]')).to_have_text("In progress")
        expect(row.get_by_role("button", name="Admit")).to_be_hidden()

        # A second tab of the same attempt is noticed by both tabs and reported.
        other = page.context.new_page()
        other.goto(page.url)
        page.wait_for_selector("#alert:not([hidden])")
        assert "open in another tab" in page.locator("#alert").inner_text()
        other.close()
        page.evaluate("document.dispatchEvent(new Event('copy'))")

        row.get_by_role("button", name="Warn").click()
        watch.fill("#warn-message", "Please keep your eyes on your own screen.")
        watch.get_by_role("button", name="Send warning").click()
        page.wait_for_selector("#warning-dialog[open]")
        assert page.locator("#warning-text").inner_text() == "Please keep your eyes on your own screen."
        page.get_by_role("button", name="I understand").click()

        left_before = page.evaluate("fetch(location.pathname.replace('/attempts/', '/api/v1/attempts/')"
                                    ".replace('/sit', '')).then(r => r.json()).then(b => b.time_left_s)")
        row.get_by_role("button", name="Pause").click()
        page.wait_for_selector("#pause-dialog[open]")
        assert "The clock is stopped while paused." in page.locator("#pause-dialog").inner_text()
        expect(row.locator('[data-field="state"]')).to_have_text("Paused")
        timer_paused = page.locator("#timer").inner_text()
        clock.advance(minutes=10)
        page.wait_for_timeout(1500)
        assert page.locator("#timer").inner_text() == timer_paused  # the display stops with the clock
        row.get_by_role("button", name="Resume").click()
        page.wait_for_selector("#pause-dialog", state="hidden")
        assert page.locator("#sitting").get_attribute("data-state") == "question"
        session.expire_all()
        assert time_left_s(session.get(Attempt, attempt.id)) == pytest.approx(left_before, abs=0.01)
        expect(row.locator('[data-field="state"]')).to_have_text("In progress")
        # Both tabs report each other (with the next heartbeats), and the server saw a second
        # client on the attempt: the dashboard counts them as high-severity flags.
        watch.wait_for_function(f"""() => parseInt(document.querySelector(
            'tr[data-attempt="{attempt.id}"] .flag-high').textContent.split(' ').pop()) >= 2""")
        expect(row.locator(".flag-high.on")).to_be_visible()
    finally:
        desk.close()
    session.expire_all()
    events = {(e.kind, e.severity) for e in session.scalars(select(AttemptEvent)
                                                            .where(AttemptEvent.attempt_id == attempt.id))}
    assert {("second_tab", "high"), ("copy", "medium"), ("warning", "info"), ("pause", "info")} <= events
    warning = session.scalar(select(AttemptEvent).where(AttemptEvent.kind == "warning"))
    assert warning.acknowledged_at is not None


def test_the_server_submits_when_time_runs_out(live_server, page, session, candidate, make_assessment,
                                               make_window, clock):
    # Under "clock runs" a silent stretch is not given back, so moving the fake clock ends it.
    window = make_window(make_assessment("loft", blueprint=SMALL, pause_policy="clock_runs"))
    check_in_and_start(page, live_server, candidate, window)
    attempt = the_attempt(session, candidate)
    answer(page)
    wait_saved(page)
    # The candidate switches to Hindi mid-sitting: the screen and the question follow.
    page.select_option("#lang-select", "hi")
    page.locator("form.lang button").click()
    page.wait_for_selector("#sitting[data-state=question]")
    assert page.locator("html").get_attribute("lang") == "hi"
    assert heading(page) == "प्रश्न 1 / 5"
    assert page.locator("#item .stem").inner_text().startswith("प्रश्न OP-")
    assert page.get_by_label("अनुभाग अधिकारी", exact=True).is_checked()
    assert serious_violations(page) == []
    clock.advance(seconds=1800 - 290)
    # Shown and spoken politely (not as an alert: the candidate did not ask to be interrupted).
    page.wait_for_selector("#time-warning:not([hidden])")
    assert page.locator("#time-warning").inner_text() == "5 मिनट शेष" and page.locator("#alert").is_hidden()
    assert page.locator("#timer-spoken").text_content() == "5 मिनट शेष"
    assert page.locator("#timer").get_attribute("class") == "timer low"
    clock.advance(seconds=290 + 6)
    page.wait_for_url("**/result")
    assert "समय समाप्त हो गया" in page.locator("#ended-by").inner_text()
    session.expire_all()
    attempt = session.get(Attempt, attempt.id)
    assert attempt.state == "scored" and stored_answers(session, attempt.id)[0] == "B"


def test_every_answer_shape_in_a_linear_fixed_form(live_server, page, session, bank, candidate,
                                                   make_assessment, make_window):
    shapes = ("multiple_response", "true_false", "text_entry", "numeric_entry", "ordering")
    made = [items.create_item_from_bank_json(session, bank, state=OPERATIONAL,
                                             data=sample(kind, id=f"SHAPE-{n}", competency="FN-NOTING"))
            for n, kind in enumerate(shapes)]
    session.commit()
    assessment = make_assessment("fixed", n_forms=0, navigation="linear", blueprint=SMALL)
    assemble_fixed_form(session, assessment, np.random.default_rng(0), [i.id for i in made])
    session.commit()
    check_in_and_start(page, live_server, candidate, make_window(assessment))
    attempt = the_attempt(session, candidate)
    assert heading(page) == "Question 1 of 5"
    expect(page.get_by_role("button", name="Previous")).to_be_hidden()

    def next_question(n):
        page.get_by_role("button", name="Next").click()
        if n <= 5:
            expect(page.locator("#question-heading")).to_have_text(f"Question {n} of 5")

    for label in ("Diary number", "File number", "Date"):
        page.get_by_label(label, exact=True).check()
    next_question(2)
    page.get_by_label("True", exact=True).check()
    next_question(3)
    page.get_by_role("textbox", name="Your answer").fill("Section Officer")
    next_question(4)
    page.get_by_role("textbox", name="Your answer").fill("30")
    assert page.locator("#q3-unit").inner_text().strip() == "days"
    next_question(5)
    for position, label in enumerate(("Receive", "Diarise", "Note", "Submit"), start=1):
        page.get_by_label(f"Position: {label}").select_option(str(position))
    next_question(6)
    page.wait_for_selector("#sitting[data-state=done]")
    submit(page)
    assert "You scored 5 of 5 marks" in page.locator("#scale-text").inner_text()
    answers = stored_answers(session, attempt.id)
    assert answers == {0: ["A", "B", "D"], 1: True, 2: "Section Officer", 3: 30.0, 4: ["A", "B", "C", "D"]}


def test_a_composite_item_and_a_written_answer_in_a_sitting(live_server, page, session, bank, candidate,
                                                           make_assessment, make_window):
    from tests.delivery.test_composite import COMPOSITE
    from tests.delivery.test_ratings import ESSAY

    made = [items.create_item_from_bank_json(session, bank, data, state=OPERATIONAL) for data in (COMPOSITE, ESSAY)]
    session.commit()
    assessment = make_assessment("fixed", n_forms=0, navigation="linear", blueprint=SMALL, purpose="pre_course")
    assemble_fixed_form(session, assessment, np.random.default_rng(0), [i.id for i in made])
    session.commit()
    check_in_and_start(page, live_server, candidate, make_window(assessment))
    attempt = the_attempt(session, candidate)
    assert "____ (1)" in page.locator("#item .stem").inner_text()
    expect(page.get_by_role("heading", name="Part 2")).to_be_visible()
    page.get_by_label("section diary", exact=True).check()
    wait_saved(page)
    page.get_by_role("textbox", name="Your answer").fill("dealing hand")
    page.get_by_role("textbox", name="Your answer").blur()
    wait_saved(page)
    assert stored_answers(session, attempt.id)[0] == {"R1": "D", "R2": "dealing hand"}
    page.get_by_role("button", name="Next").click()
    expect(page.locator("#question-heading")).to_have_text("Question 2 of 2")
    page.get_by_role("textbox", name="Your answer").fill("Sanction is sought under rule 5.\nTwo officers.")
    page.get_by_role("button", name="Next").click()
    page.wait_for_selector("#sitting[data-state=done]")
    assert stored_answers(session, attempt.id)[1] == "Sanction is sought under rule 5.\nTwo officers."
    submit(page)
    expect(page.locator("#result-state")).to_have_attribute("data-state", "awaiting_ratings")
    assert the_attempt(session, candidate).state == "awaiting_ratings"


def test_a_rater_rates_a_written_answer_from_the_queue_in_the_browser(live_server, page, session, bank, candidate,
                                                                      make_assessment, make_window, make_user):
    from tests.delivery.conftest import sit
    from tests.delivery.test_ratings import BLUEPRINT, ESSAY, NOTE, answer_all

    items.create_item_from_bank_json(session, bank, ESSAY, state=OPERATIONAL)
    session.commit()
    assessment = make_assessment("fixed", n_forms=1, blueprint=BLUEPRINT, purpose="pre_course")
    attempt = sit(session, candidate, make_window(assessment), answer_all)
    rater = make_user(role="rater")
    browser_login(page, live_server, rater)
    page.get_by_role("link", name="Written answers to rate").click()
    assert serious_violations(page) == []
    page.get_by_role("link", name=re.compile(r"^Rate\b.*Question 3$")).click()
    expect(page.locator("#answer-text")).to_have_text(NOTE)
    assert serious_violations(page) == []
    page.get_by_label("Points (0 to 4)").fill("4")
    page.get_by_role("button", name="Record the rating").click()
    expect(page.locator("#queue-empty")).to_be_visible()
    session.expire_all()
    assert session.get(Attempt, attempt.id).state == "scored"


@pytest.mark.parametrize("lang, refusal", [("en", "Type a number, such as 12 or 3.5."),
                                           ("hi", "एक संख्या लिखें, जैसे 12 या 3.5।")])
def test_a_number_box_refuses_words_in_plain_words_beside_it(live_server, page, session, bank, candidate,
                                                             make_assessment, make_window, lang, refusal):
    # Once "answer must be a number, got 'median'" in the note under the question, in English
    # whatever the reader's language: now what to type, under the box it is about.
    made = items.create_item_from_bank_json(session, bank, state=OPERATIONAL,
                                            data=sample("numeric_entry", id="NUM-1", competency="FN-NOTING"))
    session.commit()
    assessment = make_assessment("fixed", n_forms=0, navigation="linear", blueprint=SMALL)
    assemble_fixed_form(session, assessment, np.random.default_rng(0), [made.id])
    session.commit()
    check_in_and_start(page, live_server, candidate, make_window(assessment))
    page.select_option("#lang-select", lang)  # the header's switch, kept for the session
    page.locator("form.lang button").click()
    page.wait_for_selector("#sitting[data-state=question]")
    box = page.locator("#item .entry input")
    box.fill("median")
    box.blur()
    page.wait_for_selector("#save-state[data-state=error]")
    said = page.locator("#item .entry-error")
    expect(said).to_be_visible()
    assert said.inner_text() == refusal
    assert box.get_attribute("aria-invalid") == "true"
    assert said.get_attribute("id") in box.get_attribute("aria-describedby").split()
    # Said once, beside the box; the note under the question only says that it was not saved.
    assert refusal not in page.locator("#item-note").inner_text()
    box.fill("30")
    box.blur()
    wait_saved(page)
    expect(said).to_be_hidden()
    assert box.get_attribute("aria-invalid") is None
    assert said.get_attribute("id") not in (box.get_attribute("aria-describedby") or "").split()
    assert stored_answers(session, the_attempt(session, candidate).id)[0] == 30.0
