"""Sign-in while the rate-limit store (Redis) is away: the counters fall back to this
process's memory, so people can still sign in and guessing is still throttled (per process
until Redis is back), instead of every sign-in answering 503."""
from __future__ import annotations

import socket

import pytest

from piaa.extensions import limiter
from tests.conftest import TEST_PASSWORD


def _closed_port() -> int:
    """A port nothing listens on: bound for a moment to pick it, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def app_config(app_config):
    unreachable = f"redis://127.0.0.1:{_closed_port()}/0"
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
    codes = [sign_in(client, user.email, "wrong password!", f"192.0.2.{n}") for n in range(30)]
    assert 429 in codes
    assert codes.count(200) < 30


def test_the_address_limit_holds_in_memory(client, make_user):
    user = make_user(role="author")
    codes = [sign_in(client, user.email, TEST_PASSWORD, "198.51.100.9") for _ in range(11)]
    assert codes == [302] * 10 + [429]
