"""Written answers rated by people: the rating queue, double rating with adjudication, and the
attempt scored once its ratings are complete.

An attempt whose scored items include a human-rated type (extended text) with an answer does
not score when the sitting ends: it moves to ``awaiting_ratings`` and its written answers join
the queue of raters (role ``rater``) of the assessment's agency. Raters see the question, the
rubric and the answer, never the candidate nor another rater's points.

* On an ordinary assessment one rating decides.
* On a high-stakes assessment (purpose ``certification``, or one that certifies a level) two
  raters rate each answer independently. When their points differ by no more than the
  assessment's ``rating_tolerance`` the answer earns their mean; otherwise a third rater, who
  rated neither, adjudicates, and the adjudicator's points stand. The adjudicator sees both
  ratings (points and comments, by round, never by rater) before giving the final points: the
  decision is about why they differ, and the raters stay unnamed to each other and to the
  adjudicator, so no rater's standing weighs on it.

When the last answer of an attempt has its agreed points, the attempt is scored as any other
(``piaa.delivery.scoring``) and moves to ``scored``. Every rating, every call for adjudication
and the scoring are written to the audit log.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from piaa import audit
from piaa.accounts.models import User
from piaa.clock import now
from piaa.delivery import states
from piaa.delivery.models import (ADJUDICATION, FIRST, SECOND, Assessment, Attempt, AttemptItem,
                                  ResponseRating)
from piaa.errors import Conflict, Forbidden, Invalid, NotFound
from piaa.items.types import get_item_type
from piaa.i18n import N_

CERTIFICATION = "certification"


def double_rated(assessment: Assessment) -> bool:
    """High-stakes: two raters and adjudication."""
    return assessment.purpose == CERTIFICATION or assessment.certifying_level is not None


def answered(answer: Any) -> bool:
    return answer is not None and not (isinstance(answer, str) and not answer.strip())


def rated_by_people(row: AttemptItem) -> bool:
    """The row's item, or one part of it (a composite's essay), is scored by raters."""
    return get_item_type(row.item.type).rated_by_people(row.version.content)


def written(row: AttemptItem) -> Any:
    """The answer raters rate: the whole answer, or the rated part's."""
    return get_item_type(row.item.type).for_raters(row.version.content, row.answer)[1]


@dataclass(frozen=True)
class Standing:
    """Where one written answer stands: the round it waits for (None: decided) and, once
    decided, the agreed points."""

    needs: str | None
    points: float | None
    ratings: tuple[ResponseRating, ...]


def standing(row: AttemptItem, ratings: list[ResponseRating], assessment: Assessment) -> Standing:
    """The round ``row`` waits for, or its agreed points, from its ``ratings``."""
    by_round = {r.round: r for r in ratings}
    found = tuple(ratings)
    if not answered(written(row)):
        return Standing(None, None, found)
    if FIRST not in by_round:
        return Standing(FIRST, None, found)
    if not double_rated(assessment):
        return Standing(None, by_round[FIRST].points, found)
    if SECOND not in by_round:
        return Standing(SECOND, None, found)
    first, second = by_round[FIRST].points, by_round[SECOND].points
    if abs(first - second) <= assessment.rating_tolerance + 1e-9:
        return Standing(None, (first + second) / 2, found)
    if ADJUDICATION not in by_round:
        return Standing(ADJUDICATION, None, found)
    return Standing(None, by_round[ADJUDICATION].points, found)


def _rated_rows(session: Session, attempt: Attempt) -> list[AttemptItem]:
    """The attempt's scored rows whose items raters score. Their versions' types and content
    come from the process's cache (``forms.version_views``, one query for those it lacks):
    asking each row for its item and version cost two queries per item on every submit."""
    from piaa.delivery.forms import version_views

    rows = list(session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id,
                                                          AttemptItem.scored.is_(True))
                                .order_by(AttemptItem.position)))
    views = version_views(session, [row.version_id for row in rows])
    return [row for row in rows
            if get_item_type(views[row.version_id].item_type).rated_by_people(views[row.version_id].content)]


