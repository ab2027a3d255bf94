"""An MDO's positions: reading and writing position files (JSON, CSV, XLSX), importing them
all-or-nothing as new versions, approving a version, searching, and moving officials between
positions with their history kept.

A position record (the JSON form, one per position)::

    {"code": "ASO", "title": "Assistant Section Officer", "title_hi": "...", "description": "...",
     "description_hi": "...",
     "roles": [{"name": "Noting and drafting", "name_hi": "टिप्पण और प्रारूपण",
                "activities": ["Puts up notes on files", ...], "activities_hi": ["फ़ाइलों पर टिप्पणी रखता है", ...]}],
     "competencies": [{"code": "BEH-001", "level": 2}, ...]}

The Hindi is optional, as everywhere a record keeps Hindi beside English: ``activities_hi``
runs beside ``activities`` (the same length; "" where an activity has no Hindi yet), and a page
shows the Hindi to a reader of Hindi, the English otherwise.

A JSON file is ``{"format": "piaa-positions/1", "mdo": "...", "positions": [record, ...]}``.
CSV and XLSX hold one row per (position, role, activity) or (position, competency): columns
``position_code, title, title_hi, description, description_hi, role, role_hi, activity,
activity_hi, competency, level`` (the ``_hi`` ones may be left out); the first row of a position
that fills title (or description) sets it, the others may leave it blank.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from piaa import audit
from piaa.accounts.models import MDO, Organisation, User
from piaa.clock import now
from piaa.errors import Invalid, NotFound, found_problem, listed
from piaa.items.models import PROFICIENCY_LEVELS, Competency
from piaa.items.services.competencies import SourcedRecord, parse_json_records
from piaa.reports.models import Official, RequiredLevel
from piaa.i18n import N_

from .models import (POSITION_APPROVED, POSITION_DRAFT, Position, PositionAssignment,
                     PositionRequirement, PositionVersion)

POSITION_FORMAT = "piaa-positions/1"
CODE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
TABLE_COLUMNS = ("position_code", "title", "title_hi", "description", "description_hi", "role", "role_hi",
                 "activity", "activity_hi", "competency", "level")
RECORD_FIELDS = ("code", "title", "title_hi", "description", "description_hi", "roles", "competencies")
ROLE_FIELDS = ("name", "name_hi", "activities", "activities_hi")


# A position record and the (first) row it was read from, for error messages.
SourcedPosition = SourcedRecord


@dataclass
class PositionImport:
    created: list[str] = field(default_factory=list)
    revised: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.created)} created, {len(self.revised)} revised (new draft version), "
                f"{len(self.unchanged)} unchanged")


# --- reading files -----------------------------------------------------------------------------

def read_position_file(path: str | Path) -> list[SourcedPosition]:
    """Records from a .json, .csv or .xlsx position file.

    :raise Invalid: naming the file (and row) if it cannot be read as one.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return parse_position_json(path.read_text(encoding="utf-8-sig"), path.name)
    if suffix == ".csv":
        return parse_position_csv(path.read_text(encoding="utf-8-sig"), path.name)
    if suffix == ".xlsx":
        return parse_position_xlsx(path.read_bytes(), path.name)
    raise Invalid(N_("{path_name}: a position file must end in .json, .csv or .xlsx"), field="file",
                  values={"path_name": path.name})


def parse_position_json(text: str, filename: str = "positions.json") -> list[SourcedPosition]:
    return parse_json_records(text, filename, POSITION_FORMAT, "positions")


def parse_position_csv(text: str, filename: str = "positions.csv") -> list[SourcedPosition]:
    """Rows count as in a spreadsheet: the header is row 1."""
    rows = list(csv.reader(io.StringIO(text)))
    return _records_from_table(rows, filename)


def parse_position_xlsx(data: bytes, filename: str = "positions.xlsx") -> list[SourcedPosition]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise Invalid(N_("{filename}: not an XLSX workbook ({type})"), field="file",
                      values={"filename": filename, "type": type(exc).__name__}) from None
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    return _records_from_table(rows, filename)


