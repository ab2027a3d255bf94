"""The Centre of Excellence flow in Chromium, from the browser only: the MDO's staff search the
dictionary (the duplicate check shows the nearest competencies) and draft a new one, leadership
forwards it, the CoE reviewer returns it with comments, the staff revise and resubmit, leadership
forwards again, the reviewer consents and leadership approves. The reviewer is offered no control
to edit or approve and is refused (403) when posting either directly; an author can tag an item
to the new competency only once it is approved."""
from __future__ import annotations

import pytest

from tests.conftest import browser_login
from tests.delivery.test_browser import serious_violations
from tests.items.conftest import AGENCY, agency, bank  # noqa: F401  (an agency's bank for the author)

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config):
    # Real CSRF checks: every form of the walk carries its token, and the reviewer's direct
    # posts below carry one too, so the 403 is the role check and not a missing token.
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def author(make_user):
    return make_user(role="author", organisation=AGENCY)


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def _as(page, base, user):
    browser_login(page, base, user)
    page.goto(f"{base}/frac/competencies")
    page.get_by_role("link", name="BH-NEGOTIATE").click()
    page.wait_for_load_state()


def _move(page, label, comment=""):
    if comment:
        page.get_by_label("Comment").fill(comment)
    page.get_by_role("button", name=label).click()
    page.wait_for_load_state()


def _state(page) -> str:
    return page.locator("#state").inner_text()


def _buttons(page) -> list[str]:
    return [b.strip() for b in page.locator("#moves button").all_inner_texts()]


def _direct_post(page, path, **fields):
    """A POST the page does not offer, with the page's own CSRF token."""
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    return page.request.post(page.url.split("/frac/")[0] + path, form={"csrf_token": token, **fields}, max_redirects=0)


def _tag_choices(page, base, bank_id) -> list[str]:
    page.goto(f"{base}/banks/{bank_id}/items/new/single_choice")
    return page.locator("#competency option").evaluate_all("options => options.map(o => o.value)")


