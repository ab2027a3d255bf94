"""Health, readiness, metrics, request ids, JSON logs, error reporting and the 503 answered
while a dependency is away (in process; ``test_faults`` does it to a real server)."""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from piaa import create_app, jobs
from piaa.operations import logs
from tests.delivery.helpers import Sitting, bearer
from tests.operations.harness import free_port

ROOT = Path(__file__).resolve().parents[2]


# --- liveness and readiness ------------------------------------------------------------------

def test_liveness_needs_nothing(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def _init_keys(app):
    from piaa.certificates.keys import KeyPaths, init_keys

    init_keys(KeyPaths.resolve(app.instance_path, app.config), organisation="Test", now=datetime.now(timezone.utc))


def test_ready_with_database_and_keys(app, client, key_settings):
    app.config.update(key_settings)
    _init_keys(app)
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True, "redis": True, "job_queue": True, "signing_keys": True}
    assert body["checks"]["redis"]["configured"] is False
    assert body["checks"]["job_queue"]["backend"] == "thread"


def test_missing_keys_leave_the_service_ready_but_degraded(app, client, key_settings):
    app.config.update(key_settings)  # files never created
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["checks"]["signing_keys"]["ok"] is False
    assert "piaa keys init" in body["checks"]["signing_keys"]["error"]


def test_a_job_queued_long_ago_and_never_run_degrades_readiness(app, client, session, clock):
    from datetime import timedelta

    from piaa.jobs import QUEUED, Job

    session.add(Job(id="stale-job", func="piaa.delivery.sweeper.sweep_job", kwargs={}, state=QUEUED,
                    backend="rq", created_at=clock() - timedelta(hours=1)))
    session.commit()
    body = client.get("/readyz").get_json()
    assert body["checks"]["job_queue"] == {**body["checks"]["job_queue"], "ok": False, "stale_queued": 1}


@pytest.fixture
def closed_port() -> int:
    return free_port()  # nothing listens there once the probe socket is closed


def test_unreachable_redis_makes_the_service_unready(app, client, closed_port):
    app.config["PIAA_REDIS_URL"] = f"redis://127.0.0.1:{closed_port}/0"
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"]["ok"] is False and body["checks"]["database"]["ok"] is True
    assert body["error"] == {"code": "unavailable", "message": "not ready: redis"}


# --- 503 while the database is away ----------------------------------------------------------

@pytest.fixture
def app_without_database(tmp_path, closed_port):
    return create_app({"TESTING": True, "SECRET_KEY": "x", "PIAA_REDIS_URL": None, "RATELIMIT_ENABLED": False,
                       "WTF_CSRF_ENABLED": False,
                       "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{closed_port}/none",
                       "PIAA_TEST_INSTANCE": str(tmp_path)})


def test_api_answers_503_with_a_json_error_while_the_database_is_away(app_without_database, closed_port):
    client = app_without_database.test_client()
    response = client.put("/api/v1/attempts/1/responses/x", json={"answer": "A", "seq": 1},
                          headers={"Authorization": "Bearer piaa_whatever"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    error = response.get_json()["error"]
    assert error["code"] == "unavailable" and error["dependency"] == "database"
    assert str(closed_port) not in response.get_data(as_text=True)  # no connection details

    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["checks"]["database"]["ok"] is False


def test_pages_answer_a_short_503_page_while_the_database_is_away(app_without_database):
    client = app_without_database.test_client()
    client.set_cookie("session", "not-a-valid-session")
    response = client.post("/login", data={"email": "a@example.gov.in", "password": "x" * 12})
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "briefly unavailable" in response.get_data(as_text=True)


def test_a_fault_of_ours_on_sqlite_stays_a_500(app, client):
    """"no such table" is an OperationalError on SQLite too, but no dependency is away."""
    from sqlalchemy import text

    from piaa.extensions import db

    @app.get("/api/v1/broken")
    def broken():
        db.session.execute(text("SELECT * FROM no_such_table"))

    @app.get("/api/v1/locked")
    def locked():
        import sqlite3

        from sqlalchemy.exc import OperationalError

        raise OperationalError("UPDATE x", {}, sqlite3.OperationalError("database is locked"))

    assert client.get("/api/v1/broken").status_code == 500
    assert client.get("/api/v1/locked").status_code == 503


# --- metrics ---------------------------------------------------------------------------------

def _sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_requests_latency_and_acknowledged_answers_are_counted(app, client, session, make_assessment,
                                                               make_window, candidate):
    route = {"method": "PUT", "route": "/api/v1/attempts/<int:attempt_id>/responses/<ref>"}
    before_ok = _sample("piaa_http_requests_total", **route, status="200")
    before_answers = _sample("piaa_answers_acknowledged_total")
    before_latency = _sample("piaa_http_request_duration_seconds_count", **route)

    sitting = Sitting(client, bearer(session, candidate))
    sitting.open(make_window(make_assessment("loft")).id)
    sitting.check_in_and_start()
    refs = [item["ref"] for item in sitting.items()]
    sitting.answer(refs[0], "B")
    sitting.answer(refs[1], "A")
    sitting.answer(refs[1], "A", seq=99999, expect=(200, 409, 422))  # a refusal is not an answer
    refused = sitting.received[-1]

    assert _sample("piaa_http_requests_total", **route, status="200") - before_ok >= 2
    assert _sample("piaa_http_request_duration_seconds_count", **route) - before_latency == 3
    acknowledged = _sample("piaa_answers_acknowledged_total") - before_answers
    assert acknowledged == (3 if json.loads(refused[1]).get("saved") else 2)

    text = client.get("/metrics").get_data(as_text=True)
    assert 'piaa_sittings_in_progress{state="in_progress"} 1.0' in text
    assert "piaa_database_up 1.0" in text
    assert 'route="/api/v1/attempts/<int:attempt_id>/responses/<ref>"' in text


def test_unknown_paths_share_one_route_label(client):
    client.get("/no/such/page/12345")
    text = client.get("/metrics").get_data(as_text=True)
    # the raw path is in no label (a bare "12345" may be digits of some figure's value)
    assert 'route="unmatched"' in text and "/no/such/page" not in text


def test_metrics_are_for_the_scraper_only(app, client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "8.8.8.8"}).status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 200
    app.config["PIAA_METRICS_TOKEN"] = "scrape-secret"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"}).status_code == 200


def test_workers_figures_are_added_up_in_multiprocess_mode(tmp_path):
    """Two processes count into one folder; the exposition sums them (as gunicorn's workers)."""
    script = (
        "from prometheus_client import Counter; c = Counter('piaa_demo_total', 'x'); c.inc(%d)")
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for n in (2, 3):
        subprocess.run([sys.executable, "-c", script % n], env=env, check=True)
    reader = ("from prometheus_client import CollectorRegistry, generate_latest, multiprocess; "
              "r = CollectorRegistry(); multiprocess.MultiProcessCollector(r); print(generate_latest(r).decode())")
    out = subprocess.run([sys.executable, "-c", reader], env=env, check=True, capture_output=True, text=True).stdout
    assert "piaa_demo_total 5.0" in out


# --- request ids and logs --------------------------------------------------------------------

def test_every_response_carries_a_request_id(client):
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "lb-1234.abc"}).headers["X-Request-ID"] == "lb-1234.abc"
    forged = client.get("/healthz", headers={"X-Request-ID": "x\" injected <script>"}).headers["X-Request-ID"]
    assert forged != "x\" injected <script>" and len(forged) == 32


