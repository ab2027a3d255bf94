"""Structured logs: one JSON object per line, each carrying the request id of the request (or
background job) it belongs to, so a request, its errors and the jobs it queued can be found
together.

The request id is the caller's ``X-Request-ID`` when it is a sane token (a load balancer's),
otherwise a new one; it is echoed in the response's ``X-Request-ID``. A job queued by a
request runs under the same id (:func:`current_request_id` is handed to the job and set again
by :func:`bound_request_id` where it runs).

Where: gunicorn (``piaa.gunicorn_config``) and any process with ``PIAA_LOG_FORMAT`` set (the
image sets ``json``, so its worker, sweeper and commands log alike). ``PIAA_LOG_FORMAT``:
``json`` or ``text``; ``PIAA_LOG_LEVEL``: ``INFO`` by default. Building an app changes no
logging otherwise: tests and the debug server keep Python's and Flask's own.
"""
from __future__ import annotations

import json
import logging
import os
import re
import sys
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_job_request_id: ContextVar[str | None] = ContextVar("piaa_job_request_id", default=None)
_configured = False


def current_request_id() -> str | None:
    """The id of the request being served, or of the request that queued the running job."""
    if has_request_context():
        return g.get("request_id")
    return _job_request_id.get()


@contextmanager
def bound_request_id(request_id: str | None):
    """Run the block (a job) under ``request_id``."""
    token = _job_request_id.set(request_id)
    try:
        yield
    finally:
        _job_request_id.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        job_id = _current_job_id()
        if job_id:
            entry["job_id"] = job_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _current_job_id() -> str | None:
    from piaa.jobs import _current_job

    return _current_job.get()


def configure_logging(fmt: str = "json", level: str = "INFO", stream=None) -> logging.Handler:
    """Send the root logger's records to ``stream`` (stderr) in ``fmt``; returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_piaa", False)]:
        root.removeHandler(old)
    handler._piaa = True
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler


def configure_from_environment(default_format: str | None = None) -> None:
    """Configure logging once per process from ``PIAA_LOG_FORMAT`` (else ``default_format``;
    neither: leave logging alone)."""
    global _configured
    fmt = os.environ.get("PIAA_LOG_FORMAT") or default_format
    if fmt and not _configured:
        configure_logging(fmt, os.environ.get("PIAA_LOG_LEVEL", "INFO"))
        _configured = True


def init_app(app: Flask) -> None:
    configure_from_environment()

    @app.before_request
    def assign_request_id():
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def echo_request_id(response):
        if "request_id" in g:
            response.headers[REQUEST_ID_HEADER] = g.request_id
        return response
