"""In Chromium: an author writes an item of every type through the pages and submits it;
a different reviewer approves each; the author cannot approve their own."""
from __future__ import annotations

import pytest

from piaa.items import services
from tests.conftest import browser_login

pytestmark = pytest.mark.browser

# What the author types for each type: option texts, then the type's own answer fields.
TYPED = {
    "single_choice": {"options": ["Assistant", "Section Officer", "Clerk"], "check": ["#option-1-key"]},
    "multiple_response": {"options": ["Diary number", "File number", "Colour"],
                          "check": ["#option-0-key", "#option-1-key"]},
    "true_false": {"check": ["#key_bool-1"]},
    "text_entry": {"fill": {"#accepted-0-value": "Section Officer", "#accepted-0-credit": "1"}},
    "numeric_entry": {"fill": {"#key_number": "30", "#tolerance": "0"}},
    "ordering": {"options": ["Receive", "Diarise", "Note", "Submit", "File"]},
    "situational_judgement": {"options": ["Listen", "Refer", "Leave"], "competency": "BH-EMPATHY",
                              "fill": {"#option-0-credit": "2", "#option-1-credit": "1", "#option-2-credit": "0"}},
    "likert": {"options": ["Never", "Often"], "competency": "BH-EMPATHY",
               "fill": {"#option-0-credit": "0", "#option-1-credit": "1"}},
}


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def test_author_writes_every_type_and_another_reviewer_approves(live_server, page, session, bank,
                                                                author, reviewer):
    browser_login(page, live_server, author)
    for number, (item_type, typed) in enumerate(TYPED.items(), start=1):
        page.goto(f"{live_server}/banks/{bank.id}/items/new/{item_type}")
        page.get_by_label("Item id").fill(f"B-{number}")
        page.get_by_label("Competency").select_option(typed.get("competency", "FN-NOTING"))
        page.get_by_label("Target proficiency level").select_option("2")
        page.get_by_label("Question (English)").fill(f"Question {number} for {item_type}?")
        if "competency" not in typed:  # behavioural items here are English only
            page.get_by_label("Question (Hindi)").fill(f"प्रश्न {number}?")
        for i, text in enumerate(typed.get("options", [])):
            if page.locator(f"#option-{i}-en").count() == 0:  # the fifth step needs another row
                page.get_by_role("button", name="Add an option").click()
            page.locator(f"#option-{i}-en").fill(text)
            if "competency" not in typed:
                page.locator(f"#option-{i}-hi").fill(f"{text} (हि)")
        for selector, value in typed.get("fill", {}).items():
            page.locator(selector).fill(value)
        for selector in typed.get("check", []):
            page.locator(selector).check()
        page.get_by_label("Rationale for reviewers (English)").fill("Per the manual.")
        page.get_by_role("button", name="Save").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text().startswith(f"B-{number}"), page.content()[:2000]
        page.get_by_role("button", name="Submit for review").click()
        page.wait_for_load_state()
        assert "sent for review" in page.get_by_role("status").inner_text()
        # the author has no way to decide on it, and the server refuses if asked directly
        assert page.locator("form.review-form").count() == 0
        status = page.evaluate("""async (url) => {
            const token = document.querySelector('meta[name=csrf-token]').content;
            const body = new URLSearchParams({decision: 'approve', csrf_token: token});
            return (await fetch(url, {method: 'POST', body})).status; }""", page.url + "/review")
        assert status == 403

    _sign_out(page)
    browser_login(page, live_server, reviewer)
    for _ in TYPED:
        page.goto(f"{live_server}/review")
        page.locator("table a").first.click()
        page.get_by_label("Approve").check()
        page.get_by_label("Comments (required when returning)").fill("Clear and keyed right.")
        page.get_by_role("button", name="Record decision").click()
        page.wait_for_load_state()
        assert "approved" in page.get_by_role("status").inner_text()
    page.goto(f"{live_server}/review")
    assert "Nothing waits for your review" in page.content()
    session.expire_all()
    states = {i.code: i.state for i in services.search_items(session, bank).items}
    assert states == {f"B-{n}": "approved" for n in range(1, len(TYPED) + 1)}
    ordering = services.find_item(session, bank, "B-6")
    assert ordering.current.content["key"] == ["A", "B", "C", "D", "E"]


def test_admin_author_cannot_approve_own_item_in_the_browser(live_server, page, session, bank, make_user):
    from tests.items.samples import ITEMS

    admin = make_user(role="admin")
    own = services.create_item_from_bank_json(session, bank, ITEMS["true_false"], actor=admin)
    services.submit_item(session, own, actor=admin)
    session.commit()
    browser_login(page, live_server, admin)
    page.goto(f"{live_server}/items/{own.id}")
    assert "another reviewer must decide" in page.content()
    assert page.locator("form.review-form").count() == 0


def test_pages_fit_a_360_px_phone(live_server, page, session, bank, author):
    from tests.items.samples import ITEMS

    created = services.create_item_from_bank_json(session, bank, ITEMS["ordering"], actor=author)
    session.commit()
    page.set_viewport_size({"width": 360, "height": 740})
    browser_login(page, live_server, author)
    for path in (f"/banks/{bank.id}", f"/banks/{bank.id}/items", f"/banks/{bank.id}/items/new/single_choice",
                 f"/items/{created.id}", f"/items/{created.id}/edit", f"/items/{created.id}/preview?lang=hi",
                 "/competencies"):
        page.goto(live_server + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than the screen"
    # the preview works from the keyboard: tab to the first position box and choose
    page.goto(f"{live_server}/items/{created.id}/preview?lang=hi")
    assert page.locator(".candidate-item").get_attribute("lang") == "hi"
    page.get_by_label(ITEMS["ordering"]["options"][0]["text"]["hi"]).select_option("2")
