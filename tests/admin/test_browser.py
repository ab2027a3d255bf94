"""The administrator's walk in a real browser (Debian's Chromium through Playwright), from the
browser only: sign in, create an assessment, a cohort from a CSV, a window with a proctor and
an account; a candidate of the cohort sits the assessment and earns a certificate; the
administrator revokes it and verifies the audit chain. The same walk on a desktop and at
360 px, where no page may be wider than the screen; axe-core finds no serious or critical
violation on any administration page."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from piaa.certificates.models import Certificate
from piaa.delivery.models import Assessment, Cohort, Window
from tests.conftest import browser_login
from tests.delivery.test_browser import answer, check_in_and_start, serious_violations, submit, wait_saved

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def app_config(app_config):
    # Real CSRF checks, so every form is shown to carry its token; quick heartbeats.
    return {**app_config, "WTF_CSRF_ENABLED": True, "PIAA_SITTING_POLL_S": 1}


class Checks:
    """axe-core and the page's width on every administration page the walk opens."""

    def __init__(self, page, width: int):
        self.page, self.width, self.problems = page, width, []

    def __call__(self, what: str) -> None:
        self.page.wait_for_load_state()
        wide = self.page.evaluate("document.documentElement.scrollWidth")
        if wide > self.width:
            culprits = self.page.evaluate("""w => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > w + 0.5)
                .slice(-3).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className)""", self.width)
            self.problems.append(f"{what}: {wide} px wide at {self.width} px ({culprits})")
        self.problems += [f"{what}: {v}" for v in serious_violations(self.page)]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_administrator_runs_a_sitting_from_the_browser(live_server, browser, session, admin, candidate,
                                                          proctor, bank, calibration, viewport):
    context = browser.new_context(locale="en-IN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(20000)
    check = Checks(page, viewport["width"])
    browser_login(page, live_server, admin)
    assert page.url.endswith("/admin")
    check("dashboard")

    # an assessment: competency and bank first, then the settings and the blueprint grid
    page.goto(f"{live_server}/assessments")  # an administrator is taken to the list
    page.get_by_role("link", name="New assessment").click()
    page.select_option("#competency", "FN-NOTING")
    page.select_option("#bank", str(bank.id))
    page.get_by_role("button", name="Continue").click()
    check("new assessment")
    page.fill("#code", "NOTE-WALK")
    page.fill("#title", "Noting, certified in the browser")
    page.select_option("#mode", "loft")
    for level in range(1, 6):  # one noting item (column 1, after drafting) per level
        page.fill(f"#cell-{level}-1", "1")
    page.fill("#time_limit_min", "20")
    for level, cut in enumerate(["-3", "-2.5", "-2", "-1.5", "-1"], start=1):
        page.fill(f"#cut{level}", cut)
    page.select_option("#certifying_level", "1")
    page.get_by_role("button", name="Save the assessment").click()
    page.wait_for_url("**/admin/assessments/*")
    assert "The operational pool can fill every blueprint cell." in page.inner_text("#shortfalls")
    check("assessment")
    session.expire_all()
    assessment = session.scalar(select(Assessment).where(Assessment.code == "NOTE-WALK"))
    assert assessment.blueprint["cells"][0] == {"level": 1, "sub_area": "noting", "count": 1}

    # a cohort from a CSV
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Cohorts").click()
    page.fill("#name", "Walk batch")
    page.set_input_files("#members", files=[{"name": "walk.csv", "mimeType": "text/csv",
                                             "buffer": f"email,time_factor\n{candidate.email},1.25\n".encode()}])
    page.get_by_role("button", name="Create the cohort").click()
    page.wait_for_url("**/admin/cohorts/*")
    assert page.input_value(f"#tf-{candidate.id}") == "1.25"
    check("cohort")
    cohort = session.scalar(select(Cohort).where(Cohort.name == "Walk batch"))

    # a window with a proctor, in India time (the server's clock: 5 January 2026, 14:30 IST)
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Windows").click()
    page.select_option("#assessment_id", str(assessment.id))
    page.select_option("#cohort_id", str(cohort.id))
    page.fill("#opens_at", "2026-01-05T13:30")
    page.fill("#closes_at", "2026-01-06T17:30")
    page.check(f"input[name=proctors][value='{proctor.id}']")
    check("windows")
    page.get_by_role("button", name="Create the window").click()
    page.wait_for_url("**/admin/windows/*")
    assert proctor.email in page.inner_text("#proctors")
    check("window")
    window = session.scalar(select(Window).where(Window.cohort_id == cohort.id))

    # an account, its password shown once
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Accounts").click()
    page.fill("#email", "new.author@example.gov.in")
    page.fill("#name", "New Author")
    page.select_option("#role", "author")
    check("accounts")
    page.get_by_role("button", name="Create the account").click()
    assert len(page.inner_text("#secret")) >= 16
    check("account created")

    # the candidate sits it, in another browser
    sitting = browser.new_context(locale="en-IN", viewport=viewport).new_page()
    sitting.set_default_timeout(20000)
    check_in_and_start(sitting, live_server, candidate, window)
    assert sitting.locator("header.site a").count() == 0  # the header leads nowhere else
    for position in range(5):
        answer(sitting)
        wait_saved(sitting)
        if position == 1:  # the language switch comes back to the same question of the sitting
            for lang, word in (("hi", "प्रश्न 2"), ("en", "Question 2")):
                sitting.select_option("#lang-select", lang)
                sitting.click("form.lang button[type=submit]")
                sitting.wait_for_selector("#sitting[data-state=question]")
                assert "/sit" in sitting.url and word in sitting.inner_text("#question-heading")
        if position < 4:
            sitting.get_by_role("button", name="Next").click()
    submit(sitting)
    assert sitting.locator("#decision").get_attribute("data-decision") == "certify"
    assert "is issued" in sitting.inner_text("#certificate-issued")
    sitting.context.close()

    # the administrator revokes the certificate and verifies the audit chain
    issued = session.scalar(select(Certificate).where(Certificate.user_id == candidate.id))
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Certificates").click()
    check("certificates")
    page.get_by_role("link", name=issued.serial).click()
    page.fill("#reason", "Walk-through: revoked to show the revocation works")
    check("certificate")
    page.get_by_role("button", name="Revoke the certificate").click()
    page.wait_for_selector("#certificate-state")
    assert page.inner_text("#certificate-state").startswith("revoked")
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Audit chain").click()
    page.get_by_role("button", name="Check the chain now").click()
    assert page.locator("#chain-result").get_attribute("data-ok") == "true"
    check("audit")
    session.expire_all()
    assert session.get(Certificate, issued.id).revoked_at is not None
    context.close()
    assert check.problems == []
