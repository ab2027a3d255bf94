"""A standard setting, its panel and every rating of every round.

* **StandardSetting**: one meeting of a panel for one assessment, by one method
  (``bookmark``: θ cuts; ``angoff``: per-cent cuts). A bookmark setting freezes its ordered
  item booklet (item, category, RP location) from the parameter set active when it began, so
  later recalibrations cannot move the pages under the panel. ``applied_at`` marks the
  setting whose result became the assessment's cuts (``Assessment.*_standard_setting_id``
  names it).
* **Panellist**: a member of the panel (a name; an account is optional, since panellists are
  often outside experts whose ratings the facilitator enters).
* **Rating**: one judgement of one panellist in one round for one level boundary
  (``level`` 1..5 is the boundary into that level): the bookmarked page for the bookmark
  method, or for Angoff the probability that a borderline candidate answers ``item_id``
  correctly. Ratings are never changed: a new round adds new rows.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, CheckConstraint, DateTime, Float, ForeignKey, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from piaa.extensions import db

BOOKMARK, ANGOFF = "bookmark", "angoff"
METHODS = (BOOKMARK, ANGOFF)


class StandardSetting(db.Model):
    __tablename__ = "standard_setting"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    title_hi: Mapped[str | None] = mapped_column(String(200))
    # Bookmark: the response probability and the cut rule; the booklet frozen at the start:
    # [{"page": 1, "item_id": 12, "category": 1, "location": -1.23}, ...]
    rp: Mapped[float | None] = mapped_column(Float)
    parameter_set_id: Mapped[int | None] = mapped_column(ForeignKey("parameter_set.id"))
    booklet: Mapped[list | None] = mapped_column(JSON)
    # Angoff: the item ids rated, in form order.
    items: Mapped[list | None] = mapped_column(JSON)
    # Boundaries rated: levels 1..5 whose lower cut the panel sets.
    levels: Mapped[list] = mapped_column(JSON)
    current_round: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The cuts applied (θ or per cent, one per level 1..5) and the panel's round.
    result: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)

    panellists: Mapped[list[Panellist]] = relationship(back_populates="standard_setting",
                                                       order_by="Panellist.id")

    __table_args__ = (CheckConstraint("method IN ('bookmark', 'angoff')", name="method"),)


class Panellist(db.Model):
    __tablename__ = "standard_setting_panellist"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    standard_setting_id: Mapped[int] = mapped_column(ForeignKey("standard_setting.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    standard_setting: Mapped[StandardSetting] = relationship(back_populates="panellists")

    __table_args__ = (UniqueConstraint("standard_setting_id", "name"),)


class Rating(db.Model):
    __tablename__ = "standard_setting_rating"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    standard_setting_id: Mapped[int] = mapped_column(ForeignKey("standard_setting.id"), index=True)
    panellist_id: Mapped[int] = mapped_column(ForeignKey("standard_setting_panellist.id"))
    round: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    # Angoff only; 0 for a bookmark (so the uniqueness below holds without NULLs).
    item_id: Mapped[int] = mapped_column(Integer, default=0)
    value: Mapped[float] = mapped_column(Float)
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    __table_args__ = (UniqueConstraint("panellist_id", "round", "level", "item_id"),
                      CheckConstraint("level BETWEEN 1 AND 5", name="level"))
