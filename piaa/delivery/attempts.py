"""Attempts: the one transition function, timing bookkeeping, answer capture and resume.

``transition`` is the only place an attempt's state is set. It locks the attempt row on
PostgreSQL (``SELECT ... FOR UPDATE``), refuses moves the table in ``piaa.delivery.states``
does not list, keeps the clock's bookkeeping (pauses given back, deadline) and writes one
audit event per change. Side effects (scoring, certificates) live in the callers
(``finish`` here, and ``piaa.delivery.scoring``), never in the transition itself.

Answers: ``save_answer`` locks the attempt row too, so two tabs answering at once are
serialised per attempt; a ``seq`` lower than or equal to the stored one changes nothing and
returns the stored ``seq``; an answer after the deadline plus grace is refused with a 409.
The caller commits before acknowledging.

The answer and the move to the next item are the calls every candidate makes every few
seconds, so their reads are few and prepared once: an answer reads the token's holder, then
the attempt and the item in one locking statement (the item's version comes from the
process's cache of frozen versions), and writes the contact and the answer outside the
unit of work, as one statement on PostgreSQL (``piaa.delivery.writes``); a move to the next
item writes the attempt, the item left and the next item's new row the same way. An
answer carrying the move (``answer_and_advance``) costs what the move alone does: one lock,
one read of the rows, one write of the answer, the move and the contact together.
``tests/delivery/test_performance_paths.py`` holds these counts.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, joinedload, load_only, undefer

from piaa import audit
from piaa.accounts.models import User
from piaa.clock import as_utc, now
from piaa.delivery import forms, scoring, states
from piaa.delivery.assessments import (check_access_code, enrolment_of, get_window, is_open_at,
                                       planned_length, proctoring_policy)
from piaa.delivery.events import record_event
from piaa.delivery.models import (ADAPTIVE, FIXED, LINEAR, SERVER, Assessment, Attempt, AttemptEvent,
                                  AttemptItem)
from piaa.delivery.timing import CLOCK_STOPS, Timing
from piaa.delivery.writes import write_rows
from piaa.errors import Conflict, Forbidden, Invalid, NotFound
from piaa.items.types import get_item_type
from piaa.i18n import N_

TIME_UP_MESSAGE = N_("Time is up: the deadline for this attempt has passed, so this answer was "
                     "not saved. Every answer saved before the deadline is kept.")


# --- loading and locking -------------------------------------------------------------------

def _locked(query, *also: type, reads: tuple = ()):
    """``query`` on attempts, with the assessment read in the same statement (every rule
    below consults it) and the attempt row locked, with the rows of ``also`` (PostgreSQL;
    SQLite serialises writers itself). ``reads``: loader options that narrow what is read,
    in place of the whole attempt and assessment and whether a warning waits.

    A row read in the locking statement from a table it does not lock may be stale: after
    waiting for the lock, PostgreSQL re-reads only the locked rows at their newest version.
    So every row the caller will compare and write is locked here too (the assessment is
    never written)."""
    reads = reads or (joinedload(Attempt.assessment, innerjoin=True), undefer(Attempt.warning_pending))
    return query.options(*reads).with_for_update(of=[Attempt, *also]).execution_options(populate_existing=True)


# The statements of the candidate's hot paths are built once, with bound parameters:
# building a select with its joins costs more CPU than running it.
_LOCK_ATTEMPT = _locked(select(Attempt).where(Attempt.id == bindparam("attempt_id")))
# What an answer consults of the attempt, its assessment and the item: every column read is
# one the driver describes and the ORM converts, on every answer; any other is loaded when
# first used (``tests/delivery/test_performance_paths.py`` would see that statement).
_ANSWER_READS = (
    load_only(Attempt.user_id, Attempt.assessment_id, Attempt.state, Attempt.seed, Attempt.started_at,
              Attempt.time_limit_s, Attempt.time_factor, Attempt.extra_time_s, Attempt.pause_policy,
              Attempt.paused_total_s, Attempt.stopped_since, Attempt.deadline_at,
              Attempt.current_position, Attempt.client_id, Attempt.last_seen_at, Attempt.last_ip,
              Attempt.last_user_agent),
    joinedload(Attempt.assessment, innerjoin=True).load_only(
        Assessment.mode, Assessment.navigation, Assessment.proctoring),
    load_only(AttemptItem.attempt_id, AttemptItem.position, AttemptItem.ref, AttemptItem.version_id,
              AttemptItem.presented_at, AttemptItem.answer, AttemptItem.seq, AttemptItem.first_answered_at,
              AttemptItem.answered_at, AttemptItem.locked_at, AttemptItem.item_id, AttemptItem.instance))
# What a move to the next item (and its response) consults: all but the attempt's
# scoring and ending columns and the assessment's scoring rules and blueprint.
_MOVE_READS = (
    load_only(Attempt.window_id, Attempt.assessment_id, Attempt.user_id, Attempt.state, Attempt.seed,
              Attempt.language, Attempt.admitted_at, Attempt.started_at, Attempt.time_limit_s,
              Attempt.time_factor, Attempt.extra_time_s, Attempt.pause_policy, Attempt.paused_total_s,
              Attempt.stopped_since, Attempt.deadline_at, Attempt.current_position, Attempt.planned_items,
              Attempt.complete, Attempt.plan, Attempt.theta_current, Attempt.se_current,
              Attempt.client_id, Attempt.last_seen_at, Attempt.last_ip, Attempt.last_user_agent),
    undefer(Attempt.warning_pending),
    joinedload(Attempt.assessment, innerjoin=True).load_only(
        Assessment.code, Assessment.title, Assessment.title_hi, Assessment.competency_id,
        Assessment.bank_id, Assessment.mode, Assessment.navigation, Assessment.proctoring,
        Assessment.languages, Assessment.time_limit_s, Assessment.se_target, Assessment.min_items,
        Assessment.max_items, Assessment.exposure_k, Assessment.cut_scores,
        Assessment.confidence_threshold, Assessment.max_exposure, Assessment.exposure_control))
_LOCK_FOR_MOVE = _locked(select(Attempt).where(Attempt.id == bindparam("attempt_id")), reads=_MOVE_READS)
_LOCK_FOR_ANSWER = _locked(
    select(Attempt, AttemptItem)
    .join(AttemptItem, (AttemptItem.attempt_id == Attempt.id) & (AttemptItem.ref == bindparam("ref")))
    .where(Attempt.id == bindparam("attempt_id")), AttemptItem, reads=_ANSWER_READS)
_ROWS = (select(AttemptItem).where(AttemptItem.attempt_id == bindparam("attempt_id"))
         .order_by(AttemptItem.position))
_ROW_AT = select(AttemptItem).where(AttemptItem.attempt_id == bindparam("attempt_id"),
                                    AttemptItem.position == bindparam("position"))
_ROW_BY_REF = select(AttemptItem).where(AttemptItem.attempt_id == bindparam("attempt_id"),
                                        AttemptItem.ref == bindparam("ref"))
_ANSWERED = select(func.count()).where(AttemptItem.attempt_id == bindparam("attempt_id"),
                                       AttemptItem.answer.is_not(None), AttemptItem.seq > 0)


def lock_attempt(session: Session, attempt_id: int) -> Attempt:
    """The attempt, re-read under a row lock.

    :raise NotFound: if there is no such attempt.
    """
    attempt = session.scalar(_LOCK_ATTEMPT, {"attempt_id": attempt_id})
    if attempt is None:
        raise NotFound(N_("no attempt {attempt_id}"), values={"attempt_id": attempt_id})
    return attempt


def lock_for_answer(session: Session, attempt_id: int, user: User,
                    ref: str) -> tuple[Attempt, AttemptItem, forms.VersionView]:
    """The caller's attempt under its row lock, with the item ``ref``, in one round trip:
    the answer call's whole read (the item's version comes from the process's cache).

    :raise NotFound: if the attempt is not the caller's or has no item ``ref``.
    """
    found = session.execute(_LOCK_FOR_ANSWER, {"attempt_id": attempt_id, "ref": ref}).first()
    if found is None or found.Attempt.user_id != user.id:
        attempt = candidate_attempt(session, attempt_id, user, lock=True)
        raise NotFound(N_("no item {ref} in attempt {attempt_id}"), values={"ref": repr(ref), "attempt_id": attempt.id})
    row = found.AttemptItem
    return found.Attempt, row, forms.version_views(session, [row.version_id])[row.version_id]


def lock_for_move(session: Session, attempt_id: int, user: User) -> Attempt:
    """The caller's attempt under its row lock, read with what a move to the next item
    consults (``_MOVE_READS``).

    :raise NotFound: if there is none, or it belongs to someone else.
    """
    attempt = session.scalar(_LOCK_FOR_MOVE, {"attempt_id": attempt_id})
    if attempt is None or attempt.user_id != user.id:
        raise NotFound(N_("no attempt {attempt_id}"), values={"attempt_id": attempt_id})
    return attempt


def candidate_attempt(session: Session, attempt_id: int, user: User, *, lock: bool = False) -> Attempt:
    """The caller's own attempt.

    :raise NotFound: if there is none, or it belongs to someone else (no hint that it exists).
    """
    attempt = lock_attempt(session, attempt_id) if lock else session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise NotFound(N_("no attempt {attempt_id}"), values={"attempt_id": attempt_id})
    return attempt


# --- timing --------------------------------------------------------------------------------

def heartbeat_timeout(attempt: Attempt) -> timedelta:
    return timedelta(seconds=float(proctoring_policy(attempt.assessment)["heartbeat_timeout_s"]))


def disconnected_since(attempt: Attempt, at: datetime) -> datetime | None:
    """When a running attempt's client went silent, if it has been silent past the timeout."""
    if attempt.state != states.IN_PROGRESS or attempt.last_seen_at is None:
        return None
    last = as_utc(attempt.last_seen_at)
    return last if at - last > heartbeat_timeout(attempt) else None


