"""The analyst's effectiveness pages under /reports: overview, course, provider and ministry,
with filters, plots with readings and tables, and PDF, CSV and XLSX exports.

Scope: a reader from a provider sees its own courses; from an MDO, its own officials; the
Capacity Building Commission (and an administrator) sees everything.
"""
from __future__ import annotations

import base64
from datetime import date

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_login import current_user

from piaa.accounts.auth import role_required
from piaa.accounts.models import ADMIN, ANALYST
from piaa.accounts.views import ROLE_HOME
from piaa.errors import Invalid
from piaa.extensions import db
from piaa.i18n import gettext as _, N_

from . import services
from .documents import TABLES, report_pdf, table_csv, workbook
from .plots import report_plots

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.add_app_template_global(services.organisation_name, "organisation_name")


@bp.app_template_filter("svg_data_uri")
def svg_data_uri(svg: str) -> str:
    """An inline SVG as a data: URI for an <img>, which keeps its own styles under our policy."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
READERS = (ANALYST, ADMIN)
ROLE_HOME.setdefault(ANALYST, "reports.overview")
FILTERS = ("competency", "course", "provider", "mdo")


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid(N_("{name} must be a date like 2026-04-01, got {raw}"), field=name,
                      values={"name": name, "raw": repr(raw)}) from None


def _scope() -> dict:
    """Restrictions that follow from who is reading (see the module docstring)."""
    return services.reader_scope(current_user, current_app.config.get("PIAA_CBC_ORGANISATION",
                                                                      services.CBC_ORGANISATION))


def _selection(**fixed) -> services.Selection:
    values = {name: (request.args.get(name) or "").strip() or None for name in FILTERS}
    values.update(fixed)
    return services.Selection(**values, date_from=_date_arg("from"), date_to=_date_arg("to"), **_scope())


def _page(selection: services.Selection, heading: str, kind: str):
    report = services.report_for_selection(db.session, selection, title=heading)
    args = {k: v for k, v in request.args.items() if v}
    return render_template("reports/page.html", report=report, plots=report_plots(report),
                           heading=heading, kind=kind, selection=selection, args=args,
                           options=services.filter_options(db.session, selection),
                           provider_link=lambda name: url_for("reports.provider", name=name),
                           course_link=lambda code: url_for("reports.course", code=code),
                           ministry_link=lambda name: url_for("reports.ministry", name=name),
                           export_url=lambda fmt, **extra: url_for(
                               "reports.export", fmt=fmt, **{**args, **_fixed_args(selection, kind), **extra}))


def _fixed_args(selection: services.Selection, kind: str) -> dict:
    return {kind: getattr(selection, kind)} if kind in FILTERS else {}


@bp.get("/")
@role_required(*READERS)
def overview():
    return _page(_selection(), _("Course and provider effectiveness"), "overview")


@bp.get("/courses/<code>")
@role_required(*READERS)
def course(code: str):
    return _page(_selection(course=code), _("Course {name}", name=code), "course")


@bp.get("/providers/<name>")
@role_required(*READERS)
def provider(name: str):
    return _page(_selection(provider=name), _("Provider {name}", name=services.organisation_name(name)), "provider")


@bp.get("/ministries/<name>")
@role_required(*READERS)
def ministry(name: str):
    return _page(_selection(mdo=name), _("Ministry {name}", name=services.organisation_name(name)), "mdo")


@bp.get("/export.<fmt>")
@role_required(*READERS)
def export(fmt: str):
    """The report of the current filters as PDF, XLSX, or one table (``?table=``) as CSV."""
    selection = _selection()
    report = services.report_for_selection(db.session, selection)
    stem = "effectiveness"
    if fmt == "pdf":
        body, mimetype = report_pdf(report), "application/pdf"
    elif fmt == "xlsx":
        body = workbook(report)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "csv":
        table = request.args.get("table", "providers")
        if table not in TABLES:
            raise Invalid(N_("table must be one of {tables}, got {table}"), field="table",
                          values={"tables": ', '.join(TABLES), "table": repr(table)})
        body, mimetype, stem = table_csv(report, table).encode("utf-8"), "text/csv", table
    else:
        raise Invalid(N_("format must be pdf, xlsx or csv, got {fmt}"), field="format", values={"fmt": repr(fmt)})
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'})
