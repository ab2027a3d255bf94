"""In Chromium: the analyst opens the effectiveness overview, filters to a provider, reads its
funnel plot on a desktop and at phone width (text alternative, table behind it, no sideways
scrolling), downloads the PDF and the providers CSV; axe-core finds no serious violation."""
from __future__ import annotations

import csv
import subprocess

import pytest
from playwright.sync_api import expect

from tests.conftest import browser_login
from tests.delivery.test_browser import PHONE, serious_violations

pytestmark = pytest.mark.browser


def test_analyst_filters_to_a_provider_reads_its_funnel_and_downloads(
        live_server, page, make_user, provider_results):
    analyst = make_user(role="analyst", organisation="Capacity Building Commission", kind="mdo")
    browser_login(page, live_server, analyst)
    page.goto(f"{live_server}/reports/")
    expect(page.get_by_role("heading", name="Course and provider effectiveness", level=1)).to_be_visible()
    expect(page.locator("#table-providers tbody tr")).to_have_count(4)
    assert serious_violations(page) == []

    page.get_by_label("Provider", exact=True).select_option("Institute of Noting")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**provider=Institute+of+Noting**")
    expect(page.get_by_text("Matched learners: 18")).to_be_visible()

    # The funnel plot: an image named by its caption, a reading in words, and the table behind it.
    funnel = page.locator("#funnel-0")
    plot = funnel.get_by_role("img", name="Funnel plot: FN-NOTING")
    expect(plot).to_be_visible()
    reading = funnel.locator(".reading")
    expect(reading).to_contain_text("Institute of Noting (18 learners) is marked")
    expect(reading).to_contain_text("above expected")
    funnel.get_by_role("link", name="Providers").click()
    providers = page.locator("#table-providers")
    expect(providers.locator("tbody tr")).to_have_count(1)
    row = providers.get_by_role("row", name="Institute of Noting")
    expect(row).to_contain_text("Above expected")
    assert plot.bounding_box()["width"] > 600

    page.set_viewport_size(PHONE)
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = page.locator("#funnel-0").get_by_role("img").bounding_box()
    assert 250 < box["width"] <= PHONE["width"] and box["x"] >= 0
    assert serious_violations(page) == []

    page.set_viewport_size({"width": 1280, "height": 900})
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(download.value.path()), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Institute of Noting" in text and "Funnel plot: FN-NOTING" in text
    assert "Drafting Academy" not in text  # the other providers only place it, unnamed

    with page.expect_download() as download:
        page.get_by_role("link", name="Providers (CSV)").click()
    assert download.value.suggested_filename == "providers.csv"
    with download.value.path().open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["provider"] for r in rows] == ["Institute of Noting"]
    assert rows[0]["n"] == "18" and rows[0]["tier"] == "above" and rows[0]["suppressed"] == "false"
    assert float(rows[0]["lower"]) > 0 and float(rows[0]["effect"]) > 0.3
