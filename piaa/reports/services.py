"""Courses, runs and enrolments; pre/post matching; the effectiveness report from the database.

Matching, per enrolment and competency of the course: the **pre** result is the last scored
sitting of that competency, on its active parameter set, that ended before the run started
and within ``pre_days`` of the start; the **post** result the first such sitting that ended
after the run ended and within ``post_days``. An enrolment without one of them is attrition,
by reason: ``no pre``, ``no post``, or ``voided`` (the only sitting in the span was voided).

Aggregation runs in the database: one ``GROUP BY`` returns the sufficient statistics per
(course, provider, MDO, competency), two more the level transitions and the gain histogram,
so a national report moves a few thousand rows, not millions. Services never commit.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timezone

import numpy as np
from sqlalchemy import Integer, and_, case, cast, exists, func, literal, select
from sqlalchemy.orm import Session, aliased

from piaa.accounts.models import ADMIN, MDO, PROVIDER, Organisation, User
from piaa.clock import now
from piaa.delivery.models import Assessment, Attempt
from piaa.errors import Invalid, NotFound, found_problem
from piaa.i18n import N_, gettext
from piaa.items.calibration_models import ParameterSet
from piaa.items.models import Competency
from piaa.psychometrics import effectiveness as eff

from .analysis import GAIN_EDGES, PLAUSIBLE_SEED, Cells, EffectivenessReport, Participation, build_report
from .models import (ENROLMENT_SOURCES, Course, CourseCompetency, CourseEnrolment, CourseRun,
                     Official, RequiredLevel)

PRE_DAYS, POST_DAYS = 180, 120
#: Plausible values per learner behind course figures and level transitions, up to this many
#: matched learners in a selection (beyond it the sums alone are used, and the report does not
#: carry the note on plausible values).
PLAUSIBLE_DRAWS, PLAUSIBLE_MAX_LEARNERS = 5, 250_000
ATTRITION_REASONS = ("no pre", "no post", "voided")


@dataclass(frozen=True)
class Selection:
    """What a report covers. Labels are codes (competency, course) or names (provider, MDO);
    ``provider_id`` / ``mdo_id`` restrict to one organisation's courses or officials (scoping).
    Dates select runs that start on or after ``date_from`` and end on or before ``date_to``."""

    competency: str | None = None
    course: str | None = None
    provider: str | None = None
    mdo: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    provider_id: int | None = None
    mdo_id: int | None = None
    pre_days: int = PRE_DAYS
    post_days: int = POST_DAYS
    plausible_draws: int = PLAUSIBLE_DRAWS

    def describe(self, translate=lambda text: text, organisation=lambda name: name) -> str:
        """The selection in words ("provider X, from 2026-01-01"), in a language when
        ``translate`` (and ``organisation``, for its names) is given."""
        parts = [f"{translate(name)} {value}" for name, value in (
            (N_("competency"), self.competency), (N_("course"), self.course),
            (N_("provider"), self.provider and organisation(self.provider)),
            (N_("MDO"), self.mdo and organisation(self.mdo)), (N_("from"), self.date_from), (N_("to"), self.date_to))
            if value]
        return ", ".join(parts) or translate(N_("all courses"))


CBC_ORGANISATION = "Capacity Building Commission"


def reader_scope(user: User, cbc_name: str = CBC_ORGANISATION) -> dict:
    """What ``user`` may read, as :class:`Selection` restrictions: a provider's staff its own
    courses (``provider_id``), an MDO's its own officials (``mdo_id``); an administrator and
    the Capacity Building Commission (an MDO whose name starts with ``cbc_name``) everything."""
    org = user.organisation
    if user.role == ADMIN or org is None:
        return {}
    if org.kind == PROVIDER:
        return {"provider_id": org.id}
    if org.kind == MDO and not org.name.startswith(cbc_name):
        return {"mdo_id": org.id}
    return {}


# ------------------------------------------------------------------------- domain writes
def create_course(session: Session, *, code: str, title: str, provider: Organisation,
                  competencies: dict[Competency, int], title_hi: str | None = None) -> Course:
    """A course of ``provider`` building ``competencies`` (competency -> target level 1..5)."""
    if provider.kind != PROVIDER:
        raise Invalid(N_("{provider_name} is not a provider"), field="provider",
                      values={"provider_name": provider.name})
    if not competencies:
        raise Invalid(N_("a course builds at least one competency"), field="competencies")
    course = Course(code=code, title=title, title_hi=title_hi, provider=provider, created_at=now())
    for competency, level in competencies.items():
        if not 1 <= int(level) <= 5:
            raise Invalid(N_("target level must be 1..5, got {level}"), field="target_level", values={"level": level})
        course.competencies.append(CourseCompetency(competency=competency, target_level=int(level)))
    session.add(course)
    return course


def create_run(session: Session, course: Course, *, code: str, starts_at: datetime,
               ends_at: datetime) -> CourseRun:
    if ends_at < starts_at:
        raise Invalid(N_("a run ends after it starts"), field="ends_at")
    run = CourseRun(course=course, code=code, starts_at=starts_at, ends_at=ends_at)
    session.add(run)
    return run


def set_official(session: Session, user: User, *, mdo: Organisation | None, position: str = "",
                 required_levels: dict[Competency, int] | None = None) -> Official:
    """Record (or change) an official's MDO, position and the levels the position requires."""
    if mdo is not None and mdo.kind != MDO:
        raise Invalid(N_("{mdo_name} is not an MDO"), field="mdo", values={"mdo_name": mdo.name})
    official = session.get(Official, user.id) or Official(user_id=user.id)
    official.mdo, official.position = mdo, position
    session.add(official)
    for competency, level in (required_levels or {}).items():
        row = session.get(RequiredLevel, (user.id, competency.id)) or RequiredLevel(
            user_id=user.id, competency_id=competency.id)
        row.level = int(level)
        session.add(row)
    return official


