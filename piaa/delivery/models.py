"""Delivery's tables: assessments, cohorts and windows, attempts, administered items,
proctoring events and scores.

Design note (for whoever builds on this domain)
-----------------------------------------------
* An **Assessment** is defined for one competency: purpose, mode (``fixed``, ``loft``,
  ``adaptive``), blueprint, time limit, stopping rule, pretest count, cut scores, navigation
  (``free`` or ``linear``), pause policy (``clock_stops`` or ``clock_runs``), proctoring
  policy and languages. Fixed-mode assessments have one or more **FixedForm** rows.
* A **Cohort** (with its course and provider) holds **Enrolment** rows (one per official,
  with the accommodation ``time_factor``). A **Window** opens an assessment to a cohort
  between two times, optionally behind an access code; **WindowProctor** rows say which
  proctors watch it.
* An **Attempt** is one sitting. Its ``state`` changes only through
  ``piaa.delivery.attempts.transition`` (table in ``piaa.delivery.states``); the deadline is
  computed on the server (``piaa.delivery.timing``) and stored in ``deadline_at`` for the
  sweeper. ``stopped_since`` marks an ongoing stop of the clock (a proctor's pause);
  a candidate silent for longer than the heartbeat timeout counts as disconnected from
  ``last_seen_at`` on (given back under ``clock_stops``).
* Each administered item is an **AttemptItem** addressed by an opaque random ``ref``
  (never the item id). Its answer carries the client's ``seq``: a lower or equal ``seq``
  than the stored one changes nothing. Fixed and LOFT forms are laid out in full at start;
  adaptive attempts get one row per selected item. In ``linear`` navigation and in
  adaptive mode only the row at ``Attempt.current_position`` is shown, and moving on
  (``POST .../next``) locks its answer.
* **AttemptEvent** rows are the proctoring timeline: browser signals (``source=client``),
  server signals (``server``) and proctor actions and warnings (``proctor``), each with a
  severity. State changes are in the audit log (subject ``attempt``).
* **AttemptScore** rows are every scoring of an attempt (first scoring and each rescore),
  with the method (``eap`` or ``classical``) and the parameter set used; the attempt's
  ``theta``, ``se``, ``level`` mirror the newest.
* Client conventions: send ``X-PIAA-Client`` (a random id per tab, kept across reloads)
  on every candidate call; beat well within the policy's ``heartbeat_timeout_s`` (silence
  past it counts as a disconnection): ``GET .../attempts/<id>`` with ``If-None-Match`` (304
  while nothing changed), or signals to ``POST .../events`` with ``known`` (204 likewise);
  answer and move on in one call (``PUT .../responses/<ref>`` with ``next: true``); keep one
  increasing ``seq`` per attempt for answers and resend unacknowledged answers in order, all
  together after a dead link (``POST .../responses``). Error codes a client
  acts on (409 unless noted): ``time_up``, ``paused``, ``not_in_progress``, ``answer_final``,
  ``other_device``, ``awaiting_admission``, ``window_closed``, ``attempts_used``,
  ``pool_exhausted``, ``not_calibrated``, ``illegal_transition``, ``free_navigation``;
  ``invalid`` (422) for a malformed answer.
* What reaches a candidate is built only in ``piaa.delivery.candidate_view`` from
  ``piaa.items.types`` candidate views: never keys, credits, parameters, ``scored`` flags
  or rows not yet administered.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, DateTime, Float, ForeignKey,
                        Index, Integer, LargeBinary, String, Text, UniqueConstraint, exists)
from sqlalchemy.orm import Mapped, column_property, deferred, mapped_column, relationship

from piaa.accounts.models import Organisation, User
from piaa.extensions import db
from piaa.items import calibration_models  # noqa: F401  (parameter_set is referenced)
from piaa.items.models import Competency, Item, ItemBank, ItemVersion

PRE_COURSE, POST_COURSE, CERTIFICATION = "pre_course", "post_course", "certification"
PURPOSES = (PRE_COURSE, POST_COURSE, CERTIFICATION)
FIXED, LOFT, ADAPTIVE = "fixed", "loft", "adaptive"
MODES = (FIXED, LOFT, ADAPTIVE)
FREE, LINEAR = "free", "linear"
NAVIGATIONS = (FREE, LINEAR)

CLIENT, SERVER, PROCTOR = "client", "server", "proctor"
INFO, LOW, MEDIUM, HIGH = "info", "low", "medium", "high"
SEVERITIES = (INFO, LOW, MEDIUM, HIGH)

EAP, CLASSICAL = "eap", "classical"


class Assessment(db.Model):
    """What a candidate sits for one competency."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    title_hi: Mapped[str | None] = mapped_column(String(200))
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    # Items come from this bank only; None: every bank holding the competency's items.
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("item_bank.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    # {"cells": [{"level": 1..5 | null, "sub_area": str | null, "count": n}], "tolerance": t}
    blueprint: Mapped[dict] = mapped_column(JSON)
    time_limit_s: Mapped[int] = mapped_column(Integer)
    se_target: Mapped[float | None] = mapped_column(Float)
    min_items: Mapped[int | None] = mapped_column(Integer)
    max_items: Mapped[int | None] = mapped_column(Integer)
    pretest_count: Mapped[int] = mapped_column(Integer, default=0)
    # θ at which each of levels 1..5 begins (ascending); below the first: no level.
    cut_scores: Mapped[list] = mapped_column(JSON)
    # Per cent of the maximum raw score at which levels 1..5 begin, for the classical score
    # used before any calibration exists; None: a classical score assigns no level.
    percent_cut_scores: Mapped[list | None] = mapped_column(JSON)
    certifying_level: Mapped[int | None] = mapped_column(Integer)
    # One confidence for both decisions: a certificate is issued only when the probability
    # that the true level is at or above the certifying level reaches this
    # (``piaa.delivery.scoring``), and an adaptive test may stop once its most probable level
    # is this probable (after min_items): stopping sooner would leave candidates short of
    # what a certificate needs.
    confidence_threshold: Mapped[float] = mapped_column(Float, default=0.8, server_default="0.8")
    # The recorded standard setting (``piaa.standard_setting``) each set of cuts came from;
    # None: typed in by hand. No foreign key: a standard setting names its assessment, and a
    # cycle of keys would complicate every delete.
    theta_cuts_standard_setting_id: Mapped[int | None] = mapped_column(Integer)
    percent_cuts_standard_setting_id: Mapped[int | None] = mapped_column(Integer)
    # The classical score's pilot: {"reliability", "mean", "sd", "max_score", "n", "form",
    # "recorded_at"}; None: no pilot, so a classical score is practice only.
    classical_pilot: Mapped[dict | None] = mapped_column(JSON)
    navigation: Mapped[str] = mapped_column(String(8), default=FREE)
    pause_policy: Mapped[str] = mapped_column(String(16))
    # {"require_admission", "allow_other_device", "heartbeat_timeout_s", "min_reading_s"}
    proctoring: Mapped[dict] = mapped_column(JSON, default=dict)
    languages: Mapped[list] = mapped_column(JSON, default=lambda: ["en"])
    # Adaptive exposure control: choose at random among the k most informative items.
    exposure_k: Mapped[int] = mapped_column(Integer, default=3)
    # Adaptive exposure cap: the highest share of candidates an item may reach; None: the
    # randomesque choice among ``exposure_k`` items alone.
    max_exposure: Mapped[float | None] = mapped_column(Float)
    # Sympson–Hetter parameters found by the last bank-readiness check
    # (``piaa.delivery.readiness``): {"parameter_set_id", "max_exposure", "k": {item id: k},
    # "checked_at", "summary"}; used while the set it was computed for is active.
    exposure_control: Mapped[dict | None] = mapped_column(JSON)
    # Written answers rated by people: on a high-stakes assessment (certification, or one that
    # certifies a level) two raters each; when they differ by more than this many points a third
    # rater adjudicates (``piaa.delivery.ratings``).
    rating_tolerance: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    competency: Mapped[Competency] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    bank: Mapped[ItemBank | None] = relationship()
    forms: Mapped[list[FixedForm]] = relationship(back_populates="assessment",
                                                  order_by="FixedForm.number")

    __table_args__ = (
        CheckConstraint("purpose IN ('pre_course', 'post_course', 'certification')", name="purpose"),
        CheckConstraint("mode IN ('fixed', 'loft', 'adaptive')", name="mode"),
        CheckConstraint("navigation IN ('free', 'linear')", name="navigation"),
    )

    def __repr__(self) -> str:
        return f"<Assessment {self.code} {self.mode}>"


class FixedForm(db.Model):
    """A fixed form of a fixed-mode assessment: item ids and the versions delivered."""

    __tablename__ = "fixed_form"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    # [{"item_id": 12, "version": 1}, ...] in delivery order
    items: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    assessment: Mapped[Assessment] = relationship(back_populates="forms")

    __table_args__ = (UniqueConstraint("assessment_id", "number"),)


class Cohort(db.Model):
    """A group of officials on one course of one provider."""

    __tablename__ = "cohort"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    name_hi: Mapped[str | None] = mapped_column(String(200))
    course: Mapped[str] = mapped_column(String(200), default="")
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    provider: Mapped[Organisation | None] = relationship()
    enrolments: Mapped[list[Enrolment]] = relationship(back_populates="cohort")


class Enrolment(db.Model):
    """An official in a cohort, with any accommodation (time factor)."""

    __tablename__ = "enrolment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    time_factor: Mapped[float] = mapped_column(Float, default=1.0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    cohort: Mapped[Cohort] = relationship(back_populates="enrolments")
    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),
                      CheckConstraint("time_factor > 0", name="time_factor"))