def _records_from_table(rows: list[list[str]], filename: str) -> list[SourcedPosition]:
    if not rows:
        raise Invalid(N_("{filename}: the file is empty"), values={"filename": filename},
                      problems=[{"file": filename, "message": N_("the file is empty")}])
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in ("position_code", "title") if c not in header]
    unknown = [c for c in header if c and c not in TABLE_COLUMNS]
    if missing or unknown:
        problems = [{"file": filename, "row": 1, "field": c,
                     "message": N_("required column is missing")} for c in missing]
        problems += [{"file": filename, "row": 1, "field": c, "message": N_("unknown column")} for c in unknown]
        raise Invalid(N_("{filename}: columns must be {table_columns}"), problems=problems,
                      values={"filename": filename, "table_columns": ', '.join(TABLE_COLUMNS)})
    by_code: dict[str, SourcedPosition] = {}
    problems = []
    for number, raw in enumerate(rows[1:], start=2):
        cell = {name: (raw[i].strip() if i < len(raw) and raw[i] is not None else "")
                for i, name in enumerate(header) if name}
        if not any(cell.values()):
            continue
        code = cell.get("position_code", "")
        if not code:
            problems.append({"file": filename, "row": number, "field": "position_code", "message": N_("is empty")})
            continue
        sourced = by_code.get(code)
        if sourced is None:
            sourced = by_code[code] = SourcedPosition({"code": code, "title": "", "description": "",
                                                        "roles": [], "competencies": []}, row=number)
        record = sourced.record

        def bad(field_name: str, message: str, values: dict[str, Any] | None = None) -> None:
            # kept with the record, so the import names it beside every other problem
            record.setdefault("_problems", []).append(
                found_problem(message, values, row=number, field=field_name) if values
                else {"row": number, "field": field_name, "message": message})

        for key in ("title", "title_hi", "description", "description_hi"):
            if cell.get(key):
                if record.get(key) and record[key] != cell[key]:
                    bad(key, N_("differs from row {first_row} of position {code}"), {"first_row": sourced.row, "code": code})
                record[key] = cell[key]
        if cell.get("role"):
            role = next((r for r in record["roles"] if r["name"] == cell["role"]), None)
            if role is None:
                role = {"name": cell["role"], "activities": [], "activities_hi": []}
                record["roles"].append(role)
            if cell.get("role_hi"):
                if role.get("name_hi") and role["name_hi"] != cell["role_hi"]:
                    bad("role_hi", N_("differs from an earlier row of role {role}"), {"role": cell['role']})
                role["name_hi"] = cell["role_hi"]
            if cell.get("activity"):
                role["activities"].append(cell["activity"])
                role["activities_hi"].append(cell.get("activity_hi", ""))
            elif cell.get("activity_hi"):
                bad("activity", N_("the Hindi of an activity needs its English"))
        elif cell.get("activity"):
            bad("role", N_("an activity needs the role it belongs to"))
        if cell.get("competency") or cell.get("level"):
            level: Any = cell.get("level", "")
            try:
                level = int(float(level))
            except ValueError:
                pass
            record["competencies"].append({"code": cell.get("competency", ""), "level": level, "_row": number})
    if problems:
        raise Invalid(N_("{filename}: {n_problems} problem(s); nothing imported"), problems=problems,
                      values={"filename": filename, "n_problems": len(problems)})
    return list(by_code.values())


# --- checking and importing --------------------------------------------------------------------