def enrol(session: Session, run: CourseRun, users: list[User], source: str = "api") -> int:
    """Enrol ``users`` in ``run``; an official already enrolled is left as is. Returns how many
    enrolments were added."""
    have = set(session.scalars(select(CourseEnrolment.user_id).where(CourseEnrolment.run_id == run.id)))
    added = 0
    for user in users:
        if user.id in have:
            continue
        session.add(CourseEnrolment(run=run, user=user, source=source, created_at=now()))
        have.add(user.id)
        added += 1
    return added


def enrol_from_csv(session: Session, run: CourseRun, data: bytes | str, filename: str = "enrolments.csv") -> int:
    """Enrol the officials listed by ``email`` in a CSV file; all or nothing.

    :raise Invalid: naming file, row and field of each unknown or repeated e-mail.
    """
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "email" not in [f.strip().lower() for f in reader.fieldnames]:
        raise Invalid(N_("{filename} row 1: missing column email"),
                      problems=[{"file": filename, "row": 1, "field": "email", "message": N_("column missing")}],
                      values={"filename": filename})
    rows = [{(k or "").strip().lower(): (v or "").strip() for k, v in row.items()} for row in reader]
    emails = [r["email"] for r in rows]
    empty = [{"file": filename, "row": i, "field": "email", "message": N_("empty")}
             for i, email in enumerate(emails, start=2) if not email]
    users = _officials_by_email(session, emails, first_row=2, filename=filename, problems=empty)
    return enrol(session, run, users, source="csv")


def enrol_officials(session: Session, run: CourseRun, rows: list, source: str = "api") -> tuple[int, int]:
    """Enrol the officials of ``rows`` (``{"email": ...}`` objects, e.g. an API request's
    list) in ``run``; all or nothing. Returns (added, already enrolled).

    :raise Invalid: naming the row (counted from 1 in the order given) and field of each row
        that is not an object, lacks an e-mail, names no official, or repeats one.
    """
    if source not in ENROLMENT_SOURCES:
        raise Invalid(N_("source must be one of {enrolment_sources}, got {source}"), field="source",
                      values={"enrolment_sources": ', '.join(ENROLMENT_SOURCES), "source": repr(source)})
    if not isinstance(rows, list) or not rows:
        raise Invalid(N_("officials must be a non-empty list of {\"email\": ...} objects"), field="officials")
    problems, emails = [], []
    for i, row in enumerate(rows, start=1):
        email = row.get("email") if isinstance(row, dict) else None
        if not isinstance(email, str) or not email.strip():
            problems.append({"row": i, "field": "email", "message": N_("an e-mail address is required")})
        emails.append(email.strip() if isinstance(email, str) else "")
    users = _officials_by_email(session, emails, first_row=1, problems=problems)
    added = enrol(session, run, users, source=source)
    return added, len(users) - added


