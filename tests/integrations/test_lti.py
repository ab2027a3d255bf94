"""LTI 1.3 launches from a platform inside the test: login initiation, the launch mapping the
platform's learner to a candidate account and opening their sitting, and every refusal
(wrong signature, replayed nonce, expired token, unknown deployment, missing state, ...)
as a clear page or JSON."""
from __future__ import annotations

import re
import time

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from piaa.accounts.models import User
from piaa.audit import AuditEvent
from piaa.integrations.models import LtiAccount, LtiLaunch, LtiPlatform
from tests.integrations.conftest import launch, start_login
from tests.integrations.platform import CLIENT_ID, DEPLOYMENT, INSTRUCTOR, ISSUER, new_key


def _entry(response) -> str:
    match = re.search(r'href="(/lti/enter/[^"]+)"', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:1000]
    return match.group(1)


def test_login_initiation_redirects_to_the_platform_with_a_state_cookie_for_cross_site_posts(
        app, client, registered, platform):
    response = client.get("/lti/login", base_url="https://piaa.example.test", query_string={
        "iss": ISSUER, "login_hint": "hint-1", "target_link_uri": "http://127.0.0.1:5000/lti/launch",
        "lti_message_hint": "msg-1", "client_id": CLIENT_ID})
    assert response.status_code == 302
    assert response.location.startswith(f"{platform.base_url}/auth?")
    assert "nonce=" in response.location and "lti_message_hint=msg-1" in response.location
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("lti1p3-state-"))
    # The platform posts the launch cross-site: only SameSite=None (with Secure) comes back.
    assert "SameSite=None" in cookie and "Secure" in cookie and "HttpOnly" in cookie and "Path=/lti/" in cookie
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"  # the rest of the service is unchanged


def test_a_launch_creates_the_candidate_enrols_them_and_opens_their_sitting(
        session, client, registered, platform, window):
    response = launch(client, platform, assessment=window.assessment.code)
    assert response.status_code == 200
    # The launch page may sit in the platform's frame; no other page may.
    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors 'self' https:" in response.headers["Content-Security-Policy"]
    assert "<script>" not in response.get_data(as_text=True)
    user = session.scalar(select(User).join(LtiAccount, LtiAccount.user_id == User.id)
                          .where(LtiAccount.subject == "learner-0001"))
    assert (user.role, user.email, user.name, user.password_hash) == (
        "candidate", "asha@example.gov.in", "Asha Verma", None)
    entered = client.get(_entry(response))
    assert entered.status_code == 303 and re.fullmatch(r"/attempts/\d+/check-in", entered.location)
    check_in = client.get(entered.location)
    assert check_in.status_code == 200 and "Asha Verma" in check_in.get_data(as_text=True)
    stored = session.scalar(select(LtiLaunch))
    assert (stored.lineitem_url, stored.resource_link_id, stored.context_id) == (
        platform.lineitem, "link-9", "course-7")
    assert stored.attempt_id == int(entered.location.split("/")[2])
    other_page = client.get("/assessments")
    assert other_page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in other_page.headers["Content-Security-Policy"]


def test_a_second_launch_finds_the_same_account_and_the_same_open_attempt(
        session, client, registered, platform, window):
    first = launch(client, platform, assessment=window.assessment.code)
    second = launch(client, platform, assessment=window.assessment.code, email="changed@example.gov.in")
    assert first.status_code == second.status_code == 200
    assert session.scalar(select(func.count(LtiAccount.id))) == 1
    attempts = {row.attempt_id for row in session.scalars(select(LtiLaunch))}
    assert len(attempts) == 1


def test_a_top_level_launch_goes_straight_in(client, registered, platform, window):
    response = launch(client, platform, assessment=window.assessment.code,
                      headers={"Sec-Fetch-Dest": "document"})
    assert response.status_code == 303 and response.location.startswith("/lti/enter/")


def test_an_entry_ticket_works_once(client, registered, platform, window, app):
    entry = _entry(launch(client, platform, assessment=window.assessment.code))
    assert client.get(entry).status_code == 303
    again = app.test_client().get(entry)
    assert again.status_code == 401 and "already used or has expired" in again.get_data(as_text=True)


