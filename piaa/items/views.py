"""Web pages for the competency dictionary, item banks, item authoring, preview and review."""
from __future__ import annotations

import numpy as np
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from piaa.accounts.auth import role_required
from piaa.accounts.models import (ADMIN, ANALYST, AUTHOR, COE_REVIEWER, MDO_LEADERSHIP, MDO_STAFF, PROCTOR,
                                  PSYCHOMETRICIAN, REVIEWER)
from piaa.accounts.views import ROLE_HOME
from piaa.errors import Invalid
from piaa.extensions import db
from piaa.i18n import SUPPORTED_LANGUAGES
from piaa.i18n import gettext as _
from piaa.items import item_models, services
from piaa.items.forms import (ActionForm, BankForm, CompetencyImportForm, FormProblems, ItemForm, RetireForm,
                              ReviewForm, choices, content_from_form, fill_form, plain_problems,
                              rows_for_display)
from piaa.items.models import COMPETENCY_TYPES, ITEM_STATES
from piaa.items.media import Picture, store_picture
from piaa.items.types import ITEM_TYPES
from piaa.i18n import N_

# Imported facts the item form does not show, kept when an author saves the form: weighted
# scoring (a changed option the mapping names is then refused by name, never dropped), an
# essay's length limit, whether a matching item is a gap match, and a QTI item's own
# processing (its score stays the author's). Matching and hotspot items write their weights
# in the form, so theirs is the form's.
KEPT_FROM_IMPORT = ("mapping", "max_length", "gaps", "scoring")
WEIGHTED_IN_FORM = ("matching", "hotspot")


def kept_from_import(data: dict) -> dict:
    kept = {k: data[k] for k in KEPT_FROM_IMPORT if data.get(k) is not None}
    if data.get("type") in WEIGHTED_IN_FORM:
        kept.pop("mapping", None)
    return kept

bp = Blueprint("items", __name__)

# Where authors and reviewers land after signing in.
ROLE_HOME.setdefault(AUTHOR, "items.banks")
ROLE_HOME.setdefault(REVIEWER, "items.review_queue")

BANK_READERS = (AUTHOR, REVIEWER, PSYCHOMETRICIAN, ADMIN)
# MDOs search the dictionary before proposing a competency; the CoE reviewer checks against it.
DICTIONARY_READERS = (AUTHOR, REVIEWER, PROCTOR, PSYCHOMETRICIAN, ANALYST, ADMIN,
                      MDO_STAFF, MDO_LEADERSHIP, COE_REVIEWER)
AUTHORS = (AUTHOR, ADMIN)
REVIEWERS = (REVIEWER, ADMIN)
RETIRERS = (AUTHOR, REVIEWER, PSYCHOMETRICIAN, ADMIN)
PROMOTERS = (PSYCHOMETRICIAN, ADMIN)


def _user():
    return current_user._get_current_object()


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise Invalid(N_("{name} must be a whole number, got {raw}"), field=name,
                      values={"name": name, "raw": repr(raw)}) from None


# --- competency dictionary -----------------------------------------------------------------

@bp.get("/competencies")
@role_required(*DICTIONARY_READERS)
def competencies():
    text, kind = request.args.get("q", ""), request.args.get("type") or None
    found = services.search_competencies(db.session, text=text, competency_type=kind)
    return render_template("items/competencies.html", competencies=found, q=text, kind=kind,
                           types=COMPETENCY_TYPES, import_form=CompetencyImportForm())


@bp.get("/competencies/<code>")
@role_required(*DICTIONARY_READERS)
def competency(code: str):
    return render_template("items/competency.html",
                           competency=services.get_competency(db.session, code))


@bp.post("/competencies/import")
@role_required(ADMIN)
def import_competencies():
    form = CompetencyImportForm()
    if not form.validate_on_submit():
        return render_template("items/competencies.html", competencies=[], q="", kind=None,
                               types=COMPETENCY_TYPES, import_form=form), 422
    upload = form.file.data
    text = upload.read().decode("utf-8-sig")
    name = upload.filename or "upload"
    parse = services.parse_competency_csv if name.lower().endswith(".csv") else services.parse_competency_json
    report = services.import_competencies(db.session, parse(text, name), actor=_user(), filename=name)
    db.session.commit()
    flash(f"{name}: {report.summary()}", "success")
    return redirect(url_for("items.competencies"))


# --- banks -----------------------------------------------------------------------------------

def _bank_form() -> BankForm:
    form = BankForm()
    if _user().role == ADMIN:
        form.organisation.choices = choices((o.id, o.name) for o in services.list_agencies(db.session))
    else:
        del form.organisation
    return form


@bp.get("/banks")
@role_required(*BANK_READERS)
def banks():
    return render_template("items/banks.html", banks=services.list_banks(db.session, _user()),
                           form=_bank_form() if _user().role in AUTHORS else None)


