"""Pages of the measurement loop: the psychometrician's calibrations (start, progress,
results, plots, downloads, decisions), the export of scored responses, and the candidate's
own page of optional attributes. Views parse, call one service, commit once, render.
"""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from piaa.accounts.auth import role_required
from piaa.accounts.models import ADMIN, CANDIDATE, PSYCHOMETRICIAN
from piaa.calibration import plots, responses, services
from piaa.calibration.models import DECISIONS, FINISHED, FIXED_ANCHORS, FREE, LINKED, CalibrationRun
from piaa.delivery.models import PURPOSES
from piaa.delivery.parameters import active_parameter_set
from piaa.errors import Invalid, NotFound
from piaa.extensions import db
from piaa.i18n import gettext as _, N_
from piaa.items.models import Competency

bp = Blueprint("calibration", __name__, url_prefix="/calibration")
me_bp = Blueprint("about_me", __name__)


@bp.app_template_filter("parameter_set_label")
def parameter_set_label(label: str) -> str:
    """A parameter set's label, as the calibration service writes it, in the reader's language."""
    import re

    run = re.fullmatch(r"Calibration run (\d+) \((\w+), (\w+)\)", label or "")
    if run:
        return _("Calibration run {number} ({model}, {scale})", number=run[1], model=run[2], scale=_(run[3]))
    decision = re.fullmatch(r"Calibration run (\d+), after (\w+) of (.+)", label or "")
    if decision:
        return _("Calibration run {number}, after {action} of {code}", number=decision[1],
                 action=_(decision[2]), code=decision[3])
    return label


@bp.app_template_filter("dif_comparison")
def dif_comparison(key: str) -> str:
    """A DIF comparison ("gender: male vs female") in the reader's language."""
    column, _sep, groups = (key or "").partition(": ")
    focal, _vs, reference = groups.partition(" vs ")
    if not reference:
        return key
    return f"{_(column)}: " + _("{focal} vs {reference}", focal=_(focal), reference=_(reference))
PSYCHOMETRICIANS = (PSYCHOMETRICIAN, ADMIN)


def _user():
    return current_user._get_current_object()


def _competency(code: str) -> Competency:
    competency = db.session.scalar(select(Competency).where(Competency.code == code))
    if competency is None:
        raise NotFound(N_("no competency {code}"), values={"code": repr(code)})
    return competency


def _ints(name: str) -> list[int]:
    values = []
    for raw in request.values.getlist(name):
        try:
            values.append(int(raw))
        except ValueError:
            raise Invalid(N_("{name}: {raw} is not a number"), field=name,
                          values={"name": name, "raw": repr(raw)}) from None
    return values


# --- overview and start ------------------------------------------------------------------

@bp.get("/")
@role_required(*PSYCHOMETRICIANS)
def index():
    competencies = list(db.session.scalars(select(Competency).order_by(Competency.code)))
    active = {c.id: active_parameter_set(db.session, c.id) for c in competencies}
    return render_template("calibration/index.html", competencies=competencies, active=active,
                           runs=services.runs_of(db.session))


def _start_context(competency: Competency, values: dict, problem: str | None = None) -> dict:
    base = active_parameter_set(db.session, competency.id)
    scales = [FIXED_ANCHORS, LINKED] if base is not None else [FREE]
    return {"competency": competency, "base": base, "scales": scales, "scale_labels": services.SCALE_LABELS,
            "models": services.analysis.MODELS, "defaults": services.DEFAULT_MIN_RESPONSES,
            "windows": responses.windows_of(db.session, competency.id), "purposes": PURPOSES,
            "values": values, "problem": problem}


@bp.route("/competencies/<code>/start", methods=["GET", "POST"])
@role_required(*PSYCHOMETRICIANS)
def start(code: str):
    competency = _competency(code)
    values = request.form if request.method == "POST" else {}
    if request.method == "POST":
        try:
            run = services.start_calibration(
                db.session, code, model=request.form.get("model", ""), scale=request.form.get("scale", ""),
                windows=_ints("windows"), purposes=request.form.getlist("purposes"),
                period_from=request.form.get("period_from"), period_to=request.form.get("period_to"),
                min_responses=request.form.get("min_responses") or None, actor=_user())
        except Invalid as error:
            db.session.rollback()
            return render_template("calibration/start.html",
                                   **_start_context(competency, values, error.message)), 422
        services.queue_calibration(db.session, run)
        return redirect(url_for("calibration.run", run_id=run.id))
    return render_template("calibration/start.html", **_start_context(competency, values))


# --- a run ---------------------------------------------------------------------------------

@bp.get("/runs/<int:run_id>")
@role_required(*PSYCHOMETRICIANS)
def run(run_id: int):
    found = services.get_run(db.session, run_id)
    context = {"run": found, "progress": services.job_progress(found), "scale_labels": services.SCALE_LABELS}
    if found.state == FINISHED:
        context.update(_results_context(found))
    return render_template("calibration/run.html", **context)


def _results_context(found: CalibrationRun) -> dict:
    decisions = services.decisions_of(db.session, found)
    by_item: dict[int, list] = {}
    for decision in decisions:
        by_item.setdefault(decision.item_id, []).append(decision)
    return {"results": found.results, "decisions": by_item, "excluded": services.excluded_items(db.session, found),
            "windows": responses.windows_of(db.session, found.competency_id), "worst_dif": services.worst_dif,
            "active": active_parameter_set(db.session, found.competency_id)}


@bp.get("/runs/<int:run_id>/progress")
@role_required(*PSYCHOMETRICIANS)
def progress(run_id: int):
    from flask import jsonify

    return jsonify(services.job_progress(services.get_run(db.session, run_id)))