def test_an_existing_candidate_is_linked_by_email_only_when_the_administrator_allows_it(
        session, client, registered, platform, window, candidate):
    launch(client, platform, assessment=window.assessment.code, email=candidate.email, sub="s-1")
    first = session.scalar(select(LtiAccount).where(LtiAccount.subject == "s-1"))
    assert first.user_id != candidate.id and first.linked_by == "created"
    registered.link_by_email = True
    session.commit()
    launch(client, platform, assessment=window.assessment.code, email=candidate.email, sub="s-2")
    second = session.scalar(select(LtiAccount).where(LtiAccount.subject == "s-2"))
    assert (second.user_id, second.linked_by) == (candidate.id, "email")


def test_a_staff_account_is_never_linked_by_email(session, client, registered, platform, window, make_user):
    admin = make_user(role="admin")
    registered.link_by_email = True
    session.commit()
    response = launch(client, platform, assessment=window.assessment.code, email=admin.email)
    assert response.status_code == 401 and "account_not_linkable" in response.get_data(as_text=True)


# --- refusals -------------------------------------------------------------------------------

def _refused(response, status: int, code: str):
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    page = response.get_data(as_text=True)
    assert f"<code>{code}</code>" in page, page[:800]


def test_a_token_signed_with_another_key_is_refused(session, client, registered, platform, window):
    auth = start_login(client)
    other_pem, _ = new_key("platform-key-1")  # same key id, different key
    token = platform.id_token(platform.claims(auth["nonce"], assessment=window.assessment.code),
                              key_pem=other_pem)
    response = client.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    _refused(response, 401, "bad_signature")
    assert session.scalar(select(func.count(LtiAccount.id))) == 0
    assert "/login" in client.get("/assessments").location  # nobody was signed in


def test_a_replayed_launch_is_refused(client, registered, platform, window):
    auth = start_login(client)
    token = platform.id_token(platform.claims(auth["nonce"], assessment=window.assessment.code))
    assert client.post("/lti/launch", data={"id_token": token, "state": auth["state"]}).status_code == 200
    replay = client.post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    _refused(replay, 401, "nonce_used")


def test_an_expired_token_is_refused(client, registered, platform, window):
    response = launch(client, platform, assessment=window.assessment.code,
                      issued_at=time.time() - 3600, lifetime_s=60)
    _refused(response, 401, "token_expired")


def test_an_unknown_deployment_is_refused(client, registered, platform, window):
    response = launch(client, platform, assessment=window.assessment.code, deployment="deployment-x")
    _refused(response, 403, "unknown_deployment")


def test_a_launch_without_the_login_state_cookie_is_refused(app, registered, platform, window):
    auth = start_login(app.test_client())  # the login happened in another browser
    token = platform.id_token(platform.claims(auth["nonce"], assessment=window.assessment.code))
    response = app.test_client().post("/lti/launch", data={"id_token": token, "state": auth["state"]})
    _refused(response, 401, "state_mismatch")


