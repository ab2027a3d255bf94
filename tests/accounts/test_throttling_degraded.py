"""Sign-in while the rate-limit store (Redis) is away: the counters fall back to this
process's memory, so people can still sign in and guessing is still throttled (per process
until Redis is back), instead of every sign-in answering 503."""
from __future__ import annotations

import pytest

from piaa.extensions import limiter
from tests.conftest import TEST_PASSWORD, _free_port


@pytest.fixture
def app_config(app_config):
    unreachable = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there
    return {**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": unreachable}


def sign_in(client, email, password, address="192.0.2.1"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address}).status_code


def test_sign_in_works_while_redis_is_unreachable(client, make_user):
    user = make_user(role="author")
    assert sign_in(client, user.email, TEST_PASSWORD) == 302
    assert limiter.limiter is not limiter._limiter  # counting in memory, not in the dead store


def test_failed_sign_ins_are_still_throttled_per_address(client, make_user):
    user = make_user(role="author")
    codes = [sign_in(client, user.email, "wrong password!") for _ in range(6)]
    assert codes == [200] * 5 + [429]


def test_failures_on_one_account_are_still_throttled_across_addresses(client, make_user):
    user = make_user(role="author")
    codes = [sign_in(client, user.email, "wrong password!", f"192.0.2.{n}") for n in range(11)]
    assert codes == [200] * 10 + [429]


def test_a_browser_the_account_knows_gets_in_during_an_attack(app, client, make_user):
    user = make_user(role="author")
    assert sign_in(client, user.email, TEST_PASSWORD, "198.51.100.7") == 302
    guesser = app.test_client()
    assert sign_in(guesser, user.email, "wrong password!", "198.51.100.7") == 200
    assert [sign_in(guesser, user.email, "wrong password!", f"192.0.2.{n}") for n in range(11)][-1] == 429
    assert sign_in(client, user.email, TEST_PASSWORD, "198.51.100.7") == 302


def test_the_address_limit_holds_in_memory(client, make_user):
    user = make_user(role="author")
    codes = [sign_in(client, user.email, TEST_PASSWORD, "198.51.100.9") for _ in range(11)]
    assert codes == [302] * 10 + [429]
