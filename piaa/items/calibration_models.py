"""Stored IRT item parameters: one parameter set per calibration of a competency's scale.

A ``ParameterSet`` is the result of one calibration (or one linking) of the items of a
competency; its ``ItemParameter`` rows hold each item's parameters for the item version
that was calibrated. At most one set per competency is *active*: delivery selects and
scores with it, and every score records the set it used, so a rescore after
recalibration is traceable. Sets are never edited in place; a recalibration is a new set.

Parameter rows follow ``piaa.psychometrics``: dichotomous models store ``[a, b, c, d]``;
``grm`` and ``gpcm`` store ``[a, b1, ..., b_{K-1}]`` (as many thresholds as the item has
categories less one). These rows never leave the server.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from piaa.extensions import db
from piaa.items.models import Competency, Item

DICHOTOMOUS_MODELS = ("rasch", "1pl", "2pl", "3pl", "4pl")
POLYTOMOUS_MODELS = ("grm", "gpcm")
IRT_MODELS = DICHOTOMOUS_MODELS + POLYTOMOUS_MODELS


class ParameterSet(db.Model):
    """One calibration of a competency's items on one θ scale."""

    __tablename__ = "parameter_set"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id"), index=True)
    model: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    competency: Mapped[Competency] = relationship()
    items: Mapped[list[ItemParameter]] = relationship(back_populates="parameter_set",
                                                      cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<ParameterSet {self.id} {self.model} competency={self.competency_id}>"


class ItemParameter(db.Model):
    """One item's parameters in a parameter set, for the item version calibrated."""

    __tablename__ = "item_parameter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parameter_set_id: Mapped[int] = mapped_column(ForeignKey("parameter_set.id", ondelete="CASCADE"),
                                                  index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    item_version: Mapped[int] = mapped_column(Integer)
    params: Mapped[list] = mapped_column(JSON)
    se: Mapped[list | None] = mapped_column(JSON)

    parameter_set: Mapped[ParameterSet] = relationship(back_populates="items")
    item: Mapped[Item] = relationship()

    __table_args__ = (UniqueConstraint("parameter_set_id", "item_id"),)
