"""The JSON API of courses, course runs and enrolments, for learning platforms and providers'
own systems (Bearer token) as much as for people.

Who may do what: an administrator everything; an analyst of a provider reads and writes its
own provider's courses, runs and enrolments; other analysts (the Capacity Building
Commission, an MDO) read. Bulk enrolment is all or nothing: one bad row refuses the whole
request and every bad row is named.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import current_app, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from piaa.accounts.auth import role_required
from piaa.accounts.models import ADMIN, ANALYST, PROVIDER, Organisation
from piaa.api import api_blueprint, openapi, strict
from piaa.clock import as_utc
from piaa.errors import Forbidden, Invalid, NotFound
from piaa.extensions import db
from piaa.items.services.competencies import get_competency
from piaa.i18n import N_

from . import services
from .models import ENROLMENT_SOURCES, Course, CourseRun

api = api_blueprint("reports_api", __name__)
TAGS = ["courses and enrolments"]
READERS = (ADMIN, ANALYST)

TEXT = {"type": "string"}
COURSE_SCHEMA = strict({
    "code": TEXT, "title": TEXT, "title_hi": {"type": "string", "nullable": True},
    "provider": {"type": "string", "description": "the provider organisation's name"},
    "competencies": {"type": "array", "minItems": 1, "items": strict(
        {"competency": {**TEXT, "description": "competency code"},
         "target_level": {"type": "integer", "minimum": 1, "maximum": 5}}, "competency", "target_level")}},
    "code", "title", "provider", "competencies")
RUN_SCHEMA = strict({"code": TEXT, "starts_at": {"type": "string", "format": "date-time"},
                     "ends_at": {"type": "string", "format": "date-time"}}, "code", "starts_at", "ends_at")
ENROLMENT_SCHEMA = strict({
    "officials": {"type": "array", "items": strict({"email": TEXT}, "email")},
    "source": {"type": "string", "enum": list(ENROLMENT_SOURCES), "default": "api"}}, "officials")


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid(N_("the request body must be a JSON object"))
    return data


def _text(body: dict, field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise Invalid(N_("{field} is required"), field=field, values={"field": field})
    return value.strip()


def _when(body: dict, field: str) -> datetime:
    """An ISO 8601 time in UTC (a time without offset is taken as UTC). Converted, not just
    labelled: SQLite keeps no offset, so 09:00+05:30 stored as is would read back as 09:00 UTC."""
    try:
        return as_utc(datetime.fromisoformat(_text(body, field).replace("Z", "+00:00"))).astimezone(timezone.utc)
    except ValueError:
        raise Invalid(N_("{field} must be an ISO 8601 time, got {value}"), field=field,
                      values={"field": field, "value": repr(body.get(field))}) from None


def _scope() -> dict:
    return services.reader_scope(current_user, current_app.config.get("PIAA_CBC_ORGANISATION",
                                                                      services.CBC_ORGANISATION))


def _readable(course: Course) -> Course:
    """:raise NotFound: if the caller's scope does not reach ``course`` (as if it did not exist)."""
    provider_id = _scope().get("provider_id")
    if provider_id is not None and course.provider_id != provider_id:
        raise NotFound(N_("no course {course_code}"), field="course", values={"course_code": repr(course.code)})
    return course


def _writable(provider: Organisation) -> None:
    """:raise Forbidden: unless the caller administers, or works for ``provider``."""
    if current_user.role == ADMIN:
        return
    org = current_user.organisation
    if org is None or org.kind != PROVIDER or org.id != provider.id:
        raise Forbidden(N_("only an administrator or the provider's own staff may change its courses"))


def _course_json(course: Course, runs: bool = False) -> dict[str, Any]:
    body = {"code": course.code, "title": course.title, "title_hi": course.title_hi,
            "provider": course.provider.name,
            "competencies": [{"competency": c.competency.code, "target_level": c.target_level}
                             for c in course.competencies]}
    if runs:
        body["runs"] = [_run_json(r) for r in sorted(course.runs, key=lambda r: r.starts_at)]
    return body


def _run_json(run: CourseRun) -> dict[str, Any]:
    return {"code": run.code, "course": run.course.code, "starts_at": as_utc(run.starts_at).isoformat(),
            "ends_at": as_utc(run.ends_at).isoformat()}


@api.get("/courses")
@role_required(*READERS)
@openapi("Courses the caller may read, with their provider, competencies and target levels", tags=TAGS,
         responses={200: "courses: [{code, title, title_hi, provider, competencies: [{competency, "
                         "target_level}]}]"})