class Window(db.Model):
    """When an assessment may be sat, and by which cohort."""

    __tablename__ = "window"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_hi: Mapped[str | None] = mapped_column(String(200))
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    access_code_hash: Mapped[str | None] = mapped_column(String(64))
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    assessment: Mapped[Assessment] = relationship()
    cohort: Mapped[Cohort] = relationship()
    proctors: Mapped[list[WindowProctor]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (CheckConstraint("closes_at > opens_at", name="closes_after_opening"),)


class WindowProctor(db.Model):
    __tablename__ = "window_proctor"

    window_id: Mapped[int] = mapped_column(ForeignKey("window.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)

    user: Mapped[User] = relationship()


class Attempt(db.Model):
    """One sitting of an assessment by one official."""

    __tablename__ = "attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("window.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    # Seeds every random choice of this attempt (form draw, item order, CAT randomesque).
    seed: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    admitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    admitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_reason: Mapped[str | None] = mapped_column(String(64))

    # Timing, copied from the assessment and enrolment at creation so later edits of
    # either cannot move a running deadline.
    time_limit_s: Mapped[int] = mapped_column(Integer)
    time_factor: Mapped[float] = mapped_column(Float, default=1.0)
    extra_time_s: Mapped[int] = mapped_column(Integer, default=0)
    pause_policy: Mapped[str] = mapped_column(String(16))
    paused_total_s: Mapped[float] = mapped_column(Float, default=0.0)
    # The part of paused_total_s given back for disconnections (capped by the policy).
    disconnected_total_s: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    stopped_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    current_position: Mapped[int] = mapped_column(Integer, default=0)
    planned_items: Mapped[int] = mapped_column(Integer, default=0)
    # Adaptive or linear attempt that has reached its last item (the stopping rule is met).
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    # Decided at start: {"form": n, "pretest": [{"position", "item_id", "version_id"}]}
    plan: Mapped[dict] = mapped_column(JSON, default=dict)
    theta_current: Mapped[float | None] = mapped_column(Float)
    se_current: Mapped[float | None] = mapped_column(Float)

    client_id: Mapped[str | None] = mapped_column(String(64))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_ip: Mapped[str | None] = mapped_column(String(64))
    last_user_agent: Mapped[str | None] = mapped_column(String(300))

    theta: Mapped[float | None] = mapped_column(Float)
    se: Mapped[float | None] = mapped_column(Float)
    level: Mapped[int | None] = mapped_column(Integer)
    score_method: Mapped[str | None] = mapped_column(String(16))
    raw_score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    parameter_set_id: Mapped[int | None] = mapped_column(ForeignKey("parameter_set.id"))

    window: Mapped[Window] = relationship()
    assessment: Mapped[Assessment] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    items: Mapped[list[AttemptItem]] = relationship(back_populates="attempt",
                                                    order_by="AttemptItem.position")

    __table_args__ = (
        Index("ix_attempt_state_deadline", "state", "deadline_at"),
        CheckConstraint("state IN ('created', 'checked_in', 'in_progress', 'paused', 'submitted', "
                        "'timed_out', 'terminated', 'awaiting_ratings', 'scored', 'voided')", name="state"),
    )

    def __repr__(self) -> str:
        return f"<Attempt {self.id} {self.state}>"


class AttemptItem(db.Model):
    """An item administered in an attempt, with the candidate's answer."""

    __tablename__ = "attempt_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"))
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"))
    position: Mapped[int] = mapped_column(Integer)
    ref: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("item_version.id"))
    scored: Mapped[bool] = mapped_column(Boolean, default=True)
    cell: Mapped[str | None] = mapped_column(String(120))
    presented_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answer: Mapped[object | None] = mapped_column(JSON)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    first_answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    credit: Mapped[float | None] = mapped_column(Float)
    max_credit: Mapped[float | None] = mapped_column(Float)
    category: Mapped[int | None] = mapped_column(Integer)
    # An item model's instance drawn for this attempt (piaa.items.item_models): its template
    # values and correct responses, what the candidate saw and the answer was scored on.
    instance: Mapped[dict | None] = mapped_column(JSON)

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    item: Mapped[Item] = relationship()
    version: Mapped[ItemVersion] = relationship()

    __table_args__ = (
        UniqueConstraint("attempt_id", "ref"),
        UniqueConstraint("attempt_id", "position"),
        Index("ix_attempt_item_exposure", "assessment_id", "item_id"),
    )


