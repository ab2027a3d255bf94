"""The gunicorn hooks added for preloading and multiprocess metrics (``piaa.gunicorn_config``)."""
from __future__ import annotations

import importlib
from types import SimpleNamespace

from sqlalchemy import text

from piaa import gunicorn_config
from piaa.extensions import db


def test_the_app_is_preloaded_unless_turned_off(monkeypatch):
    monkeypatch.delenv("WEB_PRELOAD", raising=False)
    assert importlib.reload(gunicorn_config).preload_app is True
    monkeypatch.setenv("WEB_PRELOAD", "0")
    assert importlib.reload(gunicorn_config).preload_app is False
    monkeypatch.delenv("WEB_PRELOAD")
    importlib.reload(gunicorn_config)


def test_a_forked_worker_forgets_the_connections_of_the_master(app):
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    pool = db.engine.pool
    assert pool.checkedin() >= 1
    server = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app))
    gunicorn_config.post_fork(server, worker=None)
    assert db.engine.pool is not pool and db.engine.pool.checkedin() == 0
    with db.engine.connect() as conn:  # and opens its own
        assert conn.execute(text("SELECT 1")).scalar() == 1


def test_an_exited_worker_stops_counting_in_the_metrics(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"")
    gunicorn_config.child_exit(server=None, worker=SimpleNamespace(pid=4242))
    assert not (tmp_path / "gauge_livesum_4242.db").exists()


def test_the_master_logs_json_lines_and_building_an_app_alone_changes_no_logging(monkeypatch):
    import logging

    from piaa import create_app
    from piaa.operations import logs

    monkeypatch.delenv("PIAA_LOG_FORMAT", raising=False)
    monkeypatch.setenv("PIAA_SECRET_KEY", "x")  # nothing written into an instance folder
    monkeypatch.setattr(logs, "_configured", False)
    root = logging.getLogger()
    before = list(root.handlers), root.level
    create_app({"TESTING": False, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert (list(root.handlers), root.level) == before
    try:
        gunicorn_config.on_starting(server=None)
        ours = [h for h in root.handlers if getattr(h, "_piaa", False)]
        assert len(ours) == 1 and isinstance(ours[0].formatter, logs.JsonFormatter)
    finally:
        for handler in [h for h in root.handlers if getattr(h, "_piaa", False)]:
            root.removeHandler(handler)
        root.setLevel(before[1])
        logs._configured = False


def test_gunicorn_answers_its_own_errors_as_json(tmp_path):
    """An over-long request line is refused by gunicorn before the app sees it: 414, in the
    app's JSON error shape rather than gunicorn's HTML page (headers too large: 431)."""
    import requests

    from tests.operations.harness import Gunicorn

    server = Gunicorn(tmp_path, {"PIAA_DATABASE_URL": f"sqlite:///{tmp_path / 'piaa.sqlite3'}",
                                 "WEB_PRELOAD": "0"}, workers=1)
    server.start()
    try:
        response = requests.get(f"{server.url}/api/v1/competencies?q={'x' * 9000}", timeout=10)
        assert response.status_code == 414
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["error"]["code"] == "uri_too_long"
        response = requests.get(f"{server.url}/api/v1/me", headers={"X-Big": "y" * 9000}, timeout=10)
        assert response.status_code == 431 and response.json()["error"]["message"]
    finally:
        server.stop()
