"""Running the service: health and readiness, Prometheus metrics, JSON logs with a request id
that follows the work into background jobs, error reporting to a Sentry-compatible service,
a 503 with a JSON error while the database or Redis is away, and backups.

``init_operations(app)`` wires the per-request parts into an app; the endpoints live in
:mod:`piaa.operations.views` and the commands (``piaa backup`` / ``piaa restore``) in
:mod:`piaa.operations.cli`.
"""
from __future__ import annotations

from flask import Flask


def init_operations(app: Flask) -> None:
    from piaa.operations import logs, metrics, reporting, unavailable

    logs.init_app(app)
    metrics.init_app(app)
    unavailable.init_app(app)
    reporting.init_app(app)
