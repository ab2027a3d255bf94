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

Closing: gunicorn closes each connection gracefully (RFC 9112 section 9.6): it half-closes,
then waits, up to 2 s, for the client to close its side, so that request bytes it never read
cannot make the kernel reset the connection and cut off the response. A sync worker takes no
other request meanwhile, and the client's close comes when its own event loop gets round to
it: a quarter to a third of a worker's time under load on loopback (py-spy). Once a request's
whole body has been read and nothing more has arrived, there is nothing to reset, so the
worker closes at once (``close_promptly``); otherwise it lingers as gunicorn does.

Job threads: a stopping worker waits for them (``worker_exit``). ``tests/test_serving.py``
and ``tests/operations/test_gunicorn_config.py`` check the hooks.
"""
from __future__ import annotations

import gc
import json
import os
import socket

from gunicorn import util
from gunicorn.http.body import LengthReader

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

_close_graceful = getattr(util.close_graceful, "__wrapped__", util.close_graceful)  # once, if reloaded
_request_read = [False]  # set per request by ``post_request``; a sync worker serves one at a time


def close_promptly(sock, timeout: float = 2.0, max_drain: int = 65536) -> None:
    """gunicorn's ``close_graceful``, without its wait for the client's close when the
    request was read whole and no byte is waiting unread (then no reset can follow)."""
    read, _request_read[0] = _request_read[0], False
    if not read or _waiting_bytes(sock):
        _close_graceful(sock, timeout, max_drain)
        return
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def _waiting_bytes(sock) -> bool:
    try:
        return bool(sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except (BlockingIOError, InterruptedError):
        return False  # nothing waiting
    except OSError:
        return True  # let the graceful close deal with a broken socket


close_promptly.__wrapped__ = _close_graceful
util.close_graceful = close_promptly


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


def post_request(worker, req, environ, resp) -> None:
    """Called by gunicorn after each request: whether its body was read to the end (a
    Content-Length body, or none), which lets the close skip the wait."""
    reader = getattr(getattr(req, "body", None), "reader", None)
    _request_read[0] = isinstance(reader, LengthReader) and reader.length == 0


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