def _officials_by_email(session: Session, emails: list[str], *, first_row: int, filename: str | None = None,
                        problems: list[dict] | None = None) -> list[User]:
    """The accounts of ``emails`` (any case) in order; all or nothing. Empty e-mails are the
    caller's to report (in ``problems``).

    :raise Invalid: naming the row (``first_row`` for the first e-mail) and field of each
        unknown or repeated e-mail, with the problems already found in ``problems``.
    """
    problems = list(problems or [])
    wanted = [e.lower() for e in emails]
    users = {u.email.lower(): u for u in session.scalars(
        select(User).where(func.lower(User.email).in_([e for e in wanted if e])))}
    seen = set()
    for i, email in enumerate(wanted, start=first_row):
        where = {"file": filename} if filename else {}
        if email and email not in users:
            problems.append(found_problem(N_("no official {email}"), {"email": repr(email)},
                                          **where, row=i, field="email"))
        elif email and email in seen:
            problems.append(found_problem(N_("{email} listed twice"), {"email": email}, **where, row=i, field="email"))
        seen.add(email)
    if problems:
        problems.sort(key=lambda p: p["row"])
        first = problems[0]
        prefix = f"{filename} row {first['row']}" if filename else f"row {first['row']}"
        raise Invalid(N_("{prefix}, field email: {message}"), problems=problems,
                      values={"prefix": prefix, "message": first['message']})
    return [users[e] for e in wanted]


def get_course(session: Session, code: str) -> Course:
    """:raise NotFound: if no course has ``code``."""
    course = session.scalar(select(Course).where(Course.code == code))
    if course is None:
        raise NotFound(N_("no course {code}"), field="course", values={"code": repr(code)})
    return course


def get_run(session: Session, code: str) -> CourseRun:
    """:raise NotFound: if no course run has ``code``."""
    run = session.scalar(select(CourseRun).where(CourseRun.code == code))
    if run is None:
        raise NotFound(N_("no course run {code}"), field="run", values={"code": repr(code)})
    return run


def list_courses(session: Session, provider_id: int | None = None) -> list[Course]:
    """Every course (of one provider, if given), by code."""
    query = select(Course).order_by(Course.code)
    if provider_id is not None:
        query = query.where(Course.provider_id == provider_id)
    return list(session.scalars(query))


def run_enrolments(session: Session, run: CourseRun) -> list[CourseEnrolment]:
    return list(session.scalars(select(CourseEnrolment).where(CourseEnrolment.run_id == run.id)
                                .order_by(CourseEnrolment.id)))


# ------------------------------------------------------------------------- matching
def _shift(session: Session, column, days: int):
    """``column`` moved by ``days`` days, in the database's own date arithmetic."""
    if session.get_bind().dialect.name == "postgresql":
        return column + func.make_interval(0, 0, 0, days)
    return func.datetime(column, f"{days:+d} days")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def enrolment_pairs(session: Session, selection: Selection):
    """One row per enrolment and competency of its course in ``selection`` (a CTE)."""
    competency = aliased(Competency)
    provider = aliased(Organisation)
    mdo = aliased(Organisation)
    query = (
        select(CourseEnrolment.id.label("enrolment_id"), CourseEnrolment.user_id,
               CourseRun.starts_at, CourseRun.ends_at,
               _shift(session, CourseRun.starts_at, -selection.pre_days).label("pre_from"),
               _shift(session, CourseRun.ends_at, selection.post_days).label("post_until"),
               Course.code.label("course"), provider.name.label("provider"),
               func.coalesce(mdo.name, "(no MDO)").label("mdo"),
               CourseCompetency.competency_id, competency.code.label("competency"),
               CourseCompetency.target_level, RequiredLevel.level.label("required_level"))
        .join(CourseRun, CourseRun.id == CourseEnrolment.run_id)
        .join(Course, Course.id == CourseRun.course_id)
        .join(provider, provider.id == Course.provider_id)
        .join(CourseCompetency, CourseCompetency.course_id == Course.id)
        .join(competency, competency.id == CourseCompetency.competency_id)
        .outerjoin(Official, Official.user_id == CourseEnrolment.user_id)
        .outerjoin(mdo, mdo.id == Official.mdo_id)
        .outerjoin(RequiredLevel, and_(RequiredLevel.user_id == CourseEnrolment.user_id,
                                       RequiredLevel.competency_id == CourseCompetency.competency_id))
    )
    filters = []
    if selection.competency:
        filters.append(competency.code == selection.competency)
    if selection.course:
        filters.append(Course.code == selection.course)
    if selection.provider:
        filters.append(provider.name == selection.provider)
    if selection.mdo:
        filters.append(mdo.name == selection.mdo)
    if selection.provider_id is not None:
        filters.append(Course.provider_id == selection.provider_id)
    if selection.mdo_id is not None:
        filters.append(Official.mdo_id == selection.mdo_id)
    if selection.date_from:
        filters.append(CourseRun.starts_at >= _start_of(selection.date_from))
    if selection.date_to:
        filters.append(CourseRun.ends_at < _start_of(selection.date_to) + _ONE_DAY)
    return query.where(*filters).cte("pairs")


