"""While PostgreSQL or Redis is away the service says so: ``503`` with a JSON error (and a
``Retry-After``) to API callers, a short page to browsers, instead of a 500 and a stack trace.

Nothing is retried here: the request's transaction is rolled back, so nothing it did is
acknowledged, and the client sends it again (the candidate's page keeps unacknowledged
answers and resends them). The pool recovers by itself: SQLAlchemy discards every pooled
connection once one of them is found dead, and the next request connects afresh.
"""
from __future__ import annotations

import logging
import sqlite3

from flask import Flask, jsonify, request
from sqlalchemy import exc as sa_exc

log = logging.getLogger(__name__)
RETRY_AFTER_S = 2

PAGE = """<!doctype html><html lang="en"><meta charset="utf-8"><title>503</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<h1>The service is briefly unavailable</h1>
<p>Everything already confirmed is safe. Please try again in a few seconds.</p>
<p lang="hi">सेवा कुछ क्षणों के लिए उपलब्ध नहीं है। कृपया कुछ सेकंड बाद फिर प्रयास करें।</p></html>"""


def _redis_errors() -> tuple[type[BaseException], ...]:
    try:
        from redis import exceptions
    except ImportError:  # pragma: no cover - redis is a dependency
        return ()
    return (exceptions.ConnectionError, exceptions.TimeoutError)


def dependency_of(exc: BaseException) -> str:
    return "redis" if isinstance(exc, _redis_errors()) else "database"


def is_unavailable(exc: BaseException) -> bool:
    """A dependency away or overloaded, rather than a fault of ours. SQLite says both with one
    exception class ("database is locked" / "no such column"): there only locks count."""
    orig = getattr(exc, "orig", None)
    if isinstance(orig, sqlite3.Error):
        message = str(orig).lower()
        return "locked" in message or "busy" in message
    return True


def init_app(app: Flask) -> None:
    unavailable_errors = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError,
                          *_redis_errors())

    def answer_unavailable(exc: BaseException):
        from piaa.api import is_api_request
        from piaa.extensions import db

        if not is_unavailable(exc):  # a fault of ours: the app's catch-all answers and logs it
            catch_all = app.error_handler_spec.get(None, {}).get(None, {}).get(Exception)
            if catch_all is None:
                raise exc
            return catch_all(exc)
        dependency = dependency_of(exc)
        try:
            db.session.rollback()
        except Exception:  # the connection is gone: nothing to roll back on it
            log.debug("rollback after an unavailable %s failed", dependency, exc_info=True)
        # A warning, not an error: an outage is reported once by readiness and monitoring,
        # not once per request; the exception is kept for whoever reads the log.
        log.warning("%s unavailable on %s %s: %s", dependency, request.method, request.path,
                    str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        if is_api_request() or request.accept_mimetypes.best == "application/json":
            response = jsonify({"error": {"code": "unavailable", "dependency": dependency,
                                          "message": f"The service is briefly unavailable ({dependency}); "
                                                     "nothing was saved by this request: send it again."}})
        else:
            response = app.response_class(PAGE, mimetype="text/html")
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        response.headers["Cache-Control"] = "no-store"
        return response

    for error in unavailable_errors:
        app.register_error_handler(error, answer_unavailable)
