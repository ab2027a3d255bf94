"""PostgreSQL restarted and Redis stopped while candidates answer.

gunicorn serves the service (its production settings, two workers) on a private PostgreSQL and
a private Redis (see ``harness``: stopping them disturbs nothing else on the machine). Scripted
candidates answer back to back, resending an answer that got no reply or a 503. While
PostgreSQL is down, and while Redis is down, every refusal is a 503 carrying a JSON error and
readiness says which dependency is away; once each is back the service acknowledges answers
again without being restarted; at the end every acknowledged answer is in the database.
"""
from __future__ import annotations

import time

import pytest
import requests

from tests.operations.harness import (Gunicorn, PrivatePostgres, PrivateRedis, ScriptedCandidate,
                                      lost_answers, private_services_available, seed_sittings,
                                      stored_answers, wait_until)

pytestmark = pytest.mark.slow

CANDIDATES = 6
OUTAGE_S = 2.5  # long enough for every candidate to be refused a few times
RECOVERY_TIMEOUT_S = 20.0


@pytest.fixture
def stack(tmp_path):
    reason = private_services_available()
    if reason:
        pytest.skip(reason)
    postgres, redis = PrivatePostgres(), PrivateRedis(tmp_path / "redis")
    server = None
    try:
        postgres.start()
        redis.start()
        database_url = postgres.create_database("piaa_faults")
        sittings = seed_sittings(database_url, CANDIDATES, tmp_path / "instance")
        server = Gunicorn(tmp_path, {"PIAA_DATABASE_URL": database_url, "PIAA_REDIS_URL": redis.url})
        server.start()
        yield postgres, redis, server, sittings, database_url
    finally:
        if server is not None:
            server.stop()
        redis.stop()
        postgres.remove()


def _readiness(server: Gunicorn) -> tuple[int, dict]:
    response = requests.get(f"{server.url}/readyz", timeout=10)
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:300]
    return response.status_code, response.json()


def _assert_json_unavailable(refusals, dependency: str) -> None:
    for refusal in refusals:
        assert refusal.content_type.startswith("application/json"), refusal
        assert f'"dependency":"{dependency}"' in refusal.body.replace(" ", ""), refusal
        assert '"code":"unavailable"' in refusal.body.replace(" ", ""), refusal


def _recovered(candidates, since: float) -> bool:
    return all(candidate.acknowledged_after(since) for candidate in candidates)


def test_outages_of_postgres_and_redis_answer_503_recover_and_lose_nothing(stack):
    postgres, redis, server, sittings, database_url = stack
    assert _readiness(server)[0] == 200
    candidates = [ScriptedCandidate(server.url, sitting) for sitting in sittings]
    for candidate in candidates:
        candidate.start()
    try:
        assert wait_until(lambda: all(len(c.acknowledged) >= 5 for c in candidates), 30) is not None

        # PostgreSQL goes away under load, then comes back.
        postgres.stop()
        time.sleep(OUTAGE_S)
        status, body = _readiness(server)
        assert status == 503 and body["checks"]["database"]["ok"] is False, body
        assert body["error"]["code"] == "unavailable"
        refused = [r for c in candidates for r in c.unavailable]
        assert refused, "no candidate was refused while PostgreSQL was down"
        _assert_json_unavailable(refused, "database")
        postgres.start()
        back = time.monotonic()
        database_recovery = wait_until(lambda: _recovered(candidates, back), RECOVERY_TIMEOUT_S)
        assert database_recovery is not None, "answers were not acknowledged again after PostgreSQL came back"
        assert _readiness(server)[0] == 200

        # Redis goes away: answers need only the database; rate-limited routes count in each
        # process's memory meanwhile, so they keep answering too.
        before = sum(len(c.unavailable) for c in candidates)
        redis.stop()
        time.sleep(OUTAGE_S)
        status, body = _readiness(server)
        assert status == 503 and body["checks"]["redis"]["ok"] is False, body
        assert body["checks"]["database"]["ok"] is True
        limited = requests.get(f"{server.url}/api/v1/certificates/verify/no-such-certificate", timeout=10)
        assert limited.status_code == 404, limited.text[:300]
        _assert_json_unavailable([r for c in candidates for r in c.unavailable][before:], "redis")
        redis.start()
        back = time.monotonic()
        assert wait_until(lambda: _recovered(candidates, back), RECOVERY_TIMEOUT_S) is not None
        assert wait_until(lambda: _readiness(server)[0] == 200, RECOVERY_TIMEOUT_S) is not None
        assert requests.get(f"{server.url}/api/v1/certificates/verify/no-such-certificate", timeout=10).status_code == 404
    finally:
        for candidate in candidates:
            candidate.halt.set()
        for candidate in candidates:
            candidate.join(15)

    assert not [r for c in candidates for r in c.refusals], [r for c in candidates for r in c.refusals][:5]
    assert lost_answers(candidates, stored_answers(database_url, [s.attempt_id for s in sittings])) == []
    print(f"\nPostgreSQL back -> every candidate acknowledged again in {database_recovery:.2f} s; "
          f"{sum(len(c.acknowledged) for c in candidates)} answers acknowledged, "
          f"{sum(len(c.unavailable) for c in candidates)} refused with 503")