def request_id_of_job() -> str | None:
    """A job that reports the request id it runs under."""
    logging.getLogger("piaa.jobs.test").warning("job ran")
    return logs.current_request_id()


def test_a_job_runs_under_the_id_of_the_request_that_queued_it(app):
    with app.test_request_context("/", headers={"X-Request-ID": "req-42"}):
        app.preprocess_request()
        job_id = jobs.enqueue("tests.operations.test_operations.request_id_of_job")
    job = jobs.wait(job_id, timeout=30)
    assert job.state == jobs.FINISHED and job.result == "req-42"


def test_log_lines_are_json_with_the_request_and_job(app):
    record = logging.LogRecord("piaa.test", logging.ERROR, __file__, 1, "failed %s", ("here",), None)
    formatter, request_filter = logs.JsonFormatter(), logs.RequestIdFilter()
    with app.test_request_context("/", headers={"X-Request-ID": "req-7"}):
        app.preprocess_request()
        request_filter.filter(record)
    token = jobs._current_job.set("job-9")
    try:
        line = json.loads(formatter.format(record))
    finally:
        jobs._current_job.reset(token)
    assert line["message"] == "failed here" and line["level"] == "ERROR" and line["logger"] == "piaa.test"
    assert line["request_id"] == "req-7" and line["job_id"] == "job-9"
    datetime.fromisoformat(line["ts"])


# --- error reporting -------------------------------------------------------------------------

class _Ingest(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            import gzip

            body = gzip.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        _Ingest.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def ingest():
    server = HTTPServer(("127.0.0.1", 0), _Ingest)
    _Ingest.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://public@127.0.0.1:{server.server_port}/1"
    server.shutdown()
    import sentry_sdk

    from piaa.operations import reporting

    sentry_sdk.get_client().close()
    sentry_sdk.init(dsn=None)
    reporting._initialised_dsn = None


def test_unhandled_errors_are_reported_with_the_request_id(app_config, ingest, _schema):
    import sentry_sdk

    app = create_app({**app_config, "PIAA_SENTRY_DSN": ingest})

    @app.get("/api/v1/boom")
    def boom():
        raise ZeroDivisionError("boom for the report")

    response = app.test_client().get("/api/v1/boom", headers={"X-Request-ID": "req-sentry"})
    assert response.status_code == 500 and response.get_json()["error"]["code"] == "internal_error"
    sentry_sdk.flush(5)
    events = b"\n".join(_Ingest.received).decode()
    assert "ZeroDivisionError" in events and "boom for the report" in events
    assert "req-sentry" in events


# --- start-up cost ---------------------------------------------------------------------------

HEAVY = ("weasyprint", "pyhanko", "pandas", "scipy.stats", "matplotlib")


def test_building_the_app_leaves_the_heavy_libraries_for_first_use(tmp_path):
    """WeasyPrint, pyHanko, pandas and scipy.stats cost about 2 s of CPU to import: a worker
    (or the gunicorn master) building the app must not pay for them."""
    code = ("import sys; from piaa import create_app; create_app(); "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], cwd=tmp_path, check=True,
                         capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                                              "PIAA_SECRET_KEY": "x"}).stdout
    assert out.strip() == "[]"
