"""Background jobs: an in-process thread by default, RQ workers on Redis when PIAA_REDIS_URL is set.

A job is a function named by its dotted path, called with keyword arguments inside an app
context; it returns a JSON-serialisable result. Its state lives in the ``job`` table, so the
web tier can show it whichever backend ran it. Long jobs report progress with
``report_progress(done, total)``.

A service that must not commit (the request commits once) queues follow-up work with
:func:`enqueue_after_commit`: the job starts only if and when that transaction commits, so it
never runs against rows that were rolled back or are not yet visible to its worker.

A job whose hand-over failed (Redis away at that moment, or the web process killed between
writing the row and starting its thread) stays ``queued`` in the table and is handed over
again by :func:`requeue_stalled`, which the sweeper runs on every pass. A job handed over twice
still runs once: a runner first claims the row (queued -> running), and only one claim wins.
"""
from __future__ import annotations

import importlib
import logging
import threading
import time
import traceback
import uuid
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app

from sqlalchemy import JSON, DateTime, Integer, String, Text, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, scoped_session

from piaa.clock import as_utc, now
from piaa.extensions import db

QUEUED, RUNNING, FINISHED, FAILED = "queued", "running", "finished", "failed"
QUEUE_NAME = "piaa"
AFTER_COMMIT = "piaa.jobs.after_commit"  # session.info key: jobs waiting for the commit
log = logging.getLogger(__name__)
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

    # A Redis that stops answering must not hold a request for the system's connect timeout.
    return Redis.from_url(app.config["PIAA_REDIS_URL"], socket_connect_timeout=2)


def enqueue(func_path: str, *, created_by: int | None = None, **kwargs: Any) -> str:
    """Queue ``func_path(**kwargs)``; returns the job id. Commits the job row first so a
    worker on another machine can find it."""
    _resolve(func_path)  # fail now, in the caller, on a bad name
    app = current_app._get_current_object()
    job = _new_job(app, func_path, created_by, kwargs)
    db.session.add(job)
    db.session.commit()
    try:
        _start(app, job)
    except _QUEUE_UNREACHABLE:  # the row is written: requeue_stalled hands it over later
        log.warning("job %s (%s) could not be handed to the queue; it waits for the re-queue",
                    job.id, func_path, exc_info=True)
    return job.id


def enqueue_after_commit(session: Session | scoped_session, func_path: str, *,
                         created_by: int | None = None, **kwargs: Any) -> None:
    """Queue ``func_path(**kwargs)`` once the transaction of ``session`` commits; if it rolls
    back instead, the job is dropped.

    Within one transaction, a call the same as one already queued is queued once, and calls
    to the same function whose arguments are all lists (of ids, typically) become one job over
    the lists joined, so work queued item by item (a rescoring of thousands of attempts) runs
    as one job rather than one thread or queue entry per item.
    """
    _resolve(func_path)
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction():
        session.begin()  # so that a rollback has a transaction to end, and drops the job
    pending: list[tuple[str, int | None, dict]] = session.info.setdefault(AFTER_COMMIT, [])
    if kwargs and all(isinstance(value, list) for value in kwargs.values()):
        for queued_func, queued_by, queued in pending:
            if (queued_func, queued_by) == (func_path, created_by) and queued.keys() == kwargs.keys():
                for name, values in kwargs.items():
                    queued[name].extend(values)
                return
        kwargs = {name: list(values) for name, values in kwargs.items()}
    call = (func_path, created_by, kwargs)
    if call not in pending:
        pending.append(call)


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the work is not committed yet
        return
    pending = session.info.pop(AFTER_COMMIT, None)
    if not pending:
        return
    app = current_app._get_current_object()
    for func_path, created_by, kwargs in pending:
        # The committed session may not run SQL inside this event: the job row gets a
        # session of its own. A failure to queue must not turn the caller's successful
        # commit into an error; the work stays undone and is logged.
        try:
            job = _new_job(app, func_path, created_by, kwargs)
            with Session(db.engine, expire_on_commit=False) as own:
                own.add(job)
                own.commit()
            _start(app, job)
        except Exception:
            log.exception("job %s could not be queued after the commit", func_path)


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted(session: Session, transaction) -> None:
    # Runs after _enqueue_committed when the outermost transaction commits, so whatever is
    # still pending here was rolled back. A savepoint rolled back keeps its jobs: the jobs
    # must in any case tolerate finding their rows gone.
    if transaction.parent is None:
        session.info.pop(AFTER_COMMIT, None)


def _new_job(app: Flask, func_path: str, created_by: int | None, kwargs: dict) -> Job:
    backend = "rq" if app.config.get("PIAA_REDIS_URL") else "thread"
    return Job(id=str(uuid.uuid4()), func=func_path, kwargs=kwargs, state=QUEUED,
               backend=backend, created_by_id=created_by, created_at=now())


def _start(app: Flask, job) -> None:
    """Hand ``job`` (a ``Job``, or any row with its ``id`` and ``backend``) to its runner."""
    from piaa.operations.logs import current_request_id

    request_id = current_request_id()  # the job's log lines carry the id of the request that queued it
    if job.backend == "rq":
        from rq import Queue

        Queue(QUEUE_NAME, connection=_redis(app)).enqueue(
            "piaa.jobs.run_in_worker", job.id, request_id=request_id, job_id=job.id, job_timeout=6 * 3600)
    else:
        thread = threading.Thread(target=_run_in_thread, args=(app, job.id, request_id), daemon=True,
                                  name=f"piaa-job-{job.id[:8]}")
        _threads[job.id] = thread
        thread.start()