@bp.post("/banks")
@role_required(*AUTHORS)
def create_bank():
    form = _bank_form()
    if not form.validate_on_submit():
        return render_template("items/banks.html", banks=services.list_banks(db.session, _user()),
                               form=form), 422
    owner = (services.get_agency(db.session, form.organisation.data) if _user().role == ADMIN
             else _user().organisation)
    bank = services.create_bank(db.session, name=form.name.data, organisation=owner,
                                description=form.description.data or "",
                                languages=form.languages.data or ["en"], actor=_user())
    db.session.commit()
    flash(_("Bank {name} created.", name=bank.name), "success")
    return redirect(url_for("items.bank", bank_id=bank.id))


@bp.get("/banks/<int:bank_id>")
@role_required(*BANK_READERS)
def bank(bank_id: int):
    found = services.get_bank(db.session, bank_id, _user())
    return render_template("items/bank.html", bank=found,
                           overview=services.bank_overview(db.session, found), types=ITEM_TYPES)


@bp.get("/banks/<int:bank_id>/items")
@role_required(*BANK_READERS)
def item_list(bank_id: int):
    found = services.get_bank(db.session, bank_id, _user())
    filters = {"competency": request.args.get("competency") or None, "level": _int_arg("level"),
               "state": request.args.get("state") or None, "item_type": request.args.get("type") or None,
               "text": request.args.get("q") or None}
    page = services.search_items(db.session, found, **filters, page=_int_arg("page") or 1)
    return render_template("items/item_list.html", bank=found, page=page, filters=filters,
                           states=ITEM_STATES, types=ITEM_TYPES,
                           competencies=services.search_competencies(db.session))


# --- authoring -------------------------------------------------------------------------------

def _item_form(data: dict | None = None) -> ItemForm:
    form = ItemForm()
    form.competency.choices = choices((c.code, f"{c.code} · {c.name} ({c.type})")
                                      for c in services.search_competencies(db.session))
    if data is not None and request.method == "GET":
        fill_form(form, data)
    return form


def _render_item_form(form, bank, item_type, *, item=None, data=None, refused: Invalid | None = None,
                      status=200, picture: Picture | None = None):
    rows = rows_for_display(item_type, data, request.form if request.method == "POST" else None)
    if picture is not None:  # just uploaded: the areas are drawn on it from now on
        rows["hotspot"]["image"].update(src=picture.src, width=picture.width, height=picture.height)
    problems = plain_problems(item_type, refused.problems or [refused.to_dict()["error"]], request.form) \
        if refused is not None else FormProblems()
    for name, errors in form.errors.items():
        for error in errors:
            problems.add(name, _(error))
    return render_template("items/item_form.html", form=form, bank=bank, item=item,
                           item_type=ITEM_TYPES[item_type], rows=rows, problems=problems), status


def _uploaded_picture() -> tuple[Picture | None, Invalid | None]:
    """A hotspot picture posted with the form, stored and committed on its own: the picture is
    kept (by its hash) whatever becomes of the item, so a refused item keeps its picture.

    Without a file, Upload is Save: it is the form's first button, which Enter in any box
    presses."""
    upload = request.files.get("picture")
    if upload is None or not upload.filename:
        return None, None
    try:
        picture = store_picture(db.session, upload.filename, upload.read())
    except Invalid as exc:
        db.session.rollback()
        return None, exc
    db.session.commit()
    return picture, None


def _with_picture(formdata, picture: Picture | None):
    if picture is None:
        return formdata
    posted = formdata.copy()
    posted.update({"image_src": picture.src, "image_width": str(picture.width), "image_height": str(picture.height)})
    return posted