def check_position_record(record: Any, competencies: dict[str, Competency]) -> list[dict[str, Any]]:
    """Problems with one record, each naming its field (and its own row, for table files)."""
    if not isinstance(record, dict):
        return [{"field": "", "message": N_("must be an object")}]
    found: list[dict[str, Any]] = []

    def bad(field_name: str, message: str, row: int | None = None, values: dict[str, Any] | None = None) -> None:
        # with ``values``, ``message`` is a marked text a page shows in the reader's language
        where = {"field": field_name, **({"row": row} if row else {})}
        found.append(found_problem(message, values, **where) if values else {**where, "message": message})

    found.extend(record.get("_problems", []))
    for key in record:
        if key not in RECORD_FIELDS + ("_problems",):
            bad(key, N_("unknown field"))
    code = record.get("code")
    if not isinstance(code, str) or not CODE.match(code):
        bad("code", N_("must be 1-64 letters, digits, '.', '-' or '_', got {code}"), values={"code": repr(code)})
    if not isinstance(record.get("title"), str) or not record["title"].strip():
        bad("title", N_("must be non-empty text"))
    for key in ("title_hi", "description", "description_hi"):
        if record.get(key) is not None and not isinstance(record[key], str):
            bad(key, N_("must be text"))
    roles = record.get("roles", [])
    if not isinstance(roles, list):
        bad("roles", N_("must be a list of {name, activities}"))
        roles = []
    for i, role in enumerate(roles):
        if not isinstance(role, dict) or not isinstance(role.get("name"), str) or not role["name"].strip():
            bad(f"roles[{i}].name", N_("must be non-empty text"))
            continue
        activities = role.get("activities", [])
        if not isinstance(activities, list) or not all(isinstance(a, str) and a.strip() for a in activities):
            bad(f"roles[{i}].activities", N_("must be a list of non-empty texts"))
            continue
        for key in role:
            if key not in ROLE_FIELDS:
                bad(f"roles[{i}].{key}", N_("unknown field"))
        if role.get("name_hi") is not None and not isinstance(role["name_hi"], str):
            bad(f"roles[{i}].name_hi", N_("must be text"))
        hindi = role.get("activities_hi")
        if hindi is not None and (not isinstance(hindi, list) or len(hindi) != len(activities)
                                  or not all(isinstance(a, str) for a in hindi)):
            bad(f"roles[{i}].activities_hi",
                N_("must list one text per activity, in the same order (\"\" for an activity without Hindi)"))
    tags = record.get("competencies", [])
    if not isinstance(tags, list):
        bad("competencies", N_("must be a list of {code, level}"))
        tags = []
    seen: set[str] = set()
    for i, tag in enumerate(tags):
        row = tag.get("_row") if isinstance(tag, dict) else None
        where = f"competencies[{i}]"
        if not isinstance(tag, dict):
            bad(where, N_("must be {code, level}"))
            continue
        ccode, level = tag.get("code"), tag.get("level")
        if not isinstance(ccode, str) or ccode not in competencies:
            bad("competency" if row else f"{where}.code",
                N_("no approved competency with code {code} in the dictionary"), row, {"code": repr(ccode)})
        elif ccode in seen:
            bad("competency" if row else f"{where}.code", N_("{code} is tagged twice"), row, {"code": ccode})
        else:
            seen.add(ccode)
        if isinstance(level, bool) or level not in PROFICIENCY_LEVELS:
            bad("level" if row else f"{where}.level", N_("must be a level 1 to 5, got {level}"), row,
                {"level": repr(level)})
    return found


def _canonical(record: dict[str, Any]) -> dict[str, Any]:
    """What a version holds, in a fixed form, so an unchanged record is recognised as such."""
    out = {"code": record["code"], "title": record["title"].strip(),
           "title_hi": (record.get("title_hi") or "").strip() or None,
           "description": (record.get("description") or "").strip(),
           "description_hi": (record.get("description_hi") or "").strip() or None,
           "roles": [_canonical_role(r) for r in record.get("roles", [])],
           "competencies": sorted(({"code": t["code"], "level": int(t["level"])}
                                   for t in record.get("competencies", [])), key=lambda t: t["code"])}
    return out


def _canonical_role(role: dict[str, Any]) -> dict[str, Any]:
    """A role as a version keeps it: the Hindi only where there is some, so a role written
    before Hindi was kept reads the same as it did."""
    out: dict[str, Any] = {"name": role["name"].strip()}
    if (role.get("name_hi") or "").strip():
        out["name_hi"] = role["name_hi"].strip()
    out["activities"] = [a.strip() for a in role.get("activities", [])]
    hindi = [(a or "").strip() for a in role.get("activities_hi") or []]
    if any(hindi):
        out["activities_hi"] = hindi
    return out