_threads: dict[str, threading.Thread] = {}


def _queue_unreachable() -> tuple[type[BaseException], ...]:
    from redis import exceptions

    return (exceptions.ConnectionError, exceptions.TimeoutError)


_QUEUE_UNREACHABLE = _queue_unreachable()

# How long a job may stay ``queued`` before it is taken for lost. Under RQ a job waits in its
# queue as long as the workers are busy (a calibration can take hours), so there the queue is
# asked as well: only a job it does not hold is handed over again. A thread is started at
# once and claims its row within milliseconds, so a thread job still queued this long after
# it was written lost its thread with the process that was to start it.
STALLED_AFTER = timedelta(seconds=60)
_RQ_LIVE_STATES = {"queued", "started", "deferred", "scheduled"}


def requeue_stalled(app: Flask, older_than: timedelta = STALLED_AFTER) -> list[str]:
    """Hand over again every job written more than ``older_than`` ago that is still
    ``queued`` and that no runner holds (not in the RQ queue, or no thread in this process);
    returns their ids. Safe to run from any number of processes at once: a job handed over
    twice is claimed once (see :func:`execute`). A queue still away leaves the jobs for the
    next pass."""
    at = now()
    stalled = db.session.execute(
        select(Job.id, Job.func, Job.backend, Job.created_at)
        .where(Job.state == QUEUED, Job.created_at <= at - older_than).order_by(Job.created_at)).all()
    db.session.rollback()  # read only: each job's runner writes its row
    requeued = []
    for job in stalled:
        if job.backend == "rq" and not app.config.get("PIAA_REDIS_URL"):
            continue  # queued for workers this process cannot reach
        try:
            if job.backend == "rq" and _held_by_rq(app, job.id):
                continue
            if job.backend == "thread" and job.id in _threads:
                continue
            _start(app, job)
        except _QUEUE_UNREACHABLE:
            log.warning("the job queue is still unreachable: %d stalled jobs wait for the next pass",
                        len(stalled) - len(requeued))
            break
        log.info("job %s (%s) re-queued: still queued %s after it was written", job.id, job.func,
                 at - as_utc(job.created_at))
        requeued.append(job.id)
    return requeued


def _held_by_rq(app: Flask, job_id: str) -> bool:
    """Whether RQ holds the job (waiting, running or scheduled); an entry it finished, failed
    or lost without running our job (a worker killed at the start) is cleared for the new one."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as QueueEntry

    connection = _redis(app)
    try:
        entry = QueueEntry.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return False
    if (entry.get_status(refresh=False) or "") in _RQ_LIVE_STATES:
        return True
    entry.delete()
    return False


def _run_in_thread(app: Flask, job_id: str, request_id: str | None = None) -> None:
    from piaa.operations.logs import bound_request_id

    try:
        with app.app_context(), bound_request_id(request_id):
            execute(job_id)
    finally:
        _threads.pop(job_id, None)  # a long-lived web worker keeps no record of finished ones


def join_threads(timeout: float = 60.0) -> None:
    """Wait for this process's job threads to end: a stopping web worker
    (``piaa.gunicorn_config.worker_exit``), and tests between cases, where a PDF render must
    not run on while the next case reuses the database or the fonts."""
    deadline = time.monotonic() + timeout  # for all of them together
    for thread in list(_threads.values()):
        thread.join(max(deadline - time.monotonic(), 0.0))


def run_in_worker(job_id: str, request_id: str | None = None) -> None:
    """Entry point for RQ workers: they build their own app from the environment."""
    from flask import has_app_context

    from piaa.operations.logs import bound_request_id

    if has_app_context():  # a burst worker inside the caller's app (tests, `piaa worker --burst`)
        with bound_request_id(request_id):
            execute(job_id)
        return
    from piaa import create_app

    with create_app().app_context(), bound_request_id(request_id):
        execute(job_id)


def execute(job_id: str) -> None:
    """Run one job and record its outcome; failures are stored, not raised."""
    from piaa.operations import metrics, reporting

    claimed = db.session.execute(update(Job).where(Job.id == job_id, Job.state == QUEUED)
                                 .values(state=RUNNING, started_at=now()))
    db.session.commit()
    if claimed.rowcount != 1:  # handed over twice (a re-queue), and the other runner has it
        log.info("job %s is not queued any more: another runner took it", job_id)
        return
    job = db.session.get(Job, job_id)
    token = _current_job.set(job_id)
    started, func = time.perf_counter(), job.func
    try:
        result = _resolve(job.func)(**job.kwargs)
        db.session.commit()
        job = db.session.get(Job, job_id)
        job.state, job.result = FINISHED, result
    except Exception as exc:  # the job's own failure is its result
        db.session.rollback()
        log.exception("job %s (%s) failed", job_id, func)
        reporting.capture_job_failure(func, job_id, exc)
        job = db.session.get(Job, job_id)
        job.state = FAILED
        job.error = f"{exc}\n\n{traceback.format_exc(limit=8)}"
    finally:
        _current_job.reset(token)
    metrics.job_finished(func, job.state, time.perf_counter() - started)
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
