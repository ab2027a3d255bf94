"""Delivery's web pages: the candidate's board, check-in, the sitting screen and the result;
the proctor's live dashboard and the record of one attempt with the proctor's actions.

The sitting screen and the live dashboard are shells that small scripts fill from the JSON
API (``piaa.delivery.api``); everything else is rendered here. Views parse, call one
service, commit once, render or redirect.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from piaa.accounts.auth import role_required
from piaa.accounts.models import ADMIN, CANDIDATE, PROCTOR
from piaa.delivery import attempts as attempt_service
from piaa.delivery import pages, proctoring, states
from piaa.errors import DomainError, NotFound
from piaa.extensions import db
from piaa.i18n import SUPPORTED_LANGUAGES, N_
from piaa.i18n import gettext as _
from piaa.i18n import in_language

pages_bp = Blueprint("delivery_pages", __name__)
PROCTORS = (PROCTOR, ADMIN)


def _user():
    return current_user._get_current_object()


@pages_bp.context_processor
def labels():
    return {"state_labels": pages.STATE_LABELS, "mode_labels": pages.MODE_LABELS,
            "purpose_labels": pages.PURPOSE_LABELS}


# --- candidate -------------------------------------------------------------------------------

@pages_bp.get("/assessments")
@role_required(CANDIDATE, ADMIN)
def dashboard():
    if current_user.role == ADMIN:  # administrators manage assessments rather than sit them
        return redirect(url_for("admin.assessments"))
    board = pages.candidate_board(db.session, _user())
    return render_template("delivery/dashboard.html", board=board, languages=SUPPORTED_LANGUAGES)


@pages_bp.post("/assessments/<int:window_id>/begin")
@role_required(CANDIDATE)
def begin(window_id: int):
    try:
        attempt = attempt_service.create_attempt(
            db.session, _user(), window_id, language=request.form.get("language") or None,
            access_code=(request.form.get("access_code") or "").strip() or None)
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        db.session.rollback()
        flash(error.in_language(), "error")
        return redirect(url_for("delivery_pages.dashboard"))
    db.session.commit()
    return redirect(pages.page_for(attempt))


@pages_bp.route("/attempts/<int:attempt_id>/check-in", methods=["GET", "POST"])
@role_required(CANDIDATE)
def check_in(attempt_id: int):
    attempt = attempt_service.candidate_attempt(db.session, attempt_id, _user())
    if attempt.state != states.CREATED:
        return redirect(pages.page_for(attempt))
    problem = None
    if request.method == "POST":
        try:
            attempt = attempt_service.check_in(
                db.session, attempt, _user(), identity_confirmed=request.form.get("identity") == "yes",
                rules_accepted=request.form.get("rules") == "yes",
                system_check=pages.parse_system_check(request.form.get("system_check")))
        except DomainError as error:
            db.session.rollback()
            problem = error
        else:
            db.session.commit()
            return redirect(pages.page_for(attempt))
    return render_template("delivery/check_in.html", attempt=attempt, problem=problem,
                           status=422 if problem else 200), 422 if problem else 200


@pages_bp.get("/attempts/<int:attempt_id>/sit")
@role_required(CANDIDATE)
def sitting(attempt_id: int):
    # Polling closes an attempt whose time ran out while nobody was looking.
    attempt = attempt_service.poll(db.session, attempt_id, _user())
    if attempt.state == states.CREATED or not states.is_open(attempt.state):
        db.session.commit()
        return redirect(pages.page_for(attempt))
    config = pages.sitting_config(db.session, attempt, _user())  # marks the items it carries shown
    db.session.commit()
    return render_template("delivery/sitting.html", attempt=attempt, config=config)


@pages_bp.get("/attempts/<int:attempt_id>/result")
@role_required(CANDIDATE)
def result(attempt_id: int):
    attempt = attempt_service.poll(db.session, attempt_id, _user())
    db.session.commit()
    if states.is_open(attempt.state):
        return redirect(pages.page_for(attempt))
    return render_template("delivery/result.html", attempt=attempt,
                           view=pages.result_view(db.session, attempt))


# --- proctor ---------------------------------------------------------------------------------

@pages_bp.get("/proctor")
@role_required(*PROCTORS)
def proctor_dashboard():
    window_id = request.args.get("window", type=int)
    rows = proctoring.overview(db.session, _user(), window_id)
    windows = pages.proctor_windows(db.session, _user())
    return render_template("delivery/proctor_dashboard.html", rows=rows, windows=windows,
                           window_names={w.id: in_language(w, "name") for w in windows},
                           window_id=window_id, reasons=proctoring.TERMINATION_REASONS,
                           poll_s=float(current_app.config.get("PIAA_PROCTOR_POLL_S",
                                                               pages.DEFAULT_PROCTOR_POLL_S)))


@pages_bp.get("/proctor/attempts/<int:attempt_id>")
@role_required(*PROCTORS)
def proctor_attempt(attempt_id: int):
    record = proctoring.timeline(db.session, _user(), attempt_id)
    attempt = proctoring.watched_attempt(db.session, _user(), attempt_id)
    return render_template("delivery/proctor_attempt.html", record=record, attempt=attempt,
                           rows=pages.review_rows(record), timing=pages.item_timing(record),
                           time_left_s=attempt_service.time_left_s(attempt),
                           reasons=proctoring.TERMINATION_REASONS)


@pages_bp.post("/proctor/attempts/<int:attempt_id>/<action>")
@role_required(*PROCTORS)
def proctor_act(attempt_id: int, action: str):
    if action not in pages.PROCTOR_ACTIONS:
        raise NotFound(N_("no proctor action {action}"), values={"action": repr(action)})
    done, act = pages.PROCTOR_ACTIONS[action]
    try:
        act(db.session, _user(), attempt_id, request.form)
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, NotFound):
            raise
        flash(error.in_language(), "error")
    else:
        db.session.commit()
        flash(_(done), "success")
    back = request.form.get("next")
    if back not in ("dashboard", "attempt"):
        back = "attempt"
    if back == "dashboard":
        return redirect(url_for("delivery_pages.proctor_dashboard"))
    return redirect(url_for("delivery_pages.proctor_attempt", attempt_id=attempt_id))