@bp.route("/banks/<int:bank_id>/items/new/<item_type>", methods=["GET", "POST"])
@role_required(*AUTHORS)
def new_item(bank_id: int, item_type: str):
    found = services.get_bank(db.session, bank_id, _user())
    if item_type not in ITEM_TYPES or not ITEM_TYPES[item_type].authored_in_form:
        abort(404)
    form = _item_form()
    if request.method == "GET":  # a new item most likely assesses what the bank's items do
        form.competency.data = request.args.get("competency") or services.bank_competency(db.session, found)
    picture, refused = _uploaded_picture() if request.method == "POST" else (None, None)
    if refused is not None or picture is not None and request.form.get("upload"):  # the picture, then areas on it
        return _render_item_form(form, found, item_type, refused=refused, picture=picture,
                                 status=422 if refused else 200)
    if not form.validate_on_submit():
        return _render_item_form(form, found, item_type, status=422 if request.method == "POST" else 200,
                                 picture=picture)
    try:
        created = services.create_item(
            db.session, found, code=(form.code.data or "").strip(), item_type=item_type,
            competency=form.competency.data, level=form.level.data, sub_area=form.sub_area.data or None,
            content=content_from_form(item_type, form, _with_picture(request.form, picture)), actor=_user())
    except Invalid as exc:
        db.session.rollback()
        return _render_item_form(form, found, item_type, refused=exc, status=422, picture=picture)
    db.session.commit()
    flash(_("Item {code} saved as a draft.", code=created.code), "success")
    return redirect(url_for("items.item", item_id=created.id))


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@role_required(*AUTHORS)
def edit_item(item_id: int):
    found = services.get_item(db.session, item_id, _user())
    data = services.item_to_bank_json(found)
    form = _item_form(data)
    picture, refused = _uploaded_picture() if request.method == "POST" else (None, None)
    if refused is not None or picture is not None and request.form.get("upload"):
        return _render_item_form(form, found.bank, found.type, item=found, data=data, refused=refused,
                                 picture=picture, status=422 if refused else 200)
    if not form.validate_on_submit():
        return _render_item_form(form, found.bank, found.type, item=found, data=data,
                                 status=422 if request.method == "POST" else 200, picture=picture)
    try:
        posted = _with_picture(request.form, picture)
        version = services.update_item(
            db.session, found, content={**kept_from_import(data), **content_from_form(found.type, form, posted)},
            actor=_user(),
            competency=form.competency.data, level=form.level.data, sub_area=form.sub_area.data or None)
    except Invalid as exc:
        db.session.rollback()
        return _render_item_form(form, found.bank, found.type, item=found, data=data, refused=exc, status=422,
                                 picture=picture)
    db.session.commit()
    flash(_("Item {code} saved (version {number}).", code=found.code, number=version.number), "success")
    return redirect(url_for("items.item", item_id=found.id))


@bp.get("/items/<int:item_id>")
@role_required(*BANK_READERS)
def item(item_id: int):
    found = services.get_item(db.session, item_id, _user())
    version = found.current
    data = services.item_to_bank_json(found)
    return render_template("items/item.html", item=found, version=version,
                           data=data, item_type=ITEM_TYPES[found.type], item_model=item_models.is_model(data),
                           decisions=services.decisions_for(db.session, found),
                           actions=services.allowed_actions(found, _user()),
                           own_version=_user().id in (version.created_by_id, version.submitted_by_id),
                           action_form=ActionForm(), review_form=ReviewForm(), retire_form=RetireForm())


@bp.get("/items/<int:item_id>/preview")
@role_required(*BANK_READERS)
def preview(item_id: int):
    found = services.get_item(db.session, item_id, _user())
    lang = request.args.get("lang", "en")
    if lang not in SUPPORTED_LANGUAGES:
        raise Invalid(N_("lang must be one of {supported_languages}, got {lang}"), field="lang",
                      values={"supported_languages": ', '.join(SUPPORTED_LANGUAGES), "lang": repr(lang)})
    view = services.candidate_view(found.current, lang, np.random.default_rng())
    return render_template("items/preview.html", item=found, view=view, lang=lang)


# --- workflow --------------------------------------------------------------------------------

def _after_action(found, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("items.item", item_id=found.id))


@bp.post("/items/<int:item_id>/submit")
@role_required(*AUTHORS)
def submit(item_id: int):
    found = services.get_item(db.session, item_id, _user())
    if not ActionForm().validate_on_submit():
        abort(400)
    services.submit_item(db.session, found, actor=_user())
    return _after_action(found, _("Item {code} sent for review.", code=found.code))


@bp.post("/items/<int:item_id>/review")
@role_required(*REVIEWERS)
def review(item_id: int):
    found = services.get_item(db.session, item_id, _user())
    form = ReviewForm()
    if not form.validate_on_submit():
        raise Invalid(N_("choose approve or return"), field="decision")
    decision = services.review_item(db.session, found, reviewer=_user(), decision=form.decision.data,
                                    comments=form.comments.data or "")
    if decision.decision == "approve":
        return _after_action(found, _("Item {code} approved.", code=found.code))
    return _after_action(found, _("Item {code} returned to the author.", code=found.code))


@bp.post("/items/<int:item_id>/retire")
@role_required(*RETIRERS)
def retire(item_id: int):
    found = services.get_item(db.session, item_id, _user())
    form = RetireForm()
    if not form.validate_on_submit():
        abort(400)
    services.retire_item(db.session, found, actor=_user(), reason=form.reason.data or "")
    return _after_action(found, _("Item {code} retired.", code=found.code))


@bp.post("/items/<int:item_id>/promote")
@role_required(*PROMOTERS)
def promote(item_id: int):
    found = services.get_item(db.session, item_id, _user())
    if not ActionForm().validate_on_submit():
        abort(400)
    services.promote_item(db.session, found, actor=_user())
    return _after_action(found, f"Item {found.code} is operational.")


@bp.get("/review")
@role_required(*REVIEWERS)
def review_queue():
    return render_template("items/review_queue.html", items=services.review_queue(db.session, _user()))
