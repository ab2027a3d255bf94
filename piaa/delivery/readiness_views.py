"""The bank-readiness page of an adaptive assessment, for psychometricians and administrators:
the adaptive policy (decision confidence, exposure cap), a button that runs the check, and
the last check's figures. Views parse, call one service, commit once, render or redirect."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from piaa.accounts.auth import role_required
from piaa.accounts.models import ADMIN, PSYCHOMETRICIAN
from piaa.delivery import readiness
from piaa.delivery.assessments import get_assessment
from piaa.errors import Conflict, Invalid
from piaa.extensions import db

readiness_bp = Blueprint("delivery_readiness", __name__)

READERS = (PSYCHOMETRICIAN, ADMIN)


@readiness_bp.route("/assessments/<int:assessment_id>/readiness", methods=["GET", "POST"])
@role_required(*READERS)
def check(assessment_id: int):
    assessment = get_assessment(db.session, assessment_id)
    problem = None
    if request.method == "POST":
        try:
            readiness.check_from_form(db.session, assessment, request.form.to_dict(),
                                      actor=current_user._get_current_object())
        except (Invalid, Conflict) as error:
            db.session.rollback()
            problem = error.in_language()
        else:
            db.session.commit()
            return redirect(url_for("delivery_readiness.check", assessment_id=assessment_id))
    return render_template("readiness/check.html", assessment=assessment, problem=problem,
                           check=readiness.last_check(assessment),
                           examinees=request.form.get("examinees") or readiness.DEFAULT_EXAMINEES)