def list_courses():
    courses = services.list_courses(db.session, _scope().get("provider_id"))
    return jsonify({"courses": [_course_json(c) for c in courses]})


@api.post("/courses")
@role_required(*READERS)
@openapi("Define a course of a provider and the competencies it builds", tags=TAGS, request=COURSE_SCHEMA,
         responses={201: "the course", 403: "not the provider's own staff", 422: "bad field"})
def create_course():
    body = _body()
    name = _text(body, "provider")
    provider = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if provider is None:
        raise Invalid(N_("no provider named {name}"), field="provider", values={"name": repr(name)})
    _writable(provider)
    targets = body.get("competencies")
    if not isinstance(targets, list) or not targets:
        raise Invalid(N_("competencies must be a non-empty list of {competency, target_level}"),
                      field="competencies")
    competencies = {}
    for k, entry in enumerate(targets, start=1):
        if not isinstance(entry, dict) or isinstance(entry.get("target_level"), bool) \
                or not isinstance(entry.get("target_level"), int):
            raise Invalid(N_("competencies row {k}: give competency and a whole-number target_level"),
                          field="competencies",
                          values={"k": k})
        competencies[get_competency(db.session, str(entry.get("competency")))] = entry["target_level"]
    code = _text(body, "code")
    if db.session.scalar(select(Course.id).where(Course.code == code)) is not None:
        raise Invalid(N_("a course {code} exists already"), field="code", values={"code": repr(code)})
    course = services.create_course(db.session, code=code, title=_text(body, "title"), provider=provider,
                                    competencies=competencies, title_hi=body.get("title_hi") or None)
    db.session.commit()
    return jsonify(_course_json(course, runs=True)), 201


@api.get("/courses/<code>")
@role_required(*READERS)
@openapi("One course with its runs", tags=TAGS, responses={200: "the course and runs", 404: "no such course"})
def course(code: str):
    return jsonify(_course_json(_readable(services.get_course(db.session, code)), runs=True))


@api.post("/courses/<code>/runs")
@role_required(*READERS)
@openapi("Add a run (batch) of a course, with its dates", tags=TAGS, request=RUN_SCHEMA,
         responses={201: "the run", 403: "not the provider's own staff", 422: "bad field"})
def create_run(code: str):
    course = _readable(services.get_course(db.session, code))
    _writable(course.provider)
    body = _body()
    run_code = _text(body, "code")
    if db.session.scalar(select(CourseRun.id).where(CourseRun.code == run_code)) is not None:
        raise Invalid(N_("a course run {run_code} exists already"), field="code", values={"run_code": repr(run_code)})
    run = services.create_run(db.session, course, code=run_code, starts_at=_when(body, "starts_at"),
                              ends_at=_when(body, "ends_at"))
    db.session.commit()
    return jsonify(_run_json(run)), 201


def _run(code: str) -> CourseRun:
    run = services.get_run(db.session, code)
    _readable(run.course)
    return run


@api.get("/runs/<code>/enrolments")
@role_required(*READERS)
@openapi("The officials enrolled in a run", tags=TAGS,
         responses={200: "run; enrolments: [{email, name, source, enrolled_at}]", 404: "no such run"})
def run_enrolments(code: str):
    run = _run(code)
    if "mdo_id" in _scope():
        raise Forbidden(N_("an MDO reads its officials' aggregates, not a run's list of names"))
    rows = services.run_enrolments(db.session, run)
    return jsonify({"run": _run_json(run), "enrolments": [
        {"email": e.user.email, "name": e.user.name, "source": e.source,
         "enrolled_at": as_utc(e.created_at).isoformat()} for e in rows]})


@api.post("/runs/<code>/enrolments")
@role_required(*READERS)
@openapi("Enrol officials in a run by e-mail, all or nothing: a request with any bad row enrols "
         "no one and names every bad row (rows count from 1 in the order sent); an official "
         "already enrolled is left as is", tags=TAGS, request=ENROLMENT_SCHEMA,
         responses={201: "added, already_enrolled, enrolled (the run's total)",
                    403: "not the provider's own staff",
                    422: "error.problems: [{row, field, message}] naming each bad row"})
def enrol(code: str):
    run = _run(code)
    _writable(run.course.provider)
    body = _body()
    added, already = services.enrol_officials(db.session, run, body.get("officials"),
                                              source=body.get("source", "api"))
    db.session.commit()
    total = len(services.run_enrolments(db.session, run))
    return jsonify({"added": added, "already_enrolled": already, "enrolled": total}), 201