def _svg(data: bytes) -> Response:
    return Response(data, mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=300"})


def _finished_run(run_id: int) -> CalibrationRun:
    found = services.get_run(db.session, run_id)
    if found.state != FINISHED:
        raise NotFound(N_("calibration run {run_id} has no results yet"), values={"run_id": run_id})
    return found


@bp.get("/runs/<int:run_id>/information.svg")
@role_required(*PSYCHOMETRICIANS)
def information_svg(run_id: int):
    info = _finished_run(run_id).results["information"]
    return _svg(plots.information_svg(info["theta"], info["operational"] if any(info["operational"]) else info["all"],
                                      "operational items"))


@bp.get("/runs/<int:run_id>/curves.svg")
@role_required(*PSYCHOMETRICIANS)
def curves_svg(run_id: int):
    items = _finished_run(run_id).results["items"]
    return _svg(plots.icc_overview_svg([e["params"] for e in items], [e["state"] for e in items]))


def _entry(found: CalibrationRun, item_id: int) -> dict:
    entry = next((e for e in found.results["items"] if e["item_id"] == item_id), None)
    if entry is None:
        raise NotFound(N_("item {item_id} is not in calibration run {found_id}"),
                       values={"item_id": item_id, "found_id": found.id})
    return entry


@bp.get("/runs/<int:run_id>/items/<int:item_id>.svg")
@role_required(*PSYCHOMETRICIANS)
def item_svg(run_id: int, item_id: int):
    entry = _entry(_finished_run(run_id), item_id)
    return _svg(plots.item_svg(entry["code"], entry["params"], entry["observed"], entry.get("banked")))


@bp.get("/runs/<int:run_id>/items/<int:item_id>")
@role_required(*PSYCHOMETRICIANS)
def item(run_id: int, item_id: int):
    from piaa.items.models import Item

    found = _finished_run(run_id)
    entry = _entry(found, item_id)
    context = _results_context(found)
    return render_template("calibration/item.html", run=found, entry=entry, item=db.session.get(Item, item_id),
                           comparisons=found.results["comparisons"], actions=DECISIONS,
                           item_decisions=context["decisions"].get(item_id, []),
                           excluded=item_id in context["excluded"])


@bp.get("/runs/<int:run_id>/results.<fmt>")
@role_required(*PSYCHOMETRICIANS)
def results_file(run_id: int, fmt: str):
    found = _finished_run(run_id)
    data = services.result_bytes(db.session, found, fmt)
    return Response(data, mimetype=services.RESULT_FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="calibration-{found.id}-{found.competency.code}.{fmt}"'})


@bp.post("/runs/<int:run_id>/activate")
@role_required(*PSYCHOMETRICIANS)
def activate(run_id: int):
    found = services.get_run(db.session, run_id)
    try:
        parameter_set = services.activate_run(db.session, found, actor=_user(), reason=request.form.get("reason", ""),
                                              rescore_windows=_ints("rescore_windows"))
    except Invalid as error:
        db.session.rollback()
        flash(error.in_language(), "error")
        return redirect(url_for("calibration.run", run_id=run_id, _anchor="decide"))
    db.session.commit()
    flash(_("Parameter set {number} is active: scoring and adaptive selection use it.",
            number=parameter_set.id), "success")
    return redirect(url_for("calibration.run", run_id=run_id))


@bp.post("/runs/<int:run_id>/items/<int:item_id>/decide")
@role_required(*PSYCHOMETRICIANS)
def decide(run_id: int, item_id: int):
    found = services.get_run(db.session, run_id)
    action = request.form.get("action", "")
    try:
        decision = services.decide(db.session, found, item_id, action, actor=_user(),
                                   reason=request.form.get("reason", ""))
    except Invalid as error:
        db.session.rollback()
        flash(error.in_language(), "error")
        return redirect(url_for("calibration.item", run_id=run_id, item_id=item_id))
    db.session.commit()
    flash(_("Recorded: {action} of item {code}.", action=_(action), code=decision.item.code), "success")
    return redirect(url_for("calibration.item", run_id=run_id, item_id=item_id))


# --- responses as data ------------------------------------------------------------------------

@bp.route("/competencies/<code>/responses", methods=["GET", "POST"])
@role_required(*PSYCHOMETRICIANS)
def export_responses(code: str):
    competency = _competency(code)
    if request.method == "POST":
        fmt = request.form.get("format", "csv")
        selection = responses.selection_for(
            db.session, code, windows=_ints("windows"), purposes=request.form.getlist("purposes"),
            period_from=request.form.get("period_from"), period_to=request.form.get("period_to"))
        data = responses.export_bytes(responses.scored_responses(db.session, selection), fmt)
        return Response(data, mimetype=responses.FORMATS[fmt], headers={
            "Content-Disposition": f'attachment; filename="responses-{competency.code}.{fmt}"'})
    return render_template("calibration/responses.html", competency=competency, purposes=PURPOSES,
                           windows=responses.windows_of(db.session, competency.id), columns=responses.COLUMNS)


# --- the candidate's own page ------------------------------------------------------------------

@me_bp.route("/me/about", methods=["GET", "POST"])
@role_required(CANDIDATE)
def my_attributes():
    problem = None
    if request.method == "POST":
        values = {} if request.form.get("remove") else request.form.to_dict()
        try:
            responses.save_attributes(db.session, _user(), values)
        except Invalid as error:
            db.session.rollback()
            problem = error.message
        else:
            db.session.commit()
            flash(_("Saved. You can change or remove these answers at any time."), "success")
            return redirect(url_for("about_me.my_attributes"))
    return render_template("calibration/about_me.html", record=responses.attributes_of(db.session, _user()),
                           choices=responses.ATTRIBUTE_CHOICES, problem=problem), (422 if problem else 200)