def timing_of(attempt: Attempt, at: datetime | None = None) -> Timing | None:
    """The attempt's clock (None before it starts). A proctor's pause and an ongoing
    disconnection both stop it under the "clock stops" policy."""
    if attempt.started_at is None:
        return None
    at = at or now()
    stopped, cap = attempt.stopped_since, None
    if stopped is None:
        stopped = disconnected_since(attempt, at)
        cap = disconnection_allowance_s(attempt) if stopped else None
    return Timing(started_at=as_utc(attempt.started_at), time_limit_s=attempt.time_limit_s,
                  time_factor=attempt.time_factor, extra_time_s=attempt.extra_time_s,
                  paused_total_s=attempt.paused_total_s,
                  paused_since=as_utc(stopped) if stopped else None,
                  pause_policy=attempt.pause_policy, paused_since_cap_s=cap)


def disconnection_allowance_s(attempt: Attempt) -> float:
    """Disconnected seconds the sitting may still be given back (the policy's cap per sitting
    less what was given back already)."""
    cap = float(proctoring_policy(attempt.assessment)["max_disconnected_s"])
    return max(cap - (attempt.disconnected_total_s or 0.0), 0.0)


def time_left_s(attempt: Attempt, at: datetime | None = None) -> float | None:
    at = at or now()
    if states.is_finished(attempt.state) or attempt.state == states.VOIDED:
        return 0.0
    timing = timing_of(attempt, at)
    if timing is None:
        return float(attempt.time_limit_s * attempt.time_factor + attempt.extra_time_s)
    return timing.time_left_s(at)


def deadline_of(attempt: Attempt, at: datetime | None = None) -> datetime | None:
    timing = timing_of(attempt, at)
    return timing.deadline(at or now()) if timing else None


def refresh_deadline(attempt: Attempt, at: datetime) -> None:
    attempt.deadline_at = deadline_of(attempt, at)


def _close_stop(attempt: Attempt, at: datetime) -> float:
    """End an ongoing stop of the clock; returns the seconds it lasted."""
    if attempt.stopped_since is None:
        return 0.0
    gap = max((at - as_utc(attempt.stopped_since)).total_seconds(), 0.0)
    attempt.paused_total_s += gap
    attempt.stopped_since = None
    return gap


# --- contact with the candidate's client --------------------------------------------------

@dataclass(frozen=True)
class ClientInfo:
    """Who is on the other end of a candidate request: the client's own id (one per browser
    tab, kept across reloads), its address and user agent."""

    client_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None


