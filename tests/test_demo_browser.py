"""After ``piaa demo``, the demo candidate sits the adaptive assessment in Debian's Chromium
and reads θ ± SE and a level on the scale the demo's calibration built, with the level's
decision confidence."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from piaa.demo import DEMO_PASSWORD
from tests.conftest import browser_login
from tests.test_demo import run_demo

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def give_some_answer(page) -> None:
    """Whatever the item's widget: the first choice, or a number or a word typed in."""
    sitting = page.locator("#sitting")
    # A numeric entry is a text box with a decimal keyboard: it is looked for before plain text
    # (a word there is refused, and a refused answer keeps the candidate on the question).
    for selector, act in (("input[type=radio]", "check"), ("input[type=checkbox]", "check"),
                          ("input[type=number]", "10"), ("input[inputmode=decimal]", "10"),
                          ("input[type=text]", "median")):
        field = sitting.locator(f"{selector}:visible")
        if field.count():
            field.first.check() if act == "check" else field.first.fill(act)
            return
    # An ordering item keeps its shown order as the answer.


def test_the_demo_candidate_sits_the_adaptive_assessment(app, live_server, page, session):
    from piaa.accounts.models import User
    from piaa.delivery.models import Assessment, Attempt, Window

    run_demo(app)
    candidate = session.scalar(select(User).where(User.email == "candidate@demo.piaa.in"))
    assessment = session.scalar(select(Assessment).where(Assessment.code == "DEMO-FN-DATADEC"))
    window = session.scalar(select(Window).where(Window.assessment_id == assessment.id))

    browser_login(page, live_server, candidate, password=DEMO_PASSWORD)
    page.locator(f"#window-{window.id} button[type=submit]").click()
    page.wait_for_url("**/check-in")
    page.check("#identity")
    page.check("#rules")
    page.wait_for_selector('#system-check li[data-check="server"].ok')
    page.get_by_role("button", name="Check in").click()
    page.get_by_role("button", name="Start the assessment").click()
    page.wait_for_selector("#sitting[data-state=question]")
    seen = 0
    while page.locator("#sitting").get_attribute("data-state") == "question":
        seen += 1
        give_some_answer(page)
        page.get_by_role("button", name="Next").click()
        page.wait_for_function(f"""() => {{
            const s = document.getElementById('sitting').dataset.state;
            return s === 'done' || (s === 'question' &&
                document.getElementById('question-heading').textContent === 'Question {seen + 1}');
        }}""")
    assert assessment.min_items <= seen <= assessment.max_items
    page.locator(".submit-button:visible").click()
    page.get_by_role("button", name="Submit now").click()
    page.wait_for_url("**/result")

    session.expire_all()
    attempt = session.scalar(select(Attempt).where(Attempt.user_id == candidate.id,
                                                   Attempt.assessment_id == assessment.id))
    assert attempt.state == "scored" and attempt.theta is not None
    scale = page.locator("#scale-text").inner_text()
    assert f"Your ability estimate (θ) is {attempt.theta:.2f}, with a standard error of {attempt.se:.2f}" in scale
    reached = page.locator("#level-reached").inner_text()
    if attempt.level:
        assert f"Level reached: {attempt.level}" in reached
    else:
        assert "did not reach level 1" in reached
    assert "confident" in page.locator("#level-confidence").inner_text()
