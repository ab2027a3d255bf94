"""Assessment pages: the list, creating (competency and bank first, then every setting with
the blueprint grid beside the pool's readiness) and editing, the assessment's page with its
readiness, forms and windows, assembling fixed forms and previewing a form or a LOFT draw."""
from __future__ import annotations

import numpy as np
from flask import flash, redirect, render_template, request, url_for

from piaa.accounts.auth import role_required
from piaa.accounts.models import ADMIN
from piaa.admin import bp
from piaa.admin.forms import AssessmentForm
from piaa.admin.views import change_by_form, done, me
from piaa.delivery import assessments as service
from piaa.delivery.forms import assemble_fixed_form, draw_loft_form
from piaa.delivery.models import ADAPTIVE, FIXED, LOFT
from piaa.errors import Conflict, DomainError, Invalid, NotFound
from piaa.extensions import db
from piaa.i18n import gettext as _
from piaa.items import services as items
from piaa.items.models import PROFICIENCY_LEVELS
from piaa.i18n import N_

# Service field -> form field, so a service's refusal sits beside what it refuses.
FIELDS = {"time_limit_s": "time_limit_min", "cut_scores": "cut1", "percent_cut_scores": "pcut1",
          "confidence_threshold": "confidence_percent", "proctoring": "heartbeat_timeout_s",
          "certifying_level": "certifying_level", "se_target": "se_target", "min_items": "min_items",
          "max_items": "max_items", "blueprint.tolerance": "tolerance", "rating_tolerance": "rating_tolerance"}
ANY = "any"


@bp.get("/admin/assessments")
@role_required(ADMIN)
def assessments():
    return render_template("admin/assessments.html", assessments=service.list_assessments(db.session))


# --- the blueprint grid ------------------------------------------------------------------------

def grid_columns(readiness: service.Readiness, blueprint: dict | None = None) -> list[str | None]:
    """The grid's sub-areas: the pool's and the blueprint's, then None (any sub-area)."""
    named = {s for s in readiness.sub_areas if s}
    named |= {c.sub_area for c in service.blueprint_cells(blueprint or {}) if c.sub_area}
    return sorted(named) + [None]


def cell_name(level: int | None, column: int | None) -> str:
    return f"cell-{level or ANY}-{ANY if column is None else column}"


def blueprint_from(values, columns: list[str | None], tolerance: int | None) -> tuple[dict, list[str]]:
    """The blueprint typed in the grid, and every cell that is not a whole number."""
    cells, problems = [], []
    for level in [*PROFICIENCY_LEVELS, None]:
        for index, sub_area in enumerate(columns):
            raw = (values.get(cell_name(level, None if sub_area is None else index)) or "").strip()
            if raw in ("", "0"):
                continue
            if not raw.isdigit():
                problems.append(_("Level {level}, sub-area {sub_area}: enter a whole number of items, not {value}.",
                                  level=level or _("any"), sub_area=sub_area or _("any"), value=raw))
                continue
            cells.append({"level": level, "sub_area": sub_area, "count": int(raw)})
    return {"cells": cells, "tolerance": tolerance or 0}, problems


def grid_values(blueprint: dict, columns: list[str | None]) -> dict[str, int]:
    values = {}
    for cell in service.blueprint_cells(blueprint):
        column = None if cell.sub_area is None else columns.index(cell.sub_area)
        values[cell_name(cell.level, column)] = cell.count
    return values


# --- the form ----------------------------------------------------------------------------------

def _bank_choices(form: AssessmentForm) -> None:
    form.bank_id.choices = [(0, _("Every bank holding the competency's items"))] + [
        (bank.id, bank.name) for bank in items.list_banks(db.session, me())]