def note_contact(session: Session, attempt: Attempt, at: datetime, client: ClientInfo | None) -> None:
    """Book a request from the candidate's client on a locked attempt: give back a
    disconnection under "clock stops", and raise the server's signals (address or browser
    changed, two clients at once).

    :raise Conflict: if the attempt is bound to another device and the policy does not
        allow moving (a proctor's admission frees it).
    """
    gone = disconnected_since(attempt, at)
    if gone is not None:
        gap = (at - gone).total_seconds()
        given = min(gap, disconnection_allowance_s(attempt)) if attempt.pause_policy == CLOCK_STOPS else 0.0
        attempt.paused_total_s += given
        attempt.disconnected_total_s = (attempt.disconnected_total_s or 0.0) + given
        attempt.last_seen_at = at
        refresh_deadline(attempt, at)
        if not session.scalar(select(AttemptEvent.id).where(AttemptEvent.attempt_id == attempt.id,
                                                            AttemptEvent.kind == "heartbeat_lost",
                                                            AttemptEvent.at >= gone).limit(1)):
            record_event(session, attempt.id, SERVER, "heartbeat_lost", at=at,
                         data={"since": gone.isoformat(), "seconds": round(gap, 3)})
        record_event(session, attempt.id, SERVER, "reconnected", at=at,
                     data={"seconds": round(gap, 3), "given_back": attempt.pause_policy == CLOCK_STOPS,
                           "given_back_s": round(given, 3)})
    if client is not None:
        _check_client(session, attempt, at, client)
    attempt.last_seen_at = at


def _check_client(session: Session, attempt: Attempt, at: datetime, client: ClientInfo) -> None:
    policy = proctoring_policy(attempt.assessment)
    recent = attempt.last_seen_at is not None and at - as_utc(attempt.last_seen_at) <= heartbeat_timeout(attempt)
    if client.client_id and attempt.client_id and client.client_id != attempt.client_id:
        other_browser = bool(client.user_agent and attempt.last_user_agent
                             and client.user_agent != attempt.last_user_agent)
        if other_browser and not policy["allow_other_device"] and states.is_open(attempt.state):
            raise Conflict(N_("this attempt is open on another device; ask the proctor to admit you "
                           "on this one"), code="other_device")
        # One flag per episode: two tabs taking turns would otherwise flag every request.
        if recent and not session.scalar(select(AttemptEvent.id).where(
                AttemptEvent.attempt_id == attempt.id, AttemptEvent.kind == "concurrent_session",
                AttemptEvent.at >= at - heartbeat_timeout(attempt)).limit(1)):
            record_event(session, attempt.id, SERVER, "concurrent_session", at=at,
                         data={"other_browser": other_browser})
    if client.ip and attempt.last_ip and client.ip != attempt.last_ip:
        record_event(session, attempt.id, SERVER, "ip_change", at=at,
                     data={"from": attempt.last_ip, "to": client.ip})
    if client.user_agent and attempt.last_user_agent and client.user_agent != attempt.last_user_agent:
        record_event(session, attempt.id, SERVER, "user_agent_change", at=at,
                     data={"from": attempt.last_user_agent[:120], "to": client.user_agent[:120]})
    attempt.client_id = client.client_id or attempt.client_id
    attempt.last_ip = client.ip or attempt.last_ip
    attempt.last_user_agent = (client.user_agent or attempt.last_user_agent or "")[:300] or None


# --- the transition function ---------------------------------------------------------------

_STAMP = {"check_in": "checked_in_at", "start": "started_at", "submit": "ended_at",
          "time_out": "ended_at", "terminate": "ended_at", "score": "scored_at", "void": "voided_at"}


def transition(session: Session, attempt: Attempt, event: str, *, actor: Any,
               reason: str | None = None, data: dict | None = None) -> Attempt:
    """Move ``attempt`` by ``event``: the only place an attempt's state is set.

    :raise Conflict: if the table has no such move from the attempt's (freshly locked) state.
    """
    attempt = lock_attempt(session, attempt.id)
    source = attempt.state
    target = states.target_of(event, source)
    if target is None:
        raise Conflict(N_("attempt {attempt_id} is {source}: cannot {event} it"),
                       field="state", code="illegal_transition",
                       values={"attempt_id": attempt.id, "source": source.replace("_", " "),
                               "event": event.replace("_", " ")})
    at = now()
    details: dict[str, Any] = {"from": source, "to": target, **(data or {})}
    if reason:
        details["reason"] = reason
    if event == "pause":
        # A disconnection already under way is counted up to now; the pause takes over.
        gone = disconnected_since(attempt, at)
        attempt.stopped_since = gone or at
    elif event == "resume" or (states.is_finished(target) and source == states.PAUSED):
        details["paused_s"] = round(_close_stop(attempt, at), 3)
    if event in ("resume", "start"):
        attempt.last_seen_at = at  # the clock runs again from here, not from the last contact
    stamp = _STAMP.get(event)
    if stamp:
        setattr(attempt, stamp, at)
    if event == "terminate" or (event == "void" and attempt.end_reason is None):
        attempt.end_reason = reason
    attempt.state = target
    refresh_deadline(attempt, at)
    if not states.is_open(target):
        attempt.deadline_at = None
    session.flush()
    audit.record(session, f"attempt.{event}", actor=actor, subject_type="attempt",
                 subject_id=attempt.id, data=details)
    return attempt


# --- creating, checking in, starting -------------------------------------------------------

