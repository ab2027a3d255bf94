"""Workplace (360) pages under /workplace: the official's competency profile, a round with its
raters (invited by e-mail, resent on demand) and summary, the rating page a rater opens from
their invitation link (where they may also make a rater account), and a signed-in rater's
requests."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user
from sqlalchemy import select

from piaa.accounts.auth import public, role_required
from piaa.accounts.models import ADMIN, CANDIDATE, MDO_LEADERSHIP, MDO_STAFF, WORKPLACE_RATER, User
from piaa.accounts.views import ROLE_HOME
from piaa import mail
from piaa.errors import Forbidden, Invalid
from piaa.extensions import db
from piaa.i18n import N_
from piaa.i18n import gettext as _

from . import invitations, services
from .models import RELATIONS, WorkplaceRater

bp = Blueprint("workplace", __name__, url_prefix="/workplace")
MANAGERS = (CANDIDATE, MDO_STAFF, MDO_LEADERSHIP, ADMIN)
ROLE_HOME.setdefault(WORKPLACE_RATER, "workplace.requests")


@bp.get("/me")
@role_required(CANDIDATE)
def me():
    return render_template("workplace/profile.html", official=current_user,
                           rows=services.competency_profile(db.session, current_user),
                           latest=services.latest_assessment(db.session, current_user))


@bp.post("/open")
@role_required(CANDIDATE, MDO_STAFF, ADMIN)
def open_round():
    official = current_user
    if current_user.role != CANDIDATE:
        email = (request.form.get("email") or "").strip().lower()
        official = db.session.scalar(select(User).where(User.email == email))
        if official is None:
            raise Invalid(N_("no official with e-mail {email}"), field="email", values={"email": repr(email)})
    assessment = services.open_assessment(db.session, official, actor=current_user)
    db.session.commit()
    return redirect(url_for("workplace.assessment", assessment_id=assessment.id))


def _managed(assessment_id: int):
    assessment = services.get_assessment(db.session, assessment_id)
    if not services.may_manage(current_user, assessment, db.session):
        raise Forbidden(N_("only the official, their MDO's staff or an administrator see this round"))
    return assessment


@bp.get("/<int:assessment_id>")
@role_required(*MANAGERS)
def assessment(assessment_id: int):
    found = _managed(assessment_id)
    return render_template("workplace/assessment.html", assessment=found, relations=RELATIONS,
                           summary=services.summarise(db.session, found))


def deliver(invitation: services.Invitation) -> str | None:
    """E-mail the invitation (after the nomination is committed), note how it went and commit
    that; returns why it failed, or None. The link goes only into the e-mail: whoever manages
    the round never sees it."""
    base = current_app.config["PIAA_BASE_URL"].rstrip("/")
    link = base + url_for("workplace.rate", token=invitation.token)
    error = None
    try:
        mail.send(invitations.invitation_email(invitation, link))
    except mail.MailError as exc:
        error = exc.message
    services.record_sending(db.session, invitation.rater, error)
    db.session.commit()
    return error


def _send(invitation: services.Invitation) -> None:
    error = deliver(invitation)
    if error:
        flash(_("The invitation to {email} could not be sent: {error}", email=invitation.to, error=error), "error")
    else:
        flash(_("Invitation sent to {email}; the link works until {date}.", email=invitation.to,
                date=invitation.expires_at.strftime("%Y-%m-%d")), "success")


@bp.post("/<int:assessment_id>/raters")
@role_required(*MANAGERS)
def nominate(assessment_id: int):
    found = _managed(assessment_id)
    invitation = services.nominate(db.session, found, relation=request.form.get("relation", ""),
                                   name=request.form.get("name", ""), email=request.form.get("email", ""),
                                   actor=current_user)
    db.session.commit()
    _send(invitation)
    return redirect(url_for("workplace.assessment", assessment_id=found.id))


@bp.post("/<int:assessment_id>/raters/<int:rater_id>/resend")
@role_required(*MANAGERS)
def resend(assessment_id: int, rater_id: int):
    rater = services.get_rater(db.session, rater_id, _managed(assessment_id))
    invitation = services.resend(db.session, rater, actor=current_user)
    db.session.commit()
    _send(invitation)
    return redirect(url_for("workplace.assessment", assessment_id=assessment_id))


def _answers(prefix: str) -> dict[int, str]:
    return {int(k.split("-", 1)[1]): v for k, v in request.form.items()
            if k.startswith(prefix) and k.split("-", 1)[1].isdigit()}


def _rating_page(rater: WorkplaceRater, **extra):
    if request.method == "POST":
        services.submit_ratings(db.session, rater, _answers("competency-"), _answers("comment-"))
        db.session.commit()
    return render_template("workplace/rate.html", rater=rater, sheet=services.rating_sheet(db.session, rater),
                           not_observed=services.NOT_OBSERVED, **extra)


@bp.route("/rate/<token>", methods=["GET", "POST"])
@public
def rate(token: str):
    """The invitation link: rates without an account, once."""
    rater = services.rater_for_token(db.session, token)
    return _rating_page(rater, token=token)


@bp.post("/rate/<token>/account")
@public
def create_account(token: str):
    """A rater account made from the invitation; the rater is signed in with it."""
    rater = services.rater_for_token(db.session, token)
    password = request.form.get("password", "")
    if password != request.form.get("password2", ""):
        raise Invalid(_("The two passwords differ."), field="password2")
    user = services.create_rater_account(db.session, rater, password=password)
    db.session.commit()
    login_user(user)
    return redirect(url_for("workplace.requests"))


@bp.get("/requests")
@role_required(WORKPLACE_RATER)
def requests():
    mine = db.session.scalars(select(WorkplaceRater).where(WorkplaceRater.email == current_user.email.lower())
                              .order_by(WorkplaceRater.invited_at.desc())).all()
    return render_template("workplace/requests.html", raters=mine)


@bp.route("/requests/<int:rater_id>", methods=["GET", "POST"])
@role_required(WORKPLACE_RATER)
def rate_request(rater_id: int):
    """A signed-in rater rates a request made to their address (no link needed)."""
    rater = services.get_rater(db.session, rater_id)
    if not services.may_rate_as(current_user, rater):
        raise Forbidden(N_("this rating request was made to someone else"))
    return _rating_page(rater)
