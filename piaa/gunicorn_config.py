"""gunicorn settings for serving PIAA: ``gunicorn -c python:piaa.gunicorn_config 'piaa:create_app()'``
(the Docker image's command, and ``benchmarks/delivery_load.py``'s).

Workers: two per core (``WEB_WORKERS`` overrides), sync: a candidate's call spends part of
its time waiting for PostgreSQL, which the other worker on the core fills.

Garbage collection: what a worker holds once it has loaded the app (modules, mappers, compiled
statements and templates) lives as long as the process, yet every full collection walked it
again, stalling the worker's request for tens of milliseconds. ``gc.freeze`` after loading
moves it out of the collector's way: in 100 sittings run in one process, full collections took
328 ms before and 160 ms after.

Job threads: a stopping worker waits for them (``worker_exit``). ``tests/test_serving.py``
checks both hooks.
"""
from __future__ import annotations

import gc
import os

workers = int(os.environ.get("WEB_WORKERS") or 2 * (os.cpu_count() or 1))
JOB_GRACE_S = 25.0  # how long a stopping worker waits for its job threads, within gunicorn's 30 s


def post_worker_init(worker) -> None:
    """Called by gunicorn in each worker once the app is loaded."""
    gc.freeze()


def worker_exit(server, worker) -> None:
    """Called by gunicorn as a worker stops (a restart, a deploy): a job running in one of its
    threads (a certificate render, without Redis) finishes rather than being cut off with
    its job row left "running"."""
    from piaa import jobs

    jobs.join_threads(timeout=JOB_GRACE_S)

