"""Courses (CBPs) of providers, their runs, officials enrolled in runs, and officials' MDO and
position: what pre/post matching and the effectiveness reports are built from.

A provider is an :class:`~piaa.accounts.models.Organisation` of kind ``provider``; an MDO one of
kind ``mdo``. An official is a user (candidate) with an :class:`Official` record.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from piaa.accounts.models import Organisation, User
from piaa.extensions import db
from piaa.items.models import Competency

ENROLMENT_SOURCES = ("csv", "api", "platform", "demo")


class Official(db.Model):
    """A civil servant's MDO and position."""

    __tablename__ = "official"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    mdo_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    position: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship()
    mdo: Mapped[Organisation | None] = relationship()


class RequiredLevel(db.Model):
    """The level of a competency an official's position requires (from its FRAC profile)."""

    __tablename__ = "required_level"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)


class Course(db.Model):
    """A competency-building product offered by a provider."""

    __tablename__ = "course"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    title_hi: Mapped[str | None] = mapped_column(String(200))
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    provider: Mapped[Organisation] = relationship()
    competencies: Mapped[list[CourseCompetency]] = relationship(back_populates="course",
                                                                cascade="all, delete-orphan")
    runs: Mapped[list[CourseRun]] = relationship(back_populates="course")


class CourseCompetency(db.Model):
    """A competency a course builds, and the level it aims to bring learners to."""

    __tablename__ = "course_competency"

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id"), primary_key=True)
    target_level: Mapped[int] = mapped_column(Integer)

    course: Mapped[Course] = relationship(back_populates="competencies")
    competency: Mapped[Competency] = relationship()


class CourseRun(db.Model):
    """One batch of a course, from ``starts_at`` to ``ends_at``."""

    __tablename__ = "course_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    course: Mapped[Course] = relationship(back_populates="runs")


class CourseEnrolment(db.Model):
    """An official enrolled in a course run."""

    __tablename__ = "course_enrolment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("course_run.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    source: Mapped[str] = mapped_column(String(16), default="csv")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    run: Mapped[CourseRun] = relationship()
    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("run_id", "user_id"),)
