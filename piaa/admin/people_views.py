"""Cohorts and their enrolments (from a CSV, all or nothing, with each official's time
factor), windows with their proctors, accounts (role, deactivation, password reset, API
tokens) and organisations. A password or token made here is shown once, on the answer to
the request that made it, and never put in a redirect or a flashed message."""
from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for

from piaa.accounts import services as accounts
from piaa.accounts.auth import role_required
from piaa.accounts.models import ADMIN, PROCTOR, PROVIDER
from piaa.admin import bp
from piaa.admin.forms import (AccommodationForm, AccountForm, CohortForm, MembersForm, OrganisationForm,
                              ProctorForm, RoleForm, TokenForm, WindowForm)
from piaa.admin.views import change_by_form, done, from_india_time, me
from piaa.delivery import assessments as service
from piaa.errors import DomainError, Invalid
from piaa.extensions import db
from piaa.i18n import gettext as _
from piaa.i18n import N_

MAX_CSV = 2 * 1024 * 1024


def uploaded_text(field) -> tuple[str, str] | None:
    """The uploaded CSV as text with its file name, or None when no file was chosen.

    :raise Invalid: if it is too large or not UTF-8 text.
    """
    upload = field.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    data = upload.read(MAX_CSV + 1)
    if len(data) > MAX_CSV:
        raise Invalid(N_("{filename}: larger than 2 MB"), field=field.name, values={"filename": upload.filename})
    try:
        return data.decode("utf-8-sig"), upload.filename
    except UnicodeDecodeError:
        raise Invalid(N_("{filename}: not UTF-8 text; save the sheet as CSV UTF-8"),
                      field=field.name,
                      values={"filename": upload.filename}) from None


def secret_page(template: str, **context):
    """A page showing a secret once: no cache may keep it."""
    response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- cohorts -----------------------------------------------------------------------------------

def _provider_choices(form) -> None:
    form.provider_id.choices = [(0, _("None"))] + [
        (org.id, org.name) for org in accounts.list_organisations(db.session) if org.kind == PROVIDER]


@bp.route("/admin/cohorts", methods=["GET", "POST"])
@role_required(ADMIN)
def cohorts():
    form = CohortForm()
    _provider_choices(form)

    def create():
        provider = accounts.get_organisation(db.session, form.provider_id.data) if form.provider_id.data else None
        cohort = service.create_cohort(db.session, name=form.name.data, course=form.course.data or "",
                                       provider=provider, actor=me())
        upload = uploaded_text(form.members)
        if upload is not None:
            service.import_cohort_csv(db.session, cohort, upload[0], actor=me(), file=upload[1])
        return cohort

    cohort, problems, status = change_by_form(form, create)
    if cohort is not None:
        return done(_("Cohort {name} created with {n} members.", name=cohort.name, n=len(cohort.enrolments)),
                    "admin.cohort", cohort_id=cohort.id)
    return render_template("admin/cohorts.html", form=form, cohorts=service.list_cohorts(db.session),
                           problems=problems), status


@bp.route("/admin/cohorts/<int:cohort_id>", methods=["GET", "POST"])
@role_required(ADMIN)
def cohort(cohort_id: int):
    found = service.get_cohort(db.session, cohort_id)
    form = MembersForm()

    def enrol():
        upload = uploaded_text(form.members)
        if upload is None:
            raise Invalid(N_("choose a CSV file"), field="members")
        return service.import_cohort_csv(db.session, found, upload[0], actor=me(), file=upload[1])

    added, problems, status = change_by_form(form, enrol)
    if added is not None:
        return done(_("{n} officials enrolled.", n=len(added)), "admin.cohort", cohort_id=cohort_id)
    return render_template("admin/cohort.html", cohort=found, form=form, problems=problems,
                           accommodation=AccommodationForm(),
                           windows=[w for w in service.list_windows(db.session) if w.cohort_id == found.id]), status


