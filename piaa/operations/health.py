"""Liveness and readiness.

Liveness says the process answers at all. Readiness checks what the service leans on:

* ``database``: a ``SELECT 1``;
* ``redis``: a ``PING``, when ``PIAA_REDIS_URL`` is set (rate-limit counters and the queue);
* ``job_queue``: with Redis, the queue's length and how many RQ workers listen to it; in
  both modes, jobs left ``queued`` for longer than ``STALE_QUEUED`` (queued but never run);
* ``signing_keys``: the certificate keys load.

Only the database and Redis decide the answer (503 when either fails): a load balancer then
sends no traffic to a web process that cannot serve it. A queue without workers or missing
keys leave the service ready but ``degraded``: candidates can still sit, and taking every
web process out of rotation for them would turn a delayed certificate into an outage.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Flask

STALE_QUEUED = timedelta(minutes=10)
REQUIRED = ("database", "redis")


@dataclass
class Check:
    ok: bool
    detail: dict = field(default_factory=dict)
    ms: float = 0.0

    def as_dict(self) -> dict:
        return {"ok": self.ok, "ms": round(self.ms, 1), **self.detail}


def _timed(check) -> Check:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as exc:  # what failed is the answer
        result = Check(False, {"error": type(exc).__name__})
    result.ms = (time.perf_counter() - started) * 1000
    return result


def check_database() -> Check:
    from sqlalchemy import text

    from piaa.extensions import db

    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return Check(True)


def _redis(app: Flask):
    from redis import Redis

    return Redis.from_url(app.config["PIAA_REDIS_URL"], socket_connect_timeout=1, socket_timeout=1)


def check_redis(app: Flask) -> Check:
    if not app.config.get("PIAA_REDIS_URL"):
        return Check(True, {"configured": False})
    _redis(app).ping()
    return Check(True, {"configured": True})


def check_job_queue(app: Flask) -> Check:
    from sqlalchemy import func, select

    from piaa.clock import now
    from piaa.extensions import db
    from piaa.jobs import QUEUE_NAME, QUEUED, Job

    with db.engine.connect() as conn:
        stale = conn.scalar(select(func.count()).select_from(Job).where(
            Job.state == QUEUED, Job.created_at < now() - STALE_QUEUED))
    detail = {"backend": "rq" if app.config.get("PIAA_REDIS_URL") else "thread", "stale_queued": stale}
    ok = stale == 0
    if detail["backend"] == "rq":
        from rq import Queue, Worker

        connection = _redis(app)
        queue = Queue(QUEUE_NAME, connection=connection)
        detail["queued"] = queue.count
        detail["workers"] = Worker.count(queue=queue)
        ok = ok and detail["workers"] > 0
    return Check(ok, detail)


def check_signing_keys(app: Flask) -> Check:
    from piaa.certificates.keys import KeyPaths, SigningKeyError, load_keys

    try:
        load_keys(KeyPaths.resolve(app.instance_path, app.config))
    except SigningKeyError:
        return Check(False, {"error": "missing or unreadable (piaa keys init)"})
    return Check(True)


def readiness(app: Flask) -> tuple[bool, dict[str, Check]]:
    checks = {
        "database": _timed(check_database),
        "redis": _timed(lambda: check_redis(app)),
        "job_queue": _timed(lambda: check_job_queue(app)),
        "signing_keys": _timed(lambda: check_signing_keys(app)),
    }
    return all(checks[name].ok for name in REQUIRED), checks