_ONE_DAY = datetime(2000, 1, 2) - datetime(2000, 1, 1)


def matched_pairs(session: Session, selection: Selection):
    """Every enrolment pair with its pre and post sitting ids (NULL when none) and whether a
    voided sitting lies in either span (a CTE)."""
    pairs = enrolment_pairs(session, selection)

    def sitting(before: bool):
        a = aliased(Attempt)
        s = aliased(Assessment)
        p = aliased(ParameterSet)
        window = (and_(a.ended_at < pairs.c.starts_at, a.ended_at >= pairs.c.pre_from) if before
                  else and_(a.ended_at > pairs.c.ends_at, a.ended_at <= pairs.c.post_until))
        return (select(a.id).join(s, s.id == a.assessment_id).join(p, p.id == a.parameter_set_id)
                .where(a.user_id == pairs.c.user_id, s.competency_id == pairs.c.competency_id,
                       a.state == "scored", p.active.is_(True), a.theta.is_not(None), window)
                .order_by(a.ended_at.desc() if before else a.ended_at.asc(), a.id)
                .limit(1).scalar_subquery())

    def voided(before: bool):
        a = aliased(Attempt)
        s = aliased(Assessment)
        window = (and_(a.ended_at < pairs.c.starts_at, a.ended_at >= pairs.c.pre_from) if before
                  else and_(a.ended_at > pairs.c.ends_at, a.ended_at <= pairs.c.post_until))
        return exists(select(a.id).join(s, s.id == a.assessment_id)
                      .where(a.user_id == pairs.c.user_id, s.competency_id == pairs.c.competency_id,
                             a.state == "voided", window))

    return select(pairs, sitting(True).label("pre_id"), sitting(False).label("post_id"),
                  voided(True).label("pre_voided"), voided(False).label("post_voided")).cte("matched")


def _learner_rows(session: Session, selection: Selection):
    """Matched learners with their θs, SEs and levels (a CTE)."""
    m = matched_pairs(session, selection)
    pre, post = aliased(Attempt), aliased(Attempt)
    return (select(m.c.course, m.c.provider, m.c.mdo, m.c.competency, m.c.target_level,
                   m.c.required_level, pre.theta.label("x"), pre.se.label("sx"),
                   func.coalesce(pre.level, 0).label("lp"), post.theta.label("y"),
                   post.se.label("sy"), func.coalesce(post.level, 0).label("lq"),
                   post.assessment_id.label("assessment_id"))
            .join(pre, pre.id == m.c.pre_id).join(post, post.id == m.c.post_id)).cte("learners")


