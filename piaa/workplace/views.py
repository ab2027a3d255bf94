"""Workplace (360) pages under /workplace: the official's competency profile, a round with its
raters and summary, and the rating page a rater opens from their invitation link."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from piaa.accounts.auth import public, role_required
from piaa.accounts.models import ADMIN, CANDIDATE, MDO_LEADERSHIP, MDO_STAFF, WORKPLACE_RATER, User
from piaa.accounts.views import ROLE_HOME
from piaa.errors import Forbidden, Invalid
from piaa.extensions import db
from piaa.i18n import N_

from . import services
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
            raise Invalid(f"no official with e-mail {email!r}", field="email")
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
                           summary=services.summarise(db.session, found), invitation=None)


@bp.post("/<int:assessment_id>/raters")
@role_required(*MANAGERS)
def nominate(assessment_id: int):
    found = _managed(assessment_id)
    invitation = services.nominate(db.session, found, relation=request.form.get("relation", ""),
                                   name=request.form.get("name", ""), email=request.form.get("email", ""),
                                   actor=current_user)
    db.session.commit()
    link = url_for("workplace.rate", token=invitation.token, _external=True)
    return render_template("workplace/assessment.html", assessment=found, relations=RELATIONS,
                           summary=services.summarise(db.session, found), invitation=invitation, link=link)


@bp.route("/rate/<token>", methods=["GET", "POST"])
@public
def rate(token: str):
    rater = services.rater_for_token(db.session, token)
    if request.method == "POST":
        answers = {int(k.split("-", 1)[1]): v for k, v in request.form.items()
                   if k.startswith("competency-") and k.split("-", 1)[1].isdigit()}
        comments = {int(k.split("-", 1)[1]): v for k, v in request.form.items()
                    if k.startswith("comment-") and k.split("-", 1)[1].isdigit()}
        services.submit_ratings(db.session, rater, answers, comments)
        db.session.commit()
    return render_template("workplace/rate.html", rater=rater, sheet=services.rating_sheet(db.session, rater),
                           not_observed=services.NOT_OBSERVED)


@bp.get("/requests")
@role_required(WORKPLACE_RATER)
def requests():
    mine = db.session.scalars(select(WorkplaceRater).where(WorkplaceRater.email == current_user.email.lower())
                              .order_by(WorkplaceRater.invited_at.desc())).all()
    return render_template("workplace/requests.html", raters=mine)
