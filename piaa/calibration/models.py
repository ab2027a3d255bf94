"""Tables of the measurement loop: candidates' optional attributes for fairness analysis,
calibration runs with their results, and the psychometrician's decisions on items.

``CandidateAttributes`` are given by the candidate, shown to the candidate and used only to
group responses in DIF analyses: delivery, proctoring and scoring never read them.

A ``CalibrationRun`` stores what was asked (model, responses chosen, how the scale is held)
and, once its job has finished, every figure the results page shows (``results``, JSON).
Activating a run records a new ``ParameterSet`` from its parameters (``parameter_set_id``);
runs are never recalculated in place.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from piaa.extensions import db
from piaa.items import calibration_models  # noqa: F401  (parameter_set is referenced)
from piaa.items.models import Competency, Item

GENDERS = ("female", "male", "other")
# The states and union territories of India, for the optional "state" attribute.
STATES = ("Andaman and Nicobar Islands", "Andhra Pradesh", "Arunachal Pradesh", "Assam", "Bihar",
          "Chandigarh", "Chhattisgarh", "Dadra and Nagar Haveli and Daman and Diu", "Delhi", "Goa",
          "Gujarat", "Haryana", "Himachal Pradesh", "Jammu and Kashmir", "Jharkhand", "Karnataka",
          "Kerala", "Ladakh", "Lakshadweep", "Madhya Pradesh", "Maharashtra", "Manipur", "Meghalaya",
          "Mizoram", "Nagaland", "Odisha", "Puducherry", "Punjab", "Rajasthan", "Sikkim",
          "Tamil Nadu", "Telangana", "Tripura", "Uttar Pradesh", "Uttarakhand", "West Bengal")
SERVICES = ("IAS", "IPS", "IFoS", "IFS", "IRS", "Central Secretariat Service",
            "Central Secretariat Stenographers Service", "Indian Railways", "Defence civilian",
            "State civil service", "Public sector undertaking", "Other")

FIXED_ANCHORS, LINKED, FREE = "anchors", "linked", "free"
SCALE_METHODS = (FIXED_ANCHORS, LINKED, FREE)
QUEUED, RUNNING, FINISHED, FAILED = "queued", "running", "finished", "failed"
RUN_STATES = (QUEUED, RUNNING, FINISHED, FAILED)
FLAG, EXCLUDE, INCLUDE, PROMOTE, RETIRE = "flag", "exclude", "include", "promote", "retire"
DECISIONS = (FLAG, EXCLUDE, INCLUDE, PROMOTE, RETIRE)


class CandidateAttributes(db.Model):
    """What a candidate chose to tell about themselves for fairness analysis (all optional)."""

    __tablename__ = "candidate_attributes"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    gender: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[str | None] = mapped_column(String(64))
    service: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CalibrationRun(db.Model):
    """One calibration of a competency's items from the service's own scored responses."""

    __tablename__ = "calibration_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id"), index=True)
    model: Mapped[str] = mapped_column(String(8))
    scale: Mapped[str] = mapped_column(String(8))
    # {"windows": [ids], "purposes": [...], "period_from": iso, "period_to": iso}
    selection: Mapped[dict] = mapped_column(JSON, default=dict)
    # The active set whose items anchor or link the scale (None for a free calibration).
    base_set_id: Mapped[int | None] = mapped_column(ForeignKey("parameter_set.id"))
    min_responses: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=QUEUED, index=True)
    job_id: Mapped[str | None] = mapped_column(String(36))
    error: Mapped[str | None] = mapped_column(Text)
    results: Mapped[dict | None] = mapped_column(JSON)
    duration_s: Mapped[float | None] = mapped_column(Float)
    parameter_set_id: Mapped[int | None] = mapped_column(ForeignKey("parameter_set.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    competency: Mapped[Competency] = relationship()

    __table_args__ = (
        CheckConstraint("scale IN ('anchors', 'linked', 'free')", name="scale"),
        CheckConstraint("state IN ('queued', 'running', 'finished', 'failed')", name="state"),
    )


class CalibrationDecision(db.Model):
    """A psychometrician's decision on one item in the light of a run, with who and why
    (also in the audit log)."""

    __tablename__ = "calibration_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("calibration_run.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    item: Mapped[Item] = relationship()

    __table_args__ = (
        CheckConstraint("action IN ('flag', 'exclude', 'include', 'promote', 'retire')", name="action"),
    )
