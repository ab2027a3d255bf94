"""Gap maps for an MDO's Annual Capacity Building Plan: for each position and each competency it
requires, the share of the officials now holding it whose proctored certified level is below the
required level (no certificate counts as below), with the workplace ratings beside it and the
courses that aim at that level, each with its measured effectiveness. A cell built on fewer than
``MIN_OFFICIALS`` officials is suppressed, as the effectiveness reports do.

A course's effectiveness is what the effectiveness report (``piaa.reports``) says of it for that
competency over all its runs: the mean θ gain of its matched learners with the 95% interval, as
an analyst filtering the report by the competency reads it, with that report's disclosure
control (no figure on fewer than ten matched learners). A course without matched learners is
"not yet measured".
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from piaa.accounts.models import Organisation, User
from piaa.reports.models import Course, CourseCompetency, CourseRun

from .held import held_levels
from .models import Position, PositionAssignment, PositionRequirement, PositionVersion

MIN_OFFICIALS = 10
NOT_MEASURED, SUPPRESSED, MEASURED = "not yet measured", "fewer than 10 matched learners", "measured"
SHADES = (0.0, 0.25, 0.5, 0.75)  # lower bounds of shades 1..4 (0 below: shade 0)


@dataclass(frozen=True)
class CourseEffect:
    """A course aimed at a gap and what the effectiveness report measured of it (θ units)."""

    code: str
    title: str
    provider: str
    target_level: int
    runs: int
    matched: int = 0
    mean_gain: float | None = None
    lower: float | None = None
    upper: float | None = None
    suppressed: bool = False
    title_hi: str | None = None

    @property
    def status(self) -> str:
        if self.mean_gain is not None:
            return MEASURED
        return SUPPRESSED if self.suppressed else NOT_MEASURED

    def describe(self) -> str:
        """One line for a table cell (English: the CSV and XLSX files are not translated)."""
        if self.mean_gain is None:
            return f"{self.code}: {self.status}"
        return f"{self.code}: gain {self.mean_gain:+.2f} [{self.lower:+.2f}, {self.upper:+.2f}], n={self.matched}"


@dataclass
class GapCell:
    position_code: str
    position_title: str
    competency_code: str
    competency_name: str
    required: int
    n_officials: int
    n_below: int
    workplace_n: int = 0
    workplace_below: int = 0
    courses: list[CourseEffect] = field(default_factory=list)

    @property
    def suppressed(self) -> bool:
        return self.n_officials < MIN_OFFICIALS

    @property
    def share_below(self) -> float | None:
        return None if self.suppressed else self.n_below / self.n_officials

    @property
    def workplace_share_below(self) -> float | None:
        return None if self.workplace_n < MIN_OFFICIALS else self.workplace_below / self.workplace_n

    @property
    def shade(self) -> str:
        share = self.share_below
        if share is None:
            return "suppressed"
        return f"shade-{sum(share > bound for bound in SHADES)}"


@dataclass
class GapMap:
    mdo: Organisation
    positions: list[tuple[str, str]]     # (code, title) rows
    competencies: list[tuple[str, str]]  # (code, name) columns
    cells: dict[tuple[str, str], GapCell]

    def rows(self) -> list[GapCell]:
        return [self.cells[k] for k in sorted(self.cells)]


def gap_map(session: Session, mdo: Organisation) -> GapMap:
    """The gap map of ``mdo`` from its positions' approved versions and who holds them now."""
    from piaa.workplace.services import latest_assessment, summarise

    positions = list(session.scalars(select(Position).where(Position.mdo_id == mdo.id).order_by(Position.code)
                                     .options(selectinload(Position.versions).selectinload(PositionVersion.requirements)
                                              .selectinload(PositionRequirement.competency))))
    holders: dict[int, list[int]] = {}
    for position_id, user_id in session.execute(
            select(PositionAssignment.position_id, PositionAssignment.user_id)
            .where(PositionAssignment.position_id.in_([p.id for p in positions]),
                   PositionAssignment.ended_at.is_(None))):
        holders.setdefault(position_id, []).append(user_id)
    approved = [(p, p.approved) for p in positions if p.approved is not None]
    codes = sorted({r.competency.code for _, v in approved for r in v.requirements})
    all_users = sorted({u for users in holders.values() for u in users})
    held = held_levels(session, all_users, codes)
    workplace: dict[tuple[int, str], float] = {}
    for user in session.scalars(select(User).where(User.id.in_(all_users))):
        latest = latest_assessment(session, user)
        for summary in summarise(session, latest) if latest else []:
            if summary.rating is not None:
                workplace[(user.id, summary.competency.code)] = summary.rating
    required = {r.competency_id: r.competency.code for _, v in approved for r in v.requirements}
    courses = targeting_courses(session, required)
    cells: dict[tuple[str, str], GapCell] = {}
    competency_names: dict[str, str] = {}
    for position, version in approved:
        users = holders.get(position.id, [])
        for requirement in version.requirements:
            code = requirement.competency.code
            competency_names[code] = requirement.competency.name
            below = sum(1 for u in users if (held[(u, code)].level if (u, code) in held else 0) < requirement.level)
            rated = [workplace[(u, code)] for u in users if (u, code) in workplace]
            cells[(position.code, code)] = GapCell(
                position.code, version.title, code, requirement.competency.name, requirement.level,
                len(users), below, len(rated), sum(1 for r in rated if r < requirement.level),
                [c for c in courses.get(requirement.competency_id, []) if c.target_level >= requirement.level])
    return GapMap(mdo, [(p.code, v.title) for p, v in approved], sorted(competency_names.items()), cells)


