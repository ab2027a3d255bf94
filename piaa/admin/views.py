"""The role dashboards (administrator, psychometrician, analyst) and what every
administration page shares: India time for windows, a service's error put beside its field,
and one commit per successful change."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from piaa.accounts.auth import role_required
from piaa.accounts.models import ADMIN, ANALYST, PSYCHOMETRICIAN
from piaa.admin import bp, overview
from piaa.admin.overview import Link
from piaa.errors import DomainError
from piaa.extensions import db
from piaa.i18n import gettext as _
from piaa.i18n import N_

# Windows are typed and shown in India time; the service stores UTC.
INDIA = ZoneInfo("Asia/Kolkata")

ADMIN_LINKS = [
    Link(N_("Assessments"), "admin.assessments", N_("Create and edit assessments, assemble forms, see the bank's readiness.")),
    Link(N_("Cohorts and enrolments"), "admin.cohorts", N_("Groups of officials, from a CSV, with their accommodations.")),
    Link(N_("Windows"), "admin.windows", N_("When an assessment may be sat, by which cohort, with which proctors.")),
    Link(N_("Accounts"), "admin.accounts_page", N_("Create accounts, change roles, deactivate, reset passwords, API tokens.")),
    Link(N_("Organisations"), "admin.organisations", N_("Agencies, training institutes and ministries.")),
    Link(N_("Certificates"), "admin.certificates_page", N_("Find a certificate and revoke it with a reason.")),
    Link(N_("Audit chain"), "admin.audit_page", N_("Check that the audit log is unbroken.")),
    Link(N_("Item banks: export and bulk review"), "admin.banks", N_("Export a bank; submit or approve imported drafts.")),
    Link(N_("Live proctoring"), "delivery_pages.proctor_dashboard", N_("Watch attempts in every window.")),
    Link(N_("Competency dictionary"), "items.competencies", N_("The FRAC competencies and their levels.")),
    Link(N_("Import items"), "imports.upload", N_("Load a bank from CSV, XLSX, QTI or a bank folder.")),
    Link(N_("Standard setting"), "standard_setting.index", N_("Set cut scores with a panel.")),
    Link(N_("Calibration"), "calibration.index", N_("Calibrate items and activate parameter sets.")),
    Link(N_("Effectiveness reports"), "reports.overview", N_("Course, provider and ministry reports.")),
]
PSYCHOMETRICIAN_LINKS = [
    Link(N_("Item banks"), "items.banks", N_("Read every bank; promote calibrated pretest items.")),
    Link(N_("Calibration"), "calibration.index", N_("Calibrate items, review fit and DIF, activate parameter sets.")),
    Link(N_("Standard setting"), "standard_setting.index", N_("Bookmark and Angoff panels; apply cut scores.")),
    Link(N_("Competency dictionary"), "items.competencies", N_("The FRAC competencies and their levels.")),
]
ANALYST_LINKS = [
    Link(N_("Effectiveness reports"), "reports.overview", N_("Course, provider and ministry reports.")),
    Link(N_("Courses and runs"), "reports.courses", N_("Courses, their runs and matched learners.")),
    Link(N_("Competency dictionary"), "items.competencies", N_("The FRAC competencies and their levels.")),
]


def india_time(moment: datetime | None) -> str:
    """'2026-03-01 09:30 IST'; empty for None."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return f"{moment.astimezone(INDIA):%Y-%m-%d %H:%M} IST"


def from_india_time(moment: datetime) -> datetime:
    """A time typed in India time (naive) as an aware UTC time."""
    return moment.replace(tzinfo=INDIA).astimezone(timezone.utc)


bp.add_app_template_filter(india_time, "india_time")


# The services say what is wrong in the API's words ("cut_scores must rise from level 1 to
# level 5, got [...]"), which suit a program; a person at the form reads these instead.
# (service field or None for any, what the message says, plain words with the {groups} found)
PLAIN_WORDS = [
    ("cut_scores", r"must rise", N_("Each level must begin at a higher θ than the level before it.")),
    ("cut_scores", r"must lie between (?P<low>\S+) and (?P<high>\S+),", N_("Keep every cut score between {low} and {high}.")),
    ("percent_cut_scores", r"must rise", N_("Each level must begin at a higher per cent than the level before it.")),
    ("max_items", r"at least min_items \((?P<n>\d+)\)", N_("Give at least as many items as the minimum ({n}).")),
    ("se_target", r"needs se_target, max_items", N_("Give a standard error to stop at, a largest number of items, or both.")),
    ("code", r"exists", N_("That code is taken: choose another.")),
    ("code", r"needs a code", N_("Give a code of 1 to 64 characters.")),
    ("languages", r"must include en", N_("Choose English, and Hindi if the items have it.")),
    ("closes_at", r"must close after it opens", N_("The window must close after it opens.")),
    ("proctors", r"not a proctor", N_("Choose proctors only.")),
    ("name", r"exists", N_("That name is taken: choose another.")),
    ("email", r"exists", N_("An account with this e-mail address exists.")),
    ("email", r"not an e-mail address", N_("Enter an e-mail address.")),
    (None, r"^a blueprint is", N_("Put at least one item in the blueprint grid.")),
    (None, r"repeats level", N_("Each level and sub-area appears once in the blueprint.")),
]


def plain_words(error: DomainError) -> str:
    """The error as a person at the form reads it (translated), or the service's own message."""
    for field, pattern, words in PLAIN_WORDS:
        if field in (None, error.field) and (found := re.search(pattern, error.message)):
            return _(words, **found.groupdict())
    return error.in_language()


def put_beside(form, error: DomainError, fields: dict[str, str] | None = None) -> list[str]:
    """Put a service's error, in plain words, beside the form field it names (``fields`` maps
    the service's field names to the form's); returns what could not be placed, for the top of
    the form."""
    name = (fields or {}).get(error.field or "", error.field or "")
    if not name:
        for prefix, target in (fields or {}).items():
            if error.field and prefix.endswith(".") and error.field.startswith(prefix):
                name = target
    message = plain_words(error)
    if name and name in form._fields:
        form._fields[name].errors = list(form._fields[name].errors or []) + [message]
        return []
    return [message]


def change_by_form(form, change, fields: dict[str, str] | None = None):
    """Validate ``form`` on a POST and run ``change()``; returns ``(result, problems, status)``:
    the change's result (None if nothing was changed), what to list above the form (a
    service's refusal not placed beside a field, or the rows of a CSV), and the status."""
    if not form.validate_on_submit():
        return None, [], 422 if request.method == "POST" else 200
    try:
        return change(), [], 200
    except DomainError as error:
        db.session.rollback()
        return None, error.problems or put_beside(form, error, fields), 422


def done(message: str, endpoint: str, **values):
    """Commit the request's change, say so, and go on to ``endpoint``."""
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


def me():
    return current_user._get_current_object()


@bp.get("/admin")
@role_required(ADMIN)
def dashboard():
    return render_template("admin/dashboard.html", counts=overview.admin_counts(db.session),
                           links=overview.existing(ADMIN_LINKS))


@bp.get("/psychometrician")
@role_required(PSYCHOMETRICIAN, ADMIN)
def psychometrician_home():
    return render_template("admin/desk.html", heading=_("Psychometrician"),
                           links=overview.existing(PSYCHOMETRICIAN_LINKS))


@bp.get("/analyst")
@role_required(ANALYST, ADMIN)
def analyst_home():
    return render_template("admin/desk.html", heading=_("Analyst"), links=overview.existing(ANALYST_LINKS))
