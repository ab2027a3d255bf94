"""Users, the organisations they belong to, and their API tokens."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from piaa.extensions import db

CANDIDATE, AUTHOR, REVIEWER, PROCTOR = "candidate", "author", "reviewer", "proctor"
PSYCHOMETRICIAN, ANALYST, ADMIN = "psychometrician", "analyst", "admin"
# FRAC: an MDO's staff draft positions and competencies, its leadership forwards and approves,
# a Centre of Excellence reviewer consents or returns; a workplace rater rates colleagues.
MDO_STAFF, MDO_LEADERSHIP, COE_REVIEWER, WORKPLACE_RATER = (
    "mdo_staff", "mdo_leadership", "coe_reviewer", "workplace_rater")
# A rater scores written answers (extended text) against their rubric, blind to the candidate.
RATER = "rater"
ROLES = (CANDIDATE, AUTHOR, REVIEWER, PROCTOR, PSYCHOMETRICIAN, ANALYST, ADMIN,
         MDO_STAFF, MDO_LEADERSHIP, COE_REVIEWER, WORKPLACE_RATER, RATER)

AGENCY, PROVIDER, MDO = "agency", "provider", "mdo"
ORGANISATION_KINDS = (AGENCY, PROVIDER, MDO)


class Organisation(db.Model):
    """An assessment agency, a CBP provider (training institute) or an MDO."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    name_hi: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))

    def __repr__(self) -> str:
        return f"<Organisation {self.name} ({self.kind})>"


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_hi: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    preferred_language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Every session cookie carries the generation it was signed in under; raising it (sign-out,
    # a new password, deactivation) ends every session of the user on the server, copies included.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    organisation: Mapped[Organisation | None] = relationship()

    def get_id(self) -> str:  # what Flask-Login keeps in the session cookie
        return f"{self.id}:{self.session_generation or 0}"

    @property
    def is_active(self) -> bool:  # Flask-Login asks this before letting a user in
        return self.active

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.email} ({self.role})>"


class ApiToken(db.Model):
    """A personal API token; only its SHA-256 is stored, the token is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship()
