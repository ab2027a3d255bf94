"""The competency dictionary: reading CSV/JSON files, importing them all-or-nothing as new
versions, and looking competencies up.

File formats (see ``item_banks/competencies.json``): JSON
``{"format": "piaa-competencies/1", "competencies": [record, ...]}`` where a record is
``{"code", "name", "type", "description", "name_hi"?, "description_hi"?, "levels": [{"level", "label",
"descriptor", "label_hi"?, "descriptor_hi"?} x 5]}``; CSV with columns ``code,name,type,description,level1..level5`` (the
descriptors; optional ``name_hi`` and ``label1..label5``).
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from piaa import audit
from piaa.accounts.models import User
from piaa.clock import now
from piaa.errors import Invalid, NotFound, found_problem, listed
from piaa.i18n import N_
from piaa.items.models import (COMPETENCY_TYPES, DEFAULT_LEVEL_LABELS, PROFICIENCY_LEVELS,
                               Competency, CompetencyVersion, ProficiencyLevel)

COMPETENCY_FORMAT = "piaa-competencies/1"
CODE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
CSV_REQUIRED = ("code", "name", "type", "description") + tuple(f"level{n}" for n in PROFICIENCY_LEVELS)
CSV_OPTIONAL = ("name_hi",) + tuple(f"label{n}" for n in PROFICIENCY_LEVELS)


@dataclass
class SourcedRecord:
    """A competency record and where it came from, for error messages."""

    record: dict[str, Any]
    row: int | None = None


@dataclass
class CompetencyImport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.created)} created, {len(self.updated)} updated (new version), "
                f"{len(self.unchanged)} unchanged")


# --- reading files -------------------------------------------------------------------------

def read_competency_file(path: str | Path) -> list[SourcedRecord]:
    """Records from a .csv or .json dictionary file.

    :raise Invalid: if the file cannot be read as such a dictionary.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        return parse_competency_csv(text, path.name)
    if path.suffix.lower() == ".json":
        return parse_competency_json(text, path.name)
    raise Invalid(N_("{path_name}: a competency file must end in .csv or .json"), field="file",
                  values={"path_name": path.name})


def parse_json_records(text: str, filename: str, fmt: str, key: str) -> list[SourcedRecord]:
    """The records of a JSON document ``{"format": fmt, key: [...]}`` (or the bare list),
    each numbered by its place in the list.

    :raise Invalid: naming the file (and line) if it is not JSON or not of that shape.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Invalid(N_("{filename}: not JSON ({msg} at line {lineno})"),
                      problems=[found_problem(N_("not JSON: {msg}"), {"msg": exc.msg}, file=filename, row=exc.lineno)],
                      values={"filename": filename, "msg": exc.msg, "lineno": exc.lineno}) from None
    if isinstance(data, dict):
        if data.get("format", fmt) != fmt:
            raise Invalid(N_("{filename}: format must be {fmt}, got {format}"), field="format",
                          values={"filename": filename, "fmt": fmt, "format": repr(data.get('format'))})
        data = data.get(key)
    if not isinstance(data, list):
        raise Invalid(N_("{filename}: expected {{\"format\": \"{fmt}\", \"{key}\": [...]}}"), field=key,
                      values={"filename": filename, "fmt": fmt, "key": key})
    return [SourcedRecord(record, row=i + 1) for i, record in enumerate(data)]


def parse_competency_json(text: str, filename: str = "competencies.json") -> list[SourcedRecord]:
    return parse_json_records(text, filename, COMPETENCY_FORMAT, "competencies")


def parse_competency_csv(text: str, filename: str = "competencies.csv") -> list[SourcedRecord]:
    """Rows count as in a spreadsheet: the header is row 1, the first competency row 2."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in CSV_REQUIRED if c not in header]
    unknown = [c for c in header if c not in CSV_REQUIRED + CSV_OPTIONAL]
    if missing or unknown:
        problems = [{"file": filename, "row": 1, "field": c, "message": N_("required column is missing")}
                    for c in missing]
        problems += [{"file": filename, "row": 1, "field": c, "message": N_("unknown column")} for c in unknown]
        raise Invalid(N_("{filename}: header must be {csv_required}"), problems=problems,
                      values={"filename": filename, "csv_required": ','.join(CSV_REQUIRED)})
    reader.fieldnames = header
    records = []
    for row_number, row in enumerate(reader, start=2):
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        cell = {k: (v or "").strip() for k, v in row.items() if k is not None}
        record = {"code": cell["code"], "name": cell["name"], "type": cell["type"].lower(),
                  "description": cell["description"],
                  "levels": [{"level": n, "label": cell.get(f"label{n}") or DEFAULT_LEVEL_LABELS[n - 1],
                              "descriptor": cell[f"level{n}"]} for n in PROFICIENCY_LEVELS]}
        if cell.get("name_hi"):
            record["name_hi"] = cell["name_hi"]
        if None in row:  # more cells than header columns
            record["_extra_cells"] = row[None]
        records.append(SourcedRecord(record, row=row_number))
    return records