class AttemptEvent(db.Model):
    """A proctoring signal or action on an attempt's timeline."""

    __tablename__ = "attempt_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    client_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_attempt_event_attempt", "attempt_id", "at"),
        CheckConstraint("source IN ('client', 'server', 'proctor')", name="source"),
        CheckConstraint("severity IN ('info', 'low', 'medium', 'high')", name="severity"),
    )


# Whether a proctor's warning waits for the candidate. The candidate's calls read it in the
# statement that locks the attempt, so the warnings themselves are asked for only when one
# waits (``piaa.delivery.proctoring.pending_warnings``). Those calls never write warnings,
# so their own flushes need not expire it.
Attempt.warning_pending = column_property(
    exists().where(AttemptEvent.attempt_id == Attempt.id, AttemptEvent.kind == "warning",
                   AttemptEvent.acknowledged_at.is_(None)).correlate_except(AttemptEvent),
    deferred=True, expire_on_flush=False)


class AttemptScore(db.Model):
    """One scoring of an attempt: the first and every rescore, never overwritten."""

    __tablename__ = "attempt_score"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(16))
    theta: Mapped[float | None] = mapped_column(Float)
    se: Mapped[float | None] = mapped_column(Float)
    level: Mapped[int | None] = mapped_column(Integer)
    raw_score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    n_items: Mapped[int] = mapped_column(Integer)
    parameter_set_id: Mapped[int | None] = mapped_column(ForeignKey("parameter_set.id"))
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    # Decision confidence (``piaa.psychometrics.decision``): the probability of each level
    # 0..5 (0: below level 1), of the reported level, of the certifying level or above, and
    # of the level the certificate states or above; None for a practice score.
    level_probabilities: Mapped[list | None] = mapped_column(JSON)
    confidence: Mapped[float | None] = mapped_column(Float)
    certifying_confidence: Mapped[float | None] = mapped_column(Float)
    certified_level: Mapped[int | None] = mapped_column(Integer)
    certified_confidence: Mapped[float | None] = mapped_column(Float)
    # What the score means for a certificate: see ``piaa.delivery.scoring.DECISIONS``.
    decision: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (UniqueConstraint("attempt_id", "number"),
                      CheckConstraint("method IN ('eap', 'classical')", name="method"))


