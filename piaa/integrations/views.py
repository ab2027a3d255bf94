"""The LTI tool's endpoints: OIDC login initiation, the launch, the entry ticket, the tool's
JWKS, and the administrator's page of registered platforms.

The login and launch endpoints are exempt from CSRF: the platform posts them cross-site, and
what protects them is the launch itself (the id_token's signature, its nonce spent once, and
the state cookie set at login). They and the entry link are the only views that may be shown
inside another site's frame; every other page keeps ``frame-ancestors 'none'``.
"""
from __future__ import annotations

from urllib.parse import urlparse

from flask import (Blueprint, current_app, flash, jsonify, make_response, redirect, render_template, request,
                   url_for)
from flask_login import current_user, login_user

from piaa.accounts.auth import public, role_required
from piaa.accounts.models import ADMIN
from piaa.errors import DomainError, Invalid
from piaa.extensions import csrf, db
from piaa.i18n import gettext as _
from piaa.integrations import lti
from piaa.integrations.keys import ToolKeyError, tool_key
from piaa.security_headers import CONTENT_SECURITY_POLICY

bp = Blueprint("lti", __name__)

# Pages a platform may show in its frame; HTTPS sites only (an LTI platform is one).
FRAMED = {"frame_options": None,
          "content_security_policy": {**CONTENT_SECURITY_POLICY, "frame-ancestors": "'self' https:"}}


def _framable(view):
    view.talisman_view_options = dict(FRAMED)
    return view


def _refused(error: DomainError):
    db.session.rollback()
    status = error.status
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error.to_dict()), status
    return render_template("integrations/refused.html", error=error, status=status), status


@bp.route("/lti/login", methods=["GET", "POST"])
@public
@csrf.exempt
@_framable
def login():
    """Third-party initiated login: the platform names itself and the learner's hint; the
    answer sends the browser to the platform's authorization endpoint."""
    try:
        response = lti.login_redirect(db.session, request.values.to_dict())
    except DomainError as error:
        return _refused(error)
    db.session.commit()
    return response


@bp.post("/lti/launch")
@public
@csrf.exempt
@_framable
def launch():
    try:
        platform, claims = lti.validate_launch(db.session, request.form.to_dict())
        db.session.commit()  # the nonce stays spent whatever happens next
        if lti.is_deep_linking(claims):
            ticket = lti.begin_deep_link(db.session, platform, claims)
            db.session.commit()
            return redirect(url_for("lti.deep_link", ticket=ticket), 303)
        result = lti.process_launch(db.session, platform, claims)
    except DomainError as error:
        return _refused(error)
    db.session.commit()
    entry = url_for("lti.enter", ticket=result.ticket)
    target = (claims.get(lti.CLAIM + "launch_presentation") or {}).get("document_target")
    if request.headers.get("Sec-Fetch-Dest") == "document" or target == "window":
        return redirect(entry, 303)  # a top-level page: straight in
    return render_template("integrations/launch.html", entry=entry, user=result.user,
                           assessment=result.assessment)


@bp.get("/lti/enter/<ticket>")
@public
@_framable
def enter(ticket: str):
    """Spend the entry ticket: sign the learner in (a first-party page now, so the session
    cookie sticks) and open their sitting."""
    try:
        user, destination = lti.redeem_ticket(db.session, ticket)
    except DomainError as error:
        return _refused(error)
    login_user(user)
    db.session.commit()
    return redirect(destination, 303)


@bp.get("/lti/deep-link/<ticket>")
@public
@_framable
def deep_link(ticket: str):
    """A course author, sent here by a deep-linking launch, picks the assessment(s) to add."""
    try:
        wanted = lti.deep_link_request(db.session, ticket)
    except DomainError as error:
        return _refused(error)
    return render_template("integrations/deep_link.html", ticket=ticket, request_=wanted, problem=None,
                           assessments=lti.assessments_to_link(db.session),
                           targets=lti.accepted_presentations(wanted), chosen={})


@bp.post("/lti/deep-link/<ticket>")
@public
@csrf.exempt  # in the platform's frame no session holds a CSRF token: the one-time ticket is the check
def deep_link_answer(ticket: str):
    """Sign the author's choice and send it back to the platform. This view writes its own
    Content-Security-Policy: the answer's form must be allowed to post to the platform."""
    try:
        wanted = lti.deep_link_request(db.session, ticket)
        return_url, token = lti.answer_deep_link(db.session, ticket, request.form.getlist("assessment"),
                                                 lti.parse_presentation(wanted, request.form))
    except Invalid as error:
        db.session.rollback()
        page = render_template("integrations/deep_link.html", ticket=ticket, request_=wanted, problem=error,
                               assessments=lti.assessments_to_link(db.session),
                               targets=lti.accepted_presentations(wanted), chosen=request.form)
        return _with_policy(make_response(page, 422))
    except DomainError as error:
        return _with_policy(make_response(_refused(error)))
    db.session.commit()
    page = render_template("integrations/deep_link_return.html", return_url=return_url, token=token)
    origin = "{0.scheme}://{0.netloc}".format(urlparse(return_url))
    return _with_policy(make_response(page), **{"form-action": f"'self' {origin}"})


deep_link_answer.talisman_view_options = {"frame_options": None, "content_security_policy": None}


def _with_policy(response, **changes):
    policy = {**FRAMED["content_security_policy"], **changes}
    response.headers["Content-Security-Policy"] = "; ".join(
        f"{name} {value if isinstance(value, str) else ' '.join(value)}" for name, value in policy.items())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/lti/jwks.json")
@public
def jwks():
    try:
        key = tool_key(current_app)
    except ToolKeyError as exc:
        return jsonify({"error": {"code": "tool_key_missing", "message": str(exc)}}), 503
    response = jsonify(key.jwks())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


# --- administration -------------------------------------------------------------------------

def tool_endpoints() -> dict[str, str]:
    """What a platform's administrator types in when registering PIAA as a tool."""
    base = current_app.config["PIAA_BASE_URL"].rstrip("/")
    return {"login": f"{base}/lti/login", "launch": f"{base}/lti/launch", "jwks": f"{base}/lti/jwks.json"}


@bp.route("/admin/lti", methods=["GET", "POST"])
@role_required(ADMIN)
def platforms():
    problem = None
    if request.method == "POST":
        form = request.form
        try:
            lti.register_platform(
                db.session, name=form.get("name", ""), issuer=form.get("issuer", ""),
                client_id=form.get("client_id", ""), auth_login_url=form.get("auth_login_url", ""),
                auth_token_url=form.get("auth_token_url", ""), key_set_url=form.get("key_set_url"),
                deployment_ids=form.get("deployment_ids", "").replace(",", " ").split(),
                link_by_email=form.get("link_by_email") == "yes", actor=current_user._get_current_object())
        except (Invalid, DomainError) as error:
            db.session.rollback()
            problem = error
        else:
            db.session.commit()
            flash(_("Platform registered."), "success")
            return redirect(url_for("lti.platforms"))
    status = problem.status if problem else 200
    from piaa.integrations.outcomes import recent_deliveries

    return render_template("integrations/platforms.html", platforms=lti.platforms(db.session),
                           endpoints=tool_endpoints(), problem=problem, form=request.form,
                           deliveries=recent_deliveries(db.session)), status
