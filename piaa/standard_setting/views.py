"""The psychometrician's standard-setting pages: start a panel, read the ordered item booklet,
enter each panellist's bookmarks (or Angoff ratings) round by round, read the panel's cuts
with their spread, impact and classification quality, and apply them; record a form's pilot.
Views parse, call one service, commit once, and redirect or render."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from piaa.accounts.auth import role_required
from piaa.accounts.models import ADMIN, PSYCHOMETRICIAN
from piaa.errors import DomainError
from piaa.extensions import db
from piaa.i18n import gettext as _

from . import services
from .models import BOOKMARK

bp = Blueprint("standard_setting", __name__, url_prefix="/standard-setting")
STAFF = (PSYCHOMETRICIAN, ADMIN)


def _done(target: str, message: str, **values):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(target, **values))


def _refused(error: DomainError, target: str, **values):
    db.session.rollback()
    flash(error.in_language(), "error")
    return redirect(url_for(target, **values))


@bp.get("")
@role_required(*STAFF)
def index():
    return render_template("standard_setting/index.html", settings=services.all_settings(db.session),
                           assessments=services.assessments(db.session))


@bp.post("/start")
@role_required(*STAFF)
def start():
    form = request.form
    try:
        assessment = services.get_assessment(db.session, int(form.get("assessment_id") or 0))
        setting = services.start(db.session, assessment, method=form.get("method", ""), actor=current_user,
                                 panellists=form.get("panellists", "").splitlines(), title=form.get("title", ""),
                                 rp=form.get("rp") or 0.67, levels=form.getlist("levels") or None)
    except DomainError as error:
        return _refused(error, "standard_setting.index")
    return _done("standard_setting.page", _("Standard setting started."), standard_setting_id=setting.id)


@bp.post("/assessments/<int:assessment_id>/pilot")
@role_required(*STAFF)
def pilot(assessment_id: int):
    try:
        services.record_pilot(db.session, services.get_assessment(db.session, assessment_id), actor=current_user)
    except DomainError as error:
        return _refused(error, "standard_setting.index")
    return _done("standard_setting.index", _("Pilot reliability recorded."))


@bp.get("/<int:standard_setting_id>")
@role_required(*STAFF)
def page(standard_setting_id: int):
    setting = services.get(db.session, standard_setting_id)
    return render_template("standard_setting/setting.html", setting=setting,
                           assessment=services.get_assessment(db.session, setting.assessment_id),
                           pages=services.booklet_pages(db.session, setting),
                           items=services.angoff_items(db.session, setting),
                           entered=services.entered(db.session, setting),
                           summary=services.summary(db.session, setting))


@bp.post("/<int:standard_setting_id>/ratings")
@role_required(*STAFF)
def ratings(standard_setting_id: int):
    setting = services.get(db.session, standard_setting_id)
    form = request.form
    try:
        panellist_id = int(form.get("panellist_id") or 0)
        if setting.method == BOOKMARK:
            services.record_bookmarks(db.session, setting, panellist_id,
                                      {level: form.get(f"level-{level}") for level in setting.levels},
                                      actor=current_user)
        else:
            services.record_angoff(db.session, setting, panellist_id,
                                   {(level, item): form.get(f"rating-{level}-{item}")
                                    for level in setting.levels for item in setting.items},
                                   actor=current_user)
    except DomainError as error:
        return _refused(error, "standard_setting.page", standard_setting_id=setting.id)
    return _done("standard_setting.page", _("Ratings saved."), standard_setting_id=setting.id)


@bp.post("/<int:standard_setting_id>/next-round")
@role_required(*STAFF)
def next_round(standard_setting_id: int):
    setting = services.get(db.session, standard_setting_id)
    try:
        services.next_round(db.session, setting, actor=current_user)
    except DomainError as error:
        return _refused(error, "standard_setting.page", standard_setting_id=setting.id)
    return _done("standard_setting.page", _("Next round opened."), standard_setting_id=setting.id)


@bp.post("/<int:standard_setting_id>/apply")
@role_required(*STAFF)
def apply(standard_setting_id: int):
    setting = services.get(db.session, standard_setting_id)
    try:
        services.apply(db.session, setting, actor=current_user, note=request.form.get("note", ""))
    except DomainError as error:
        return _refused(error, "standard_setting.page", standard_setting_id=setting.id)
    return _done("standard_setting.page", _("The panel's cut scores are now the assessment's."),
                 standard_setting_id=setting.id)