# --- checking and importing ----------------------------------------------------------------

def check_competency_record(record: Any) -> list[dict[str, str]]:
    """Problems with one record, each naming its field; empty when sound."""
    if not isinstance(record, dict):
        return [{"field": "", "message": N_("must be an object")}]
    found = []

    def bad(field_name: str, message: str, values: dict[str, Any] | None = None) -> None:
        # with ``values``, ``message`` is a marked text a page shows in the reader's language
        found.append(found_problem(message, values, field=field_name) if values
                     else {"field": field_name, "message": message})

    if "_extra_cells" in record:
        bad("", N_("more cells than columns: {cells}"), {"cells": str(record["_extra_cells"])})
    for key in record:
        if key not in ("code", "name", "name_hi", "type", "description", "description_hi", "levels", "_extra_cells"):
            bad(key, N_("unknown field"))
    code = record.get("code")
    if not isinstance(code, str) or not CODE.match(code):
        bad("code", N_("must be 1-64 letters, digits, '.', '-' or '_', got {code}"), {"code": repr(code)})
    for key in ("name", "description"):
        if not isinstance(record.get(key), str) or (key == "name" and not record[key].strip()):
            bad(key, N_("must be text (not empty)") if key == "name" else N_("must be text"))
    for key in ("name_hi", "description_hi"):
        if record.get(key) is not None and not isinstance(record[key], str):
            bad(key, N_("must be text"))
    if record.get("type") not in COMPETENCY_TYPES:
        bad("type", N_("must be one of {types}, got {type}"),
            {"types": ", ".join(COMPETENCY_TYPES), "type": repr(record.get('type'))})
    levels = record.get("levels")
    if not isinstance(levels, list) or len(levels) != len(PROFICIENCY_LEVELS):
        bad("levels", N_("must list the {n} proficiency levels"), {"n": len(PROFICIENCY_LEVELS)})
        return found
    numbers = []
    for i, level in enumerate(levels):
        if not isinstance(level, dict):
            bad(f"levels[{i}]", N_("must be {level, label, descriptor}"))
            continue
        numbers.append(level.get("level"))
        n = level.get("level")
        where = f"level{n}" if n in PROFICIENCY_LEVELS else f"levels[{i}]"
        for key in ("label", "descriptor"):
            if not isinstance(level.get(key), str) or not level[key].strip():
                bad(f"{where}.{key}" if key == "label" else where, N_("{key} must be non-empty text"), {"key": key})
        for key in ("label_hi", "descriptor_hi"):  # the Hindi beside them, optional
            if level.get(key) is not None and not isinstance(level[key], str):
                bad(f"{where}.{key}", N_("{key} must be text"), {"key": key})
    if sorted(n for n in numbers if isinstance(n, int)) != list(PROFICIENCY_LEVELS):
        bad("levels", N_("levels must be numbered 1 to 5 once each, got {numbers}"), {"numbers": str(numbers)})
    return found


def _canonical(record: dict[str, Any]) -> dict[str, Any]:
    """The record as stored in a version: fixed key order, levels sorted, no blanks."""
    out = {"code": record["code"], "name": record["name"].strip(), "type": record["type"],
           "description": (record.get("description") or "").strip(),
           "levels": [_canonical_level(lvl) for lvl in sorted(record["levels"], key=lambda lvl: lvl["level"])]}
    for key in ("name_hi", "description_hi"):
        if record.get(key):
            out[key] = record[key].strip()
    return out


def _canonical_level(level: dict[str, Any]) -> dict[str, Any]:
    out = {"level": level["level"], "label": level["label"].strip(), "descriptor": level["descriptor"].strip()}
    for key in ("label_hi", "descriptor_hi"):
        if level.get(key):
            out[key] = level[key].strip()
    return out


def competency_record(competency: Competency) -> dict[str, Any]:
    """The competency as it stands, in the dictionary JSON form."""
    record = {"code": competency.code, "name": competency.name, "type": competency.type,
              "description": competency.description,
              "levels": [_canonical_level({"level": lvl.level, "label": lvl.label, "descriptor": lvl.descriptor,
                                           "label_hi": lvl.label_hi, "descriptor_hi": lvl.descriptor_hi})
                         for lvl in competency.levels]}
    for key in ("name_hi", "description_hi"):
        if getattr(competency, key):
            record[key] = getattr(competency, key)
    return record


