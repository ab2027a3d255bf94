"""Driving a sitting through the candidate API, as a browser client would."""
from __future__ import annotations

CLIENT_HEADERS = {"X-PIAA-Client": "tab-1", "User-Agent": "TestBrowser/1.0"}


def bearer(session, user) -> dict:
    from piaa.accounts.services import issue_token

    token = issue_token(session, user, "test")
    session.commit()
    return {"Authorization": f"Bearer {token}"}


class Sitting:
    """One candidate's client (Bearer token, so headers such as the user agent may vary):
    every response it receives is kept for inspection."""

    def __init__(self, client, auth: dict, headers: dict | None = None):
        self.client = client
        self.headers = dict(CLIENT_HEADERS, **auth, **(headers or {}))
        self.received: list[tuple[str, bytes]] = []
        self.seq = 0

    def call(self, method: str, url: str, json=None, expect: int | tuple = (200, 201)):
        response = self.client.open(f"/api/v1{url}", method=method, json=json, headers=self.headers)
        self.received.append((f"{method} {url}", response.data))
        expected = expect if isinstance(expect, tuple) else (expect,)
        assert response.status_code in expected, (method, url, response.status_code, response.get_json())
        return response.get_json()

    def open(self, window_id: int) -> dict:
        attempt = self.call("POST", "/attempts", {"window_id": window_id})
        self.attempt_id = attempt["id"]
        return attempt

    def check_in_and_start(self) -> dict:
        self.call("POST", f"/attempts/{self.attempt_id}/check-in",
                  {"identity_confirmed": True, "rules_accepted": True, "system_check": {"ok": True}})
        return self.call("POST", f"/attempts/{self.attempt_id}/start")

    def items(self) -> list[dict]:
        return self.call("GET", f"/attempts/{self.attempt_id}/items")["items"]

    def answer(self, ref: str, answer, seq: int | None = None, expect=200) -> dict:
        if seq is None:
            self.seq += 1
            seq = self.seq
        return self.call("PUT", f"/attempts/{self.attempt_id}/responses/{ref}",
                         {"answer": answer, "seq": seq}, expect=expect)

    def next(self, ref: str) -> dict:
        return self.call("POST", f"/attempts/{self.attempt_id}/next", {"ref": ref})

    def submit(self) -> dict:
        return self.call("POST", f"/attempts/{self.attempt_id}/submit")

    def sit_one_at_a_time(self, choose) -> int:
        """Answer and move on until the test is over; returns how many items were seen."""
        seen = 0
        items = self.items()
        while items:
            item = items[0]
            seen += 1
            self.answer(item["ref"], choose(item))
            body = self.next(item["ref"])
            items = body["items"]
        return seen
