"""Who is calling, remembered per process (``piaa.accounts.holders``): a recalled holder costs
no query; a change committed by this process or another (on this machine through the stamp
file, across machines through Redis) counts at the next request; a change written by hand in
SQL, which nothing announces, counts within ``HOLDER_TTL_S``."""
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import event, text, update

from piaa.accounts import holder_changes, holders, services
from piaa.accounts.models import ApiToken, User
from piaa.extensions import db
from tests.conftest import login

REDIS_URL = "redis://127.0.0.1:6379/13"


def bearer(session, user) -> dict:
    token = services.issue_token(session, user, "test")
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def reads_during(call) -> list[str]:
    """The SELECT statements run by ``call``."""
    seen = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return seen


def reads_users(statements: list[str]) -> bool:
    return any('FROM "user"' in s or "FROM user " in s or "FROM api_token" in s for s in statements)


def test_a_token_holder_is_read_once_then_recalled(client, session, make_user):
    user = make_user(role="candidate")
    headers = bearer(session, user)
    assert reads_users(reads_during(lambda: client.get("/api/v1/me", headers=headers)))
    assert not reads_users(reads_during(lambda: client.get("/api/v1/me", headers=headers)))
    assert client.get("/api/v1/me", headers=headers).json["email"] == user.email


def test_a_change_made_in_this_process_counts_at_once(client, session, make_user):
    user = make_user(role="candidate")
    headers = bearer(session, user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    user.active = False  # deactivated through the ORM here: forgotten on flush
    session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_change_written_by_hand_counts_within_the_time_to_live(client, session, make_user, monkeypatch):
    user = make_user(role="candidate")
    headers = bearer(session, user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    # Revoked in plain SQL: no commit of the service announced it.
    session.execute(text("UPDATE api_token SET revoked = :yes"), {"yes": True})
    session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    monkeypatch.setattr(holders, "HOLDER_TTL_S", 0.0)  # the time to live has passed
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_statement_changing_tokens_counts_at_once(client, session, make_user):
    user = make_user(role="candidate")
    headers = bearer(session, user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    session.execute(update(ApiToken).values(revoked=True))  # no object flushed
    session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_change_rolled_back_is_not_announced(app, session, make_user):
    user = make_user(role="candidate")
    stamp = holder_changes.FileStamp(Path(app.config["PIAA_HOLDER_STAMP"]))
    user.role = "proctor"
    session.flush()
    session.rollback()
    assert not stamp.moved()
    user.role = "proctor"
    session.commit()
    assert stamp.moved()


CHANGE_ELSEWHERE = textwrap.dedent("""
    import sys
    from sqlalchemy import select
    from piaa import create_app
    from piaa.accounts import services
    from piaa.accounts.models import User
    from piaa.extensions import db

    database_url, stamp, token_id, email = sys.argv[1:]
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "PIAA_HOLDER_STAMP": stamp,
                      "PIAA_REDIS_URL": None, "SECRET_KEY": "elsewhere"})
    with app.app_context():
        services.revoke_token(db.session, int(token_id))
        db.session.scalar(select(User).where(User.email == email)).role = "proctor"
        db.session.commit()
""")


def test_a_change_committed_by_another_process_counts_at_the_next_request(app, client, session, make_user):
    candidate, other = make_user(role="candidate"), make_user(role="candidate")
    headers = bearer(session, candidate)
    browser = app.test_client()  # signed in by cookie, beside the token's calls
    login(browser, other)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert browser.get("/api/v1/me").json["role"] == "candidate"
    token_id = session.scalar(db.select(ApiToken.id).where(ApiToken.user_id == candidate.id))
    session.commit()  # nothing of this test's transaction in the way of the other process
    subprocess.run([sys.executable, "-c", CHANGE_ELSEWHERE, app.config["SQLALCHEMY_DATABASE_URI"],
                    app.config["PIAA_HOLDER_STAMP"], str(token_id), other.email],
                   check=True, cwd=Path(__file__).resolve().parents[2], env={**os.environ, "PIAA_SECRET_KEY": "x"})
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert browser.get("/api/v1/me").json["role"] == "proctor"


@pytest.fixture
def redis_stamps(monkeypatch):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")
    monkeypatch.setattr(holder_changes, "REDIS_POLL_S", 0.0)
    return holder_changes.RedisStamp(REDIS_URL), holder_changes.RedisStamp(REDIS_URL)


def test_a_change_announced_on_one_machine_reaches_another_through_redis(redis_stamps):
    here, there = redis_stamps
    assert not here.moved() and not there.moved()  # each learns the current stamp
    here.move()
    assert there.moved()
    assert not there.moved()


def test_an_unreachable_redis_stamp_is_left_alone_for_a_while(monkeypatch):
    closed = holder_changes.RedisStamp("redis://127.0.0.1:1/0")  # nothing listens on port 1
    started = time.perf_counter()
    assert not closed.moved()
    assert time.perf_counter() - started < 1.0
    calls = []
    monkeypatch.setattr(closed, "_call", lambda command: calls.append(command))
    monkeypatch.setattr(holder_changes, "REDIS_POLL_S", 0.0)
    assert not closed.moved() and calls == []  # within REDIS_BACKOFF_S: not asked again


def test_a_session_user_is_recalled_and_a_role_change_counts(client, session, make_user):
    user = make_user(role="candidate")
    login(client, user)
    assert client.get("/api/v1/me").json["role"] == "candidate"
    assert not reads_users(reads_during(lambda: client.get("/api/v1/me")))
    session.execute(update(User).where(User.id == user.id).values(role="proctor"))
    session.commit()
    assert client.get("/api/v1/me").json["role"] == "proctor"


def test_a_stamp_file_that_cannot_be_opened_leaves_the_service_serving(tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the instance folder should be")
    announcements = holder_changes.Announcements()
    announcements.watch(blocker / "holders.stamp", None)
    assert announcements.stamps == [] and not announcements.moved()
    announcements.announce()  # nothing to move: no error either
    assert "cannot be opened" in caplog.text
