"""Scored responses as data: one row per administered item of every scored attempt on a
competency, in long form, with the group columns fairness analyses need; and the optional
attributes candidates give about themselves.

Operational rows carry the category scoring stored; pretest rows are not scored at
delivery (they never count), so their category is computed here from the stored answer by
the item's type, the same rule scoring applies. An item administered but not answered is
``omitted`` and scores 0, as in scoring.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from piaa.accounts.models import User
from piaa.calibration.models import GENDERS, SERVICES, STATES, CandidateAttributes
from piaa.clock import now
from piaa.delivery import states
from piaa.delivery.forms import version_views
from piaa.delivery.models import PURPOSES, Assessment, Attempt, AttemptItem, Window
from piaa.errors import Invalid, NotFound
from piaa.items.models import Competency, Item, ItemVersion
from piaa.items.types import get_item_type
from piaa.i18n import N_

if TYPE_CHECKING:
    import pandas as pd  # imported where a frame is built: it costs 0.3 s of CPU at start-up

log = logging.getLogger(__name__)

GROUP_COLUMNS = ("gender", "state", "service", "language")
COLUMNS = ("person", "attempt", "item", "item_id", "item_version", "score", "max_score", "operational",
           "omitted", "window", "purpose", "language", "gender", "state", "service", "ended_at")
FORMATS = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


@dataclass
class ResponseSelection:
    """Which scored attempts of a competency: by window, purpose and the period in which
    they ended (each None: all)."""

    competency_id: int
    window_ids: list[int] | None = None
    purposes: list[str] | None = None
    period_from: datetime | None = None
    period_to: datetime | None = None
    label: dict = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"windows": self.window_ids, "purposes": self.purposes,
                "period_from": self.period_from.isoformat() if self.period_from else None,
                "period_to": self.period_to.isoformat() if self.period_to else None}

    @classmethod
    def from_json(cls, competency_id: int, data: dict) -> "ResponseSelection":
        return cls(competency_id, data.get("windows") or None, data.get("purposes") or None,
                   _parse_when(data.get("period_from"), "period_from"),
                   _parse_when(data.get("period_to"), "period_to"))


def _parse_when(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise Invalid(N_("{name}: {value} is not a date (YYYY-MM-DD)"), field=name,
                      values={"name": name, "value": repr(value)}) from None


def selection_for(session: Session, competency_code: str, *, windows: list[int] | None = None,
                  purposes: list[str] | None = None, period_from: Any = None,
                  period_to: Any = None) -> ResponseSelection:
    """A checked selection from plain values.

    :raise NotFound: for an unknown competency or a window of another competency.
    :raise Invalid: for an unknown purpose or a date that is not one.
    """
    competency = session.scalar(select(Competency).where(Competency.code == competency_code))
    if competency is None:
        raise NotFound(N_("no competency {competency_code}"), field="competency",
                       values={"competency_code": repr(competency_code)})
    for purpose in purposes or []:
        if purpose not in PURPOSES:
            raise Invalid(N_("purpose {purpose} is not one of {purposes}"), field="purposes",
                          values={"purpose": repr(purpose), "purposes": ', '.join(PURPOSES)})
    window_ids = sorted({int(w) for w in windows or []}) or None
    if window_ids:
        found = dict(session.execute(select(Window.id, Assessment.competency_id)
                                     .join(Assessment, Assessment.id == Window.assessment_id)
                                     .where(Window.id.in_(window_ids))).all())
        for window_id in window_ids:
            if found.get(window_id) != competency.id:
                raise NotFound(N_("no window {window_id} of competency {competency_code}"), field="windows",
                               values={"window_id": window_id, "competency_code": competency.code})
    start, end = _parse_when(period_from, "period_from"), _parse_when(period_to, "period_to")
    if start and end and end < start:
        raise Invalid(N_("the period ends before it begins"), field="period_to")
    return ResponseSelection(competency.id, window_ids, list(purposes) if purposes else None, start, end)


def windows_of(session: Session, competency_id: int) -> list[Window]:
    """The windows of the competency's assessments, newest first (for choosing)."""
    return list(session.scalars(select(Window).join(Assessment, Assessment.id == Window.assessment_id)
                                .where(Assessment.competency_id == competency_id)
                                .order_by(Window.opens_at.desc(), Window.id.desc())))


