"""Sign in, sign out, the home page and the account page."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, jsonify, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from piaa.accounts import known_devices, services
from piaa.accounts.auth import public, role_required
from piaa.accounts.forms import LoginForm
from piaa.api import api_blueprint, openapi
from piaa.extensions import db, limiter
from piaa.i18n import SUPPORTED_LANGUAGES
from piaa.i18n import gettext as _

bp = Blueprint("accounts", __name__)
api = api_blueprint("accounts_api", __name__)

SIGN_INS_PER_ADDRESS = "10 per minute"
# Failed sign-ins to one account from one client: its address, or the browser itself when the
# browser has signed in to the account before (see piaa.accounts.known_devices).
FAILED_SIGN_INS_PER_CLIENT = "5 per 5 minutes; 20 per day"
# Failed sign-ins to one account from all the browsers it does not know, wherever they are:
# what bounds a guesser spread over many addresses.
FAILED_SIGN_INS_FROM_UNKNOWN_BROWSERS = "10 per 5 minutes; 50 per day"

# Where each role starts after signing in; domains add their landing pages as they grow.
ROLE_HOME: dict[str, str] = {
    "candidate": "delivery_pages.dashboard",
    "proctor": "delivery_pages.proctor_dashboard",
    "admin": "admin.dashboard",
    "psychometrician": "admin.psychometrician_home",
    "analyst": "admin.analyst_home",
}


def _safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so
    ``/%09/evil.example`` and ``/%5C/evil.example`` lead off-site like ``//evil.example``: any
    control character, space or backslash refuses the target, and what is left must parse as
    a path with neither scheme nor host.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _email() -> str:
    return (request.form.get("email") or "").strip().lower()[:254]


def _account_key() -> str:
    return "account:" + _email()


def _account_client_key() -> str:
    device = known_devices.device_for(_email())
    client = f"device:{device}" if device else f"address:{get_remote_address()}"
    return f"{_account_key()}|{client}"


def _from_known_browser() -> bool:
    return known_devices.device_for(_email()) is not None


def _sign_in_failed(response) -> bool:
    return response.status_code != 302


# Why not one lock per account (as before): anyone who knew an e-mail could keep its owner out
# by failing five times every five minutes. Why not a growing delay instead of a lock: a
# sleeping request holds a web worker, so the delay would hand the attacker the workers. So the
# owner is told apart from the guesser by what the guesser cannot have: a browser the account
# has been signed in from (a signed cookie). Failures count per client (the known browser, or
# else the address), which locks a guesser out of the account without touching anyone else;
# and failures from all unknown browsers together are bounded per account, which stops a
# guesser spread over many addresses and, at worst, holds up the owner's first sign-in from a
# new browser while the attack lasts, never the browsers they already use. Per address, every
# attempt counts. The counters live in Redis when PIAA_REDIS_URL is set, shared by every
# worker and machine, and in each process's memory while Redis is away.
@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(SIGN_INS_PER_ADDRESS, methods=["POST"])
@limiter.limit(FAILED_SIGN_INS_PER_CLIENT, methods=["POST"], key_func=_account_client_key,
               deduct_when=_sign_in_failed)
@limiter.limit(FAILED_SIGN_INS_FROM_UNKNOWN_BROWSERS, methods=["POST"], key_func=_account_key,
               deduct_when=_sign_in_failed, exempt_when=_from_known_browser)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            flash(_("E-mail or password is wrong."), "error")
        else:
            login_user(user)
            db.session.commit()
            response = redirect(_safe_next(request.args.get("next")) or url_for("accounts.home"))
            known_devices.remember(response, user.email)
            return response
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@role_required()
def logout():
    services.end_sessions(current_user)  # a copy of this cookie must not outlive the sign-out
    db.session.commit()
    logout_user()
    return redirect(url_for("accounts.login"))


@bp.get("/")
@public
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    endpoint = ROLE_HOME.get(current_user.role)
    if endpoint:
        return redirect(url_for(endpoint))
    return render_template("accounts/home.html")


@bp.post("/language")
@public
def set_language():
    lang = request.form.get("lang", "en")
    if lang in SUPPORTED_LANGUAGES:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.preferred_language = lang
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("accounts.home"))


@api.get("/me")
@role_required()
@openapi("The signed-in user", tags=["accounts"], responses={200: "The user"})
def me():
    user = current_user
    return jsonify({"id": user.id, "email": user.email, "name": user.name, "role": user.role,
                    "organisation": user.organisation.name if user.organisation else None})
