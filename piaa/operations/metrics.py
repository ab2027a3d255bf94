"""Prometheus metrics: requests and their latency per route, answers acknowledged, jobs run,
and, read from the database when scraped, sittings in progress and jobs waiting.

Under gunicorn every worker is a process of its own: with ``PROMETHEUS_MULTIPROC_DIR`` set
(to an empty folder, before the service starts) each worker writes its figures there and
``/metrics`` adds them up (prometheus_client's multiprocess mode; ``piaa.gunicorn_config``
marks exited workers dead). Without it, the figures are those of the one process.
"""
from __future__ import annotations

import logging
import os
import time

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # a worker or command started before the web tier made it
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# The routes whose 2xx means "this answer is durably stored" (the candidate API's save).
ANSWER_ENDPOINTS = frozenset({"delivery_api.save_response"})
# From a cached page (a few ms) to a calibration started by hand (seconds).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter("piaa_http_requests_total", "HTTP requests answered",
                   ["method", "route", "status"])
LATENCY = Histogram("piaa_http_request_duration_seconds", "Time to answer an HTTP request",
                    ["method", "route"], buckets=LATENCY_BUCKETS)
ANSWERS = Counter("piaa_answers_acknowledged_total", "Answers acknowledged to candidates (committed)")
JOBS = Counter("piaa_jobs_total", "Background jobs run to the end", ["func", "state"])
JOB_DURATION = Histogram("piaa_job_duration_seconds", "Time a background job ran", ["func"],
                         buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 1800, 7200))


def init_app(app: Flask) -> None:
    @app.before_request
    def start_clock():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def count(response):
        started = g.pop("metrics_started", None)
        if started is not None:
            rule = request.url_rule
            route = rule.rule if rule is not None else "unmatched"  # never the raw path: unbounded
            REQUESTS.labels(request.method, route, str(response.status_code)).inc()
            LATENCY.labels(request.method, route).observe(time.perf_counter() - started)
            if request.endpoint in ANSWER_ENDPOINTS and 200 <= response.status_code < 300:
                ANSWERS.inc()
        return response


def job_finished(func: str, state: str, seconds: float) -> None:
    JOBS.labels(func, state).inc()
    JOB_DURATION.labels(func).observe(seconds)


class DatabaseCollector:
    """Figures the database holds for the whole service, read once per scrape."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        from sqlalchemy import func, select

        from piaa.delivery import states
        from piaa.delivery.models import Attempt
        from piaa.extensions import db
        from piaa.jobs import Job

        sittings = GaugeMetricFamily("piaa_sittings_in_progress", "Attempts in progress or paused",
                                     labels=["state"])
        jobs = GaugeMetricFamily("piaa_jobs", "Background jobs by state (queued, running, ...)",
                                 labels=["state"])
        up = GaugeMetricFamily("piaa_database_up", "1 if the database answered this scrape")
        try:
            with self.app.app_context(), db.engine.connect() as conn:
                by_state = dict(conn.execute(
                    select(Attempt.state, func.count()).where(
                        Attempt.state.in_((states.IN_PROGRESS, states.PAUSED))).group_by(Attempt.state)).all())
                job_states = dict(conn.execute(select(Job.state, func.count()).group_by(Job.state)).all())
        except Exception:
            log.warning("metrics: the database did not answer", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for state in (states.IN_PROGRESS, states.PAUSED):
            sittings.add_metric([state], by_state.get(state, 0))
        for state, n in sorted(job_states.items()):
            jobs.add_metric([state], n)
        yield from (up, sittings, jobs)


def exposition(app: Flask) -> bytes:
    """The text the scraper reads: every worker's figures, and the database's."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
        body = generate_latest(registry)
        return body + generate_latest(_database_registry(app))
    registry.register(DatabaseCollector(app))
    return generate_latest(registry)


def _database_registry(app: Flask) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(app))
    return registry