def import_competencies(session: Session, records: list[SourcedRecord], *, actor: User | None = None,
                        filename: str = "") -> CompetencyImport:
    """Create or version every record, or nothing at all.

    A code that exists and differs becomes a new version (the old one is kept in
    CompetencyVersion); an identical record changes nothing.

    :raise Invalid: listing every problem by file, row and field, if any record is bad.
    """
    problems: list[dict[str, Any]] = []
    seen: dict[str, int | None] = {}
    for sourced in records:
        for found in check_competency_record(sourced.record):
            problems.append({"file": filename, "row": sourced.row, **found})
        code = sourced.record.get("code") if isinstance(sourced.record, dict) else None
        if isinstance(code, str):
            if code in seen:
                problems.append(found_problem(N_("{code} appears again (first at row {first_row})"),
                                              {"code": code, "first_row": seen[code]},
                                              file=filename, row=sourced.row, field="code"))
            seen[code] = sourced.row
    if not records:
        problems.append({"file": filename, "message": N_("the file holds no competencies")})
    if problems:
        raise Invalid(N_("{value}: {n_problems} problem(s); nothing imported"),
                      problems=problems,
                      values={"value": filename or 'competency file', "n_problems": len(problems)})
    report = CompetencyImport()
    for sourced in records:
        outcome = upsert_competency(session, sourced.record, actor=actor)
        getattr(report, outcome).append(sourced.record["code"])
    return report


def upsert_competency(session: Session, record: dict[str, Any], *, actor: User | None = None) -> str:
    """Create the competency or version it; returns created, updated or unchanged.

    :raise Invalid: if the record is not sound.
    """
    found = check_competency_record(record)
    if found:
        raise Invalid(N_("competency {code}: {problems}"), field=found[0]["field"],
            values={"code": repr(record.get("code")), "problems": listed(found)},
            problems=[{"item": record.get("code"), **p} for p in found])
    record = _canonical(record)
    competency = session.scalar(select(Competency).where(Competency.code == record["code"])
                                .options(selectinload(Competency.levels)))
    moment = now()
    if competency is None:
        competency = Competency(code=record["code"], version=1, updated_at=moment)
        session.add(competency)
        outcome = "created"
    elif competency_record(competency) == record:
        return "unchanged"
    else:
        competency.version += 1
        competency.updated_at = moment
        outcome = "updated"
    competency.name, competency.name_hi = record["name"], record.get("name_hi")
    competency.type, competency.description = record["type"], record["description"]
    competency.description_hi = record.get("description_hi")
    _set_levels(session, competency, record["levels"])
    competency.versions.append(CompetencyVersion(number=competency.version, record=record,
                                                 created_at=moment,
                                                 created_by_id=actor.id if actor else None))
    session.flush()
    audit.record(session, f"competency.{outcome}", actor=actor, subject_type="competency",
                 subject_id=competency.id, data={"code": competency.code, "version": competency.version})
    return outcome


def _set_levels(session: Session, competency: Competency, levels: list[dict[str, Any]]) -> None:
    by_number = {lvl.level: lvl for lvl in competency.levels}
    for level in levels:
        row = by_number.get(level["level"])
        if row is None:
            competency.levels.append(ProficiencyLevel(level=level["level"], label=level["label"],
                                                      descriptor=level["descriptor"], label_hi=level.get("label_hi"),
                                                      descriptor_hi=level.get("descriptor_hi")))
        else:
            row.label, row.descriptor = level["label"], level["descriptor"]
            row.label_hi, row.descriptor_hi = level.get("label_hi"), level.get("descriptor_hi")


# --- looking up ----------------------------------------------------------------------------

def get_competency(session: Session, code: str) -> Competency:
    """:raise NotFound: if no competency has ``code``."""
    competency = session.scalar(select(Competency).where(Competency.code == code))
    if competency is None:
        raise NotFound(N_("no competency with code {code}"), field="competency", values={"code": repr(code)})
    return competency


def find_competency(session: Session, code: str) -> Competency | None:
    return session.scalar(select(Competency).where(Competency.code == code))


def search_competencies(session: Session, *, text: str | None = None,
                        competency_type: str | None = None) -> list[Competency]:
    """Competencies whose code, names, description or level descriptors contain ``text``."""
    query = select(Competency).options(selectinload(Competency.levels)).order_by(Competency.code)
    if competency_type:
        if competency_type not in COMPETENCY_TYPES:
            raise Invalid(N_("type must be one of {competency_types}, got {competency_type}"),
                          field="type",
                          values={"competency_types": ', '.join(COMPETENCY_TYPES),
                                  "competency_type": repr(competency_type)})
        query = query.where(Competency.type == competency_type)
    if text and text.strip():
        pattern = f"%{_escape_like(text.strip().lower())}%"
        in_levels = select(ProficiencyLevel.competency_id).where(
            ProficiencyLevel.descriptor.ilike(pattern, escape="\\")
            | ProficiencyLevel.label.ilike(pattern, escape="\\"))
        query = query.where(or_(Competency.code.ilike(pattern, escape="\\"),
                                Competency.name.ilike(pattern, escape="\\"),
                                Competency.name_hi.ilike(pattern, escape="\\"),
                                Competency.description.ilike(pattern, escape="\\"),
                                Competency.id.in_(in_levels)))
    return list(session.scalars(query))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