def form_data(assessment) -> dict:
    """An assessment's settings as the form's fields."""
    data = {"code": assessment.code, "title": assessment.title, "title_hi": assessment.title_hi or "",
            "bank_id": assessment.bank_id or 0, "purpose": assessment.purpose, "mode": assessment.mode,
            "tolerance": assessment.blueprint.get("tolerance", 0),
            "time_limit_min": assessment.time_limit_s // 60, "se_target": assessment.se_target,
            "min_items": assessment.min_items, "max_items": assessment.max_items,
            "pretest_count": assessment.pretest_count,
            "certifying_level": str(assessment.certifying_level or ""),
            "confidence_percent": round(100 * assessment.confidence_threshold),
            "rating_tolerance": assessment.rating_tolerance,
            "navigation": assessment.navigation, "pause_policy": assessment.pause_policy,
            "languages": assessment.languages, "exposure_k": assessment.exposure_k}
    data.update(zip(AssessmentForm.THETA_CUTS, assessment.cut_scores))
    data.update(zip(AssessmentForm.PERCENT_CUTS, assessment.percent_cut_scores or [None] * 5))
    data.update({k: v for k, v in service.proctoring_policy(assessment).items()})
    return data


def settings_from(form: AssessmentForm, columns: list[str | None]) -> dict:
    """The service's settings from a validated form and its blueprint grid.

    :raise Invalid: listing every grid cell that is not a whole number, or if only some
        per-cent cuts are given.
    """
    blueprint, problems = blueprint_from(request.form, columns, form.tolerance.data)
    if problems:
        raise Invalid(N_("the blueprint grid holds cells that are not whole numbers"), problems=problems)
    percent = [form[name].data for name in form.PERCENT_CUTS]
    if any(v is not None for v in percent) and any(v is None for v in percent):
        raise Invalid(N_("Give all five per-cent cut scores, or none."), field="percent_cut_scores")
    return dict(
        title=form.title.data, title_hi=form.title_hi.data, purpose=form.purpose.data, mode=form.mode.data,
        blueprint=blueprint, time_limit_s=form.time_limit_min.data * 60,
        cut_scores=[form[name].data for name in form.THETA_CUTS],
        percent_cut_scores=percent if percent[0] is not None else None,
        se_target=form.se_target.data, min_items=form.min_items.data, max_items=form.max_items.data,
        pretest_count=form.pretest_count.data,
        certifying_level=int(form.certifying_level.data) if form.certifying_level.data else None,
        confidence_threshold=form.confidence_percent.data / 100, navigation=form.navigation.data,
        pause_policy=form.pause_policy.data, languages=form.languages.data or ["en"],
        exposure_k=form.exposure_k.data, rating_tolerance=1.0 if form.rating_tolerance.data is None else form.rating_tolerance.data,
        proctoring={"require_admission": form.require_admission.data,
                    "allow_other_device": form.allow_other_device.data,
                    "heartbeat_timeout_s": form.heartbeat_timeout_s.data,
                    "min_reading_s": form.min_reading_s.data})


def _bank_of(form: AssessmentForm):
    return items.get_bank(db.session, form.bank_id.data, me()) if form.bank_id.data else None


def _render_form(form, competency, readiness, columns, values, problems, assessment=None, status=200):
    return render_template("admin/assessment_form.html", form=form, competency=competency,
                           readiness=readiness, columns=columns, values=values, problems=problems,
                           assessment=assessment, levels=PROFICIENCY_LEVELS, cell_name=cell_name), status


@bp.route("/admin/assessments/new", methods=["GET", "POST"])
@role_required(ADMIN)
def new_assessment():
    code = request.args.get("competency")
    if not code:
        return render_template("admin/assessment_pick.html",
                               competencies=items.search_competencies(db.session),
                               banks=items.list_banks(db.session, me()))
    competency = items.get_competency(db.session, code)
    form = AssessmentForm()
    _bank_choices(form)
    if request.method == "GET":
        form.bank_id.data = request.args.get("bank", type=int) or 0
    readiness = service.readiness(db.session, competency.id, form.bank_id.data or None)
    columns = grid_columns(readiness)
    values = request.form.to_dict()

    def create():
        return service.create_assessment(db.session, code=form.code.data, competency=competency.code,
                                         bank=_bank_of(form), actor=me(), **settings_from(form, columns))

    assessment, problems, status = change_by_form(form, create, FIELDS)
    if assessment is not None:
        return done(_("Assessment {code} created.", code=assessment.code), "admin.assessment",
                    assessment_id=assessment.id)
    return _render_form(form, competency, readiness, columns, values, problems, status=status)