def cells_for_selection(session: Session, selection: Selection) -> Cells:
    """Sufficient statistics per (course, provider, MDO, competency), summed by the database."""
    L = _learner_rows(session, selection)
    keys = (L.c.course, L.c.provider, L.c.mdo, L.c.competency)
    one = literal(1.0)
    has_target = L.c.target_level.is_not(None)
    has_required = L.c.required_level.is_not(None)
    z = 1.959963984540054
    reliable = (L.c.y - L.c.x) > z * func.sqrt(L.c.sx * L.c.sx + L.c.sy * L.c.sy)
    sums = session.execute(select(
        *keys, func.count().label("n"), func.sum(L.c.x), func.sum(L.c.y), func.sum(L.c.x * L.c.x),
        func.sum(L.c.y * L.c.y), func.sum(L.c.x * L.c.y), func.sum(L.c.sx * L.c.sx),
        func.sum(L.c.sy * L.c.sy), func.count(),
        func.sum(case((L.c.lq > L.c.lp, one), else_=0.0)),
        func.sum(case((has_target, one), else_=0.0)),
        func.sum(case((and_(has_target, L.c.lq >= L.c.target_level), one), else_=0.0)),
        func.sum(case((has_required, one), else_=0.0)),
        func.sum(case((and_(has_required, L.c.lq >= L.c.required_level), one), else_=0.0)),
        func.sum(case((reliable, one), else_=0.0)),
    ).group_by(*keys).order_by(*keys)).all()
    index = {tuple(r[:4]): i for i, r in enumerate(sums)}
    values = np.array([[float(v or 0) for v in r[4:]] for r in sums]).reshape(len(sums), 15)
    group_sums = eff.GroupSums(*values.T)
    side = eff.N_LEVELS + 1
    transitions = np.zeros((len(sums), side, side), dtype=np.int64)
    for row in session.execute(select(*keys, L.c.lp, L.c.lq, func.count())
                               .group_by(*keys, L.c.lp, L.c.lq)):
        lp, lq = int(row[4]), int(row[5])
        if 0 <= lp < side and 0 <= lq < side:
            transitions[index[tuple(row[:4])], lp, lq] = row[6]
    n_bins = len(GAIN_EDGES) - 1
    # floor((gain - first edge) / width), clamped; +1000 makes the cast (truncation) a floor.
    width = float(GAIN_EDGES[1] - GAIN_EDGES[0])
    raw_bin = cast((L.c.y - L.c.x - float(GAIN_EDGES[0])) / width + 1000, Integer) - 1000
    bin_ = case((raw_bin < 0, 0), (raw_bin > n_bins - 1, n_bins - 1), else_=raw_bin)
    gain_counts = np.zeros((len(sums), n_bins), dtype=np.int64)
    for row in session.execute(select(*keys, bin_.label("b"), func.count()).group_by(*keys, bin_)):
        gain_counts[index[tuple(row[:4])], int(row[4])] = row[5]
    labels = [np.array([r[k] for r in sums], dtype=object) for k in range(4)]
    plausible = None
    if 2 <= selection.plausible_draws and 0 < group_sums.n.sum() <= PLAUSIBLE_MAX_LEARNERS:
        found = _plausible(session, L, keys, index, len(sums), selection.plausible_draws)
        if found is not None:
            plausible, transitions = found
    return Cells(*labels, sums=group_sums, transitions=transitions, gain_counts=gain_counts,
                 plausible=plausible)


def _plausible(session: Session, L, keys, index: dict, n_cells: int, draws: int):
    """Plausible values of the matched learners of ``L``, summed per cell: (each draw's
    :class:`GroupSums`, mean transition counts), or None when an assessment has no cut scores."""
    rows = session.execute(select(*keys, L.c.x, L.c.sx, L.c.y, L.c.sy, L.c.target_level,
                                  L.c.required_level, Assessment.cut_scores)
                           .join(Assessment, Assessment.id == L.c.assessment_id)).all()
    if any(not r[10] for r in rows):
        return None
    cuts = np.full((len(rows), eff.N_LEVELS), np.inf)
    for i, r in enumerate(rows):
        given = [float(c) for c in r[10]][: eff.N_LEVELS]
        cuts[i, : len(given)] = given
    cell = np.array([index[tuple(r[:4])] for r in rows], dtype=np.int64)
    x, sx, y, sy = (np.array([float(r[k]) for r in rows]) for k in range(4, 8))
    target, required = (np.array([np.nan if r[k] is None else float(r[k]) for r in rows]) for k in (8, 9))
    course_codes = np.unique(np.array([f"{r[0]}\x1f{r[3]}" for r in rows], dtype=object),
                             return_inverse=True)[1]
    pv = eff.plausible_values(x, sx, y, sy, course_codes, int(course_codes.max()) + 1, draws,
                              np.random.default_rng(PLAUSIBLE_SEED))
    sums, transitions = eff.plausible_sums(pv, cell, n_cells, cuts, target, required)
    return sums, transitions


def attrition_for_selection(session: Session, selection: Selection) -> dict[str, int]:
    """Enrolment pairs in ``selection`` not matched, by reason (every reason listed)."""
    m = matched_pairs(session, selection)
    reason = case(
        (m.c.pre_id.is_(None), case((m.c.pre_voided, "voided"), else_="no pre")),
        (m.c.post_id.is_(None), case((m.c.post_voided, "voided"), else_="no post")),
        else_="matched")
    counts = dict(session.execute(select(reason, func.count()).group_by(reason)).all())
    return {"enrolled": sum(counts.values()), "matched": counts.get("matched", 0),
            **{r: counts.get(r, 0) for r in ATTRITION_REASONS}}