def targeting_courses(session: Session, competencies: dict[int, str]) -> dict[int, list[CourseEffect]]:
    """The courses building each of ``competencies`` (id -> code), by code, with what the
    effectiveness report filtered to that competency measured of each."""
    from piaa.reports.services import Selection, report_for_selection

    if not competencies:
        return {}
    runs = dict(session.execute(select(CourseRun.course_id, func.count()).group_by(CourseRun.course_id)).all())
    found: dict[int, list[tuple[Course, int]]] = {}
    for link, course in session.execute(
            select(CourseCompetency, Course).join(Course, Course.id == CourseCompetency.course_id)
            .where(CourseCompetency.competency_id.in_(list(competencies)))
            .options(selectinload(Course.provider)).order_by(Course.code)).tuples():
        found.setdefault(link.competency_id, []).append((course, link.target_level))
    out: dict[int, list[CourseEffect]] = {}
    for competency_id, listed in found.items():
        code = competencies[competency_id]
        report = report_for_selection(session, Selection(competency=code))
        measured = {row["course"]: row for row in report.courses if row["competency"] == code}
        out[competency_id] = []
        for course, target in listed:
            row = measured.get(course.code)
            effect = CourseEffect(course.code, course.title, course.provider.name, target, runs.get(course.id, 0),
                                  title_hi=course.title_hi)
            if row is not None:
                effect = replace(effect, matched=row["n"], mean_gain=row["mean_gain"], lower=row["gain_lower"],
                                 upper=row["gain_upper"], suppressed=row["suppressed"])
            out[competency_id].append(effect)
    return out


GAP_COLUMNS = ("position", "title", "competency", "required_level", "officials", "below_required",
               "share_below", "workplace_rated", "workplace_below", "courses")
COURSE_COLUMNS = ("position", "competency", "required_level", "course", "title", "provider", "target_level",
                  "runs", "matched_learners", "mean_gain", "gain_lower", "gain_upper", "status")


def gap_table(gaps: GapMap) -> list[list]:
    """The map as table rows (header first); suppressed figures are left blank."""
    rows: list[list] = [list(GAP_COLUMNS)]
    for cell in gaps.rows():
        share = cell.share_below
        rows.append([cell.position_code, cell.position_title, cell.competency_code, cell.required,
                     cell.n_officials, "" if cell.suppressed else cell.n_below,
                     "" if share is None else round(share, 4), cell.workplace_n,
                     "" if cell.workplace_share_below is None else cell.workplace_below,
                     "; ".join(c.describe() for c in cell.courses)])
    return rows


def course_table(gaps: GapMap) -> list[list]:
    """One row per gap and course aimed at it (header first); figures the effectiveness report
    hides, or has not measured, are left blank and the status says which."""
    rows: list[list] = [list(COURSE_COLUMNS)]
    for cell in gaps.rows():
        for c in cell.courses:
            shown = c.mean_gain is not None
            rows.append([cell.position_code, cell.competency_code, cell.required, c.code, c.title, c.provider,
                         c.target_level, c.runs, c.matched, c.mean_gain if shown else "",
                         c.lower if shown else "", c.upper if shown else "", c.status])
    return rows
