"""In Chromium, by keyboard, on a 360 px phone and on a desktop: an author writes a matching, a
hotspot and a composite item, sends each for review, and a reviewer sees each of them (its
lists and pairs, its picture and areas, its parts) and previews it as the candidate will."""
from __future__ import annotations

import pytest
from PIL import Image

from tests.conftest import browser_login
from tests.delivery.test_browser import serious_violations

pytestmark = pytest.mark.browser


def keys(page, selector: str, text: str) -> None:
    """Type into a box as a person does: focus it, clear it, type."""
    page.locator(selector).focus()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    if text:
        page.keyboard.type(text)


def tick(page, selector: str) -> None:
    page.locator(selector).focus()
    page.keyboard.press("Space")
    assert page.locator(selector).is_checked()


def press(page, name: str) -> None:
    """Enter on a button that sends its form; returns once the next page has loaded."""
    page.get_by_role("button", name=name, exact=True).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def fits(page, width: int) -> None:
    """Nothing wider than the screen, and axe-core finds nothing serious or critical."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url
    assert serious_violations(page) == [], page.url


def common(page, code: str, question: str, question_hi: str) -> None:
    keys(page, "#code", code)
    keys(page, "#stem_en", question)
    keys(page, "#stem_hi", question_hi)
    keys(page, "#rationale_en", "As the Manual of Office Procedure has it.")


def save_and_submit(page, code: str) -> None:
    press(page, "Save")
    assert page.locator("h1").inner_text().startswith(code), page.locator("#problems").all_inner_texts()
    press(page, "Submit for review")
    assert "sent for review" in page.get_by_role("status").inner_text()


def picture(tmp_path) -> str:
    path = tmp_path / "office-plan.png"
    image = Image.new("RGB", (400, 300), (235, 240, 245))
    image.paste((120, 160, 200), (10, 20, 110, 120))
    image.save(path, format="PNG")
    return str(path)


@pytest.mark.parametrize("width", [360, 1280])
def test_an_author_writes_matching_hotspot_and_composite_items_by_keyboard_and_a_reviewer_sees_them(
        live_server, page, session, bank, author, reviewer, tmp_path, width):
    page.set_viewport_size({"width": width, "height": 740 if width == 360 else 900})
    browser_login(page, live_server, author)

    # Matching: two lists, the right pairs ticked.
    page.goto(f"{live_server}/banks/{bank.id}/items/new/matching")
    fits(page, width)
    common(page, f"M-{width}", "Match each task with what it is.", "हर कार्य को उसके अर्थ से मिलाएँ।")
    for i, (en, hi) in enumerate([("Noting", "टिप्पणी"), ("Drafting", "प्रारूपण")]):
        keys(page, f"#source-{i}-en", en)
        keys(page, f"#source-{i}-hi", hi)
    for i, (en, hi) in enumerate([("Writing on a file", "फ़ाइल पर लिखना"), ("Preparing a letter", "पत्र तैयार करना"),
                                  ("Filing", "फ़ाइल करना")]):
        keys(page, f"#target-{i}-en", en)
        keys(page, f"#target-{i}-hi", hi)
    # the pair boxes name the items as they were typed
    assert "Preparing a letter" in page.locator("label[for=pair-1-1]").inner_text()
    # and pairs are offered only between written items: three right items, two left ones
    assert page.locator("#pair-0-2").is_visible() and not page.locator("#pair-0-3").is_visible()
    assert not page.locator("#pair-2-0").is_visible()
    press(page, "Save")  # no pair ticked yet: said beside the pairs, what was typed kept
    assert "Tick the right pairs" in page.locator("#pairs-error").inner_text()
    assert page.locator("#target-1-en").input_value() == "Preparing a letter"
    fits(page, width)
    tick(page, "#pair-0-0")
    tick(page, "#pair-1-1")
    save_and_submit(page, f"M-{width}")

    # Hotspot: the picture first, then the areas on it.
    page.goto(f"{live_server}/banks/{bank.id}/items/new/hotspot")
    common(page, f"H-{width}", "Where are old files kept?", "पुरानी फ़ाइलें कहाँ रखी जाती हैं?")
    page.locator("#picture").set_input_files(picture(tmp_path))
    press(page, "Upload the picture")
    assert page.locator("#hotspot-picture").is_visible()
    assert page.locator("#code").input_value() == f"H-{width}"  # typed before the upload, kept
    fits(page, width)
    keys(page, "#image_alt_en", "A floor plan of the section: record room, reception and store")
    keys(page, "#image_alt_hi", "अनुभाग का नक्शा: अभिलेख कक्ष, स्वागत कक्ष और भंडार")
    keys(page, "#area-0-coords", "10, 20, 110, 120")
    keys(page, "#area-0-label-en", "Record room")
    tick(page, "#area-0-key")
    page.locator("#area-1-shape").focus()
    page.keyboard.type("Circle")
    assert page.locator("#area-1-shape").input_value() == "circle"
    keys(page, "#area-1-coords", "300, 150")  # a circle needs its radius too
    keys(page, "#area-1-label-en", "Reception")
    press(page, "Save")
    assert "A circle takes three numbers" in page.locator("#area-1-coords-error").inner_text()
    assert page.locator("#area-1-coords").get_attribute("aria-invalid") == "true"
    keys(page, "#area-1-coords", "300, 150, 40")
    # the areas are drawn on the picture, the right one marked
    assert page.locator(".hotspot-overlay rect.area-shape.right").count() == 1
    assert page.locator(".hotspot-overlay circle.area-shape").count() == 1
    if width > 360:  # a click on the picture adds a corner to the area being edited
        page.locator("#area-2-shape").select_option("poly")
        page.locator("#area-2-coords").focus()
        overlay = page.locator(".hotspot-overlay")
        box = overlay.bounding_box()
        for x, y in ((200, 10), (260, 10), (230, 60)):
            overlay.click(position={"x": x * box["width"] / 400, "y": y * box["height"] / 300})
        corners = [int(n) for n in page.locator("#area-2-coords").input_value().split(", ")]
        assert len(corners) == 6 and abs(corners[0] - 200) <= 2 and abs(corners[5] - 60) <= 2
        keys(page, "#area-2-label-en", "Store")
    save_and_submit(page, f"H-{width}")

    # Composite: a choice and a number, each with its own key and points.
    page.goto(f"{live_server}/banks/{bank.id}/items/new/composite")
    common(page, f"C-{width}", "Who signs the note ____ (a), and within how many days ____ (b)?",
           "टिप्पणी पर कौन हस्ताक्षर करता है ____ (a), और कितने दिनों में ____ (b)?")
    keys(page, "#part-0-label", "a")
    keys(page, "#part-0-points", "2")
    for i, (en, hi) in enumerate([("Section Officer", "अनुभाग अधिकारी"), ("Clerk", "लिपिक")]):
        keys(page, f"#part-0-option-{i}-en", en)
        keys(page, f"#part-0-option-{i}-hi", hi)
    tick(page, "#part-0-option-0-key")
    keys(page, "#part-1-label", "b")
    page.locator("#part-1-type").focus()
    page.keyboard.type("Numeric")
    assert page.locator("#part-1-type").input_value() == "numeric_entry"
    assert page.locator("#part-1-key_number").is_visible() and not page.locator("#part-1-option-0-en").is_visible()
    keys(page, "#part-1-key_number", "7")
    keys(page, "#part-1-unit", "days")
    fits(page, width)
    save_and_submit(page, f"C-{width}")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    browser_login(page, live_server, reviewer)
    page.goto(f"{live_server}/review")
    for code, shown in ((f"M-{width}", "#right-pairs"), (f"H-{width}", "#areas-list"), (f"C-{width}", "#parts-list")):
        page.get_by_role("link", name=code).first.focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        fits(page, width)
        text = page.locator(shown).inner_text()
        assert {"M": "Noting → Writing on a file", "H": "Record room", "C": "Part b"}[code[0]] in text, text
        page.get_by_role("link", name="Preview (English)").click()
        page.wait_for_load_state()
        fits(page, width)
        frame = page.locator(".candidate-frame")
        if code.startswith("M"):
            assert frame.locator("select").count() == 2 and "Preparing a letter" in frame.inner_text()
        elif code.startswith("H"):
            assert frame.locator("img").is_visible() and frame.locator(".hotspot-area").count() >= 2
        else:
            assert frame.locator(".composite-part").count() == 2 and "Section Officer" in frame.inner_text()
        page.goto(f"{live_server}/review")


def test_the_new_forms_and_item_pages_are_in_hindi_and_fit_a_phone(live_server, page, session, bank, author):
    from piaa.items import services
    from tests.items.test_structured_forms import IMPORTED
    from tests.test_every_page import VISIBLE_TEXTS, untranslated

    items = [services.create_item_from_bank_json(session, bank, data, actor=author) for data in IMPORTED.values()]
    session.commit()
    page.set_viewport_size({"width": 360, "height": 740})
    browser_login(page, live_server, author)
    page.select_option("#lang-select", "hi")
    page.click("form.lang button[type=submit]")
    page.wait_for_load_state()
    paths = [f"/banks/{bank.id}/items/new/{kind}" for kind in ("matching", "hotspot", "composite")]
    paths += [f"/items/{item.id}{end}" for item in items for end in ("", "/edit")]
    for path in paths:
        page.goto(live_server + path)
        assert page.locator("html").get_attribute("lang") == "hi"
        english = untranslated(page.evaluate(VISIBLE_TEXTS)["texts"], {"Author", *bank.name.split()})  # names
        assert english == [], (path, english)
        fits(page, 360)