def test_the_coe_flow_in_the_browser(live_server, page, session, dictionary, staff, leader, reviewer,
                                     author, bank):
    base = live_server
    # MDO staff: the duplicate check first, then the draft with it on the same page
    browser_login(page, base, staff)
    page.goto(f"{base}/frac/competencies")
    page.get_by_role("link", name="Propose a competency").click()
    page.locator("#q-name").fill("Empathy with citizens")
    page.locator("#q-text").fill("Listens to citizens and understands their situation")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    nearest = page.locator("#similar tbody tr").all_inner_texts()
    assert nearest and nearest[0].startswith("BH-EMPATHY"), nearest
    assert len(nearest) == 3  # the whole small dictionary, nearest first
    assert serious_violations(page) == []
    page.locator("#code").fill("BH-NEGOTIATE")
    page.locator("#name").fill("Negotiation")
    page.locator("#type").select_option("behavioural")
    page.locator("#area").fill("Persuasion")
    page.locator("#description").fill("Reaches agreement with other departments")
    for n in range(1, 6):
        page.locator(f"#level{n}").fill(f"Negotiation: level {n} behaviour")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    assert _state(page) == "draft"
    proposal_url = page.url
    proposal_path = proposal_url[len(base):]
    _move(page, "Send for scrutiny")
    assert _state(page) == "mdo_scrutiny"
    _sign_out(page)

    # leadership forwards to the CoE
    _as(page, base, leader)
    assert _buttons(page) == ["Send back to draft", "Forward to the CoE"]
    _move(page, "Forward to the CoE")
    assert _state(page) == "coe_review"
    _sign_out(page)

    # the reviewer: may consent or return, is offered no edit, and is refused an edit posted directly
    _as(page, base, reviewer)
    assert _buttons(page) == ["Consent", "Return with comments"]
    assert page.locator("#edit").count() == 0
    assert serious_violations(page) == []
    edit = _direct_post(page, f"{proposal_path}/edit", code="BH-NEGOTIATE", name="Reviewer's own name",
                        type="behavioural", **{f"level{n}": "x" for n in range(1, 6)})
    assert edit.status == 403
    _move(page, "Return with comments", "Level 2 describes an outcome, not a behaviour.")
    assert _state(page) == "returned"
    assert "Level 2 describes an outcome, not a behaviour." in page.locator("#history").inner_text()
    _sign_out(page)

    # an author cannot tag an item to it yet: it is not in the dictionary
    browser_login(page, base, author)
    assert "BH-NEGOTIATE" not in _tag_choices(page, base, bank.id)
    _sign_out(page)

    # the staff revise and resubmit; leadership forwards again
    _as(page, base, staff)
    assert "Level 2 describes an outcome" in page.locator("#history").inner_text()
    page.locator("#edit summary").click()
    assert serious_violations(page) == []
    page.locator("#name").fill("Negotiation and consensus")
    page.locator("#level2").fill("Negotiation: proposes options both sides can accept")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("Negotiation and consensus")
    _move(page, "Resubmit")
    assert _state(page) == "mdo_scrutiny"
    _sign_out(page)
    _as(page, base, leader)
    _move(page, "Forward to the CoE")
    _sign_out(page)

    # the reviewer consents; no approve control, and a direct approve is refused
    _as(page, base, reviewer)
    assert "Revision 2" in page.inner_text("main")
    _move(page, "Consent")
    assert _state(page) == "consented"
    assert _buttons(page) == [] and page.locator("#edit").count() == 0
    approve = _direct_post(page, f"{proposal_path}/move", action="approve")
    assert approve.status == 403
    page.reload()
    assert _state(page) == "consented"
    _sign_out(page)

    # leadership approves: the competency joins the dictionary
    _as(page, base, leader)
    assert _buttons(page) == ["Approve"]
    _move(page, "Approve")
    assert _state(page) == "approved"
    history = [line.split(": ", 1)[1].split(" (")[0] for line in page.locator("#history li").all_inner_texts()]
    assert history == ["Send for scrutiny", "Forward to the CoE", "Return with comments", "Resubmit",
                       "Forward to the CoE", "Consent", "Approve"]
    _sign_out(page)

    # now the author can tag an item to it, through the item form
    browser_login(page, base, author)
    assert "BH-NEGOTIATE" in _tag_choices(page, base, bank.id)
    page.get_by_label("Item id").fill("NEG-1")
    page.get_by_label("Competency").select_option("BH-NEGOTIATE")
    page.get_by_label("Target proficiency level").select_option("2")
    page.get_by_label("Question (English)").fill("Two departments disagree on a draft. What do you do first?")
    page.get_by_label("Question (Hindi)").fill("दो विभाग एक मसौदे पर असहमत हैं। आप पहले क्या करते हैं?")
    for i, text in enumerate(["Hear both sides", "Escalate", "Wait"]):
        page.locator(f"#option-{i}-en").fill(text)
        page.locator(f"#option-{i}-hi").fill(f"{text} (हि)")
    page.locator("#option-0-key").check()
    page.get_by_label("Rationale for reviewers (English)").fill("Hearing both sides comes first.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("NEG-1"), page.content()[:2000]
    assert "BH-NEGOTIATE" in page.inner_text("main")


def test_the_gap_map_in_the_browser(live_server, page, session, mdo, make_user, dictionary, staff):
    """The heat map is an image the page's policy lets in, the table beside it names the courses
    with their effectiveness, the PDF comes down from the page, and nothing is wider than a phone."""
    from tests.frac.test_gaps import _small_mdo

    _small_mdo(session, mdo, make_user, dictionary)
    browser_login(page, live_server, staff)
    page.get_by_role("link", name="Gap map").first.click()
    page.wait_for_load_state()
    image = page.locator("#heat img")
    # loaded and drawn: 260 px of position labels, three 96 px competency columns, a 10 px margin
    assert image.evaluate("img => img.complete && img.naturalWidth === 558")
    rows = page.locator("#gap-table tbody tr").all_inner_texts()
    assert "6 (60%)" in rows[1] and "NOTE-101" in rows[1] and "+0.55" in rows[1] and "not yet measured" in rows[1]
    assert rows[2].split("\t")[:5] == ["SO", "BH-EMPATHY", "3", "2", "—"]
    assert serious_violations(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF").click()
    assert download.value.suggested_filename == "gap-map.pdf"
    assert download.value.path().read_bytes().startswith(b"%PDF")
    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
