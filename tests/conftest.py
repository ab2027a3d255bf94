"""Shared fixtures: a fresh app and empty database per test (SQLite, or PostgreSQL when
PIAA_TEST_DATABASE_URL is set), users by role, a fake clock, a live server and a browser."""
from __future__ import annotations

import contextvars
import os
import socket
import threading
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from piaa import create_app, jobs
from piaa.accounts import holders
from piaa.clock import FakeClock
from piaa.delivery.forms import clear_pool_cache
from piaa.extensions import db

TEST_PASSWORD = "correct horse battery"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-quic", "--no-first-run"]


def postgres_schema_url(base_url: str, schema: str) -> str:
    """The same PostgreSQL database, but every connection works in ``schema``."""
    sep = "&" if "?" in base_url else "?"
    return f"{base_url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    base = os.environ.get("PIAA_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'piaa-test.sqlite3'}"
        return
    # A schema per test run, so runs sharing one database (parallel workers) never collide.
    schema = f"piaa_test_{os.getpid()}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield postgres_schema_url(base, schema)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    app = create_app(_test_config(database_url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return True


def _test_config(database_url: str, instance: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "PIAA_REDIS_URL": None,
        "PIAA_BASE_URL": "http://127.0.0.1:5000",
        "PIAA_TEST_INSTANCE": str(instance),
        "PIAA_MAIL_OUTBOX": str(instance / "outbox"),  # e-mail as files, never to a server
        "PIAA_HOLDER_STAMP": str(instance / "holders.stamp"),  # not shared with parallel runs
    }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app_config(database_url, tmp_path, clock) -> dict:
    """Override in a test module to change settings before the app is built."""
    config = _test_config(database_url, tmp_path)
    config["PIAA_CLOCK"] = clock
    return config


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in production: its own app context, ``g``
    and database session, even though the test itself holds an app context open."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app(_schema, app_config):
    app = create_app(app_config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        jobs.join_threads()  # a render left running would use the fonts and tables of the next test
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()
    # Ids restart with every test's empty tables: the process caches of pools, item
    # versions and signed-in users (keyed by id) must not carry one test's rows into the next.
    clear_pool_cache()
    holders.forget_all()


def _empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


_password_hash: dict[str, str] = {}


@pytest.fixture
def make_user(session):
    """Factory: ``make_user(role="author", organisation="Agency A")``."""
    from piaa.accounts.models import User
    from piaa.accounts.services import get_or_create_organisation, hash_password

    counter = {"n": 0}

    def factory(role: str = "candidate", organisation: str | None = "Test Agency",
                kind: str = "agency", email: str | None = None, name: str | None = None, **extra):
        counter["n"] += 1
        if TEST_PASSWORD not in _password_hash:  # argon2 is slow on purpose: hash once
            _password_hash[TEST_PASSWORD] = hash_password(TEST_PASSWORD)
        org = get_or_create_organisation(session, organisation, kind) if organisation else None
        user = User(email=email or f"{role}{counter['n']}@example.gov.in",
                    name=name or f"{role.title()} {counter['n']}", role=role, organisation=org,
                    password_hash=_password_hash[TEST_PASSWORD], **extra)
        session.add(user)
        session.commit()
        return user

    return factory


def login(client, user, password: str = TEST_PASSWORD):
    """Sign ``user`` in on a Flask test client."""
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def login_as(client):
    def do(user):
        login(client, user)
        return client

    return do


# --- live server and browser -------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(app):
    """The test's app served on a real port in a thread (shares the test's database)."""
    from werkzeug.serving import make_server

    port = _free_port()
    app.config["PIAA_BASE_URL"] = f"http://127.0.0.1:{port}"
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app.config["PIAA_BASE_URL"]
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-IN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    # The Content-Security-Policy refuses inline scripts, styles and handlers: any page that
    # still has one fails its test, wherever it is.
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page
    context.close()
    assert not refused, refused


def browser_login(page, base_url: str, user, password: str = TEST_PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#email", user.email)
    page.fill("#password", password)
    page.click("button[type=submit] >> text=Sign in")
    page.wait_for_load_state()