def create_attempt(session: Session, user: User, window_id: int, *, access_code: str | None = None,
                   language: str | None = None) -> Attempt:
    """A new attempt at an open window of the caller's cohort; an open one is returned as is
    (a reload or another device), so creating is safe to retry.

    :raise NotFound: if the window is not one the caller may sit.
    :raise Conflict: if the window is closed or the caller has used up the attempts allowed.
    """
    window = get_window(session, window_id)
    enrolment = enrolment_of(session, window.cohort_id, user.id)
    if enrolment is None:
        raise NotFound(N_("no window {window_id} for you"), values={"window_id": window_id})
    at = now()
    if not is_open_at(window, at):
        raise Conflict(N_("window {window_name} is open from {as_utc} to {as_utc2}; it is not open now"),
                       code="window_closed",
                       values={"window_name": repr(window.name), "as_utc": as_utc(window.opens_at).isoformat(),
                               "as_utc2": as_utc(window.closes_at).isoformat()})
    earlier = list(session.scalars(select(Attempt).where(Attempt.window_id == window.id,
                                                        Attempt.user_id == user.id)
                                   .order_by(Attempt.id)))
    for attempt in earlier:
        if states.is_open(attempt.state):
            return attempt
    if len([a for a in earlier if a.state != states.VOIDED]) >= window.max_attempts:
        raise Conflict(N_("you have used the {max_attempts} attempt(s) this window allows"),
                       code="attempts_used",
                       values={"max_attempts": window.max_attempts})
    check_access_code(window, access_code)
    assessment = window.assessment
    language = language or user.preferred_language
    attempt = Attempt(window_id=window.id, assessment_id=assessment.id, user_id=user.id,
                      state=states.CREATED, seed=secrets.randbits(62),
                      language=language if language in assessment.languages else "en",
                      created_at=at, time_limit_s=assessment.time_limit_s,
                      time_factor=enrolment.time_factor, pause_policy=assessment.pause_policy,
                      planned_items=planned_length(assessment), plan={})
    session.add(attempt)
    session.flush()
    audit.record(session, "attempt.created", actor=user, subject_type="attempt", subject_id=attempt.id,
                 data={"window": window.id, "assessment": assessment.code,
                       "time_factor": enrolment.time_factor})
    return attempt


def check_in(session: Session, attempt: Attempt, user: User, *, identity_confirmed: bool,
             rules_accepted: bool, system_check: dict | None = None) -> Attempt:
    """Identity confirmed and rules accepted: the candidate is checked in.

    :raise Forbidden: if identity or rules were not confirmed.
    """
    if not identity_confirmed or not rules_accepted:
        raise Forbidden(N_("confirm your identity and accept the rules to check in"),
                        field="identity_confirmed" if not identity_confirmed else "rules_accepted")
    attempt = lock_attempt(session, attempt.id)
    if attempt.state != states.CREATED and states.is_open(attempt.state):
        return attempt  # a retried check-in (its reply lost): already done
    return transition(session, attempt, "check_in", actor=user,
                      data={"system_check": system_check or {}})


def start(session: Session, attempt: Attempt, user: User, client: ClientInfo | None = None) -> Attempt:
    """Start the clock and lay out the form (fixed, LOFT) or choose the first item (adaptive).

    :raise Conflict: if a proctor must admit the candidate first, or the window has closed.
    """
    attempt = lock_attempt(session, attempt.id)
    if attempt.state == states.IN_PROGRESS:  # a retried start: the sitting is already running
        return attempt
    assessment = attempt.assessment
    if proctoring_policy(assessment)["require_admission"] and attempt.admitted_at is None \
            and attempt.state == states.CHECKED_IN:
        raise Conflict(N_("wait for the proctor to admit you; the sitting starts after that"),
                       code="awaiting_admission")
    if attempt.state == states.CHECKED_IN and not is_open_at(attempt.window, now()):
        raise Conflict(N_("the window has closed; the sitting cannot start"), code="window_closed")
    attempt = transition(session, attempt, "start", actor=user)
    note_contact(session, attempt, now(), client)
    _lay_out(session, attempt)
    return attempt


def _new_row(attempt: Attempt, position: int, entry: forms.PoolItem, scored: bool,
             presented_at: datetime | None = None) -> AttemptItem:
    # Every column set, so that ``write_rows`` can insert it without the unit of work.
    return AttemptItem(attempt_id=attempt.id, assessment_id=attempt.assessment_id, position=position,
                       ref=secrets.token_urlsafe(12), item_id=entry.item_id, version_id=entry.version_id,
                       scored=scored, cell=entry.cell, seq=0, presented_at=presented_at, answer=None,
                       first_answered_at=None, answered_at=None, locked_at=None, flagged=False,
                       credit=None, max_credit=None, category=None, instance=None)


def _lay_out(session: Session, attempt: Attempt) -> None:
    assessment = attempt.assessment
    seen = forms.seen_item_ids(session, attempt.user_id, assessment.competency_id, attempt.id)
    rng = forms.attempt_rng(attempt, 0)
    plan: dict[str, Any] = {}
    if assessment.mode == ADAPTIVE:
        forms.adaptive_pool(session, assessment)  # refuse to start without calibrated items
        pretest = forms.draw_pretest(session, assessment, seen, rng)
        positions = forms.adaptive_pretest_positions(assessment, len(pretest), rng)
        plan["pretest"] = [{"position": p, "item_id": e.item_id, "version_id": e.version_id,
                            "level": e.level, "sub_area": e.sub_area} for p, e in zip(positions, pretest)]
        # Fixed at start, so each selection need not ask the database again.
        plan["seen"] = sorted(seen)
        attempt.plan = plan
        session.flush()
        first = _next_adaptive_row(session, attempt, position=0)
        if first is None:
            raise Conflict(N_("adaptive assessment {assessment_code} has no item left for this official"),
                           code="pool_exhausted",
                           values={"assessment_code": assessment.code})
        write_rows(session, new=first)
        return
    if assessment.mode == FIXED:
        form, scored = forms.choose_fixed_form(session, assessment, seen, rng)
        plan["form"] = form.number
    else:
        scored = forms.draw_loft_form(session, assessment, seen, rng)
    pretest = forms.draw_pretest(session, assessment, seen | {p.item_id for p in scored}, rng)
    layout = forms.interleave(scored, pretest, rng)
    session.add_all(_new_row(attempt, position, entry, is_scored)
                    for position, (entry, is_scored) in enumerate(layout))
    attempt.plan = plan
    attempt.planned_items = len(layout)
    attempt.current_position = 0
    session.flush()