@bp.post("/admin/cohorts/<int:cohort_id>/members/<int:user_id>")
@role_required(ADMIN)
def accommodation(cohort_id: int, user_id: int):
    found = service.get_cohort(db.session, cohort_id)
    form = AccommodationForm()
    if not form.validate_on_submit():
        flash(" ".join(form.time_factor.errors) or _("Enter a number from {low} to {high}.", low=0.1, high=4), "error")
        return redirect(url_for("admin.cohort", cohort_id=cohort_id))
    try:
        enrolment = service.enrol(db.session, found, accounts.get_user(db.session, user_id),
                                  time_factor=form.time_factor.data, actor=me())
    except DomainError as error:
        db.session.rollback()
        flash(error.in_language(), "error")
        return redirect(url_for("admin.cohort", cohort_id=cohort_id))
    return done(_("Time factor of {name} set to {factor}.", name=enrolment.user.name, factor=format(enrolment.time_factor, "g")),
                "admin.cohort", cohort_id=cohort_id)


# --- windows -----------------------------------------------------------------------------------

def _proctors():
    return accounts.list_users(db.session, role=PROCTOR)


@bp.route("/admin/windows", methods=["GET", "POST"])
@role_required(ADMIN)
def windows():
    form = WindowForm()
    form.assessment_id.choices = [(a.id, f"{a.code}: {a.title}") for a in service.list_assessments(db.session)]
    form.cohort_id.choices = [(c.id, c.name) for c in service.list_cohorts(db.session)]
    form.proctors.choices = [(p.id, f"{p.name} ({p.email})") for p in _proctors() if p.active]
    if request.method == "GET" and request.args.get("assessment_id", type=int):
        form.assessment_id.data = request.args.get("assessment_id", type=int)

    def create():
        return service.create_window(
            db.session, assessment=service.get_assessment(db.session, form.assessment_id.data),
            cohort=service.get_cohort(db.session, form.cohort_id.data),
            opens_at=from_india_time(form.opens_at.data), closes_at=from_india_time(form.closes_at.data),
            name=form.name.data or None, access_code=form.access_code.data or None,
            max_attempts=form.max_attempts.data,
            proctors=[accounts.get_user(db.session, i) for i in form.proctors.data or []], actor=me())

    window, problems, status = change_by_form(form, create)
    if window is not None:
        return done(_("Window {name} created.", name=window.name), "admin.window", window_id=window.id)
    return render_template("admin/windows.html", form=form, windows=service.list_windows(db.session),
                           problems=problems), status


@bp.route("/admin/windows/<int:window_id>", methods=["GET", "POST"])
@role_required(ADMIN)
def window(window_id: int):
    found = service.get_window(db.session, window_id)
    form = ProctorForm()
    assigned = {row.user_id for row in found.proctors}
    form.proctor_id.choices = [(p.id, f"{p.name} ({p.email})") for p in _proctors()
                               if p.active and p.id not in assigned]
    if form.validate_on_submit():
        try:
            service.assign_proctor(db.session, found, accounts.get_user(db.session, form.proctor_id.data), actor=me())
        except DomainError as error:
            db.session.rollback()
            flash(error.in_language(), "error")
        else:
            return done(_("Proctor assigned."), "admin.window", window_id=window_id)
    return render_template("admin/window.html", window=found, form=form)


@bp.post("/admin/windows/<int:window_id>/proctors/<int:user_id>/remove")
@role_required(ADMIN)
def unassign(window_id: int, user_id: int):
    found = service.get_window(db.session, window_id)
    service.unassign_proctor(db.session, found, accounts.get_user(db.session, user_id), actor=me())
    return done(_("Proctor taken off the window."), "admin.window", window_id=window_id)


# --- accounts ----------------------------------------------------------------------------------

def _organisation_choices(form) -> None:
    form.organisation_id.choices = [(0, _("None"))] + [
        (org.id, f"{org.name} ({org.kind})") for org in accounts.list_organisations(db.session)]


