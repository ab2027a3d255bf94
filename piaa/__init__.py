"""PIAA: the Proctored, Independent, Authorised Assessment service.

Nothing web-related is imported at package level, so ``piaa.psychometrics`` can be used
as a library on its own without pulling in Flask or SQLAlchemy.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__version__ = "0.1.0"


def create_app(config: dict[str, Any] | None = None) -> "Flask":
    """Build the app: defaults and PIAA_* variables, then ``config`` overrides (tests)."""
    from flask import Flask

    _listen_for_sqlite_connections()
    app = Flask(__name__, instance_relative_config=True,
                instance_path=str(Path.cwd() / "instance"))
    from piaa.config import load_settings

    app.config.from_mapping(load_settings(Path(app.instance_path)))
    if config:
        app.config.update(config)
    _init_extensions(app)
    _register_blueprints(app)
    return app


def _init_extensions(app: "Flask") -> None:
    from piaa.accounts.auth import init_auth
    from piaa.api import register_error_handlers
    from piaa.extensions import csrf, db, init_limiter
    from piaa.i18n import init_i18n
    from piaa.input_bounds import init_input_bounds
    from piaa.security_headers import init_security_headers
    from piaa.static_files import init_static_files
    from piaa.navigation import init_navigation
    from piaa.operations import init_operations

    import piaa.models  # noqa: F401  (all tables known to the metadata)

    init_operations(app)  # first, so that its request id and timing cover every other hook
    init_input_bounds(app)
    db.init_app(app)
    csrf.init_app(app)
    init_limiter(app)
    init_auth(app)
    init_i18n(app)
    init_navigation(app)
    register_error_handlers(app)

    @app.before_request
    def api_csrf():
        # Bearer-token callers are machines; browser callers signed in by session cookie must
        # send the CSRF token in the X-CSRFToken header like every form does. Anonymous callers
        # hold no session to abuse: the view's own role check answers them (401).
        from flask import request

        from piaa.api import is_api_request

        from flask import current_app
        from flask_login import current_user

        from flask import g

        # Only a user found by the token skips the check: a session user with any Bearer
        # header attached is still a browser session that a forged form could ride.
        if (current_app.config.get("WTF_CSRF_ENABLED", True) and is_api_request() and request.method not in ("GET", "HEAD", "OPTIONS")
                and current_user.is_authenticated and not g.get("authenticated_by_token")):
            csrf.protect()

    init_security_headers(app)
    init_static_files(app)  # last, so that its compression sees every other hook's headers


def _register_blueprints(app: "Flask") -> None:
    from piaa.blueprints import BLUEPRINTS
    from piaa.extensions import csrf

    for target in BLUEPRINTS:
        module_name, attribute = target.split(":")
        blueprint = getattr(importlib.import_module(module_name), attribute)
        if blueprint.url_prefix and blueprint.url_prefix.startswith("/api/"):
            csrf.exempt(blueprint)  # the API authenticates per request; see piaa.api
        app.register_blueprint(blueprint)
    _serve_favicon(app)


def _serve_favicon(app: "Flask") -> None:
    """Browsers ask for /favicon.ico on every first load; answer with the icon, cached a day."""
    from flask import send_from_directory

    from piaa.accounts.auth import public

    @public
    def favicon():
        return send_from_directory(app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                                   max_age=86400)

    app.add_url_rule("/favicon.ico", "favicon", favicon)


def _listen_for_sqlite_connections() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _sqlite_pragmas):
        event.listen(Engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: WAL for concurrent readers, enforced foreign keys, patience on locks."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