def _next_adaptive_row(session: Session, attempt: Attempt, position: int,
                       rows: list[AttemptItem] | None = None,
                       presented_at: datetime | None = None,
                       posterior=None) -> AttemptItem | None:
    """The row (not yet written) of the item for ``position``: a seeded pretest item or the
    one the adaptive policy selects; None when the pool has nothing left. ``rows``: the attempt's rows,
    if already read; ``posterior``: of their answers, if already computed (``forms.answers_posterior``)."""
    assessment = attempt.assessment
    for entry in attempt.plan.get("pretest", []):
        if entry["position"] == position:
            pool_item = forms.PoolItem(entry["item_id"], entry["version_id"], entry["level"],
                                       entry["sub_area"])
            return _new_row(attempt, position, pool_item, scored=False, presented_at=presented_at)
    adaptive = forms.adaptive_pool(session, assessment)
    rows = attempt.items if rows is None else rows
    administered = [row.item_id for row in rows]
    plan = attempt.plan
    excluded = (set(plan.get("seen", [])) | set(plan.get("passed_over", []))
                | {e["item_id"] for e in plan.get("pretest", [])})
    theta = attempt.theta_current if attempt.theta_current is not None else 0.0
    answered = [(r.item_id, r.category) for r in rows if r.scored and r.locked_at is not None]
    chosen, passed_over = forms.select_adaptive_item(adaptive, assessment, theta, administered, excluded,
                                                     forms.attempt_rng(attempt, 1, position), answered, posterior)
    if passed_over:
        attempt.plan = {**plan, "passed_over": sorted(set(plan.get("passed_over", [])) | set(passed_over))}
    if chosen is None:
        return None
    return _new_row(attempt, position, chosen, scored=True, presented_at=presented_at)


# --- what the candidate sees ---------------------------------------------------------------

def shows_one_at_a_time(attempt: Attempt) -> bool:
    return attempt.assessment.mode == ADAPTIVE or attempt.assessment.navigation == LINEAR


def visible_items(session: Session, attempt: Attempt,
                  rows: list[AttemptItem] | None = None) -> list[AttemptItem]:
    """The rows the candidate may see now: none unless the attempt is running; the current
    one in adaptive or linear mode; the whole form otherwise. Marks them presented.
    ``rows``: all of the attempt's rows, if the caller holds them (saves reading them)."""
    if attempt.state != states.IN_PROGRESS:
        return []
    if shows_one_at_a_time(attempt):
        if attempt.complete:
            return []
        if rows is None:
            rows = list(session.scalars(_ROW_AT, {"attempt_id": attempt.id,
                                                  "position": attempt.current_position}))
        else:
            rows = [row for row in rows if row.position == attempt.current_position]
    elif rows is None:
        rows = list(session.scalars(_ROWS, {"attempt_id": attempt.id}))
    at = now()
    for row in rows:
        if row.presented_at is None:
            row.presented_at = at
    session.flush()
    return rows


def item_versions(session: Session, attempt: Attempt,
                  rows: list[AttemptItem]) -> dict[int, forms.VersionView]:
    """The versions of ``rows`` by id: from the adaptive pool in adaptive mode, otherwise
    in one query."""
    adaptive = forms.adaptive_pool(session, attempt.assessment) if attempt.assessment.mode == ADAPTIVE else None
    return forms.version_views(session, (row.version_id for row in rows), adaptive)


def candidate_item(attempt: Attempt, row: AttemptItem, language: str | None = None,
                   version: forms.VersionView | None = None) -> dict[str, Any]:
    """One item as the candidate's browser receives it: no key, credit, parameter, item id
    or scored/pretest flag. ``version`` (see ``item_versions``) saves reading the row's
    item and version."""
    if version is None:
        version = forms.VersionView(row.item.type, row.version.content)
    kind = get_item_type(version.item_type)
    content = kind.candidate_view(forms.row_content(attempt, row, version), language or attempt.language,
                                  forms.attempt_rng(attempt, 2, row.position))
    return {"ref": row.ref, "position": row.position, "content": content, "answer": row.answer,
            "seq": row.seq, "flagged": row.flagged, "locked": row.locked_at is not None}


# --- answers -------------------------------------------------------------------------------

@dataclass(frozen=True)
class AnswerReceipt:
    ref: str
    seq: int
    saved: bool  # False: the seq was not newer than the stored one, nothing changed


def _require_running(attempt: Attempt, at: datetime) -> None:
    """:raise Conflict: with a message the candidate can act on, unless answers are taken now."""
    if attempt.state == states.PAUSED:
        raise Conflict(N_("the proctor has paused this attempt; answers are taken again once it resumes"),
                       code="paused")
    if attempt.state != states.IN_PROGRESS:
        if _ended_by_time(attempt):  # closed by a poll or the sweeper: say why
            raise Conflict(TIME_UP_MESSAGE, code="time_up")
        raise Conflict(N_("this attempt is {attempt_state}; it takes no more answers"),
                       code="not_in_progress",
                       values={"attempt_state": attempt.state.replace('_', ' ')})
    if not timing_of(attempt, at).accepts_answer_at(at):
        raise Conflict(TIME_UP_MESSAGE, code="time_up")


def require_answerable(attempt: Attempt, row: AttemptItem, at: datetime) -> None:
    """:raise Conflict: unless the attempt takes an answer to ``row`` now (running, not behind
    the candidate in linear navigation, not final)."""
    _require_running(attempt, at)
    if shows_one_at_a_time(attempt) and row.position != attempt.current_position:
        raise Conflict(N_("this item is behind you: in this assessment answers are final once you "
                       "move on"), code="answer_final")
    if row.locked_at is not None:
        raise Conflict(N_("this answer is final"), code="answer_final")


def _ended_by_time(attempt: Attempt) -> bool:
    """Whether a finished attempt ended because its time was up (timed out, then scored)."""
    if attempt.state not in (states.TIMED_OUT, states.SCORED) or attempt.ended_at is None:
        return False
    ended = as_utc(attempt.ended_at)
    timing = timing_of(attempt, ended)
    return timing is not None and timing.is_overdue(ended)


def _row_by_ref(session: Session, attempt: Attempt, ref: str) -> AttemptItem:
    row = session.scalar(_ROW_BY_REF, {"attempt_id": attempt.id, "ref": ref})
    if row is None:
        raise NotFound(N_("no item {ref} in attempt {attempt_id}"), values={"ref": repr(ref), "attempt_id": attempt.id})
    return row