def activities_in_language(role: dict[str, Any], lang: str | None = None) -> list[str]:
    """A role's activities in the reader's language: each one's Hindi where it has some, else
    its English (or the catalogue's translation of it)."""
    from piaa.i18n import DEFAULT_LANGUAGE, current_language, gettext

    lang = lang or current_language()
    activities = role.get("activities") or []
    if lang == DEFAULT_LANGUAGE:
        return list(activities)
    translated = role.get(f"activities_{lang}") or []
    return [translated[i] if i < len(translated) and translated[i] else gettext(text)
            for i, text in enumerate(activities)]


def position_record(position: Position, version: PositionVersion | None = None) -> dict[str, Any]:
    """A position version (by default the newest) in the file's JSON form."""
    version = version or position.newest
    return {"code": position.code, "title": version.title, "title_hi": version.title_hi,
            "description": version.description, "description_hi": version.description_hi,
            "roles": version.roles,
            "competencies": sorted(({"code": r.competency.code, "level": r.level} for r in version.requirements),
                                   key=lambda t: t["code"])}


def require_mdo(session: Session, name: str) -> Organisation:
    """:raise NotFound: if there is no MDO called ``name``."""
    org = session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None or org.kind != MDO:
        raise NotFound(N_("no MDO called {name}"), field="mdo", values={"name": repr(name)})
    return org


def import_positions(session: Session, mdo: Organisation, records: list[SourcedPosition], *,
                     actor: User | None = None, filename: str = "") -> PositionImport:
    """Create or revise every position of ``records`` in ``mdo``, or nothing at all.

    A new code becomes a position with a draft version 1. An existing one whose newest version
    is a draft has that draft replaced; one whose newest version is approved gets a new draft
    version (the approved one is never touched); an identical record changes nothing.

    :raise Invalid: listing every problem by file, row and field, if any record is bad.
    """
    if mdo.kind != MDO:
        raise Invalid(N_("{mdo_name} is not an MDO"), field="mdo", values={"mdo_name": mdo.name})
    codes = {t.get("code") for s in records if isinstance(s.record, dict)
             for t in (s.record.get("competencies") or []) if isinstance(t, dict)}
    competencies = approved_competencies(session, [c for c in codes if isinstance(c, str)])
    problems: list[dict[str, Any]] = []
    seen: dict[str, int | None] = {}
    for sourced in records:
        for found in check_position_record(sourced.record, competencies):
            problems.append({"file": filename, "row": found.pop("row", sourced.row), **found})
        code = sourced.record.get("code") if isinstance(sourced.record, dict) else None
        if isinstance(code, str):
            if code in seen:
                problems.append(found_problem(N_("{code} appears again (first at row {first_row})"),
                                              {"code": code, "first_row": seen[code]},
                                              file=filename, row=sourced.row, field="code"))
            seen[code] = sourced.row
    if not records:
        problems.append({"file": filename, "message": N_("the file holds no positions")})
    if problems:
        raise Invalid(N_("{value}: {n_problems} problem(s); nothing imported"),
                      problems=problems,
                      values={"value": filename or 'position file', "n_problems": len(problems)})
    report = PositionImport()
    for sourced in records:
        outcome = save_position(session, mdo, sourced.record, actor=actor, competencies=competencies)
        getattr(report, outcome).append(sourced.record["code"])
    return report


def approved_competencies(session: Session, codes: list[str]) -> dict[str, Competency]:
    """The dictionary's competencies by code; the dictionary holds approved ones only."""
    if not codes:
        return {}
    return {c.code: c for c in session.scalars(select(Competency).where(Competency.code.in_(codes)))}


