"""Gap maps for an MDO's Annual Capacity Building Plan: for each position and each competency it
requires, the share of the officials now holding it whose proctored certified level is below the
required level (no certificate counts as below), with the workplace ratings beside it and the
courses that aim at that level. A cell built on fewer than ``MIN_OFFICIALS`` officials is
suppressed, as the effectiveness reports do.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from piaa.accounts.models import Organisation, User
from piaa.reports.models import Course, CourseCompetency

from .held import held_levels
from .models import Position, PositionAssignment, PositionRequirement, PositionVersion

MIN_OFFICIALS = 10
SHADES = (0.0, 0.25, 0.5, 0.75)  # lower bounds of shades 1..4 (0 below: shade 0)


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
    courses: list[str] = field(default_factory=list)

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
    hindi: dict[str, str] = field(default_factory=dict)  # position or competency code -> its Hindi title or name

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
    courses: dict[int, list[tuple[int, str]]] = {}
    for competency_id, target, code in session.execute(
            select(CourseCompetency.competency_id, CourseCompetency.target_level, Course.code)
            .join(Course, Course.id == CourseCompetency.course_id).order_by(Course.code)):
        courses.setdefault(competency_id, []).append((target, code))
    cells: dict[tuple[str, str], GapCell] = {}
    competency_names: dict[str, str] = {}
    hindi = {position.code: version.title_hi for position, version in approved if version.title_hi}
    for position, version in approved:
        users = holders.get(position.id, [])
        for requirement in version.requirements:
            code = requirement.competency.code
            competency_names[code] = requirement.competency.name
            if requirement.competency.name_hi:
                hindi[code] = requirement.competency.name_hi
            below = sum(1 for u in users if (held[(u, code)].level if (u, code) in held else 0) < requirement.level)
            rated = [workplace[(u, code)] for u in users if (u, code) in workplace]
            cells[(position.code, code)] = GapCell(
                position.code, version.title, code, requirement.competency.name, requirement.level,
                len(users), below, len(rated), sum(1 for r in rated if r < requirement.level),
                [c for target, c in courses.get(requirement.competency_id, []) if target >= requirement.level])
    return GapMap(mdo, [(p.code, v.title) for p, v in approved], sorted(competency_names.items()), cells, hindi)


GAP_COLUMNS = ("position", "title", "competency", "required_level", "officials", "below_required",
               "share_below", "workplace_rated", "workplace_below", "courses")


def gap_table(gaps: GapMap) -> list[list]:
    """The map as table rows (header first); suppressed figures are left blank."""
    rows: list[list] = [list(GAP_COLUMNS)]
    for cell in gaps.rows():
        share = cell.share_below
        rows.append([cell.position_code, cell.position_title, cell.competency_code, cell.required,
                     cell.n_officials, "" if cell.suppressed else cell.n_below,
                     "" if share is None else round(share, 4), cell.workplace_n,
                     "" if cell.workplace_share_below is None else cell.workplace_below, " ".join(cell.courses)])
    return rows
