"""Competency dictionary, item banks, items, their versions and review decisions.

An item's wording lives in ``ItemVersion.content``; once a version has been submitted
for review (or loaded as approved/operational) it is frozen: the database layer refuses
to change or delete it, so a fix is always a new version.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, CheckConstraint, DateTime, ForeignKey, Integer, String, Text,
                        UniqueConstraint, and_, event, inspect, select)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from piaa.accounts.models import Organisation, User
from piaa.extensions import db
from piaa.i18n import N_

BEHAVIOURAL, FUNCTIONAL, DOMAIN = "behavioural", "functional", "domain"
COMPETENCY_TYPES = (BEHAVIOURAL, FUNCTIONAL, DOMAIN)
PROFICIENCY_LEVELS = (1, 2, 3, 4, 5)
DEFAULT_LEVEL_LABELS = (N_("Basic"), N_("Intermediate"), N_("Proficient"), N_("Advanced"), N_("Expert"))
# Hindi of the default labels, for a dictionary that gives no Hindi label of its own.
DEFAULT_LEVEL_LABELS_HI = dict(zip(DEFAULT_LEVEL_LABELS, ("आधारभूत", "मध्यवर्ती", "प्रवीण", "उन्नत", "विशेषज्ञ")))

DRAFT, IN_REVIEW, APPROVED, OPERATIONAL, RETIRED = "draft", "in_review", "approved", "operational", "retired"
ITEM_STATES = (DRAFT, IN_REVIEW, APPROVED, OPERATIONAL, RETIRED)
APPROVE, RETURN = "approve", "return"
DECISIONS = (APPROVE, RETURN)


class Competency(db.Model):
    """A FRAC competency as it stands now; earlier versions are in CompetencyVersion."""

    __tablename__ = "competency"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_hi: Mapped[str | None] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    description_hi: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    levels: Mapped[list[ProficiencyLevel]] = relationship(
        back_populates="competency", order_by="ProficiencyLevel.level", cascade="all, delete-orphan")
    versions: Mapped[list[CompetencyVersion]] = relationship(
        back_populates="competency", order_by="CompetencyVersion.number", cascade="all, delete-orphan")

    __table_args__ = (CheckConstraint("type IN ('behavioural', 'functional', 'domain')", name="type"),)

    def level(self, number: int) -> ProficiencyLevel | None:
        return next((lvl for lvl in self.levels if lvl.level == number), None)

    def __repr__(self) -> str:
        return f"<Competency {self.code} v{self.version}>"


class ProficiencyLevel(db.Model):
    """One of a competency's five levels with its label and descriptor (current version)."""

    __tablename__ = "proficiency_level"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(100))
    label_hi: Mapped[str | None] = mapped_column(String(100))
    descriptor: Mapped[str] = mapped_column(Text)
    descriptor_hi: Mapped[str | None] = mapped_column(Text)

    competency: Mapped[Competency] = relationship(back_populates="levels")

    __table_args__ = (UniqueConstraint("competency_id", "level"),
                      CheckConstraint("level BETWEEN 1 AND 5", name="level"))


class CompetencyVersion(db.Model):
    """Every version a competency has had, as the dictionary JSON record of that time."""

    __tablename__ = "competency_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    record: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    competency: Mapped[Competency] = relationship(back_populates="versions")

    __table_args__ = (UniqueConstraint("competency_id", "number"),)


class ItemBank(db.Model):
    __tablename__ = "item_bank"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    name_hi: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    description_hi: Mapped[str | None] = mapped_column(Text)
    languages: Mapped[list] = mapped_column(JSON, default=lambda: ["en", "hi"])
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation] = relationship()

    def __repr__(self) -> str:
        return f"<ItemBank {self.name}>"


class Item(db.Model):
    """One question in a bank. Its tagging mirrors the current version's; ``state`` changes
    only through ``piaa.items.services.workflow.transition``."""

    __tablename__ = "item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("item_bank.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32), index=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    sub_area: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16), index=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    # Lower-cased code and texts of the current version in every language, for text search
    # that works the same on SQLite and PostgreSQL.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    bank: Mapped[ItemBank] = relationship()
    competency: Mapped[Competency] = relationship()
    versions: Mapped[list[ItemVersion]] = relationship(
        back_populates="item", order_by="ItemVersion.number", cascade="all, delete-orphan")
    current: Mapped[ItemVersion] = relationship(
        primaryjoin=lambda: and_(foreign(ItemVersion.item_id) == Item.id,
                                 ItemVersion.number == Item.current_version),
        viewonly=True, uselist=False)

    __table_args__ = (
        UniqueConstraint("bank_id", "code"),
        CheckConstraint("level BETWEEN 1 AND 5", name="level"),
        CheckConstraint("state IN ('draft', 'in_review', 'approved', 'operational', 'retired')",
                        name="state"),
    )

    def __repr__(self) -> str:
        return f"<Item {self.code} v{self.current_version} {self.state}>"


class ItemVersion(db.Model):
    """The wording, key and tagging of an item at one version; frozen once submitted."""

    __tablename__ = "item_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id"))
    level: Mapped[int] = mapped_column(Integer)
    sub_area: Mapped[str | None] = mapped_column(String(100))
    content: Mapped[dict] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    frozen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    item: Mapped[Item] = relationship(back_populates="versions")
    competency: Mapped[Competency] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    decisions: Mapped[list[ReviewDecision]] = relationship(
        back_populates="item_version", order_by="ReviewDecision.id")

    __table_args__ = (UniqueConstraint("item_id", "number"),)

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None


class ReviewDecision(db.Model):
    """A reviewer's approve or return of one item version, with comments."""

    __tablename__ = "review_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_version.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    comments: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    item_version: Mapped[ItemVersion] = relationship(back_populates="decisions")
    reviewer: Mapped[User] = relationship()

    __table_args__ = (CheckConstraint("decision IN ('approve', 'return')", name="decision"),)


class FrozenVersionError(RuntimeError):
    """A submitted item version was about to change; make a new version instead."""


_FROZEN_FIELDS = ("content", "competency_id", "level", "sub_area", "number", "item_id", "frozen_at",
                  "submitted_by_id")


@event.listens_for(ItemVersion, "before_update")
def _refuse_changing_frozen_version(mapper, connection, target: ItemVersion) -> None:
    # Ask the database, not the session: the stored row is what was submitted.
    stored = connection.scalar(select(ItemVersion.__table__.c.frozen_at)
                               .where(ItemVersion.__table__.c.id == target.id))
    if stored is None:
        return
    state = inspect(target)
    changed = [f for f in _FROZEN_FIELDS if state.attrs[f].history.has_changes()]
    if changed:
        raise FrozenVersionError(
            f"item version {target.number} of item {target.item_id} was submitted and is "
            f"frozen; refusing to change {', '.join(changed)}")


@event.listens_for(ItemVersion, "before_delete")
def _refuse_deleting_frozen_version(mapper, connection, target: ItemVersion) -> None:
    if target.frozen_at is not None:
        raise FrozenVersionError(f"item version {target.number} of item {target.item_id} is frozen")
