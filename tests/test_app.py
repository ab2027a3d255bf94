"""The app shell: settings, database pragmas, JSON errors, the OpenAPI document, headers."""
from sqlalchemy import text

from piaa import create_app
from piaa.extensions import db


def test_secret_key_is_generated_once_into_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("PIAA_SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]
    second = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


def test_database_url_comes_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PIAA_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("PIAA_SECRET_KEY", "k")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/x.db"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_unknown_api_route_answers_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_api_needs_authentication_and_says_so_in_json(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json == {"error": {"code": "unauthorized", "message": "Sign in or send a Bearer token."}}


def test_unexpected_failure_is_json_without_stack_trace(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/api/v1/_boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/api/v1/_boom")
    assert response.status_code == 500
    assert "secret internals" not in response.get_data(as_text=True)
    assert response.json["error"]["code"] == "internal_error"


def test_openapi_document_lists_every_api_route(app, client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                path = rule.rule[len("/api/v1"):]
                import re
                path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
                assert (path, method.lower()) in documented
                op = doc["paths"][path][method.lower()]
                assert op["summary"] != rule.endpoint, f"{rule.rule} {method} has no @openapi summary"


def test_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_piaa_command_table_names_every_domain_command_and_imports_none_at_start():
    """DOMAIN_COMMANDS must match each module's ``commands`` list, and importing the CLI
    must not import the domains (that cost about 1.1 s of CPU on every call)."""
    import importlib
    import subprocess
    import sys

    from piaa.cli import DOMAIN_COMMANDS

    defined = {command.name: module for module in set(DOMAIN_COMMANDS.values())
               for command in importlib.import_module(module).commands}
    assert defined == DOMAIN_COMMANDS
    probe = ("import sys, piaa.cli; from piaa.cli import DOMAIN_COMMANDS; "
             "print(sorted(m for m in set(DOMAIN_COMMANDS.values()) | {'pandas', 'weasyprint'} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