@bp.route("/admin/accounts", methods=["GET", "POST"])
@role_required(ADMIN)
def accounts_page():
    form = AccountForm()
    _organisation_choices(form)
    password = form.password.data or accounts.new_password()
    user, problems, status = change_by_form(form, lambda: accounts.create_user(
        db.session, email=form.email.data, name=form.name.data, name_hi=form.name_hi.data or None,
        role=form.role.data, password=password, actor=me(),
        organisation=accounts.get_organisation(db.session, form.organisation_id.data)
        if form.organisation_id.data else None))
    if user is not None:
        db.session.commit()
        return secret_page("admin/secret.html", user=user, password=None if form.password.data else password,
                           heading=_("Account created"))
    return render_template("admin/accounts.html", form=form, problems=problems,
                           users=accounts.list_users(db.session, text=request.args.get("q"),
                                                     role=request.args.get("role") or None)), status


def _account_page(user, **context):
    role_form = RoleForm(data={"role": user.role})
    return render_template("admin/account.html", user=user, role_form=role_form, token_form=TokenForm(),
                           tokens=accounts.tokens_of(db.session, user), **context)


@bp.get("/admin/accounts/<int:user_id>")
@role_required(ADMIN)
def account(user_id: int):
    return _account_page(accounts.get_user(db.session, user_id))


def _account_action(user_id: int, act, message: str):
    user = accounts.get_user(db.session, user_id)
    try:
        act(user)
    except DomainError as error:
        db.session.rollback()
        flash(error.in_language(), "error")
        return redirect(url_for("admin.account", user_id=user_id))
    return done(message, "admin.account", user_id=user_id)


@bp.post("/admin/accounts/<int:user_id>/role")
@role_required(ADMIN)
def account_role(user_id: int):
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Choose a role."), "error")
        return redirect(url_for("admin.account", user_id=user_id))
    return _account_action(user_id, lambda u: accounts.set_role(db.session, u, form.role.data, actor=me()),
                           _("Role changed."))


@bp.post("/admin/accounts/<int:user_id>/deactivate")
@role_required(ADMIN)
def deactivate(user_id: int):
    return _account_action(user_id, lambda u: accounts.set_active(db.session, u, False, actor=me()),
                           _("Account deactivated."))


@bp.post("/admin/accounts/<int:user_id>/reactivate")
@role_required(ADMIN)
def reactivate(user_id: int):
    return _account_action(user_id, lambda u: accounts.set_active(db.session, u, True, actor=me()),
                           _("Account reactivated."))


@bp.post("/admin/accounts/<int:user_id>/password")
@role_required(ADMIN)
def reset_password(user_id: int):
    user = accounts.get_user(db.session, user_id)
    password = accounts.reset_password(db.session, user, actor=me())
    db.session.commit()
    return secret_page("admin/secret.html", user=user, password=password, heading=_("New password"))


@bp.post("/admin/accounts/<int:user_id>/tokens")
@role_required(ADMIN)
def issue_token(user_id: int):
    user = accounts.get_user(db.session, user_id)
    form = TokenForm()
    if not form.validate_on_submit():
        return _account_page(user), 422
    token = accounts.issue_token(db.session, user, form.label.data or "", actor=me())
    db.session.commit()
    return secret_page("admin/secret.html", user=user, token=token, heading=_("New API token"))


@bp.post("/admin/accounts/<int:user_id>/tokens/<int:token_id>/revoke")
@role_required(ADMIN)
def revoke_token(user_id: int, token_id: int):
    return _account_action(user_id, lambda u: accounts.revoke_token(db.session, token_id, actor=me()),
                           _("Token revoked."))


# --- organisations -----------------------------------------------------------------------------

@bp.route("/admin/organisations", methods=["GET", "POST"])
@role_required(ADMIN)
def organisations():
    form = OrganisationForm()
    org, problems, status = change_by_form(form, lambda: accounts.create_organisation(
        db.session, name=form.name.data, kind=form.kind.data, name_hi=form.name_hi.data, actor=me()))
    if org is not None:
        return done(_("Organisation {name} created.", name=org.name), "admin.organisations")
    return render_template("admin/organisations.html", form=form, problems=problems,
                           organisations=accounts.list_organisations(db.session)), status
