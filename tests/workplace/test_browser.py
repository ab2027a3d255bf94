"""A workplace round in Chromium: the official opens it from their profile and nominates three
raters; each invitation is e-mailed (the outbox here), never shown on the page; a rater with no
account opens the link in another browser, rates once, and can make a rater account; the two
peers' ratings are not shown."""
from __future__ import annotations

import pytest

from tests.conftest import TEST_PASSWORD, browser_login
from tests.delivery.test_browser import serious_violations
from tests.workplace.test_invitations import outbox_links

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def test_a_round_from_the_profile_to_the_raters_links(live_server, browser, page, app, session, official, dictionary):
    browser_login(page, live_server, official)
    page.goto(f"{live_server}/workplace/me")
    page.get_by_role("button", name="Open a workplace assessment").click()
    page.wait_for_load_state()
    for relation, email in [("supervisor", "boss@example.gov.in"), ("peer", "p1@example.gov.in"),
                            ("peer", "p2@example.gov.in")]:
        page.get_by_label("Relation").select_option(relation)
        page.get_by_label("Name").fill(email.split("@")[0].title())
        page.get_by_label("E-mail").fill(email)
        page.get_by_role("button", name="Nominate a rater").click()
        page.wait_for_load_state()
        assert f"Invitation sent to {email}" in page.get_by_role("status").first.inner_text()
    assert "/workplace/rate/" not in page.content()
    assert len(page.locator("#raters tbody tr").all()) == 3
    assert serious_violations(page) == []
    round_url = page.url

    links = outbox_links(app)
    noting, rti = dictionary["FN-NOTING"].id, dictionary["DM-RTI"].id
    context = browser.new_context(locale="en-IN", viewport={"width": 360, "height": 740})
    rater = context.new_page()
    for email, (a, b) in [("boss@example.gov.in", ("3", "2")), ("p1@example.gov.in", ("5", "5")),
                          ("p2@example.gov.in", ("1", "not_observed"))]:
        rater.goto(live_server + links[email])
        rater.locator(f"input[name=competency-{noting}][value='{a}']").check()
        rater.locator(f"input[name=competency-{rti}][value='{b}']").check()
        rater.get_by_role("button", name="Submit ratings").click()
        rater.wait_for_load_state()
        assert rater.locator("#recorded").is_visible() and rater.locator("#ratings").count() == 0
        assert rater.evaluate("document.documentElement.scrollWidth") <= 360
    assert serious_violations(rater) == []
    # the last rater makes an account from the invitation and finds the request there
    rater.locator("#account summary").click()
    rater.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    rater.get_by_label("Password again").fill(TEST_PASSWORD)
    rater.get_by_role("button", name="Make the account").click()
    rater.wait_for_load_state()
    assert rater.url.endswith("/workplace/requests") and "Asha Official" in rater.locator("#requests").inner_text()
    context.close()

    page.goto(round_url)
    row = page.locator("#summary tbody tr", has=page.locator("th", has_text="FN-NOTING"))
    # supervisor, peers, reports, self, the rating shown, agreement: the two peers (5 and 1) nowhere
    assert [c.strip() for c in row.locator("td").all_inner_texts()] == [
        "3", "shown for at least three raters", "—", "—", "3.0 (n=1)", "—"]
