"""Sign-in throttling: per address and per account, counted in Redis where it is configured
(shared by every worker), and refusals that take as long for an unknown e-mail as for a
wrong password."""
from __future__ import annotations

import statistics
import time

import pytest

from piaa import create_app
from piaa.accounts import services
from piaa.extensions import limiter
from tests.conftest import TEST_PASSWORD

REDIS_URL = "redis://127.0.0.1:6379/13"


def sign_in(client, email, password, address="192.0.2.1"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address}).status_code


@pytest.fixture
def app_config(app_config):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")
    redis.Redis.from_url(REDIS_URL).flushdb()  # ids, and so e-mails, repeat from test to test
    return {**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": REDIS_URL}


def test_failures_on_one_account_from_many_addresses_are_throttled(client, make_user):
    user = make_user(role="author")
    codes = [sign_in(client, user.email, "wrong password!", f"192.0.2.{n}") for n in range(6)]
    assert codes == [200] * 5 + [429]
    assert sign_in(client, user.email, TEST_PASSWORD, "198.51.100.7") == 429  # held, even rightly
    other = make_user(role="author")
    assert sign_in(client, other.email, TEST_PASSWORD, "198.51.100.7") == 302  # others are not


def test_successes_do_not_count_against_the_account(client, make_user):
    user = make_user(role="author")
    assert [sign_in(client, user.email, TEST_PASSWORD, f"192.0.2.{n}") for n in range(8)] == [302] * 8


def test_the_counters_outlive_a_worker_and_are_shared(app, client, make_user, app_config):
    """A fresh worker (a new app, its limiter bound anew) sees the failures counted before."""
    user = make_user(role="author")
    assert [sign_in(client, user.email, "wrong password!", f"192.0.2.{n}") for n in range(5)] == [200] * 5
    other_worker = create_app(app_config)
    assert sign_in(other_worker.test_client(), user.email, "wrong password!", "192.0.2.99") == 429
    limiter.init_app(app)


def test_an_unknown_email_costs_one_argon2_check_like_a_known_one(session, make_user, monkeypatch):
    user = make_user(role="author")
    checks = []

    class CountingHasher:
        def __getattr__(self, name):
            return getattr(hasher, name)

        def verify(self, *args):
            checks.append(1)
            return hasher.verify(*args)

    hasher = services._hasher
    monkeypatch.setattr(services, "_hasher", CountingHasher())
    for email in (user.email, "nobody@example.gov.in"):
        checks.clear()
        assert services.authenticate(session, email, "wrong password!") is None
        assert len(checks) == 1, email


def test_unknown_and_known_emails_take_about_as_long(session, make_user):
    user = make_user(role="author")
    services.authenticate(session, "warm@example.gov.in", "x")  # the dummy hash is made once

    def median_time(email):
        times = []
        for _ in range(5):
            started = time.perf_counter()
            services.authenticate(session, email, "wrong password!")
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    known, unknown = median_time(user.email), median_time("nobody@example.gov.in")
    # Argon2 dominates both; a shared machine makes single timings noisy, hence the medians
    # and a wide band (before: unknown took 3-10% of known).
    assert 0.5 < unknown / known < 2, (known, unknown)
