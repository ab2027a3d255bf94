"""The sitting in a real browser (Debian's Chromium) in few round trips and few bytes: what
the page asks of the server, counted request by request.

``benchmarks/slow_link.py`` times the same paths on an emulated slow link.
"""
from __future__ import annotations

import json

import pytest

from tests.delivery.test_browser import RIGHT, SMALL, answer, check_in_and_start, heading, stored_answers, the_attempt

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PIAA_SITTING_POLL_S": 1, "PIAA_SITTING_QUIET_POLL_S": 2, "WTF_CSRF_ENABLED": True}


class Calls:
    """The API requests the page makes: method, path after the attempt, body."""

    def __init__(self, page):
        self.seen: list[tuple[str, str, dict | None]] = []
        page.on("request", self.note)

    def note(self, request):
        if "/api/v1/attempts/" not in request.url:
            return
        path = request.url.split("/api/v1/attempts/", 1)[1].split("?")[0]
        path = path.split("/", 1)[1] if "/" in path else ""
        body = json.loads(request.post_data) if request.post_data else None
        self.seen.append((request.method, path, body))

    def without_beats(self) -> list[tuple[str, str, dict | None]]:
        return [c for c in self.seen if c[1] != "events" and c[:2] != ("GET", "")]

    def clear(self) -> None:
        self.seen.clear()


def test_a_linear_sitting_answers_and_moves_on_in_one_request_per_item(live_server, page, session, candidate,
                                                                      make_assessment, make_window):
    window = make_window(make_assessment("loft", blueprint=SMALL, navigation="linear"))
    check_in_and_start(page, live_server, candidate, window)
    calls = Calls(page)
    for n in range(1, 6):
        assert heading(page) == f"Question {n} of 5"
        answer(page)
        page.get_by_role("button", name="Next").click()  # at once: the answer goes with the move
        page.wait_for_function(f"""() => {{
            const s = document.getElementById('sitting').dataset.state;
            return s === 'done' || document.getElementById('question-heading').textContent === 'Question {n + 1} of 5';
        }}""")
    moves = calls.without_beats()
    assert [(method, path.split("/")[0], body.get("next")) for method, path, body in moves] == \
        [("PUT", "responses", True)] * 5, moves
    assert stored_answers(session, the_attempt(session, candidate).id) == {i: "B" for i in range(5)}


def test_answers_queued_during_a_dead_link_go_in_one_request_when_it_returns(
        live_server, page, session, candidate, make_assessment, make_window):
    from tests.delivery.test_browser import WRONG, wait_saved

    window = make_window(make_assessment("loft", blueprint=SMALL))
    check_in_and_start(page, live_server, candidate, window)
    attempt = the_attempt(session, candidate)
    calls = Calls(page)
    page.context.set_offline(True)
    for position, choice in ((0, WRONG), (2, RIGHT), (0, RIGHT), (4, RIGHT)):
        page.get_by_role("button", name=f"Question {position + 1}:").click()
        answer(page, choice)
    page.get_by_role("button", name="Flag for review").click()
    page.wait_for_selector("#save-state[data-state=queued]")
    calls.clear()
    page.context.set_offline(False)
    wait_saved(page)
    sent = [c for c in calls.without_beats() if c[0] != "GET"]
    assert sent[0][:2] == ("POST", "responses"), sent
    assert [(a["answer"], a["seq"]) for a in sent[0][2]["answers"]] == [("B", 2), ("B", 1), ("B", 1)]
    assert [c[1].rsplit("/", 1)[-1] for c in sent[1:]] == ["flag"]
    assert stored_answers(session, attempt.id) == {0: "B", 1: None, 2: "B", 3: None, 4: "B"}


def test_from_check_in_to_the_first_question_and_a_reload_ask_the_api_only_to_start(
        live_server, page, session, candidate, calibration, make_assessment, make_window):
    from tests.conftest import browser_login

    window = make_window(make_assessment("adaptive"))
    browser_login(page, live_server, candidate)
    page.locator(f"#window-{window.id} button[type=submit]").click()
    page.wait_for_url("**/check-in")
    page.check("#identity")
    page.check("#rules")
    page.wait_for_selector('#system-check li[data-check="server"].ok')
    calls = Calls(page)
    page.get_by_role("button", name="Check in").click()
    page.get_by_role("button", name="Start the assessment").click()
    page.wait_for_selector("#sitting[data-state=question]")
    assert [(m, p) for m, p, _ in calls.without_beats()] == [("POST", "start")]
    assert heading(page) == "Question 1"
    calls.clear()
    page.reload()
    page.wait_for_selector("#sitting[data-state=question]")
    assert heading(page) == "Question 1" and calls.without_beats() == []


def test_a_quiet_sitting_beats_with_bodiless_answers_and_signals_ride_along(live_server, page, session, candidate,
                                                                          make_assessment, make_window):
    window = make_window(make_assessment("loft", blueprint=SMALL))
    check_in_and_start(page, live_server, candidate, window)
    beats: list[tuple[str, int, int]] = []

    def note(response):
        request = response.request
        if request.url.rstrip("/").split("/api/v1/attempts/", 1)[-1].isdigit() or request.url.endswith("/events"):
            sizes = request.sizes()
            beats.append((request.method, response.status, sizes["requestHeadersSize"] + sizes["requestBodySize"]
                          + sizes["responseHeadersSize"] + sizes["responseBodySize"]))

    page.on("response", note)
    page.wait_for_timeout(4500)  # two quiet beats
    page.evaluate("window.dispatchEvent(new Event('blur'))")
    page.wait_for_timeout(2500)
    page.remove_listener("response", note)
    answered = [(method, status) for method, status, _ in beats]
    assert len(beats) >= 2 and set(answered) == {("GET", 304), ("POST", 204)}, beats
    assert all(size < (1200 if method == "GET" else 1600) for method, _, size in beats), beats
    from sqlalchemy import select

    from piaa.delivery.models import AttemptEvent

    attempt = the_attempt(session, candidate)
    assert "window_blur" in set(session.scalars(select(AttemptEvent.kind).where(AttemptEvent.attempt_id == attempt.id)))
