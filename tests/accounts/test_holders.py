"""Who is calling, remembered per process (``piaa.accounts.holders``): a recalled holder costs
no query; a change made in this process counts at once; one made by another process counts
within ``HOLDER_TTL_S``."""
from sqlalchemy import event, update

from piaa.accounts import holders, services
from piaa.accounts.models import ApiToken, User
from piaa.extensions import db
from tests.conftest import login


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


def test_a_revocation_elsewhere_counts_within_the_time_to_live(client, session, make_user, monkeypatch):
    user = make_user(role="candidate")
    headers = bearer(session, user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    # Another process revokes the token: this one learns of it from the database only.
    session.execute(update(ApiToken).values(revoked=True))
    session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    monkeypatch.setattr(holders, "HOLDER_TTL_S", 0.0)  # the time to live has passed
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_session_user_is_recalled_and_a_role_change_counts(client, session, make_user, monkeypatch):
    user = make_user(role="candidate")
    login(client, user)
    assert client.get("/api/v1/me").json["role"] == "candidate"
    assert not reads_users(reads_during(lambda: client.get("/api/v1/me")))
    session.execute(update(User).where(User.id == user.id).values(role="proctor"))  # elsewhere
    session.commit()
    assert client.get("/api/v1/me").json["role"] == "candidate"
    monkeypatch.setattr(holders, "HOLDER_TTL_S", 0.0)
    assert client.get("/api/v1/me").json["role"] == "proctor"
