"""The FRAC above the competency dictionary: an MDO's positions (each version with its roles,
activities and required competency levels), who holds which position when, and competencies
an MDO proposes through the Centre of Excellence flow.

An approved position version is frozen: the database layer refuses to change it or its
requirements, so a change is always a new version. A proposed competency lives here until the
MDO approves it; only then does it enter the dictionary (``piaa.items.models.Competency``),
which is why items, tagged through the dictionary, can be tagged only to approved competencies.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, CheckConstraint, DateTime, ForeignKey, Integer, String, Text,
                        UniqueConstraint, event, inspect, select)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from piaa.accounts.models import Organisation, User
from piaa.extensions import db
from piaa.items.models import Competency

POSITION_DRAFT, POSITION_APPROVED = "draft", "approved"
POSITION_STATES = (POSITION_DRAFT, POSITION_APPROVED)


class Position(db.Model):
    """A position in an MDO (for example Assistant Section Officer); its content is versioned."""

    __tablename__ = "frac_position"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mdo_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    mdo: Mapped[Organisation] = relationship()
    versions: Mapped[list[PositionVersion]] = relationship(
        back_populates="position", order_by="PositionVersion.number", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("mdo_id", "code"),)

    @property
    def approved(self) -> PositionVersion | None:
        """The newest approved version: what the position is now."""
        return next((v for v in reversed(self.versions) if v.state == POSITION_APPROVED), None)

    @property
    def newest(self) -> PositionVersion | None:
        return self.versions[-1] if self.versions else None

    def __repr__(self) -> str:
        return f"<Position {self.code}>"


class PositionVersion(db.Model):
    """One version of a position: title, roles with their activities, required levels.

    ``roles`` is ``[{"name": str, "activities": [str, ...]}, ...]``.
    """

    __tablename__ = "frac_position_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("frac_position.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    title_hi: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    description_hi: Mapped[str | None] = mapped_column(Text)
    # [{"name", "name_hi"?, "activities": [...], "activities_hi"?: [...]}]: see piaa.frac.positions
    roles: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    position: Mapped[Position] = relationship(back_populates="versions")
    requirements: Mapped[list[PositionRequirement]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="PositionRequirement.competency_id")

    __table_args__ = (UniqueConstraint("position_id", "number"),
                      CheckConstraint("state IN ('draft', 'approved')", name="state"))


class PositionRequirement(db.Model):
    """A competency a position version needs, and at which proficiency level."""

    __tablename__ = "frac_position_requirement"

    version_id: Mapped[int] = mapped_column(ForeignKey("frac_position_version.id", ondelete="CASCADE"),
                                            primary_key=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)

    version: Mapped[PositionVersion] = relationship(back_populates="requirements")
    competency: Mapped[Competency] = relationship()

    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level"),)


class PositionAssignment(db.Model):
    """An official held a position from ``started_at`` until ``ended_at`` (None: holds it now)."""

    __tablename__ = "frac_position_assignment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("frac_position.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship()
    position: Mapped[Position] = relationship()


class FrozenPositionError(RuntimeError):
    """An approved position version was about to change; make a new version instead."""


def _stored_state(connection, version_id: int) -> str | None:
    # Ask the database, not the session: the stored row is what was approved.
    table = PositionVersion.__table__
    return connection.scalar(select(table.c.state).where(table.c.id == version_id))


@event.listens_for(PositionVersion, "before_update")
def _refuse_changing_approved_version(mapper, connection, target: PositionVersion) -> None:
    if _stored_state(connection, target.id) != POSITION_APPROVED:
        return
    state = inspect(target)
    changed = [a.key for a in state.attrs if a.key not in ("position", "requirements")
               and a.history.has_changes()]
    if changed:
        raise FrozenPositionError(f"position version {target.number} is approved and frozen; "
                                  f"refusing to change {', '.join(changed)}")


@event.listens_for(PositionRequirement, "before_update")
@event.listens_for(PositionRequirement, "before_delete")
@event.listens_for(PositionRequirement, "before_insert")
def _refuse_changing_approved_requirements(mapper, connection, target: PositionRequirement) -> None:
    if target.version_id is not None and _stored_state(connection, target.version_id) == POSITION_APPROVED:
        raise FrozenPositionError("the required levels of an approved position version are frozen")


# --- the Centre of Excellence flow ------------------------------------------------------------

DRAFT, MDO_SCRUTINY, COE_REVIEW, CONSENTED, RETURNED, APPROVED = (
    "draft", "mdo_scrutiny", "coe_review", "consented", "returned", "approved")
PROPOSAL_STATES = (DRAFT, MDO_SCRUTINY, COE_REVIEW, CONSENTED, RETURNED, APPROVED)


class CompetencyProposal(db.Model):
    """A competency an MDO proposes for the dictionary, on its way through the CoE flow.

    ``record`` is the dictionary record (``piaa.items.services.competencies``); ``area`` the
    competency area it belongs to. ``competency_id`` is set when the MDO approves it.
    """

    __tablename__ = "frac_competency_proposal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mdo_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    area: Mapped[str] = mapped_column(String(200), default="")
    record: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    competency_id: Mapped[int | None] = mapped_column(ForeignKey("competency.id"))

    mdo: Mapped[Organisation] = relationship()
    moves: Mapped[list[ProposalMove]] = relationship(back_populates="proposal", order_by="ProposalMove.id",
                                                     cascade="all, delete-orphan")

    __table_args__ = (CheckConstraint(
        "state IN ('draft', 'mdo_scrutiny', 'coe_review', 'consented', 'returned', 'approved')",
        name="state"),)


class ProposalMove(db.Model):
    """One move of a proposal through the flow, with who made it and their comment."""

    __tablename__ = "frac_proposal_move"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("frac_competency_proposal.id", ondelete="CASCADE"),
                                             index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    proposal: Mapped[CompetencyProposal] = relationship(back_populates="moves")
    actor: Mapped[User | None] = relationship()
