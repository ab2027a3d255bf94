"""In Chromium: the psychometrician sets an assessment's cut scores by bookmark, over two
rounds, and applies them; the pages pass axe at 360 px."""
from __future__ import annotations

import pytest

from piaa.delivery.parameters import record_parameter_set
from tests.conftest import browser_login
from tests.delivery.test_browser import PHONE, serious_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def place_bookmarks(page, panellist_id: int, pages: list[int]) -> None:
    form = page.locator(f"#panellist-{panellist_id}")
    for level, number in zip(range(1, 6), pages):
        form.locator(f"input[name=level-{level}]").fill(str(number))
    form.get_by_role("button", name="Save").click()
    page.wait_for_load_state()


def test_the_psychometrician_sets_cuts_by_bookmark(live_server, page, session, make_user, competency, operational,
                                                   make_assessment):
    record_parameter_set(session, competency, "2pl",
                         {item.id: [1.0, (item.level - 3) * 0.8 + 0.01 * k, 0.0, 1.0]
                          for k, item in enumerate(operational)})
    session.commit()
    assessment = make_assessment("loft", certifying_level=3)
    browser_login(page, live_server, make_user(role="psychometrician"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Standard setting").click()
    page.select_option("#assessment_id", str(assessment.id))
    page.get_by_label("Bookmark (θ cut scores)").check()
    page.fill("#rp", "0.67")
    page.fill("#panellists", "Asha Verma\nRavi Kumar")
    page.get_by_role("button", name="Start").click()
    page.wait_for_selector("#booklet")
    assert page.locator("#booklet tbody tr").count() == 40
    panellists = [int(f.get_attribute("id").split("-")[1]) for f in page.locator("form.panellist").all()]

    place_bookmarks(page, panellists[0], [5, 12, 20, 28, 36])
    place_bookmarks(page, panellists[1], [9, 16, 22, 30, 38])
    assert page.locator("#panel-cuts tbody tr").count() == 5
    page.get_by_role("button", name="Open the next round").click()
    page.wait_for_load_state()
    assert page.locator("#round").inner_text() == "2"
    place_bookmarks(page, panellists[0], [7, 14, 21, 29, 37])
    place_bookmarks(page, panellists[1], [7, 14, 21, 29, 37])  # the panel converged
    spread = page.locator("#cut-3 td").nth(1).inner_text()
    assert spread == "0.00"
    page.fill("#note", "Round 2 of the noting panel")
    page.get_by_role("button", name="Apply these cut scores").click()
    page.wait_for_load_state()
    assert page.locator("#status").inner_text() == "Applied"

    session.expire_all()
    assert assessment.theta_cuts_standard_setting_id is not None
    assert page.locator("#applied-cuts").inner_text() == ", ".join(map(str, assessment.cut_scores))

    page.set_viewport_size(PHONE)
    page.reload()
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
