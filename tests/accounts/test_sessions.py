"""Sign-out, a new password and deactivation end every session of the user on the server:
a copy of the session cookie taken before is refused afterwards."""
from sqlalchemy import update

from piaa.accounts import holders, services
from piaa.accounts.models import User
from tests.conftest import TEST_PASSWORD, login


def signed_in_copy(app, client, user, password=TEST_PASSWORD):
    """Sign ``user`` in on ``client`` and return a second client holding a copy of its cookie."""
    login(client, user, password)
    assert client.get("/api/v1/me").status_code == 200
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert copy.get("/api/v1/me").status_code == 200
    return copy


def test_a_copied_cookie_is_refused_after_sign_out(app, client, make_user):
    copy = signed_in_copy(app, client, make_user(role="author"))
    assert client.post("/logout").status_code == 302
    assert copy.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me").status_code == 401


def test_a_new_password_and_deactivation_end_every_session(app, client, session, make_user):
    user = make_user(role="author")
    copy = signed_in_copy(app, client, user)
    services.set_password(session, session.get(User, user.id), "a much longer passphrase")
    session.commit()
    assert copy.get("/api/v1/me").status_code == 401
    copy = signed_in_copy(app, client, user, "a much longer passphrase")
    services.deactivate_user(session, session.get(User, user.id))
    session.commit()
    assert copy.get("/api/v1/me").status_code == 401


def test_signing_in_again_after_sign_out_works(client, make_user):
    user = make_user(role="author")
    login(client, user)
    client.post("/logout")
    login(client, user)
    assert client.get("/api/v1/me").json["email"] == user.email


def test_a_sign_out_in_another_process_counts_within_the_time_to_live(app, client, session, make_user,
                                                                        monkeypatch):
    user = make_user(role="author")
    copy = signed_in_copy(app, client, user)
    # Another process signed the user out: this one learns of it from the database only.
    session.execute(update(User).where(User.id == user.id).values(session_generation=User.session_generation + 1))
    session.commit()
    monkeypatch.setattr(holders, "HOLDER_TTL_S", 0.0)  # the time to live has passed
    assert copy.get("/api/v1/me").status_code == 401