def save_position(session: Session, mdo: Organisation, record: dict[str, Any], *, actor: User | None = None,
                  competencies: dict[str, Competency] | None = None) -> str:
    """Create the position, replace its draft or add a draft version; returns created, revised
    or unchanged.

    :raise Invalid: if the record is not sound.
    """
    if competencies is None:
        competencies = approved_competencies(session, [t.get("code") for t in record.get("competencies", [])
                                                       if isinstance(t, dict)])
    found = check_position_record(record, competencies)
    if found:
        raise Invalid(N_("position {code}: {problems}"), field=found[0]["field"], problems=found,
                      values={"code": repr(record.get("code")), "problems": listed(found)})
    record = _canonical(record)
    position = session.scalar(select(Position).where(Position.mdo_id == mdo.id, Position.code == record["code"])
                              .options(selectinload(Position.versions)))
    moment = now()
    if position is None:
        position = Position(mdo=mdo, code=record["code"], created_at=moment)
        session.add(position)
        outcome = "created"
    else:
        if position_record(position) == {**record}:
            return "unchanged"
        outcome = "revised"
    version = position.newest
    if version is None or version.state == POSITION_APPROVED:
        version = PositionVersion(number=(version.number + 1) if version else 1, state=POSITION_DRAFT,
                                  created_at=moment, created_by_id=actor.id if actor else None)
        position.versions.append(version)
    version.title, version.title_hi = record["title"], record["title_hi"]
    version.description, version.description_hi = record["description"], record["description_hi"]
    version.roles = record["roles"]
    version.requirements = [PositionRequirement(competency=competencies[t["code"]], level=t["level"])
                            for t in record["competencies"]]
    session.flush()
    audit.record(session, f"position.{outcome}", actor=actor, subject_type="position", subject_id=position.id,
                 data={"code": position.code, "mdo": mdo.name, "version": version.number})
    return outcome


def approve_position(session: Session, position: Position, *, actor: User | None = None) -> PositionVersion:
    """Approve the position's draft version; from now on it is frozen.

    :raise Invalid: if the position has no draft version.
    """
    version = position.newest
    if version is None or version.state != POSITION_DRAFT:
        raise Invalid(N_("position {position_code} has no draft version to approve"), field="state",
                      values={"position_code": position.code})
    actor_id = actor.id if actor else None  # read first: a lazy load here would flush half the change
    version.state, version.approved_at, version.approved_by_id = POSITION_APPROVED, now(), actor_id
    session.flush()
    audit.record(session, "position.approved", actor=actor, subject_type="position", subject_id=position.id,
                 data={"code": position.code, "version": version.number})
    return version


def export_positions(session: Session, mdo: Organisation) -> dict[str, Any]:
    """The MDO's positions (newest version each) as a JSON position file."""
    positions = session.scalars(select(Position).where(Position.mdo_id == mdo.id).order_by(Position.code)
                                .options(selectinload(Position.versions)))
    return {"format": POSITION_FORMAT, "mdo": mdo.name, "positions": [position_record(p) for p in positions]}


def position_table(document: dict[str, Any]) -> list[list[Any]]:
    """A JSON position file as the rows of the CSV/XLSX form (header first)."""
    rows: list[list[Any]] = [list(TABLE_COLUMNS)]
    for record in document["positions"]:
        head = [record["code"], record["title"], record.get("title_hi") or "", record.get("description") or "",
                record.get("description_hi") or ""]
        lines = [[r["name"], r.get("name_hi") or "", activity, hindi]
                 for r in record["roles"]
                 for activity, hindi in (_activity_pairs(r) or [("", "")])]
        tags = [[t["code"], t["level"]] for t in record["competencies"]]
        for i in range(max(len(lines), len(tags), 1)):
            rows.append((head if i == 0 else [record["code"], "", "", "", ""])
                        + (lines[i] if i < len(lines) else ["", "", "", ""])
                        + (tags[i] if i < len(tags) else ["", ""]))
    return rows


def _activity_pairs(role: dict[str, Any]) -> list[tuple[str, str]]:
    hindi = role.get("activities_hi") or []
    return [(a, hindi[i] if i < len(hindi) else "") for i, a in enumerate(role["activities"])]