def _check_seq(seq: Any) -> None:
    """:raise Invalid: if ``seq`` is not a positive whole number."""
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise Invalid(N_("seq must be a whole number of at least 1, got {seq}"), field="seq", values={"seq": repr(seq)})


def save_answer(session: Session, attempt_id: int, user: User, ref: str, answer: Any,
                seq: Any, client: ClientInfo | None = None) -> AnswerReceipt:
    """Store ``answer`` for the item ``ref`` if ``seq`` is newer than the stored one.

    :raise Invalid: if ``seq`` is not a positive whole number or the answer has the wrong shape.
    :raise Conflict: if the attempt is not running, time is up, or the answer is final.
    :raise NotFound: if the attempt or item is not the caller's.
    """
    _check_seq(seq)
    attempt, row, version = lock_for_answer(session, attempt_id, user, ref)
    at = now()
    note_contact(session, attempt, at, client)
    receipt, first = _take_answer(session, attempt, row, version, answer, seq, at)
    write_rows(session, attempt, row)  # the contact and the answer
    if first:
        _flag_fast_answer(session, attempt, row, at)
    session.flush()
    return receipt


def _take_answer(session: Session, attempt: Attempt, row: AttemptItem, version: forms.VersionView,
                 answer: Any, seq: int, at: datetime) -> tuple[AnswerReceipt, bool]:
    """The rules of an answer to ``row`` of a locked attempt whose contact is booked: the
    answer is set on the row (for the caller to write) if ``seq`` is newer than the stored
    one. Returns the receipt and whether this is the row's first answer (then the caller
    checks the reading time).

    :raise Invalid: if the answer has the wrong shape.
    :raise Conflict: if the attempt is not running, time is up, or the answer is final.
    """
    if seq <= row.seq:
        if attempt.state != states.PAUSED:
            _require_running(attempt, at)  # a resend after submit or time-up is told so (409)
        return AnswerReceipt(row.ref, row.seq, False), False
    require_answerable(attempt, row, at)
    kind = get_item_type(version.item_type)
    stored = None if answer is None else kind.check_answer(forms.row_content(attempt, row, version), answer)
    if stored is not None and kind.interaction in ("upload", "drawing"):
        from piaa.delivery.uploads import require_held

        require_held(session, row, stored)
    first = row.first_answered_at is None and stored is not None
    row.answer, row.seq, row.answered_at = stored, seq, at
    if first:
        row.first_answered_at = at
    return AnswerReceipt(row.ref, seq, True), first


# Answers a client may send together: a whole form's answers queued during a dead link.
MAX_ANSWERS_PER_BATCH = 100


def save_answers(session: Session, attempt_id: int, user: User, answers: Any,
                 client: ClientInfo | None = None) -> list[dict[str, Any]]:
    """Store several answers in one unit of work, in the order given, each by the rules of
    ``save_answer`` (its own ``seq``, so a resent batch changes nothing): what a client sends
    after a dead link, so that every queued answer is saved within one round trip.

    Returns one entry per answer, in order: ``{ref, seq, saved}``, or ``{ref, error: {code,
    message}}`` for an answer refused (time up, final, paused, bad shape or seq, no such
    item); the others are stored all the same. Refusals are raised before anything of that
    answer is written, so one refused answer leaves the rest of the batch whole.

    :raise Invalid: if ``answers`` is not a list of at most ``MAX_ANSWERS_PER_BATCH`` objects
        naming an item (``ref``).
    :raise NotFound: if the attempt is not the caller's.
    """
    if not isinstance(answers, list) or not answers or len(answers) > MAX_ANSWERS_PER_BATCH:
        raise Invalid(N_("answers must be a list of 1 to {max_answers_per_batch} answers, got {value}"),
                      field="answers",
                      values={"max_answers_per_batch": MAX_ANSWERS_PER_BATCH,
                              "value": len(answers) if isinstance(answers, list) else type(answers).__name__})
    for i, entry in enumerate(answers):
        if not isinstance(entry, dict) or not isinstance(entry.get("ref"), str) or "answer" not in entry:
            raise Invalid(N_("answers[{i}]: send {{\"ref\": ..., \"answer\": ..., \"seq\": n}}"), field=f"answers[{i}]",
                          values={"i": i})
    candidate_attempt(session, attempt_id, user)  # someone else's attempt: 404 for the whole batch
    results = []
    for entry in answers:
        try:
            receipt = save_answer(session, attempt_id, user, entry["ref"], entry["answer"], entry.get("seq"),
                                  client)
        except (Conflict, Invalid, NotFound) as refused:
            results.append({"ref": entry["ref"], **refused.to_dict()})
        else:
            results.append({"ref": receipt.ref, "seq": receipt.seq, "saved": receipt.saved})
    return results


def _flag_fast_answer(session: Session, attempt: Attempt, row: AttemptItem, at: datetime) -> None:
    if row.presented_at is None:
        return
    spent = (at - as_utc(row.presented_at)).total_seconds()
    floor = float(proctoring_policy(attempt.assessment)["min_reading_s"])
    if spent < floor:
        record_event(session, attempt.id, SERVER, "fast_answer", at=at,
                     data={"position": row.position, "seconds": round(spent, 3), "floor": floor})


def set_flag(session: Session, attempt_id: int, user: User, ref: str, flagged: bool,
             client: ClientInfo | None = None) -> AttemptItem:
    """Mark an item for review (free navigation keeps it for the review page)."""
    attempt = candidate_attempt(session, attempt_id, user, lock=True)
    at = now()
    note_contact(session, attempt, at, client)
    _require_running(attempt, at)
    row = _row_by_ref(session, attempt, ref)
    row.flagged = bool(flagged)
    session.flush()
    return row


def advance(session: Session, attempt_id: int, user: User, ref: str | None = None,
            client: ClientInfo | None = None) -> Attempt:
    """Make the current item's answer final and move to the next one (adaptive or linear).

    ``ref`` names the item being left: a retry of a move already made (same ``ref``, now
    behind) changes nothing, so an offline queue may resend it.

    :raise Conflict: in free navigation, or if the attempt is not running.
    """
    return _advance(session, attempt_id, user, ref, client)[0]


