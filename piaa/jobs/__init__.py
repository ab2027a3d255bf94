"""Background jobs: an in-process thread by default, RQ workers on Redis when PIAA_REDIS_URL is set.

A job is a function named by its dotted path, called with keyword arguments inside an app
context; it returns a JSON-serialisable result. Its state lives in the ``job`` table, so the
web tier can show it whichever backend ran it. Long jobs report progress with
``report_progress(done, total)``.
"""
from __future__ import annotations

import importlib
import threading
import traceback
import uuid
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import JSON, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from piaa.clock import now
from piaa.extensions import db

QUEUED, RUNNING, FINISHED, FAILED = "queued", "running", "finished", "failed"
QUEUE_NAME = "piaa"
_current_job: ContextVar[str | None] = ContextVar("piaa_current_job", default=None)


class Job(db.Model):
    __tablename__ = "job"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    func: Mapped[str] = mapped_column(String(200))
    kwargs: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default=QUEUED, index=True)
    backend: Mapped[str] = mapped_column(String(16))
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[Any | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def _resolve(func_path: str):
    module_name, _, name = func_path.rpartition(".")
    return getattr(importlib.import_module(module_name), name)


def _redis(app: Flask):
    from redis import Redis

    return Redis.from_url(app.config["PIAA_REDIS_URL"])


def enqueue(func_path: str, *, created_by: int | None = None, **kwargs: Any) -> str:
    """Queue ``func_path(**kwargs)``; returns the job id. Commits the job row first so a
    worker on another machine can find it."""
    _resolve(func_path)  # fail now, in the caller, on a bad name
    app = current_app._get_current_object()
    backend = "rq" if app.config.get("PIAA_REDIS_URL") else "thread"
    job = Job(id=str(uuid.uuid4()), func=func_path, kwargs=kwargs, state=QUEUED,
              backend=backend, created_by_id=created_by, created_at=now())
    db.session.add(job)
    db.session.commit()
    if backend == "rq":
        from rq import Queue

        Queue(QUEUE_NAME, connection=_redis(app)).enqueue(
            "piaa.jobs.run_in_worker", job.id, job_id=job.id, job_timeout=6 * 3600)
    else:
        thread = threading.Thread(target=_run_in_thread, args=(app, job.id), daemon=True,
                                  name=f"piaa-job-{job.id[:8]}")
        thread.start()
        _threads[job.id] = thread
    return job.id


_threads: dict[str, threading.Thread] = {}


def _run_in_thread(app: Flask, job_id: str) -> None:
    with app.app_context():
        execute(job_id)


def run_in_worker(job_id: str) -> None:
    """Entry point for RQ workers: they build their own app from the environment."""
    from flask import has_app_context

    if has_app_context():  # a burst worker inside the caller's app (tests, `piaa worker --burst`)
        execute(job_id)
        return
    from piaa import create_app

    with create_app().app_context():
        execute(job_id)


def execute(job_id: str) -> None:
    """Run one job and record its outcome; failures are stored, not raised."""
    job = db.session.get(Job, job_id)
    job.state, job.started_at = RUNNING, now()
    db.session.commit()
    token = _current_job.set(job_id)
    try:
        result = _resolve(job.func)(**job.kwargs)
        db.session.commit()
        job = db.session.get(Job, job_id)
        job.state, job.result = FINISHED, result
    except Exception as exc:  # the job's own failure is its result
        db.session.rollback()
        job = db.session.get(Job, job_id)
        job.state = FAILED
        job.error = f"{exc}\n\n{traceback.format_exc(limit=8)}"
    finally:
        _current_job.reset(token)
    done, total = _progress.pop(job_id, (job.done, job.total))
    if job.state == FINISHED:
        job.done, job.total = done, total
    job.finished_at = now()
    db.session.commit()


_progress: dict[str, tuple[int, int | None]] = {}


def report_progress(done: int, total: int | None = None) -> None:
    """Record progress of the running job (a no-op outside a job).

    Progress is written on a connection of its own so watchers see it before the job
    commits. SQLite allows one writer at a time and the job usually holds it, so there the
    progress stays in this process (where the thread backend's watchers are).
    """
    job_id = _current_job.get()
    if job_id is None:
        return
    _progress[job_id] = (done, total)
    if db.engine.dialect.name == "sqlite":
        return
    with db.engine.begin() as conn:
        conn.execute(Job.__table__.update().where(Job.id == job_id).values(done=done, total=total))


def job_status(job_id: str) -> Job | None:
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    if job is not None and job.state == RUNNING and job_id in _progress:
        job.done, job.total = _progress[job_id]
    return job


def wait(job_id: str, timeout: float = 60.0) -> Job:
    """Block until a job ends (for the CLI and tests). In RQ mode without a running worker
    this waits for one; tests run a burst worker instead."""
    import time

    deadline = time.monotonic() + timeout
    thread = _threads.get(job_id)
    if thread is not None:
        thread.join(timeout)
    while True:
        job = job_status(job_id)
        if job.state in (FINISHED, FAILED) or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def run_worker(app: Flask, burst: bool = False) -> None:
    """Start an RQ worker on the app's Redis (``piaa worker``)."""
    from rq import Queue, Worker

    connection = _redis(app)
    worker_cls = Worker
    if burst:
        from rq import SimpleWorker

        worker_cls = SimpleWorker  # runs in-process: tests can see the same database
    worker_cls([Queue(QUEUE_NAME, connection=connection)], connection=connection).work(burst=burst)
