"""In Chromium: the psychometrician calibrates the service's own responses with the active set
as anchors, reads item fit and DIF, activates the new set and promotes a pretest item; the
results page passes axe-core at phone width."""
from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from piaa.audit import AuditEvent
from piaa.delivery.parameters import active_parameter_set
from tests.calibration.conftest import bank_truth, true_params_for
from tests.conftest import browser_login
from tests.delivery.test_browser import PHONE, serious_violations

pytestmark = pytest.mark.browser


def test_psychometrician_calibrates_reads_fit_and_dif_activates_and_promotes(
        live_server, page, session, competency, operational, pretest, full_form_window, make_history,
        psychometrician):
    truth = true_params_for(session, competency)
    bank_truth(session, competency, operational, truth)
    dif_item = operational[7]
    make_history(full_form_window, 900, truth, theta=np.random.default_rng(4).normal(0.2, 1.0, 900),
                 dif={dif_item.id: ("gender", "female", 1.3)})

    browser_login(page, live_server, psychometrician)
    page.get_by_role("link", name="Calibration").first.click()
    page.get_by_role("link", name=re.compile(r"Start a calibration\W+FN-NOTING")).click()
    page.get_by_label("Model").select_option("2pl")
    page.get_by_label("Fixed anchors (the active set's items keep their values)").check()
    page.get_by_label(f"{full_form_window.name} · {full_form_window.assessment.code}").check()
    page.get_by_role("button", name="Start").click()
    # The progress page refreshes itself until the job is done.
    page.wait_for_url("**/calibration/runs/*")
    expect(page.get_by_role("heading", name="Results: items")).to_be_visible(timeout=120_000)
    expect(page.get_by_role("status")).to_contain_text("Finished in")

    # Fit: every item has an S-X² p-value; DIF: the planted item is class C by gender.
    rows = page.locator("table").first.locator("tbody tr")
    expect(rows).to_have_count(46)
    dif_row = page.locator(f"#item-{dif_item.id}")
    expect(dif_row.locator("td").nth(8)).to_have_text("C")
    gender_table = page.locator("h3", has_text="gender:").locator("xpath=following-sibling::div[1]")
    expect(gender_table.get_by_role("row", name=dif_item.code)).to_contain_text("C")
    assert page.locator(f"#item-{operational[0].id} td").nth(7).inner_text() != "—"  # S-X² p shown

    # Phone width: the results page holds up for keyboard and screen-reader users.
    page.set_viewport_size(PHONE)
    assert serious_violations(page) == []

    # Keep the DIF item out of scoring, then activate the set.
    page.get_by_role("link", name=dif_item.code, exact=True).first.click()
    page.locator("#action-exclude").check()
    page.get_by_label("Reason").fill("C-class DIF by gender")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".flash.success")).to_contain_text(f"exclude of item {dif_item.code}")
    page.get_by_role("link", name="Calibration run").click()
    page.get_by_label("Reason").fill("Spring windows calibrated against the banked scale")
    page.get_by_role("button", name="Activate this parameter set").click()
    expect(page.locator(".flash.success")).to_contain_text("is active")

    # Promote a pretest item from its page.
    promoted = pretest[0]
    page.get_by_role("link", name=promoted.code, exact=True).first.click()
    expect(page.locator("img[alt^='Characteristic curve']")).to_be_visible()
    page.locator("#action-promote").check()
    page.get_by_label("Reason").fill("Fits the model, no DIF, 300 responses")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".flash.success")).to_contain_text(f"item {promoted.code}")
    expect(page.get_by_text("Now operational")).to_be_visible()

    session.expire_all()
    active = active_parameter_set(session, competency.id)
    assert dif_item.id not in {row.item_id for row in active.items}
    assert promoted.id in {row.item_id for row in active.items}
    assert session.get(type(promoted), promoted.id).state == "operational"
    actions = {e.action: e for e in session.scalars(select(AuditEvent).where(AuditEvent.action.like("calibration.%")))}
    assert actions["calibration.activated"].actor_id == psychometrician.id
    assert actions["calibration.promote"].data["reason"] == "Fits the model, no DIF, 300 responses"