def advance_and_show(session: Session, attempt_id: int, user: User, ref: str | None = None,
                     client: ClientInfo | None = None) -> tuple[Attempt, list[AttemptItem], int]:
    """``advance``, then the rows the candidate sees now (``visible_items``) and how many
    items are answered (``answered_count``), both from the rows the move has already read."""
    attempt, rows = _advance(session, attempt_id, user, ref, client)
    return attempt, visible_items(session, attempt, rows), answered_count(rows)


def answer_and_advance(session: Session, attempt_id: int, user: User, ref: str, answer: Any, seq: Any,
                       client: ClientInfo | None = None
                       ) -> tuple[AnswerReceipt, Attempt, list[AttemptItem], int]:
    """The answer to the item ``ref`` and the move past it, in one unit of work (adaptive
    and linear), so the candidate's client answers and gets the next item in one round trip
    instead of two: the rules of ``save_answer`` and then of ``advance_and_show``, on one
    read of the locked attempt and its rows, with the answer, the move and the contact
    written together.

    Each half keeps its own rules, so the pair is as safe to resend as each call alone: a
    resent pair whose reply was lost finds the answer stored (``seq`` not newer: nothing
    changes) and the item behind (the move is not made twice).

    :raise Conflict: as ``save_answer`` or ``advance`` (free navigation has no next item);
        then neither the answer nor the move is made.
    """
    _check_seq(seq)
    attempt, rows, at = _lock_and_read_rows(session, attempt_id, user, client)
    row = _row_of(attempt, rows, ref)
    version = forms.version_views(session, [row.version_id])[row.version_id]
    receipt, first = _take_answer(session, attempt, row, version, answer, seq, at)
    if first:
        _flag_fast_answer(session, attempt, row, at)
    if not shows_one_at_a_time(attempt):
        raise Conflict(N_("this assessment has free navigation: go to any item directly"),
                       code="free_navigation")
    # A changed row is the current one (an answer behind is refused), which the move writes.
    rows = _move(session, attempt, rows, row, at)
    return receipt, attempt, visible_items(session, attempt, rows), answered_count(rows)


def _lock_and_read_rows(session: Session, attempt_id: int, user: User, client: ClientInfo | None
                        ) -> tuple[Attempt, list[AttemptItem], datetime]:
    """The caller's attempt under its row lock, its contact booked, and all its rows (a
    test's length: one read serves the lookups, θ and the count of answers)."""
    attempt = lock_for_move(session, attempt_id, user)
    at = now()
    note_contact(session, attempt, at, client)
    # The changes so far go to the database together with the rest, in one write.
    with session.no_autoflush:
        rows = list(session.scalars(_ROWS, {"attempt_id": attempt.id}))
    return attempt, rows, at


def _row_of(attempt: Attempt, rows: list[AttemptItem], ref: str) -> AttemptItem:
    """:raise NotFound: if no row of ``rows`` has ``ref``."""
    row = next((r for r in rows if r.ref == ref), None)
    if row is None:
        raise NotFound(N_("no item {ref} in attempt {attempt_id}"), values={"ref": repr(ref), "attempt_id": attempt.id})
    return row


def _advance(session: Session, attempt_id: int, user: User, ref: str | None,
             client: ClientInfo | None) -> tuple[Attempt, list[AttemptItem]]:
    attempt = lock_for_move(session, attempt_id, user)
    if not shows_one_at_a_time(attempt):
        raise Conflict(N_("this assessment has free navigation: go to any item directly"),
                       code="free_navigation")
    at = now()
    note_contact(session, attempt, at, client)
    with session.no_autoflush:
        rows = list(session.scalars(_ROWS, {"attempt_id": attempt.id}))
    row = _row_of(attempt, rows, ref) if ref is not None else None
    return attempt, _move(session, attempt, rows, row, at)


def _move(session: Session, attempt: Attempt, rows: list[AttemptItem], left: AttemptItem | None,
          at: datetime) -> list[AttemptItem]:
    """Make the current item final and move on, on a locked attempt whose contact is booked;
    ``left``: the row the client says it leaves (a retry of a move already made, that row
    now behind, changes nothing). Writes the attempt, the item left and the next one's new
    row; returns ``rows`` with the new row.

    :raise Conflict: if the attempt is not running."""
    if left is not None and (left.position < attempt.current_position or (left.locked_at and attempt.complete)):
        session.flush()
        return rows
    _require_running(attempt, at)
    if attempt.complete:
        return rows
    current = next(r for r in rows if r.position == attempt.current_position)
    current.locked_at = at
    shown = None
    if attempt.assessment.mode == ADAPTIVE:
        shown = _advance_adaptive(session, attempt, current, rows, at)
    elif attempt.current_position + 1 >= attempt.planned_items:
        attempt.complete = True
    else:
        attempt.current_position += 1
    write_rows(session, attempt, current, new=shown)
    if shown is not None:
        rows.append(shown)
    session.flush()  # whatever the move left to the unit of work (nothing, as a rule)
    return rows


def _advance_adaptive(session: Session, attempt: Attempt, current: AttemptItem,
                      rows: list[AttemptItem], at: datetime) -> AttemptItem | None:
    """Score the item being left, re-estimate θ, and choose the next item unless the
    stopping rule ends the test; ``rows`` are all of the attempt's rows. Returns the next
    item's row, for the caller to write with the rest."""
    assessment = attempt.assessment
    with session.no_autoflush:
        adaptive = forms.adaptive_pool(session, assessment)
    if current.scored:
        version = forms.version_views(session, [current.version_id], adaptive)[current.version_id]
        score = get_item_type(version.item_type).score(forms.row_content(attempt, current, version), current.answer)
        current.credit, current.max_credit, current.category = score.credit, score.max_credit, score.category
    answered = [(r.item_id, r.category) for r in rows if r.scored and r.locked_at is not None]
    # One posterior of the answers serves θ̂, the level's confidence and the next selection.
    posterior = forms.answers_posterior(adaptive, answered)
    if current.scored:
        attempt.theta_current, attempt.se_current = forms.current_estimate(adaptive, answered, posterior)
    n_scored = sum(1 for r in rows if r.scored)
    rule = forms.stopping_rule(assessment)
    # The level decided with the assessment's confidence ends the test (after min_items).
    confidence = (None if rule.confidence is None
                  else [forms.level_confidence(adaptive, assessment.cut_scores, answered, posterior)])
    pending_pretest = [e for e in attempt.plan.get("pretest", []) if e["position"] > current.position]
    stop = bool(rule.should_stop([n_scored], [attempt.se_current if attempt.se_current is not None
                                              else float("inf")], confidence)[0])
    next_position = current.position + 1
    if stop and not pending_pretest:
        attempt.complete = True
        return None
    if stop:
        # Only seeded pretest items remain to be given: give them, without more scored items.
        entry = pending_pretest[0]
        attempt.plan = {**attempt.plan, "pretest": [
            {**e, "position": next_position} if e is entry else e for e in attempt.plan["pretest"]]}
    # Shown in this same response, so presented now (visible_items need not write again).
    shown = _next_adaptive_row(session, attempt, next_position, rows, presented_at=at, posterior=posterior)
    if shown is None:
        attempt.complete = True
    else:
        attempt.current_position = next_position
    return shown