@bp.route("/admin/assessments/<int:assessment_id>/edit", methods=["GET", "POST"])
@role_required(ADMIN)
def edit_assessment(assessment_id: int):
    assessment = service.get_assessment(db.session, assessment_id)
    form = AssessmentForm(data=form_data(assessment) if request.method == "GET" else None)
    _bank_choices(form)
    form.code.data = assessment.code  # the code names the assessment everywhere: it stays
    readiness = service.readiness(db.session, assessment.competency_id, assessment.bank_id)
    columns = grid_columns(readiness, assessment.blueprint)
    values = grid_values(assessment.blueprint, columns) if request.method == "GET" else request.form.to_dict()
    saved, problems, status = change_by_form(form, lambda: service.update_assessment(
        db.session, assessment, actor=me(), bank=_bank_of(form), **settings_from(form, columns)), FIELDS)
    if saved is not None:
        return done(_("Assessment {code} saved.", code=assessment.code), "admin.assessment",
                    assessment_id=assessment.id)
    return _render_form(form, assessment.competency, readiness, columns, values, problems,
                        assessment=assessment, status=status)


@bp.get("/admin/assessments/<int:assessment_id>")
@role_required(ADMIN)
def assessment(assessment_id: int):
    found = service.get_assessment(db.session, assessment_id)
    readiness = service.readiness(db.session, found.competency_id, found.bank_id)
    return render_template("admin/assessment.html", assessment=found, readiness=readiness,
                           columns=grid_columns(readiness, found.blueprint),
                           shortfalls=readiness.shortfalls(found.blueprint),
                           windows=service.list_windows(db.session, found.id),
                           planned=service.planned_length(found), levels=PROFICIENCY_LEVELS,
                           FIXED=FIXED, LOFT=LOFT, ADAPTIVE=ADAPTIVE)


@bp.post("/admin/assessments/<int:assessment_id>/forms")
@role_required(ADMIN)
def assemble(assessment_id: int):
    found = service.get_assessment(db.session, assessment_id)
    try:
        form = assemble_fixed_form(db.session, found, np.random.default_rng())
    except DomainError as error:
        db.session.rollback()
        flash(error.in_language(), "error")
        return redirect(url_for("admin.assessment", assessment_id=assessment_id))
    return done(_("Form {number} assembled with {n} items.", number=form.number, n=len(form.items)),
                "admin.form_preview", assessment_id=assessment_id, number=form.number)


@bp.get("/admin/assessments/<int:assessment_id>/forms/<int:number>")
@role_required(ADMIN)
def form_preview(assessment_id: int, number: int):
    found = service.get_assessment(db.session, assessment_id)
    form = next((f for f in found.forms if f.number == number), None)
    if form is None:
        raise NotFound(N_("assessment {found_code} has no form {number}"),
                       values={"found_code": found.code, "number": number})
    rows = service.items_in_order(db.session, [(e["item_id"], e["version"]) for e in form.items])
    return render_template("admin/form_preview.html", assessment=found, rows=rows,
                           heading=_("Form {number}", number=number), problem=None)


@bp.get("/admin/assessments/<int:assessment_id>/draw")
@role_required(ADMIN)
def draw_preview(assessment_id: int):
    """A LOFT form as one candidate could draw it now; nothing is stored."""
    found = service.get_assessment(db.session, assessment_id)
    rows, problem = [], None
    try:
        drawn = draw_loft_form(db.session, found, set(), np.random.default_rng())
        rows = service.items_in_order(db.session, [(p.item_id, None) for p in drawn])
    except Conflict as error:
        problem = error.in_language()
    db.session.rollback()
    return render_template("admin/form_preview.html", assessment=found, rows=rows,
                           heading=_("A form drawn now"), problem=problem)
