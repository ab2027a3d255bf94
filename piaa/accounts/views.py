"""Sign in, sign out, the home page and the account page."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from piaa.accounts import services
from piaa.accounts.auth import public, role_required
from piaa.accounts.forms import LoginForm
from piaa.api import api_blueprint, openapi
from piaa.extensions import db, limiter
from piaa.i18n import SUPPORTED_LANGUAGES

bp = Blueprint("accounts", __name__)
api = api_blueprint("accounts_api", __name__)

# Where each role starts after signing in; domains add their landing pages as they grow.
ROLE_HOME: dict[str, str] = {
    "candidate": "delivery_pages.dashboard",
    "proctor": "delivery_pages.proctor_dashboard",
    "admin": "admin.dashboard",
    "psychometrician": "admin.psychometrician_home",
    "analyst": "admin.analyst_home",
}


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit("10 per minute", methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            flash("E-mail or password is wrong.", "error")
        else:
            login_user(user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or url_for("accounts.home"))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@role_required()
def logout():
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
