"""Issued certificates: what they state, their signed credential and PDF, and revocation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from piaa.accounts.models import User
from piaa.extensions import db


class Certificate(db.Model):
    """A certificate of an attempt that reached its assessment's certifying level with the
    assessment's confidence (one valid certificate per attempt at a time).

    The facts are copied at issue time (not joined from the competency dictionary or the
    user) because a certificate states what was true when it was issued; a later rename must
    not change what a signed credential says.
    """

    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("status_list_number", "status_list_index"),
                      UniqueConstraint("attempt_id", "sequence"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    serial: Mapped[str | None] = mapped_column(String(32), unique=True)
    # No foreign key yet: attempts are created by the delivery domain.
    attempt_id: Mapped[int] = mapped_column(Integer)
    # 1 for an attempt's first certificate; a rescore that changes the certified level, or
    # certifies again after the service revoked, issues the next (the old one stays revoked).
    sequence: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    window_id: Mapped[int | None] = mapped_column(Integer, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)

    official_name: Mapped[str] = mapped_column(String(200))
    official_name_hi: Mapped[str | None] = mapped_column(String(200))
    identity_salt: Mapped[str] = mapped_column(String(32))
    competency_code: Mapped[str] = mapped_column(String(64))
    competency_name: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer)
    level_label: Mapped[str] = mapped_column(String(100))
    level_descriptor: Mapped[str] = mapped_column(Text)
    agency_name: Mapped[str] = mapped_column(String(200))
    # The same in Hindi, where the dictionary (or the organisation) has it; the PDF shows
    # both languages.
    competency_name_hi: Mapped[str | None] = mapped_column(String(200))
    level_label_hi: Mapped[str | None] = mapped_column(String(100))
    agency_name_hi: Mapped[str | None] = mapped_column(String(200))
    # Probability that the holder's true level is the stated level or higher, when issued.
    decision_confidence: Mapped[float | None] = mapped_column(Float)
    assessed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    status_list_number: Mapped[int | None] = mapped_column(Integer)
    status_list_index: Mapped[int | None] = mapped_column(Integer)
    credential: Mapped[dict | None] = mapped_column(JSON)
    # Deferred: listing certificates must not drag tens of kilobytes of PDF per row along.
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    rendered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    revocation_reason: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def __repr__(self) -> str:
        return f"<Certificate {self.serial} attempt={self.attempt_id}>"
