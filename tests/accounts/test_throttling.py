"""Sign-in throttling: per address and per account, counted in Redis where it is configured
(shared by every worker), and refusals that take as long for an unknown e-mail as for a
wrong password."""
from __future__ import annotations

import os
import statistics
import time

import pytest

from piaa import create_app
from piaa.accounts import known_devices, services
from piaa.extensions import limiter
from tests.conftest import TEST_PASSWORD

REDIS_URL = "redis://127.0.0.1:6379/13"
# Redis is shared by every test run on the machine: this run's counters carry its own prefix.
KEY_PREFIX = f"piaa-test-{os.getpid()}"


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
    store = redis.Redis.from_url(REDIS_URL)
    yield {**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": REDIS_URL,
           "RATELIMIT_KEY_PREFIX": KEY_PREFIX}
    for key in store.scan_iter(f"*{KEY_PREFIX}*"):  # ids, and so e-mails, repeat from test to test
        store.delete(key)


def test_failures_on_one_account_from_many_addresses_are_throttled(client, make_user):
    user = make_user(role="author")
    codes = [sign_in(client, user.email, "wrong password!", f"192.0.2.{n}") for n in range(11)]
    assert codes == [200] * 10 + [429]
    assert sign_in(client, user.email, TEST_PASSWORD, "198.51.100.7") == 429  # a new browser waits
    other = make_user(role="author")
    assert sign_in(client, other.email, TEST_PASSWORD, "198.51.100.7") == 302  # others are not


def test_a_guesser_locks_out_his_own_address_not_the_account(client, make_user):
    user = make_user(role="author")
    codes = [sign_in(client, user.email, "wrong password!", "203.0.113.66") for _ in range(6)]
    assert codes == [200] * 5 + [429]
    assert sign_in(client, user.email, TEST_PASSWORD, "203.0.113.66") == 429
    assert sign_in(client, user.email, TEST_PASSWORD, "198.51.100.7") == 302  # the owner, elsewhere


def test_a_browser_the_account_knows_is_never_locked_out_by_others(app, client, make_user):
    """The owner signed in from this browser before (it holds the account's device cookie);
    then a guesser fails from many addresses, and from the owner's own (a shared NAT)."""
    user = make_user(role="author")
    assert sign_in(client, user.email, TEST_PASSWORD, "198.51.100.7") == 302
    assert client.get_cookie(known_devices.COOKIE, path="/login") is not None
    client.post("/logout")
    guesser = app.test_client()
    codes = [sign_in(guesser, user.email, "wrong password!", f"192.0.2.{n}") for n in range(12)]
    codes += [sign_in(guesser, user.email, "wrong password!", "198.51.100.7") for _ in range(6)]
    assert codes[-1] == 429 and codes[10] == 429
    assert sign_in(client, user.email, TEST_PASSWORD, "198.51.100.7") == 302
    assert sign_in(client, user.email, TEST_PASSWORD, "203.0.113.9") == 302  # on the road, too


def test_a_known_browser_still_cannot_guess_freely(client, make_user):
    user = make_user(role="author")
    assert sign_in(client, user.email, TEST_PASSWORD) == 302
    codes = [sign_in(client, user.email, "wrong password!", f"192.0.2.{n}") for n in range(6)]
    assert codes == [200] * 5 + [429]


def test_a_forged_or_foreign_device_cookie_counts_as_unknown(client, make_user):
    owner, other = make_user(role="author"), make_user(role="author")
    assert sign_in(client, other.email, TEST_PASSWORD) == 302  # known to another account only
    client.post("/logout")
    codes = [sign_in(client, owner.email, "wrong password!", f"192.0.2.{n}") for n in range(11)]
    assert codes[-1] == 429
    client.set_cookie(known_devices.COOKIE, "forged.value", path="/login")
    assert sign_in(client, owner.email, TEST_PASSWORD, "198.51.100.8") == 429


def test_successes_do_not_count_against_the_account(client, make_user):
    user = make_user(role="author")
    assert [sign_in(client, user.email, TEST_PASSWORD, f"192.0.2.{n}") for n in range(8)] == [302] * 8


def test_the_counters_outlive_a_worker_and_are_shared(app, client, make_user, app_config):
    """A fresh worker (a new app, its limiter bound anew) sees the failures counted before."""
    user = make_user(role="author")
    assert [sign_in(client, user.email, "wrong password!", f"192.0.2.{n}") for n in range(10)] == [200] * 10
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

    def cost(email):
        # CPU time of this process (Argon2's threads included): what the answer waits for,
        # without the stretches another process holds the core
        started = time.process_time()
        services.authenticate(session, email, "wrong password!")
        return time.process_time() - started

    # interleaved, so that a change in the machine's load falls on both alike
    pairs = [(cost(user.email), cost("nobody@example.gov.in")) for _ in range(7)]
    known = statistics.median(k for k, _ in pairs)
    unknown = statistics.median(u for _, u in pairs)
    # Argon2 dominates both; hence medians and a wide band (before: unknown took 3-10% of known).
    assert 0.5 < unknown / known < 2, (known, unknown)