def test_refusals_are_json_for_a_caller_that_asks_for_json(client, registered, platform, window):
    response = launch(client, platform, assessment=window.assessment.code, deployment="deployment-x",
                      headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.json["error"]["code"] == "unknown_deployment"
    assert "not registered" in response.json["error"]["message"]


def test_a_login_from_an_unregistered_platform_is_refused(client, registered):
    response = client.get("/lti/login", query_string={"iss": "https://elsewhere.test", "login_hint": "x"})
    _refused(response, 403, "unknown_platform")


@pytest.mark.parametrize("options, status, code", [
    ({"assessment": "NO-SUCH"}, 404, "no_assessment"),
    ({"roles": (INSTRUCTOR,)}, 401, "not_a_learner"),
    ({"sub": ""}, 401, "no_user"),
])
def test_launches_pidaa_cannot_serve_are_refused_with_the_reason(client, registered, platform, window,
                                                                 options, status, code):
    options.setdefault("assessment", window.assessment.code)
    _refused(launch(client, platform, **options), status, code)


def test_the_launch_needs_no_csrf_token_while_the_rest_keeps_it(app, client, registered, platform, window,
                                                               make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    assert launch(client, platform, assessment=window.assessment.code).status_code == 200
    admin = make_user(role="admin")
    browser = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    browser.post("/login", data={"email": admin.email, "password": "correct horse battery"})
    app.config["WTF_CSRF_ENABLED"] = True
    assert browser.post("/admin/lti", data={"name": "X"}).status_code == 400


# --- the tool's key and registration --------------------------------------------------------

def test_the_jwks_endpoint_publishes_the_tool_key(client, tool_key):
    response = client.get("/lti/jwks.json")
    assert response.status_code == 200
    (key,) = response.json["keys"]
    assert key["kid"] == tool_key.kid and key["alg"] == "RS256" and key["kty"] == "RSA" and "d" not in key


def test_the_jwks_endpoint_says_when_the_key_is_missing(client):
    response = client.get("/lti/jwks.json")
    assert response.status_code == 503 and "piaa lti keys init" in response.json["error"]["message"]


def test_keys_init_and_platform_add_from_the_command_line(app, session, cohort, tmp_path):
    import json

    runner = CliRunner()
    from piaa.cli import main

    env_app = {"obj": None}
    jwks_file = tmp_path / "platform.json"
    _, jwk = new_key("k1")
    jwks_file.write_text(json.dumps({"keys": [jwk]}))

    def run(*args):
        from flask.cli import ScriptInfo

        return runner.invoke(main, list(args), obj=ScriptInfo(create_app=lambda: app), **env_app.get("kw", {}))

    first = run("lti", "keys", "init")
    assert first.exit_code == 0, first.output
    assert "key id:" in first.output
    again = run("lti", "keys", "init")
    assert again.exit_code != 0 and "exists already" in again.output
    added = run("lti", "platform", "add", "--name", "iGOT", "--issuer", ISSUER, "--client-id", "c-1",
                "--deployment", DEPLOYMENT, "--auth-login-url", "https://p.test/auth",
                "--auth-token-url", "https://p.test/token", "--key-set-file", str(jwks_file),
                "--cohort", cohort.name)
    assert added.exit_code == 0, added.output
    bad = run("lti", "platform", "add", "--name", "iGOT", "--issuer", ISSUER, "--client-id", "c-2",
              "--deployment", DEPLOYMENT, "--auth-login-url", "ftp://p.test/auth",
              "--auth-token-url", "https://p.test/token", "--key-set-url", "https://p.test/jwks")
    assert bad.exit_code != 0 and "auth_login_url must be an http(s) URL" in bad.output
    session.expire_all()
    row = session.scalar(select(LtiPlatform).where(LtiPlatform.client_id == "c-1"))
    assert row.cohort_id == cohort.id and row.key_set["keys"][0]["kid"] == "k1"
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "lti.platform_registered")) is not None


def test_the_administrator_registers_a_platform_in_the_browser(app, session, make_user, login_as):
    browser = login_as(make_user(role="admin"))
    page = browser.get("/admin/lti")
    assert page.status_code == 200 and "/lti/jwks.json" in page.get_data(as_text=True)
    assert "<title>Learning platforms (LTI) · PIAA</title>" in page.get_data(as_text=True)
    form = {"name": "iGOT", "issuer": ISSUER, "client_id": "c-9", "deployment_ids": "d-1, d-2",
            "auth_login_url": "https://p.test/auth", "auth_token_url": "https://p.test/token",
            "key_set_url": ""}
    refused = browser.post("/admin/lti", data=form)
    assert refused.status_code == 422 and "JWKS URL or its key set" in refused.get_data(as_text=True)
    form["key_set_url"] = "https://p.test/jwks"
    assert browser.post("/admin/lti", data=form).status_code == 302
    row = session.scalar(select(LtiPlatform))
    assert row.deployment_ids == ["d-1", "d-2"] and row.link_by_email is False
