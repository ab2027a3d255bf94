"""Signing in and out, passwords, tokens, CSRF and rate limits."""
import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from piaa.accounts import services
from piaa.accounts.models import ApiToken, User
from piaa.cli import main
from piaa.errors import Conflict, Invalid
from tests.conftest import TEST_PASSWORD, login


def test_password_is_stored_as_argon2_and_checked(session):
    user = services.create_user(session, email="Asha@Example.gov.in", name="Asha", role="author",
                                password="s3cret-enough")
    assert user.email == "asha@example.gov.in"
    assert user.password_hash.startswith("$argon2id$")
    assert services.authenticate(session, "ASHA@example.gov.in", "s3cret-enough") is user
    assert services.authenticate(session, "asha@example.gov.in", "wrong") is None


def test_create_user_refuses_bad_role_and_duplicate(session):
    with pytest.raises(Invalid, match="role must be one of"):
        services.create_user(session, email="a@b.in", name="A", role="superuser")
    services.create_user(session, email="a@b.in", name="A", role="author")
    with pytest.raises(Conflict):
        services.create_user(session, email="A@B.in", name="A", role="author")


def test_login_then_logout(client, make_user):
    user = make_user(role="author")
    response = login(client, user)
    assert response.location == "/"
    assert client.get("/api/v1/me").json["email"] == user.email
    client.post("/logout")
    assert client.get("/api/v1/me").status_code == 401


def test_wrong_password_is_refused_without_saying_which_part(client, make_user):
    user = make_user(role="author")
    response = client.post("/login", data={"email": user.email, "password": "nope"})
    assert response.status_code == 200
    assert "E-mail or password is wrong." in response.get_data(as_text=True)


def test_inactive_user_cannot_sign_in(client, make_user):
    user = make_user(role="author", active=False)
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 200


def test_next_parameter_cannot_leave_the_site(client, make_user):
    user = make_user(role="author")
    response = client.post("/login?next=//evil.example/x",
                           data={"email": user.email, "password": TEST_PASSWORD})
    assert response.location == "/"


def test_bearer_token_authenticates_api_and_is_stored_hashed(app, session, make_user):
    user = make_user(role="psychometrician")
    token = services.issue_token(session, user, "laptop")
    session.commit()
    stored = session.query(ApiToken).one()
    assert token not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64
    client = app.test_client()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json["role"] == "psychometrician"
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer piaa_forged"})
    assert bad.status_code == 401


def test_cli_prints_a_token_that_works(app, session, make_user):
    user = make_user(role="analyst")
    result = CliRunner().invoke(main, ["users", "token", user.email], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    response = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.json["email"] == user.email


class TestWithCsrfOn:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["WTF_CSRF_ENABLED"] = True
        return app_config

    def test_login_form_without_csrf_token_is_refused(self, client, make_user):
        user = make_user(role="author")
        response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
        assert response.status_code == 400

    def test_session_api_write_needs_csrf_header_but_bearer_does_not(self, app, session, client, make_user):
        user = make_user(role="author")
        page = client.get("/login").get_data(as_text=True)
        import re

        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
            re.search(r'name="csrf-token" content="([^"]+)"', page)
        response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD,
                                               "csrf_token": csrf.group(1)})
        assert response.status_code == 302
        assert client.post("/api/v1/_probe").status_code == 400  # CSRF before routing
        token = services.issue_token(session, user)
        session.commit()
        fresh = app.test_client()
        assert fresh.post("/api/v1/_probe", headers={"Authorization": f"Bearer {token}"}).status_code == 404



class TestWithRateLimitsOn:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["RATELIMIT_ENABLED"] = True
        return app_config

    def test_login_is_rate_limited(self, client):
        codes = [client.post("/login", data={"email": f"x{n}@y.in", "password": "p"}).status_code
                 for n in range(12)]
        assert codes[-1] == 429 and 429 not in codes[:10]


@pytest.mark.parametrize("target", ["/%09/evil.example", "//evil.example", "/%5C/evil.example",
                                    "/%5Cevil.example", "%5C%5Cevil.example", "https://evil.example/",
                                    "https:/evil.example", "/%0A/evil.example", "/%20/evil.example",
                                    "javascript:alert(1)", "/%0D%0A//evil.example"])
def test_sign_in_and_language_switch_stay_on_the_site(client, make_user, target):
    user = make_user(role="author")
    signed_in = client.post(f"/login?next={target}", data={"email": user.email, "password": TEST_PASSWORD})
    assert signed_in.status_code == 302 and signed_in.location == "/"
    switched = client.post("/language", data={"lang": "hi", "next": target.replace("%09", "\t")
                                              .replace("%5C", "\\").replace("%0A", "\n")
                                              .replace("%0D", "\r").replace("%20", " ")})
    assert switched.location == "/"


def test_a_path_on_the_site_is_followed(client, make_user):
    user = make_user(role="author")
    response = client.post("/login?next=/items/%3Fq%3Da", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.location == "/items/?q=a"
    assert client.post("/language", data={"lang": "en", "next": "/items/?page=2"}).location == "/items/?page=2"
