"""Every item of the sample banks, sat on a 360 x 740 phone in Debian's Chromium: the question
stays near the top and Next is on the first screen, without scrolling, in English and in Hindi.

Each bank's items are put on one linear fixed form of their competency and walked with Next; a
page that needs scrolling to reach Next is named with its item and how far below the screen
Next was."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from piaa.delivery import assessments as assessment_service
from piaa.delivery.forms import assemble_fixed_form
from piaa.items.import_service import load_sample_banks
from piaa.items.models import OPERATIONAL, Item, ItemBank
from tests.delivery.test_browser import PHONE, check_in_and_start
from tests.delivery.test_browser_phone import phone  # noqa: F401  (a 360 x 740 page)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def sample_windows(session, cohort, proctor, clock) -> list:
    """One window per sample bank: a linear fixed form of all its items, in file order."""
    load_sample_banks(session, echo=lambda *_: None)
    windows = []
    for n, bank in enumerate(session.scalars(select(ItemBank).order_by(ItemBank.name))):
        items = list(session.scalars(select(Item).where(Item.bank_id == bank.id).order_by(Item.id)))
        for item in items:
            item.state = OPERATIONAL
        session.flush()
        by_competency: dict[str, list[Item]] = {}
        for item in items:
            by_competency.setdefault(item.competency.code, []).append(item)
        for code, group in by_competency.items():
            assessment = assessment_service.create_assessment(
                session, code=f"PHONE-{n}-{code}", title=f"{bank.name} on a phone", competency=code,
                purpose="certification", mode="fixed", navigation="free", time_limit_s=3 * 3600, bank=bank,
                blueprint={"cells": [{"level": 1, "sub_area": None, "count": 1}], "tolerance": 0},
                cut_scores=[-2.0, -1.0, 0.0, 1.0, 2.0], languages=bank.languages)
            assemble_fixed_form(session, assessment, np.random.default_rng(0), [i.id for i in group])
            windows.append(assessment_service.create_window(
                session, assessment=assessment, cohort=cohort, opens_at=clock() - timedelta(hours=1),
                closes_at=clock() + timedelta(days=1), proctors=[proctor]))
    session.commit()
    return windows


def walk(page) -> tuple[list[str], int]:
    """Each question of the sitting, Next by Next: those whose Next is below the screen, and
    how many questions were seen."""
    below, seen = [], 0
    while page.locator("#sitting").get_attribute("data-state") == "question":
        seen += 1
        heading = page.locator("#question-heading").inner_text()
        question = page.locator("#question-heading").bounding_box()
        last = page.locator("#next-button").is_hidden()  # the last question offers its review instead
        next_button = page.locator("#review-button" if last else "#next-button").bounding_box()
        bottom = next_button["y"] + next_button["height"]
        if question["y"] >= 120 or bottom > PHONE["height"]:
            stem = page.locator("#item .stem").first.inner_text()[:50]
            below.append(f"{heading} ({stem!r}): question at {question['y']:.0f} px, "
                         f"Next {bottom - PHONE['height']:.0f} px below the screen")
        if last:
            break
        for _ in range(2):  # a second press moves on without an answer
            page.locator("#next-button").click()
            try:
                page.wait_for_function(
                    "h => document.getElementById('sitting').dataset.state !== 'question' || "
                    "document.getElementById('question-heading').textContent !== h", arg=heading, timeout=3000)
                break
            except Exception:
                continue
    return below, seen


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_every_sample_item_leaves_next_on_a_phones_first_screen(live_server, phone, session, candidate, cohort,
                                                                proctor, clock, lang):
    windows = sample_windows(session, cohort, proctor, clock)
    below = []
    for window in windows:
        session.refresh(candidate)
        candidate.preferred_language = "en"  # the switch below keeps the reader's choice on the account
        session.commit()
        check_in_and_start(phone, live_server, candidate, window)
        if lang != "en":  # the sitting read again in the reader's language
            phone.select_option("#lang-select", lang)  # the header's switch, kept for the session
            phone.locator("form.lang button").click()
            phone.wait_for_selector("#sitting[data-state=question]")
            assert phone.locator("html").get_attribute("lang") == lang
        found, seen = walk(phone)
        assert seen == len(window.assessment.forms[0].items), window.assessment.code
        below += [f"{window.assessment.code}: {line}" for line in found]
        phone.context.clear_cookies()
    assert not below, "\n".join(below)
