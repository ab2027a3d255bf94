"""A server crash loses no acknowledged answer.

The real service (gunicorn, as the production image runs it) serves the test's database in
a subprocess. A scripted candidate answers the items of a free-navigation form in a loop,
changing answers with a rising ``seq`` and resending an unacknowledged answer unchanged until
it is acknowledged, as the browser's offline queue does. While it answers, the server's whole
process group is killed with SIGKILL and started again; the candidate carries on. Afterwards
every answer that got a 2xx is in the database with the acknowledged ``seq``, and the
candidate's resumed view shows the last acknowledged answer of every item.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest
import requests
from sqlalchemy import select

from piaa.delivery.models import AttemptItem
from tests.delivery.helpers import CLIENT_HEADERS, bearer
from tests.operations.harness import Gunicorn

pytestmark = pytest.mark.slow

CRASHES = 2
ANSWERS_BEFORE_CRASH = 25
OPTIONS = ("A", "B", "C")


class ScriptedCandidate(threading.Thread):
    """Answers the items in turn, each answer with the next ``seq``; an answer that gets no
    response is sent again, unchanged, until it is acknowledged."""

    def __init__(self, base: str, headers: dict, attempt_id: int, refs: list[str]):
        super().__init__(daemon=True)
        self.base, self.headers, self.attempt_id, self.refs = base, headers, attempt_id, refs
        self.acknowledged: list[tuple[str, int, str]] = []
        self.unanswered_sends = 0
        self.refusals: list[tuple[int, str]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        http = requests.Session()
        seq = 0
        while not self.stop.is_set():
            seq += 1
            ref = self.refs[seq % len(self.refs)]
            answer = OPTIONS[(seq // len(self.refs)) % len(OPTIONS)]
            while not self.stop.is_set():
                try:
                    response = http.put(f"{self.base}/api/v1/attempts/{self.attempt_id}/responses/{ref}",
                                        json={"answer": answer, "seq": seq}, headers=self.headers, timeout=5)
                except requests.RequestException:
                    self.unanswered_sends += 1
                    http = requests.Session()
                    time.sleep(0.05)
                    continue
                if 200 <= response.status_code < 300:
                    assert response.json()["seq"] == seq, response.json()
                    self.acknowledged.append((ref, seq, answer))
                else:
                    self.refusals.append((response.status_code, response.text[:200]))
                break

    def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < count and time.monotonic() < deadline and self.is_alive():
            time.sleep(0.02)
        assert len(self.acknowledged) >= count, f"only {len(self.acknowledged)} answers acknowledged"


@pytest.fixture
def server(database_url, tmp_path):
    """gunicorn serving this checkout on the test's database with the service's settings (the
    app preloaded), in its own process group so that a crash takes the master and its workers
    down at once."""
    server = Gunicorn(tmp_path, {"PIAA_DATABASE_URL": database_url, "PIAA_SECRET_KEY": "crash-test",
                                 "PIAA_REDIS_URL": ""}, workers=2)
    yield server
    server.stop()


def test_no_acknowledged_answer_is_lost_when_the_server_is_killed(
        server, session, clock, make_assessment, make_window, candidate):
    # The server keeps real time, so the window must be open in real time.
    clock.current = datetime.now(timezone.utc)
    window = make_window(make_assessment("loft"))
    headers = {**CLIENT_HEADERS, **bearer(session, candidate)}
    server.start()

    def call(method: str, path: str, body: dict | None = None) -> dict:
        response = requests.request(method, f"{server.url}/api/v1{path}", json=body, headers=headers, timeout=10)
        assert response.status_code in (200, 201), (path, response.status_code, response.text)
        return response.json()

    attempt_id = call("POST", "/attempts", {"window_id": window.id})["id"]
    call("POST", f"/attempts/{attempt_id}/check-in", {"identity_confirmed": True, "rules_accepted": True})
    call("POST", f"/attempts/{attempt_id}/start")
    refs = [item["ref"] for item in call("GET", f"/attempts/{attempt_id}/items")["items"]]
    assert len(refs) == 10

    scripted = ScriptedCandidate(server.url, headers, attempt_id, refs)
    scripted.start()
    try:
        for crash in range(CRASHES):
            scripted.wait_for(len(scripted.acknowledged) + ANSWERS_BEFORE_CRASH, timeout=20)
            server.kill()  # mid-stream: the candidate is sending answers back to back
            server.start()
        scripted.wait_for(len(scripted.acknowledged) + ANSWERS_BEFORE_CRASH, timeout=20)
    finally:
        scripted.stop.set()
        scripted.join(10)

    assert not scripted.refusals, scripted.refusals
    # Every answer sent while the server was down was sent again and acknowledged.
    assert scripted.unanswered_sends >= 1, "the server was never down while the candidate answered"
    acknowledged = scripted.acknowledged
    assert [seq for _, seq, _ in acknowledged] == list(range(1, len(acknowledged) + 1))

    stored = {row.ref: row for row in session.scalars(
        select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)
        .execution_options(populate_existing=True))}
    last = {}
    for ref, seq, answer in acknowledged:
        assert stored[ref].seq >= seq, (ref, seq, stored[ref].seq)
        last[ref] = (seq, answer)
    for ref, (seq, answer) in last.items():
        assert (stored[ref].seq, stored[ref].answer) == (seq, answer), ref

    # The candidate resumes on the restarted server with every answer in place.
    shown = {item["ref"]: (item["seq"], item["answer"]) for item in call("GET", f"/attempts/{attempt_id}/items")["items"]}
    assert {ref: shown[ref] for ref in last} == last