def scored_responses(session: Session, selection: ResponseSelection) -> pd.DataFrame:
    """The long-form table of ``selection``: columns ``COLUMNS``, one row per administered
    item of every scored attempt, ordered by attempt and position."""
    query = (select(Attempt.user_id, AttemptItem.attempt_id, Item.code, AttemptItem.item_id,
                    ItemVersion.number, AttemptItem.version_id, AttemptItem.category, AttemptItem.answer,
                    AttemptItem.scored, Attempt.window_id, Assessment.purpose, Attempt.language,
                    CandidateAttributes.gender, CandidateAttributes.state, CandidateAttributes.service,
                    Attempt.ended_at)
             .join(Attempt, Attempt.id == AttemptItem.attempt_id)
             .join(Assessment, Assessment.id == Attempt.assessment_id)
             .join(Item, Item.id == AttemptItem.item_id)
             .join(ItemVersion, ItemVersion.id == AttemptItem.version_id)
             .outerjoin(CandidateAttributes, CandidateAttributes.user_id == Attempt.user_id)
             .where(Assessment.competency_id == selection.competency_id,
                    Item.competency_id == selection.competency_id,
                    Attempt.state == states.SCORED)
             .order_by(AttemptItem.attempt_id, AttemptItem.position))
    if selection.window_ids:
        query = query.where(Attempt.window_id.in_(selection.window_ids))
    if selection.purposes:
        query = query.where(Assessment.purpose.in_(selection.purposes))
    if selection.period_from:
        query = query.where(Attempt.ended_at >= selection.period_from)
    if selection.period_to:
        query = query.where(Attempt.ended_at <= selection.period_to)
    rows = session.execute(query).all()
    versions = version_views(session, {row[5] for row in rows})
    records = []
    for (person, attempt, code, item_id, number, version_id, category, answer, scored, window, purpose,
         language, gender, state, service, ended_at) in rows:
        version = versions[version_id]
        kind = get_item_type(version.item_type)
        if category is None or not scored:
            try:
                result = kind.score(version.content, answer)
            except Invalid:  # an answer of another version's shape earns nothing, as in scoring
                result = kind.score(version.content, None)
            category = result.category
            top = result.max_credit if kind.polytomous else 1
        else:
            top = _max_category(kind, version.content)
        records.append((person, attempt, code, item_id, number, int(category), top, bool(scored),
                        answer is None, window, purpose, language, gender, state, service, ended_at))
    import pandas as pd

    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    return frame.astype({"score": "int64", "operational": "bool", "omitted": "bool"})


def _max_category(kind, content) -> int:
    return int(kind.score(content, None).max_credit) if kind.polytomous else 1


def export_bytes(frame: pd.DataFrame, fmt: str) -> bytes:
    """The table as CSV or Parquet.

    :raise Invalid: for another format.
    """
    if fmt not in FORMATS:
        raise Invalid(N_("format must be one of {formats}, got {fmt}"), field="format",
                      values={"formats": ', '.join(FORMATS), "fmt": repr(fmt)})
    out = io.BytesIO()
    if fmt == "csv":
        frame.to_csv(out, index=False)
    else:
        frame.to_parquet(out, index=False)
    return out.getvalue()


# --- candidates' own attributes ------------------------------------------------------------

ATTRIBUTE_CHOICES = {"gender": GENDERS, "state": STATES, "service": SERVICES}


def attributes_of(session: Session, user: User) -> CandidateAttributes | None:
    return session.get(CandidateAttributes, user.id)


def save_attributes(session: Session, user: User, values: dict[str, Any]) -> CandidateAttributes | None:
    """Keep what the candidate chose to give; a blank answer is kept as not given. All blank
    removes the record.

    :raise Invalid: naming the field whose value is not one of its choices.
    """
    clean: dict[str, str | None] = {}
    for name, choices in ATTRIBUTE_CHOICES.items():
        value = (values.get(name) or "").strip() or None
        if value is not None and value not in choices:
            raise Invalid(N_("{name}: {value} is not one of the choices"), field=name,
                          values={"name": name, "value": repr(value)})
        clean[name] = value
    record = session.get(CandidateAttributes, user.id)
    if not any(clean.values()):
        if record is not None:
            session.delete(record)
            session.flush()
        return None
    if record is None:
        record = CandidateAttributes(user_id=user.id)
        session.add(record)
    record.gender, record.state, record.service = clean["gender"], clean["state"], clean["service"]
    record.updated_at = now()
    session.flush()
    return record
