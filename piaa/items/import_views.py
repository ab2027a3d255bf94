"""Bank import over the web: the upload page, the template download, the import's status
page, and the same as JSON API endpoints. Every upload runs as a background job
(``piaa.items.import_service.import_job``) so a 20,000-row sheet never holds a request open.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from flask import (Blueprint, abort, current_app, jsonify, redirect, render_template, request,
                   send_file, url_for)
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from piaa.accounts.auth import role_required
from piaa.accounts.models import ADMIN, AUTHOR, PSYCHOMETRICIAN, REVIEWER
from piaa.api import api_blueprint, openapi
from piaa.errors import Forbidden, Invalid, NotFound, for_the_api
from piaa.i18n import lazy_gettext as _l
from piaa.i18n import N_

IMPORT_JOB = "piaa.items.import_service.import_job"
UPLOAD_SUFFIXES = ["csv", "xlsx", "xml", "zip", "json"]

imports_bp = Blueprint("imports", __name__, url_prefix="/items/import")
imports_api = api_blueprint("imports_api", __name__, "/imports")


class ImportForm(FlaskForm):
    file = FileField(_l("Bank file (.csv, .xlsx, QTI .xml or .zip, bank folder as .zip)"),
                     validators=[FileRequired(), FileAllowed(UPLOAD_SUFFIXES, "a .csv, .xlsx, .xml, .zip or .json file")])
    bank = StringField(_l("Bank (an existing bank, or a new name)"), validators=[Optional(), Length(max=200)])
    agency = StringField(_l("Agency (administrators: for a new bank)"), validators=[Optional(), Length(max=200)])
    competency = StringField(_l("Competency code for items that name none"),
                             validators=[Optional(), Length(max=64)])
    level = IntegerField(_l("Level for items that name none"), validators=[Optional(), NumberRange(1, 5)])
    state = SelectField(_l("Load items as"), default="",
                        choices=[SelectChoice("", "as the file says (else draft)")]
                        + [SelectChoice(s, s) for s in ("draft", "approved", "operational")])
    skip_unsupported = BooleanField(_l("Import the items that can be imported, skip (and list) the others"))
    refuse_losses = BooleanField(_l("QTI: refuse items that cannot be kept whole"))


def upload_dir() -> Path:
    """Where uploads wait for their job; shared storage when workers run on other machines."""
    configured = current_app.config.get("PIAA_UPLOAD_DIR") or os.environ.get("PIAA_UPLOAD_DIR")
    folder = Path(configured) if configured else Path(current_app.instance_path) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _import_options(values: dict) -> dict:
    """Import options from form fields; authors import drafts into their own agency only."""
    options = {"bank": (values.get("bank") or "").strip() or None,
               "agency": (values.get("agency") or "").strip() or None,
               "competency": (values.get("competency") or "").strip() or None,
               "level": int(values["level"]) if values.get("level") not in (None, "") else None,
               "state": values.get("state") or None,
               "skip_unsupported": str(values.get("skip_unsupported", "")).lower() in ("1", "true", "y", "on"),
               "refuse_losses": str(values.get("refuse_losses", "")).lower() in ("1", "true", "y", "on")}
    if current_user.role != ADMIN:
        if options["state"] not in (None, "draft"):
            raise Forbidden(N_("authors import items as drafts; a reviewer approves them"))
        options["state"] = "draft"
        options["agency"] = current_user.organisation.name if current_user.organisation else None
    return options


def start_import(upload: FileStorage, values: dict) -> str:
    """Save the upload and queue its import; returns the job id.

    :raise Invalid: if the upload has no usable file name.
    """
    from piaa.jobs import enqueue

    name = secure_filename(upload.filename or "")
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in UPLOAD_SUFFIXES:
        raise Invalid(N_("cannot import {filename}: give a .csv, .xlsx, .xml, .zip or .json file"),
                      field="file",
                      values={"filename": repr(upload.filename)})
    options = _import_options(values)
    target = upload_dir() / f"{uuid.uuid4().hex}.{suffix}"
    upload.save(target)
    return enqueue(IMPORT_JOB, created_by=current_user.id, path=str(target), display=name,
                   options=options, actor_id=current_user.id, remove_after=True)


def _own_job(job_id: str):
    """:raise NotFound: unless the job is a bank import the caller started (admins: any)."""
    from piaa.jobs import job_status

    job = job_status(job_id)
    if job is None or job.func != IMPORT_JOB or \
            (current_user.role != ADMIN and job.created_by_id != current_user.id):
        raise NotFound(N_("no import {job_id}"), values={"job_id": job_id})
    return job


def job_view(job) -> dict:
    return {"id": job.id, "state": job.state, "done": job.done, "total": job.total,
            "file": (job.kwargs or {}).get("display"), "result": job.result,
            "failed": job.error.splitlines()[0] if job.error else None}


# --- pages -----------------------------------------------------------------------------------

@imports_bp.route("/", methods=["GET", "POST"])
@role_required(AUTHOR, ADMIN)
def upload():
    form = ImportForm()
    if form.validate_on_submit():
        job_id = start_import(form.file.data, {k: form[k].data for k in
                                               ("bank", "agency", "competency", "level", "state",
                                                "skip_unsupported", "refuse_losses")})
        return redirect(url_for("imports.status", job_id=job_id))
    return render_template("items/import.html", form=form, is_admin=current_user.role == ADMIN)


@imports_bp.get("/jobs/<job_id>")
@role_required(AUTHOR, ADMIN)
def status(job_id: str):
    job = _own_job(job_id)
    return render_template("items/import_status.html", job=job_view(job))


@imports_bp.get("/template.<fmt>")
@role_required(AUTHOR, ADMIN)
def template(fmt: str):
    from io import BytesIO

    from piaa.items.importers.template import template_bytes

    if fmt not in ("csv", "xlsx"):
        abort(404)
    mimetype = "text/csv" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return send_file(BytesIO(template_bytes(fmt)), mimetype=mimetype, as_attachment=True,
                     download_name=f"piaa-items-template.{fmt}")


EXPORT_TYPES = {"qti3": ("application/zip", "qti3.zip"), "json": ("application/zip", "bank.zip"),
                "csv": ("text/csv", "csv"),
                "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")}


@imports_bp.get("/export/<int:bank_id>/<fmt>")
@role_required(AUTHOR, REVIEWER, PSYCHOMETRICIAN, ADMIN)
def export(bank_id: int, fmt: str):
    """Download a bank the user may read as a QTI 3.0 package, a bank folder (zip), CSV or XLSX."""
    import tempfile
    from io import BytesIO

    from piaa.extensions import db
    from piaa.items.import_service import export_bank
    from piaa.items.services import get_bank

    if fmt not in EXPORT_TYPES:
        abort(404)
    bank = get_bank(db.session, bank_id, current_user)
    mimetype, suffix = EXPORT_TYPES[fmt]
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / f"export.{suffix}"
        export_bank(db.session, bank.name, fmt, out)
        data = out.read_bytes()
    name = secure_filename(bank.name.lower().replace(" ", "-")) or "bank"
    return send_file(BytesIO(data), mimetype=mimetype, as_attachment=True,
                     download_name=f"{name}.{suffix}")


# --- API -------------------------------------------------------------------------------------

@imports_api.post("")
@role_required(AUTHOR, ADMIN)
@openapi("Upload a bank file (multipart: file, and optional bank, agency, competency, level, "
         "state, skip_unsupported); the import runs as a job", tags=["items"],
         responses={202: "Import queued: {job, status_url}", 422: "No usable file"})
def api_start():
    upload_file = request.files.get("file")
    if upload_file is None or not upload_file.filename:
        raise Invalid(N_("send the bank file as the multipart field 'file'"), field="file")
    job_id = start_import(upload_file, request.form.to_dict())
    return jsonify({"job": job_id, "status_url": url_for("imports_api.api_status", job_id=job_id)}), 202


@imports_api.get("/<job_id>")
@role_required(AUTHOR, ADMIN)
@openapi("State and report of a bank import: queued, running (done of total), finished (the "
         "report, or ok=false with every problem) or failed", tags=["items"],
         responses={200: "The import job", 404: "No such import of yours"})
def api_status(job_id: str):
    view = job_view(_own_job(job_id))
    result = view["result"]
    if isinstance(result, dict):  # the problems as raised, without the pages' marked texts
        view["result"] = {**result, **{key: [for_the_api(p) for p in result[key]]
                                       for key in ("problems", "skipped") if isinstance(result.get(key), list)}}
    return jsonify(view)