def _ratings_of(session: Session, row_ids: list[int]) -> dict[int, list[ResponseRating]]:
    found: dict[int, list[ResponseRating]] = {i: [] for i in row_ids}
    if row_ids:
        for rating in session.scalars(select(ResponseRating).where(ResponseRating.attempt_item_id.in_(row_ids))
                                      .order_by(ResponseRating.id)):
            found[rating.attempt_item_id].append(rating)
    return found


def agreed_points(session: Session, attempt: Attempt) -> dict[int, float | None]:
    """Attempt item id -> agreed points of each rated row (None: no answer, nothing to rate).

    :raise Conflict: if any answer still waits for a rating.
    """
    rows = _rated_rows(session, attempt)
    ratings = _ratings_of(session, [r.id for r in rows])
    found = {}
    for row in rows:
        where = standing(row, ratings[row.id], attempt.assessment)
        if where.needs:
            raise Conflict(N_("attempt {attempt_id} position {position} waits for its {needs} rating"),
                           code="awaiting_ratings",
                           values={"attempt_id": attempt.id, "position": row.position, "needs": where.needs})
        found[row.id] = where.points
    return found


def waits_for_ratings(session: Session, attempt: Attempt) -> bool:
    """Some written answer of the attempt has no agreed points yet."""
    rows = _rated_rows(session, attempt)
    ratings = _ratings_of(session, [r.id for r in rows])
    return any(standing(row, ratings[row.id], attempt.assessment).needs for row in rows)


# --- the queue ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueEntry:
    row_id: int
    assessment_code: str
    assessment_title: str
    needs: str
    position: int
    ended_at: Any


def _may_rate(rater: User, assessment: Assessment) -> bool:
    """Raters of an agency rate its assessments; a rater of no agency rates any."""
    return rater.organisation_id is None or assessment.organisation_id in (None, rater.organisation_id)


def queue(session: Session, rater: User, limit: int = 200) -> list[QueueEntry]:
    """The written answers ``rater`` may rate now, oldest sitting first: none the rater has
    rated already, and no adjudication of an answer the rater rated."""
    attempts = session.scalars(select(Attempt).where(Attempt.state == states.AWAITING_RATINGS)
                               .order_by(Attempt.ended_at, Attempt.id))
    entries = []
    for attempt in attempts:
        if not _may_rate(rater, attempt.assessment):
            continue
        rows = _rated_rows(session, attempt)
        ratings = _ratings_of(session, [r.id for r in rows])
        for row in rows:
            where = standing(row, ratings[row.id], attempt.assessment)
            if where.needs and all(r.rater_id != rater.id for r in where.ratings):
                entries.append(QueueEntry(row.id, attempt.assessment.code, attempt.assessment.title,
                                          where.needs, row.position, attempt.ended_at))
        if len(entries) >= limit:
            break
    return entries[:limit]


@dataclass(frozen=True)
class EarlierRating:
    """A rating the adjudicator weighs: its round, points and comment, never its rater."""

    round: str
    points: float
    comment: str | None


@dataclass(frozen=True)
class RatingTask:
    """What a rater sees of one written answer: no candidate; another rater's points and
    comments only in ``earlier``, for the adjudicator (empty in the first and second rounds)."""

    row_id: int
    needs: str
    assessment_title: str
    content: dict[str, Any]
    answer: str
    max_points: int
    earlier: tuple[EarlierRating, ...] = ()
    tolerance: float | None = None