def participation_for_selection(session: Session, selection: Selection) -> Participation:
    """Per MDO: officials, officials enrolled, enrolment pairs and matched pairs."""
    m = matched_pairs(session, selection)
    mdo_rows = session.execute(
        select(m.c.mdo, func.count(func.distinct(m.c.user_id)), func.count(),
               func.sum(case((and_(m.c.pre_id.is_not(None), m.c.post_id.is_not(None)), 1), else_=0)))
        .group_by(m.c.mdo)).all()
    roll = dict(session.execute(select(Organisation.name, func.count())
                                .join(Official, Official.mdo_id == Organisation.id)
                                .group_by(Organisation.name)).all())
    names = [r[0] for r in mdo_rows]
    return Participation(mdo=np.array(names, dtype=object),
                         officials=np.array([roll.get(n, np.nan) for n in names], dtype=float),
                         enrolled_officials=np.array([r[1] for r in mdo_rows], dtype=float),
                         enrolments=np.array([r[2] for r in mdo_rows], dtype=float),
                         matched=np.array([r[3] or 0 for r in mdo_rows], dtype=float))


def report_for_selection(session: Session, selection: Selection, title: str | None = None) -> EffectivenessReport:
    """The whole report for ``selection``, aggregated in the database.

    :raise NotFound: if a competency, course, provider or MDO named in it does not exist.
    """
    _check_labels(session, selection)
    cells = cells_for_selection(session, selection)
    context = None
    if selection.provider or selection.provider_id is not None:
        # Value added compares a provider with the others: estimate it among all of them.
        context = cells_for_selection(session, replace(selection, provider=None, provider_id=None,
                                                            plausible_draws=0))
    return build_report(cells, title=title or "Course and provider effectiveness",
                        scope=selection.describe(gettext, organisation_name),  # English outside a request
                        participation=participation_for_selection(session, selection),
                        attrition=attrition_for_selection(session, selection),
                        provider_context=context)


def _check_labels(session: Session, selection: Selection) -> None:
    checks = ((selection.competency, select(Competency.id).where(Competency.code == selection.competency), "competency"),
              (selection.course, select(Course.id).where(Course.code == selection.course), "course"),
              (selection.provider, select(Organisation.id).where(Organisation.name == selection.provider,
                                                                 Organisation.kind == PROVIDER), "provider"),
              (selection.mdo, select(Organisation.id).where(Organisation.name == selection.mdo,
                                                            Organisation.kind == MDO), "MDO"))
    for value, query, what in checks:
        if value and session.scalar(query) is None:
            raise NotFound(N_("no {what} {value}"), field=what.lower(), values={"what": what, "value": repr(value)})


def filter_options(session: Session, selection: Selection) -> dict[str, list[str]]:
    """Values the filters offer, within the reader's scope."""
    courses = select(Course.code).order_by(Course.code)
    providers = select(Organisation.name).where(Organisation.kind == PROVIDER).order_by(Organisation.name)
    mdos = select(Organisation.name).where(Organisation.kind == MDO).order_by(Organisation.name)
    if selection.provider_id is not None:
        courses = courses.where(Course.provider_id == selection.provider_id)
        providers = providers.where(Organisation.id == selection.provider_id)
    if selection.mdo_id is not None:
        mdos = mdos.where(Organisation.id == selection.mdo_id)
    competencies = (select(Competency.code).join(CourseCompetency, CourseCompetency.competency_id == Competency.id)
                    .distinct().order_by(Competency.code))
    return {"competency": list(session.scalars(competencies)), "course": list(session.scalars(courses)),
            "provider": list(session.scalars(providers)), "mdo": list(session.scalars(mdos))}


__all__ = ["Selection", "reader_scope", "create_course", "create_run", "set_official", "enrol", "enrol_from_csv",
           "enrol_officials", "get_course", "get_run", "list_courses", "run_enrolments",
           "matched_pairs", "cells_for_selection", "attrition_for_selection",
           "participation_for_selection", "report_for_selection", "filter_options", "or_"]


def organisation_name(name: str) -> str:
    """An organisation named in a report (reports hold names as written) in the reader's
    language: its ``name_hi`` in Hindi where it has one. Looked up once per request."""
    from flask import g, has_app_context

    from piaa.extensions import db
    from piaa.i18n import DEFAULT_LANGUAGE, current_language

    if not name or not has_app_context() or current_language() == DEFAULT_LANGUAGE:
        return name
    names = g.get("organisation_names_hi")
    if names is None:
        names = g.organisation_names_hi = dict(db.session.execute(
            select(Organisation.name, Organisation.name_hi).where(Organisation.name_hi.is_not(None))).all())
    return names.get(name) or name