FIRST, SECOND, ADJUDICATION = "first", "second", "adjudication"
RATING_ROUNDS = (FIRST, SECOND, ADJUDICATION)


class ResponseRating(db.Model):
    """One rater's points for one written answer (an attempt item of a human-rated type).

    Rows are never changed: a rater rates an answer once, and the agreed points are worked out
    from the rows (``piaa.delivery.ratings``)."""

    __tablename__ = "response_rating"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_item_id: Mapped[int] = mapped_column(ForeignKey("attempt_item.id", ondelete="CASCADE"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    round: Mapped[str] = mapped_column(String(16))
    points: Mapped[float] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    attempt_item: Mapped[AttemptItem] = relationship()
    rater: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("attempt_item_id", "rater_id"),
        UniqueConstraint("attempt_item_id", "round"),
        CheckConstraint("round IN ('first', 'second', 'adjudication')", name="round"),
        CheckConstraint("points >= 0", name="points_not_negative"),
    )


class ResponseFile(db.Model):
    """A file a candidate gave as an answer (an upload, a drawing), kept with the attempt item
    it answers and shown only to the raters of that answer (``piaa.delivery.uploads``).

    Rows are never changed; a new file is a new row, and the answer names the one it keeps."""

    __tablename__ = "response_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_item_id: Mapped[int] = mapped_column(ForeignKey("attempt_item.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    attempt_item: Mapped[AttemptItem] = relationship()

    __table_args__ = (
        UniqueConstraint("attempt_item_id", "sha256"),
        CheckConstraint("size > 0", name="size_positive"),
    )