def table_csv(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def table_xlsx(rows: list[list[Any]], title: str = "positions") -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- looking up --------------------------------------------------------------------------------

def search_positions(session: Session, *, text: str | None = None, mdo: Organisation | None = None,
                     competency: str | None = None) -> list[Position]:
    """Positions whose code, title, roles or activities contain ``text``; optionally of one MDO
    or needing one competency (in their newest version)."""
    query = (select(Position).join(PositionVersion, PositionVersion.position_id == Position.id)
             .options(selectinload(Position.versions).selectinload(PositionVersion.requirements)
                      .selectinload(PositionRequirement.competency), selectinload(Position.mdo))
             .order_by(Position.code).distinct())
    if mdo is not None:
        query = query.where(Position.mdo_id == mdo.id)
    if text and text.strip():
        from sqlalchemy import String as SAString, cast

        pattern = f"%{_escape_like(text.strip().lower())}%"
        # The roles' JSON is stored with non-ASCII letters escaped (\\u091f...): Hindi is
        # looked for in that form there.
        in_json = f"%{_escape_like(json.dumps(text.strip().lower())[1:-1])}%"
        query = query.where(or_(Position.code.ilike(pattern, escape="\\"),
                                PositionVersion.title.ilike(pattern, escape="\\"),
                                PositionVersion.title_hi.ilike(pattern, escape="\\"),
                                PositionVersion.description.ilike(pattern, escape="\\"),
                                PositionVersion.description_hi.ilike(pattern, escape="\\"),
                                cast(PositionVersion.roles, SAString).ilike(pattern, escape="\\"),
                                cast(PositionVersion.roles, SAString).ilike(in_json, escape="\\")))
    found = list(session.scalars(query).unique())
    if competency:
        found = [p for p in found if any(r.competency.code == competency for r in p.newest.requirements)]
    return found


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def get_position(session: Session, position_id: int) -> Position:
    """:raise NotFound: if there is no such position."""
    position = session.get(Position, position_id)
    if position is None:
        raise NotFound(N_("no position {position_id}"), field="position", values={"position_id": position_id})
    return position


# --- officials and their positions ------------------------------------------------------------

def current_assignment(session: Session, user: User) -> PositionAssignment | None:
    return session.scalar(select(PositionAssignment).where(PositionAssignment.user_id == user.id,
                                                           PositionAssignment.ended_at.is_(None)))


def position_history(session: Session, user: User) -> list[PositionAssignment]:
    return list(session.scalars(select(PositionAssignment).where(PositionAssignment.user_id == user.id)
                                .order_by(PositionAssignment.started_at, PositionAssignment.id)))


def transfer(session: Session, user: User, position: Position, *, at: datetime | None = None,
             actor: User | None = None, note: str = "") -> PositionAssignment:
    """Move an official to ``position`` from ``at`` (default now), closing the one they held.

    The official's MDO, position title and required levels (what effectiveness reads) follow
    the position's approved version.

    :raise Invalid: if the position has no approved version, or ``at`` is before the current
        assignment began.
    """
    version = position.approved
    if version is None:
        raise Invalid(N_("position {position_code} has no approved version yet"), field="position",
                      values={"position_code": position.code})
    at = at or now()
    current = current_assignment(session, user)
    if current is not None:
        from piaa.clock import as_utc

        if as_utc(at) < as_utc(current.started_at):
            raise Invalid(N_("a transfer cannot take effect before the current position began"), field="at")
        if current.position_id == position.id:
            raise Invalid(N_("{user_name} already holds {position_code}"), field="position",
                          values={"user_name": user.name, "position_code": position.code})
        current.ended_at = at
    assignment = PositionAssignment(user_id=user.id, position_id=position.id, started_at=at, note=note)
    session.add(assignment)
    official = session.get(Official, user.id) or Official(user_id=user.id)
    official.mdo_id, official.position = position.mdo_id, version.title
    session.add(official)
    for row in session.scalars(select(RequiredLevel).where(RequiredLevel.user_id == user.id)):
        session.delete(row)
    session.flush()
    for requirement in version.requirements:
        session.add(RequiredLevel(user_id=user.id, competency_id=requirement.competency_id, level=requirement.level))
    session.flush()
    audit.record(session, "position.transfer", actor=actor, subject_type="user", subject_id=user.id,
                 data={"position": position.code, "mdo_id": position.mdo_id, "version": version.number,
                       "from": current.position_id if current else None, "note": note})
    return assignment
