"""Low findings of the security review: types and nesting in bodies, the password policy,
security headers, the CSRF check with a stray Bearer header, short error messages, and JSON
errors from /verify.json."""
from __future__ import annotations

import io
import re

import pytest

from piaa.accounts import services
from piaa.accounts.passwords import check_password_policy, common_passwords
from piaa.errors import Invalid
from tests.conftest import TEST_PASSWORD, login


def admin_bearer(session, make_user) -> dict:
    token = services.issue_token(session, make_user(role="admin"))
    session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_a_number_where_text_belongs_is_a_422(client, session, make_user):
    headers = admin_bearer(session, make_user)
    response = client.post("/api/v1/assessments", json={"code": 1.5}, headers=headers)
    error = response.json["error"]
    assert response.status_code == 422 and error["code"] == "invalid" and error["field"] == "code"
    assert error["message"] == "code must be text, got a number (and 7 other problems in the request body)"
    assert error["problems"][:2] == [{"field": "code", "message": "must be text, got a number"},
                                     {"field": "title", "message": "is required"}]


def test_deeply_nested_json_is_a_422(client, session, make_user):
    headers = {**admin_bearer(session, make_user), "Content-Type": "application/json"}
    body = '{"code": ' + "[" * 50_000 + "]" * 50_000 + "}"
    assert client.post("/api/v1/assessments", data=body, headers=headers).status_code == 422


def test_a_422_does_not_echo_a_huge_input(client, session, make_user):
    headers = admin_bearer(session, make_user)
    response = client.post("/api/v1/assessments", json={"code": "x" * 500_000, "title": "T"},
                           headers=headers)
    assert response.status_code == 422 and len(response.data) < 2000
    assert "got 500,000" in response.json["error"]["message"]  # says how long the input was


@pytest.mark.parametrize("password, why", [("short", "at least 12"), ("password1234", "most common"),
                                           ("PASSWORD1234", "most common"), ("x" * 201, "at most 200")])
def test_the_password_policy_refuses(password, why):
    with pytest.raises(Invalid, match=why):
        check_password_policy(password)


def test_the_password_policy_is_applied_and_our_own_passwords_keep_it(session):
    from piaa.demo import DEMO_PASSWORD

    assert len(common_passwords()) > 19_000
    check_password_policy(TEST_PASSWORD)
    check_password_policy(DEMO_PASSWORD)
    with pytest.raises(Invalid, match="at least 12"):
        services.create_user(session, email="a@b.in", name="A", role="author", password="x")
    user = services.create_user(session, email="a@b.in", name="A", role="author", password=TEST_PASSWORD)
    with pytest.raises(Invalid, match="most common"):
        services.set_password(session, user, "Qwerty123456")


def test_pages_carry_a_content_security_policy_and_are_not_stored(client, make_user):
    page = client.get("/login")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and page.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in page.headers  # PIAA_HTTPS is off
    login(client, make_user(role="author"))
    assert client.get("/api/v1/me").headers["Cache-Control"] == "no-store"
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/css/site.css").headers.get("Cache-Control", "")


def test_templates_hold_no_inline_script_or_handler():
    from pathlib import Path

    templates = Path(__file__).resolve().parents[1] / "piaa" / "templates"
    for path in templates.rglob("*.html"):
        # rendered to PDF by WeasyPrint or written as a standalone file, never served
        if path.name == "certificate_pdf.html" or path.relative_to(templates).as_posix() == "reports/document.html":
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r'<script(?![^>]*(\bsrc=|type="application/json"))', text), path
        assert not re.search(r"\son[a-z]+=\"", text) and "<style" not in text and " style=\"" not in text, path


class TestUnderHttps:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "PIAA_HTTPS": True}

    def test_https_responses_carry_hsts(self, client):
        response = client.get("/login", base_url="https://localhost")
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
        behind_proxy = client.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" in behind_proxy.headers


class TestWithCsrfOn:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def test_a_junk_bearer_header_does_not_skip_the_check_for_a_session(self, client, make_user):
        user = make_user(role="author")
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post("/login", data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token})
        response = client.post("/api/v1/assessments", json={"code": "X"},
                               headers={"Authorization": "Bearer junk"})
        assert response.status_code == 400 and "CSRF" in response.json["error"]["message"]


def test_verify_json_answers_errors_as_json(client):
    response = client.post("/verify.json", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and response.json["error"]["field"] == "file"
    junk = client.post("/verify.json", data={"file": (io.BytesIO(b"junk"), "x.json")},
                       content_type="multipart/form-data")
    assert junk.is_json
