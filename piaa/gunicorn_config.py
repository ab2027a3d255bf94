"""gunicorn settings for serving PIAA: ``gunicorn -c python:piaa.gunicorn_config 'piaa:create_app()'``
(the Docker image's command, and ``benchmarks/delivery_load.py``'s).

Workers: two per core (``WEB_WORKERS`` overrides), sync: a candidate's call spends part of
its time waiting for PostgreSQL, which the other worker on the core fills.

Garbage collection: what a worker holds once it has loaded the app (modules, mappers, compiled
statements and templates) lives as long as the process, yet every full collection walked it
again, stalling the worker's request for tens of milliseconds. ``gc.freeze`` after loading
moves it out of the collector's way: in 100 sittings run in one process, full collections took
328 ms before and 160 ms after.

Preloading: the master builds the app once and forks its workers from it, so after a restart
(a crash, a deploy) the workers answer as soon as they are forked instead of each building the
app itself at the same time on the same cores (``benchmarks/restart_to_answer.py`` measures
it). Nothing in ``create_app()`` connects to the database, and ``post_fork`` drops any pooled
connection a worker inherits anyway: a connection shared by two processes mixes their
conversations. ``WEB_PRELOAD=0`` turns preloading off.

Metrics: with ``PROMETHEUS_MULTIPROC_DIR`` set, each worker writes its counters to files there
and ``/metrics`` adds them up; a worker that exits is marked dead so its gauges stop counting.

Errors gunicorn answers itself (a request line over ``limit_request_line``: 414; headers too
large: 431; a malformed request: 400) are JSON like the app's own, ``{"error": {"code",
"message"}}``, not gunicorn's HTML page: API clients parse one shape for every error.

Job threads: a stopping worker waits for them (``worker_exit``). ``tests/test_serving.py``
and ``tests/operations/test_gunicorn_config.py`` check the hooks.
"""
from __future__ import annotations

import gc
import json
import os

from gunicorn import util

workers = int(os.environ.get("WEB_WORKERS") or 2 * (os.cpu_count() or 1))
preload_app = os.environ.get("WEB_PRELOAD", "1") != "0"
JOB_GRACE_S = 25.0  # how long a stopping worker waits for its job threads, within gunicorn's 30 s


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's ``util.write_error`` (which writes an HTML page), writing the app's JSON
    error instead; gunicorn's workers look it up on ``gunicorn.util`` when they answer."""
    body = json.dumps({"error": {"code": reason.lower().replace(" ", "_"),
                                 "message": (mesg or reason)[:500]}}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nCache-Control: no-store\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin1") + body)


util.write_error = write_json_error


def on_starting(server) -> None:
    """Called by gunicorn in the master before it forks: JSON log lines unless
    ``PIAA_LOG_FORMAT`` asks for text (see ``piaa.operations.logs``)."""
    from piaa.operations.logs import configure_from_environment

    configure_from_environment(default_format="json")


def post_fork(server, worker) -> None:
    """Called by gunicorn in each worker just after the fork."""
    if preload_app:
        forget_inherited_connections(server.app.wsgi())


def forget_inherited_connections(app) -> None:
    """Drop the database pools' connections copied from the master without closing them
    (closing would end the master's sessions too); the worker opens its own."""
    from piaa.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)


def child_exit(server, worker) -> None:
    """Called by gunicorn in the master when a worker has exited."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker) -> None:
    """Called by gunicorn in each worker once the app is loaded."""
    gc.freeze()


def worker_exit(server, worker) -> None:
    """Called by gunicorn as a worker stops (a restart, a deploy): a job running in one of its
    threads (a certificate render, without Redis) finishes rather than being cut off with
    its job row left "running"."""
    from piaa import jobs

    jobs.join_threads(timeout=JOB_GRACE_S)