# --- finishing -----------------------------------------------------------------------------

def finish(session: Session, attempt: Attempt, event: str, *, actor: Any,
           reason: str | None = None) -> Attempt:
    """End the sitting by ``event`` (submit, time_out, terminate), then score it, or, when
    written answers wait for raters, leave it awaiting their ratings (``piaa.delivery.ratings``)."""
    from piaa.delivery import ratings

    attempt = transition(session, attempt, event, actor=actor, reason=reason)
    if ratings.waits_for_ratings(session, attempt):
        return transition(session, attempt, "await_ratings", actor=None)
    return score_and_close(session, attempt, actor=actor)


def score_and_close(session: Session, attempt: Attempt, *, actor: Any = None) -> Attempt:
    """Score a finished attempt, move it to ``scored`` and issue its certificate if due."""
    scoring.score_attempt(session, attempt, actor=actor)
    attempt = transition(session, attempt, "score", actor=None,
                         data={"theta": attempt.theta, "se": attempt.se, "level": attempt.level,
                               "method": attempt.score_method})
    scoring.issue_certificate_if_due(session, attempt)
    return attempt


def submit(session: Session, attempt_id: int, user: User, client: ClientInfo | None = None) -> Attempt:
    """The candidate submits; after the deadline (plus grace) the server's time-out stands
    instead. Submitting a finished attempt again returns it unchanged (a retried request).

    :raise Conflict: if the attempt was not started or is paused.
    """
    attempt = candidate_attempt(session, attempt_id, user, lock=True)
    if states.is_completed(attempt.state):
        return attempt
    at = now()
    note_contact(session, attempt, at, client)
    if attempt.state == states.PAUSED:
        raise Conflict(N_("the proctor has paused this attempt; submit once it resumes"), code="paused")
    timing = timing_of(attempt, at)
    if timing is not None and not timing.accepts_answer_at(at):
        return finish(session, attempt, "time_out", actor=None, reason="deadline passed")
    return finish(session, attempt, "submit", actor=user)


def close_if_overdue(session: Session, attempt: Attempt, at: datetime | None = None) -> bool:
    """Time out a running attempt past its deadline, or an open one whose window has closed.
    True if it was closed."""
    at = at or now()
    if not states.is_open(attempt.state):
        return False
    timing = timing_of(attempt, at)
    window_closed = at >= as_utc(attempt.window.closes_at)
    # Answers in flight at the deadline still land during the grace; close after it.
    overdue = timing is not None and not timing.accepts_answer_at(at)
    if timing is not None and (overdue or window_closed):
        record_event(session, attempt.id, SERVER, "time_out", at=at, data={"window_closed": not overdue})
        finish(session, attempt, "time_out", actor=None,
               reason="deadline passed" if overdue else "window closed")
        return True
    if timing is None and window_closed:
        transition(session, attempt, "void", actor=None, reason="window closed before the sitting started")
        return True
    return False


def poll(session: Session, attempt_id: int, user: User, client: ClientInfo | None = None) -> Attempt:
    """The caller's attempt after booking the contact and closing it if its time is up
    (the server submits on time-out even if the client never asks)."""
    attempt = candidate_attempt(session, attempt_id, user, lock=True)
    at = now()
    if states.is_open(attempt.state):
        note_contact(session, attempt, at, client)
        close_if_overdue(session, attempt, at)
    session.flush()
    return attempt


def answered_count(rows: list[AttemptItem]) -> int:
    """How many of an attempt's ``rows`` hold an answer: a row's ``seq`` rises above 0 with
    its first saved answer and a saved answer is never SQL NULL (a cleared one is JSON null),
    so this is the count ``status`` would ask the database for."""
    return sum(1 for row in rows if row.seq > 0)


def status(session: Session, attempt: Attempt, at: datetime | None = None,
           answered: int | None = None) -> dict[str, Any]:
    """The attempt as its candidate sees it (JSON-ready); ``answered``: the count of
    answered items, if the caller has it (``answered_count``)."""
    at = at or now()
    deadline = deadline_of(attempt, at) if states.is_open(attempt.state) else None
    if answered is None:
        answered = session.scalar(_ANSWERED, {"attempt_id": attempt.id})
    body: dict[str, Any] = {
        "id": attempt.id, "state": attempt.state, "window_id": attempt.window_id,
        "assessment": {"title": attempt.assessment.title, "title_hi": attempt.assessment.title_hi,
                       "mode": attempt.assessment.mode, "navigation": attempt.assessment.navigation,
                       "languages": attempt.assessment.languages,
                       "time_limit_s": attempt.assessment.time_limit_s},
        "language": attempt.language,
        "deadline": deadline.isoformat() if deadline else None,
        "time_left_s": round(time_left_s(attempt, at), 3),
        "server_time": at.isoformat(),
        "clock_running": attempt.state == states.IN_PROGRESS and timing_of(attempt, at) is not None,
        "admitted": attempt.admitted_at is not None,
        "requires_admission": bool(proctoring_policy(attempt.assessment)["require_admission"]),
        "position": attempt.current_position, "planned_items": attempt.planned_items,
        "answered": answered, "complete": attempt.complete,
        "result": None,
    }
    if attempt.state == states.SCORED:
        body["result"] = scoring.result_of(attempt)
    return body