def task(session: Session, rater: User, row_id: int) -> RatingTask:
    """One answer to rate.

    :raise NotFound: if there is no such written answer waiting.
    :raise Forbidden: if ``rater`` may not rate it (another agency, or already rated it).
    """
    row, attempt, where = locate(session, rater, row_id)
    content, answer = get_item_type(row.item.type).for_raters(row.version.content, row.answer)
    earlier: tuple[EarlierRating, ...] = ()
    if where.needs == ADJUDICATION:
        order = {FIRST: 0, SECOND: 1}
        earlier = tuple(EarlierRating(r.round, r.points, r.comment)
                        for r in sorted(where.ratings, key=lambda r: order.get(r.round, 2)) if r.round in order)
    return RatingTask(row.id, where.needs, attempt.assessment.title, content, answer,
                      int(content["max_points"]), earlier,
                      attempt.assessment.rating_tolerance if earlier else None)


def locate(session: Session, rater: User, row_id: int, lock: bool = False):
    row = session.get(AttemptItem, row_id)
    if row is None or not rated_by_people(row):
        raise NotFound(N_("no written answer {row_id}"), values={"row_id": row_id})
    attempt = row.attempt
    if lock:
        from piaa.delivery.attempts import lock_attempt

        attempt = lock_attempt(session, attempt.id)
    if attempt.state != states.AWAITING_RATINGS:
        raise NotFound(N_("written answer {row_id} is not waiting for ratings"), values={"row_id": row_id})
    if not _may_rate(rater, attempt.assessment):
        raise Forbidden(N_("this answer belongs to another agency's assessment"))
    ratings = _ratings_of(session, [row.id])[row.id]
    where = standing(row, ratings, attempt.assessment)
    if where.needs is None:
        raise Conflict(N_("written answer {row_id} has all its ratings"), code="rated", values={"row_id": row_id})
    if any(r.rater_id == rater.id for r in ratings):
        raise Forbidden(N_("you have rated this answer already; another rater takes it from here"))
    return row, attempt, where


def record_rating(session: Session, rater: User, row_id: int, points: Any, comment: str | None = None) -> Attempt:
    """Record ``rater``'s points for the written answer ``row_id`` in the round it waits for;
    score the attempt when it was the last rating it needed. Returns the attempt.

    :raise Invalid: if ``points`` is not a whole number from 0 to the item's maximum.
    :raise NotFound, Forbidden, Conflict: as ``task``.
    """
    row, attempt, where = locate(session, rater, row_id, lock=True)
    top = int(get_item_type(row.item.type).for_raters(row.version.content, row.answer)[0]["max_points"])
    try:
        value = int(str(points).strip())
    except ValueError:
        raise Invalid(N_("points must be a whole number from 0 to {top}, got {points}"), field="points",
                      values={"top": top, "points": repr(points)}) from None
    if not 0 <= value <= top:
        raise Invalid(N_("points must be a whole number from 0 to {top}, got {value}"), field="points",
                      values={"top": top, "value": value})
    rating = ResponseRating(attempt_item_id=row.id, rater_id=rater.id, round=where.needs, points=float(value),
                            comment=(comment or "").strip() or None, rated_at=now())
    session.add(rating)
    session.flush()
    audit.record(session, "rating.recorded", actor=rater, subject_type="attempt", subject_id=attempt.id,
                 data={"attempt_item": row.id, "position": row.position, "round": where.needs,
                       "points": float(value), "max_points": top})
    after = standing(row, list(where.ratings) + [rating], attempt.assessment)
    if after.needs == ADJUDICATION:
        first, second = (r.points for r in sorted(after.ratings, key=lambda r: r.round != FIRST)[:2])
        audit.record(session, "rating.adjudication_needed", actor=None, subject_type="attempt",
                     subject_id=attempt.id, data={"attempt_item": row.id, "first": first, "second": second,
                                                  "tolerance": attempt.assessment.rating_tolerance})
    elif after.needs is None:
        audit.record(session, "rating.agreed", actor=None, subject_type="attempt", subject_id=attempt.id,
                     data={"attempt_item": row.id, "points": after.points,
                           "ratings": [{"round": r.round, "points": r.points} for r in after.ratings]})
    if not waits_for_ratings(session, attempt):
        from piaa.delivery.attempts import score_and_close

        attempt = score_and_close(session, attempt)
    return attempt
