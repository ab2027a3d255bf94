"""Who is calling: session login for people, Bearer tokens for machines, and role checks."""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import Flask, g, redirect, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user

from piaa.api import error_response, is_api_request
from piaa.errors import Forbidden
from piaa.extensions import db, login_manager
from piaa.i18n import N_


# Files that are the same for everyone and kept by browsers and shared caches for a year.
SHARED_FILE_ENDPOINTS = frozenset({"static", "favicon"})


class TokenAwareSessionInterface(SecureCookieSessionInterface):
    """No session cookie for requests authenticated by a Bearer token: machines get no
    browser session that could outlive or widen the token.

    Nor for static files: reading the session (the language chosen before each request) would
    make Flask answer ``Vary: Cookie``, and a shared cache would then keep one copy of a
    fingerprinted style sheet per visitor; a ``Set-Cookie`` on a ``public`` answer is worse."""

    def save_session(self, app, session, response):
        if g.get("authenticated_by_token") or request.endpoint in SHARED_FILE_ENDPOINTS:
            return None
        return super().save_session(app, session, response)


def init_auth(app: Flask) -> None:
    from pathlib import Path

    from piaa.accounts import holders

    stamp = app.config.get("PIAA_HOLDER_STAMP")
    holders.watch(Path(stamp) if stamp else None, app.config.get("PIAA_REDIS_URL"))
    app.session_interface = TokenAwareSessionInterface()
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_id: str):
        """The user of a session cookie (``User.get_id()``: id and session generation), or
        None once the generation has moved on (signed out, new password, deactivated)."""
        from piaa.accounts import holders
        from piaa.accounts.models import User

        user_id, _, generation = session_id.partition(":")
        if not (user_id.isdigit() and generation.isdigit()):
            return None
        key = ("session", int(user_id))
        held = holders.recall(key)
        if held is not None:
            user = held.user_in(db.session)
        else:
            user = db.session.get(User, int(user_id))
            if user is not None:
                holders.remember(key, user)
        if user is None or (user.session_generation or 0) != int(generation):
            return None
        return user

    @login_manager.request_loader
    def load_from_token(req):
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        from piaa.accounts.services import note_token_use, token_holder

        held = token_holder(db.session, header[7:].strip())
        g.authenticated_by_token = True
        if held is None:
            return None
        if note_token_use(db.session, held):
            db.session.commit()  # last_used_at moved (services.TOKEN_USE_RESOLUTION)
        # The user as just read or recalled, also after that commit (which expired what the
        # session held): no second read of the row.
        return held.user_in(db.session)

    @login_manager.unauthorized_handler
    def unauthorized():
        if is_api_request():
            return error_response(401, "unauthorized", "Sign in or send a Bearer token.")
        return redirect(url_for("accounts.login", next=request.full_path))


def role_required(*roles: str) -> Callable:
    """Let in signed-in users holding one of ``roles``.

    :raise 401: (via Flask-Login) if nobody is signed in.
    :raise Forbidden: if the user's role is not among ``roles``.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                raise Forbidden(N_("this needs the role {roles}; you are {role}"),
                                values={"roles": list(roles), "role": current_user.role})
            return view(*args, **kwargs)

        guarded._roles = roles
        return guarded

    return decorate


def public(view: Callable) -> Callable:
    """Mark a view as open to everyone, signed in or not (the authorization test reads this)."""
    view._public = True
    return view
