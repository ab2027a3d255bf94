"""Items on a picture, pairings, a slider and a composite's inline drop-down sat in Debian's Chromium on a 360 px phone with the
keyboard alone: every control is reached with Tab and set with the keys, axe finds no serious
accessibility fault, nothing runs wider than the screen, and each saved answer is scored full
marks by the server.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from piaa.delivery.models import AttemptItem
from piaa.items import services as items
from piaa.items.importers import qti
from piaa.items.media import store_media
from piaa.items.models import OPERATIONAL
from tests.delivery.test_browser import PHONE, heading, serious_violations, the_attempt
from tests.delivery.test_browser_phone import app_config, focused_id, keyboard_start, keyboard_submit, phone, tab_to  # noqa: F401 - fixtures
from tests.items.test_import_formats import QTI_FIXTURES

pytestmark = pytest.mark.browser

FILES = ("v3_graphic_order.xml", "v3_graphic_gap_match.xml", "v3_graphic_associate.xml", "v3_associate.xml",
         "v3_select_point.xml", "v3_slider.xml")


@pytest.fixture
def picture_items(session, bank):
    for name in FILES:
        parsed, problems = qti.read_qti_path(QTI_FIXTURES / "rich" / name)
        assert problems == [] and parsed.unsupported == []
        (item,) = parsed.items
        items.create_item_from_bank_json(session, bank, {**item, "competency": "FN-NOTING", "level": 3,
                                                         "sub_area": "pictures"}, state=OPERATIONAL)
        store_media(session, parsed.media)
    session.commit()


def pick(page, selector: str, steps: int) -> None:
    """Tab to a closed select and move its choice down ``steps`` options with the arrow key."""
    tab_to(page, selector)
    for _ in range(steps):
        page.keyboard.press("ArrowDown")


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


# The right answer of each item, by the keys alone. Option 0 of every select is "—".
def answer_graphic_order(page) -> None:
    # areas A, B, C in that order; the key is C, A, B: A second, B third, C first
    for area, position in enumerate((2, 3, 1)):
        pick(page, f"#item select#{page_uid(page)}-pos-{area}", position)


def answer_graphic_gap_match(page) -> None:
    # rows are the areas G1, G2, G3; the labels REG, CASH, SEAL, LIB: G1 REG, G2 CASH, G3 SEAL
    for row, source in enumerate((1, 2, 3)):
        pick(page, f"#item select#{page_uid(page)}-m-{row}", source)


def pairs(page, chosen: list[tuple[int, int]]) -> None:
    for row, (first, second) in enumerate(chosen):
        pick(page, f"#item select#{page_uid(page)}-pair-{row}-0", first)
        pick(page, f"#item select#{page_uid(page)}-pair-{row}-1", second)


def answer_select_point(page) -> None:
    uid = page_uid(page)
    for n, (x, y) in enumerate(((50, 50), (150, 50))):  # the circle (1) and the rectangle (0.5)
        type_into(page, f"#{uid}-x-{n}", str(x))
        type_into(page, f"#{uid}-y-{n}", str(y))
    page.keyboard.press("Tab")  # leaving the box commits the number


def answer_slider(page) -> None:
    tab_to(page, f"#{page_uid(page)}-slider")
    page.keyboard.press("Home")
    for _ in range(8):  # 0 + 8 steps of 2
        page.keyboard.press("ArrowRight")
    assert page.locator(f"#{page_uid(page)}-value").inner_text() == "16"


def page_uid(page) -> str:
    return page.evaluate("document.querySelector('#item .stem').id.replace(/-stem$/, '')")


def kind_shown(page) -> str:
    return page.evaluate("""() => {
        const item = document.getElementById('item');
        if (item.querySelector('.graphic > .ordering')) return 'graphic_order';
        if (item.querySelector('.graphic > .matching')) return 'graphic_gap_match';
        if (item.querySelector('.graphic > .pairs')) return 'graphic_associate';
        if (item.querySelector('.pairs')) return 'associate';
        if (item.querySelector('.select-point')) return 'select_point';
        if (item.querySelector('.slider')) return 'slider';
        return 'other';
    }""")


ANSWERS = {
    "graphic_order": answer_graphic_order,
    "graphic_gap_match": answer_graphic_gap_match,
    # choices A, B, C, D: B-C and C-D
    "graphic_associate": lambda page: pairs(page, [(2, 3), (3, 4)]),
    # choices A, C, D, L, M, P: A-P, C-M, D-L
    "associate": lambda page: pairs(page, [(1, 6), (2, 5), (3, 4)]),
    "select_point": answer_select_point,
    "slider": answer_slider,
}


def test_each_new_item_type_is_sat_by_keyboard_on_a_phone_and_scored_full_marks(
        live_server, phone, session, candidate, picture_items, make_assessment, make_window):
    window = make_window(make_assessment(mode="fixed", n_forms=1, navigation="linear", purpose="pre_course",
                                         blueprint={"cells": [{"level": 3, "sub_area": "pictures", "count": 6}],
                                                    "tolerance": 0}))
    page = phone
    keyboard_start(page, live_server, candidate, window)
    seen = []
    for n in range(1, 7):
        assert heading(page) == f"Question {n} of 6"
        kind = kind_shown(page)
        seen.append(kind)
        page.wait_for_function("() => [...document.querySelectorAll('#item img')].every(i => i.complete)")
        ANSWERS[kind](page)
        assert serious_violations(page) == [], kind  # axe: every control named, nothing unreadable
        # nothing on the question runs wider than the phone
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], kind
        tab_to(page, "#next-button", limit=60)
        page.keyboard.press("Enter")
        if n < 6:
            page.wait_for_function("h => document.getElementById('question-heading').textContent === h",
                                   arg=f"Question {n + 1} of 6")
            assert focused_id(page) == "question-heading"
    assert sorted(seen) == sorted(ANSWERS)
    page.wait_for_selector("#sitting[data-state=done]")
    keyboard_submit(page)
    attempt = the_attempt(session, candidate)
    assert attempt.state == "scored"
    rows = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)).all()
    assert len(rows) == 6
    assert all(row.credit == pytest.approx(1.0) for row in rows), [(row.answer, row.credit) for row in rows]


def test_an_inline_choice_part_is_a_drop_down_in_the_sentence_chosen_by_keyboard(
        live_server, phone, session, bank, candidate, make_assessment, make_window):
    from tests.delivery.test_composite import COMPOSITE

    items.create_item_from_bank_json(session, bank, {**COMPOSITE, "sub_area": "pictures"}, state=OPERATIONAL)
    session.commit()
    window = make_window(make_assessment(mode="fixed", n_forms=1, navigation="linear", purpose="pre_course",
                                         blueprint={"cells": [{"level": 3, "sub_area": "pictures", "count": 1}],
                                                    "tolerance": 0}))
    page = phone
    keyboard_start(page, live_server, candidate, window)
    uid = page_uid(page)
    # the drop-down stands where "____ (1)" stood, inside the sentence; no radio list anywhere
    sentence = page.locator(f"#{uid}-stem p").first
    assert sentence.locator("select").count() == 1 and "____ (1)" not in sentence.inner_text()
    assert page.locator("#item input[type=radio]").count() == 0
    assert page.locator(f"#{uid}-p0-inline").get_attribute("aria-label") == "Part 1"
    pick(page, f"#{uid}-p0-inline", 1)  # "section diary", the key
    type_into(page, f"#{uid}-p1-entry", "dealing hand")
    assert serious_violations(page) == []
    tab_to(page, "#next-button", limit=60)
    page.keyboard.press("Enter")
    page.wait_for_selector("#sitting[data-state=done]")
    keyboard_submit(page)
    attempt = the_attempt(session, candidate)
    (row,) = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)).all()
    assert row.answer == {"R1": "D", "R2": "dealing hand"} and row.credit == pytest.approx(1.0)


def test_a_file_and_a_drawing_are_given_as_answers_on_a_phone_and_wait_for_the_raters(
        live_server, phone, session, bank, candidate, make_assessment, make_window, tmp_path):
    from piaa.delivery import states
    from tests.delivery.test_uploads import PNG, UPLOAD

    drawing = {**UPLOAD, "id": "DR-001", "type": "drawing", "stem": {"en": "Draw the way out of the record room."},
               "accept": ["image/png"], "max_bytes": 500_000}
    for item in (UPLOAD, drawing):
        items.create_item_from_bank_json(session, bank, {**item, "sub_area": "pictures"}, state=OPERATIONAL)
    session.commit()
    window = make_window(make_assessment(mode="fixed", n_forms=1, navigation="linear", purpose="pre_course",
                                         blueprint={"cells": [{"level": 3, "sub_area": "pictures", "count": 2}],
                                                    "tolerance": 0}))
    scan = tmp_path / "scan.png"
    scan.write_bytes(PNG)
    page = phone
    keyboard_start(page, live_server, candidate, window)
    for n in (1, 2):
        uid = page_uid(page)
        if page.locator("#item .drawing").count():
            canvas = page.locator("#item canvas").bounding_box()
            page.mouse.move(canvas["x"] + 10, canvas["y"] + 10)
            page.mouse.down()
            page.mouse.move(canvas["x"] + 120, canvas["y"] + 60, steps=8)
            page.mouse.up()
            tab_to(page, "#item .drawing-actions button:first-child")  # Save the drawing, by keyboard
            page.keyboard.press("Enter")
            page.wait_for_function("id => document.getElementById(id).textContent === 'Your answer: drawing.png'",
                                   arg=f"{uid}-file-state")
        else:
            page.locator(f"#{uid}-file").set_input_files(str(scan))
            page.wait_for_function("id => document.getElementById(id).textContent === 'Your answer: scan.png'",
                                   arg=f"{uid}-file-state")
        assert serious_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        tab_to(page, "#next-button", limit=60)
        page.keyboard.press("Enter")
        if n == 1:
            page.wait_for_function("() => document.getElementById('question-heading').textContent === 'Question 2 of 2'")
    page.wait_for_selector("#sitting[data-state=done]")
    keyboard_submit(page)
    attempt = the_attempt(session, candidate)
    assert attempt.state == states.AWAITING_RATINGS
    answers = sorted(row.answer["name"] for row in
                     session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)))
    assert answers == ["drawing.png", "scan.png"]
