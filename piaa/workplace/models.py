"""Workplace (360-degree) assessments: the people an official works with rate the behaviour they
observe against each level's descriptor. Kept apart from proctored results: nothing here is read
by scoring, certificates or effectiveness.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, CheckConstraint, DateTime, ForeignKey, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from piaa.accounts.models import User
from piaa.extensions import db
from piaa.items.models import Competency

SUPERVISOR, PEER, REPORT, SELF = "supervisor", "peer", "report", "self"
RELATIONS = (SUPERVISOR, PEER, REPORT, SELF)


class WorkplaceAssessment(db.Model):
    """One round of workplace ratings of an official on the competencies of their position.

    ``competency_ids`` lists the competencies rated, fixed when the round opens.
    """

    __tablename__ = "workplace_assessment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    position_version_id: Mapped[int | None] = mapped_column(ForeignKey("frac_position_version.id"))
    competency_ids: Mapped[list] = mapped_column(JSON, default=list)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    official: Mapped[User] = relationship(foreign_keys=[official_id])
    raters: Mapped[list[WorkplaceRater]] = relationship(back_populates="assessment", order_by="WorkplaceRater.id",
                                                        cascade="all, delete-orphan")


class WorkplaceRater(db.Model):
    """Someone nominated to rate; they open the rating page with the signed, expiring link
    e-mailed to them (only the SHA-256 of its newest token is kept), or from their rater
    account."""

    __tablename__ = "workplace_rater"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("workplace_assessment.id", ondelete="CASCADE"),
                                               index=True)
    relation: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # the newest link: when it expires, when its e-mail went out, how many were sent, and why
    # the last one failed (None once one is sent)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    send_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    send_error: Mapped[str | None] = mapped_column(String(500))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    assessment: Mapped[WorkplaceAssessment] = relationship(back_populates="raters")
    ratings: Mapped[list[WorkplaceRating]] = relationship(back_populates="rater", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("assessment_id", "email"),
                      CheckConstraint("relation IN ('supervisor', 'peer', 'report', 'self')", name="relation"))


class WorkplaceRating(db.Model):
    """A rater's rating of one competency: the level whose descriptor fits the behaviour they
    observed, or None for "not observed"."""

    __tablename__ = "workplace_rating"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("workplace_rater.id", ondelete="CASCADE"), index=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id"))
    level: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")

    rater: Mapped[WorkplaceRater] = relationship(back_populates="ratings")
    competency: Mapped[Competency] = relationship()

    __table_args__ = (UniqueConstraint("rater_id", "competency_id"),
                      CheckConstraint("level IS NULL OR level BETWEEN 1 AND 5", name="level"))
