"""Workplace (360-degree) assessments: opening a round, nominating and inviting raters, taking
their ratings by link, summarising them under the anonymity rule, and the official's competency
profile with the proctored level beside the workplace rating (never mixed into it).

Anonymity: peer and report ratings are shown only as the mean of at least ``MIN_GROUP`` raters
of that relation; a smaller group is left out of every figure shown (also out of the combined
rating and its agreement), so two peers can never be read back from a total. The supervisor's
rating is shown as the supervisor's; the official's own rating is shown beside, not pooled.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from piaa import audit
from piaa.accounts.models import ADMIN, MDO_LEADERSHIP, MDO_STAFF, User
from piaa.clock import now
from piaa.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, found_problem
from piaa.frac.held import Held, held_levels
from piaa.frac.positions import current_assignment
from piaa.items.models import PROFICIENCY_LEVELS, Competency
from piaa.reports.models import Official
from piaa.i18n import N_

from . import invitations
from .agreement import LOW_AGREEMENT, r_wg
from .models import PEER, RELATIONS, REPORT, SELF, SUPERVISOR, WorkplaceAssessment, WorkplaceRater, WorkplaceRating

MIN_GROUP = 3
NOT_OBSERVED = "not_observed"


class LinkGone(DomainError):
    """A genuine rating link that no longer works: expired, or replaced by a newer one."""

    status = 410
    code = "link_gone"


# --- opening and inviting ----------------------------------------------------------------------

def may_manage(user: User, assessment: WorkplaceAssessment, session: Session) -> bool:
    """The official, their MDO's staff and leadership, and administrators."""
    if user.role == ADMIN or user.id == assessment.official_id:
        return True
    if user.role in (MDO_STAFF, MDO_LEADERSHIP) and user.organisation_id is not None:
        official = session.get(Official, assessment.official_id)
        return official is not None and official.mdo_id == user.organisation_id
    return False


def open_assessment(session: Session, official: User, *, actor: User) -> WorkplaceAssessment:
    """A round on the competencies the official's current position requires.

    :raise Invalid: if the official holds no position, or it requires no competency.
    :raise Forbidden: unless ``actor`` is the official, staff of their MDO or an administrator.
    """
    assignment = current_assignment(session, official)
    version = assignment.position.approved if assignment else None
    if version is None or not version.requirements:
        raise Invalid(N_("{official_name} holds no position with required competencies yet"), field="official",
                      values={"official_name": official.name})
    assessment = WorkplaceAssessment(official_id=official.id, position_version_id=version.id,
                                     competency_ids=[r.competency_id for r in version.requirements],
                                     opened_by_id=actor.id, opened_at=now())
    if not may_manage(actor, assessment, session):
        raise Forbidden(N_("only the official, their MDO's staff or an administrator open a workplace assessment"))
    session.add(assessment)
    session.flush()
    audit.record(session, "workplace.opened", actor=actor, subject_type="workplace_assessment",
                 subject_id=assessment.id, data={"official_id": official.id, "competencies": assessment.competency_ids})
    return assessment


@dataclass(frozen=True)
class Invitation:
    """What is sent to a rater: the link carries the only copy of the token."""

    rater: WorkplaceRater
    token: str
    to: str
    expires_at: datetime


def nominate(session: Session, assessment: WorkplaceAssessment, *, relation: str, name: str, email: str,
             actor: User) -> Invitation:
    """Nominate a rater and make their invitation (sending it is the caller's, after commit).

    :raise Invalid: for an unknown relation, a missing name or e-mail, a second supervisor or
        self-rater, or a closed round.
    :raise Conflict: if the e-mail is already nominated in this round.
    """
    if not may_manage(actor, assessment, session):
        raise Forbidden(N_("only the official, their MDO's staff or an administrator nominate raters"))
    if assessment.closed_at is not None:
        raise Invalid(N_("this workplace assessment is closed"), field="assessment")
    if relation not in RELATIONS:
        raise Invalid(N_("relation must be one of {relations}, got {relation}"), field="relation",
                      values={"relations": ', '.join(RELATIONS), "relation": repr(relation)})
    name, email = (name or "").strip(), (email or "").strip().lower()
    if not name or "@" not in email:
        raise Invalid(N_("a rater needs a name and an e-mail address"), field="email" if name else "name")
    if relation in (SUPERVISOR, SELF) and any(r.relation == relation for r in assessment.raters):
        raise Invalid(N_("a round has one {relation} rating"), field="relation", values={"relation": relation})
    if any(r.email == email for r in assessment.raters):
        raise Conflict(N_("{email} is already nominated"), field="email", values={"email": email})
    user_id = session.scalar(select(User.id).where(User.email == email))
    # The token is signed for the rater's id: a placeholder hash until the row has one.
    rater = WorkplaceRater(relation=relation, name=name, email=email, user_id=user_id,
                           token_hash=invitations.token_hash(secrets.token_urlsafe(24)), invited_at=now())
    assessment.raters.append(rater)
    session.flush()
    invitation = _new_link(rater)
    audit.record(session, "workplace.invited", actor=actor, subject_type="workplace_assessment",
                 subject_id=assessment.id, data={"rater_id": rater.id, "relation": relation})
    return invitation


def _new_link(rater: WorkplaceRater) -> Invitation:
    token, expires_at = invitations.issue_token(rater.id)
    rater.token_hash, rater.expires_at = invitations.token_hash(token), expires_at
    return Invitation(rater, token, rater.email, expires_at)


def resend(session: Session, rater: WorkplaceRater, *, actor: User) -> Invitation:
    """A new link for a rater who has not rated yet; the old link stops working.

    :raise Forbidden: unless ``actor`` manages the round.
    :raise Conflict: if the rater has already rated or the round is closed.
    """
    if not may_manage(actor, rater.assessment, session):
        raise Forbidden(N_("only the official, their MDO's staff or an administrator resend invitations"))
    if rater.submitted_at is not None or rater.assessment.closed_at is not None:
        raise Conflict(N_("{email} has already rated") if rater.submitted_at else N_("the round is closed"),
                       values={"email": rater.email})
    invitation = _new_link(rater)
    session.flush()
    audit.record(session, "workplace.reinvited", actor=actor, subject_type="workplace_assessment",
                 subject_id=rater.assessment_id, data={"rater_id": rater.id})
    return invitation


def record_sending(session: Session, rater: WorkplaceRater, error: str | None = None) -> None:
    """Note that the newest invitation went out (or why it did not)."""
    if error is None:
        rater.sent_at, rater.send_error = now(), None
        rater.send_count = (rater.send_count or 0) + 1
    else:
        rater.send_error = error[:500]
    session.flush()


def get_rater(session: Session, rater_id: int, assessment: WorkplaceAssessment | None = None) -> WorkplaceRater:
    """:raise NotFound: if there is no such rater (in ``assessment``, when given)."""
    found = session.get(WorkplaceRater, rater_id)
    if found is None or (assessment is not None and found.assessment_id != assessment.id):
        raise NotFound(N_("no rater {rater_id}") if assessment is None else N_("no rater {rater_id} in this round"),
                       field="rater", values={"rater_id": rater_id})
    return found


def rater_for_token(session: Session, token: str) -> WorkplaceRater:
    """The rater a link was made for.

    :raise NotFound: if the token is not one of ours (forged, mangled or guessed).
    :raise LinkGone: if it has expired, or a newer link has replaced it.
    """
    try:
        rater_id = invitations.read_token(token)
    except invitations.LinkExpired:
        raise LinkGone(N_("this rating link has expired; ask for a new one"), field="token") from None
    rater = session.get(WorkplaceRater, rater_id) if rater_id is not None else None
    if rater is None:
        raise NotFound(N_("this rating link is not known; ask for a new one"), field="token")
    if rater.token_hash != invitations.token_hash(token):
        raise LinkGone(N_("a newer link has replaced this one; use the newest e-mail"), field="token")
    return rater


def may_rate_as(user: User, rater: WorkplaceRater) -> bool:
    """A signed-in rater rates the requests made to their own address."""
    return rater.user_id == user.id or rater.email == (user.email or "").lower()


def create_rater_account(session: Session, rater: WorkplaceRater, *, password: str) -> User:
    """A workplace-rater account for the invited address, from the invitation; every request
    to that address is then theirs to rate when signed in.

    :raise Conflict: if the address already has an account (sign in instead).
    """
    from piaa.accounts.models import WORKPLACE_RATER
    from piaa.accounts.services import create_user

    if rater.user_id is not None or session.scalar(select(User.id).where(User.email == rater.email)):
        raise Conflict(N_("{rater_email} already has an account: sign in with it"), field="email",
                       values={"rater_email": rater.email})
    user = create_user(session, email=rater.email, name=rater.name, role=WORKPLACE_RATER, password=password)
    for other in session.scalars(select(WorkplaceRater).where(WorkplaceRater.email == rater.email)):
        other.user_id = user.id
    session.flush()
    return user


def rating_sheet(session: Session, rater: WorkplaceRater) -> list[Competency]:
    """The competencies to rate, with their level descriptors (the behavioural anchors)."""
    ids = rater.assessment.competency_ids
    found = {c.id: c for c in session.scalars(select(Competency).where(Competency.id.in_(ids))
                                              .options(selectinload(Competency.levels)))}
    return [found[i] for i in ids if i in found]


def submit_ratings(session: Session, rater: WorkplaceRater, answers: dict[int, Any],
                   comments: dict[int, str] | None = None) -> list[WorkplaceRating]:
    """Record a rater's ratings: for each competency a level 1-5 or ``"not_observed"``.

    :raise Conflict: if the rater has already submitted, or the round is closed.
    :raise Invalid: naming every competency left unanswered or answered with no level.
    """
    if rater.submitted_at is not None or rater.assessment.closed_at is not None:
        raise Conflict(N_("these ratings were already submitted") if rater.submitted_at else N_("the round is closed"))
    sheet = rating_sheet(session, rater)
    problems, levels = [], {}
    for competency in sheet:
        raw = answers.get(competency.id)
        if raw == NOT_OBSERVED:
            levels[competency.id] = None
            continue
        try:
            level = int(raw)
        except (TypeError, ValueError):
            level = None
        if level not in PROFICIENCY_LEVELS:
            problems.append(found_problem(N_("{competency}: choose a level 1 to 5 or 'not observed'"),
                                          {"competency": competency.name}, field=f"competency-{competency.id}"))
        levels[competency.id] = level
    if problems:
        raise Invalid(N_("{n_problems} competencies still need a rating"), problems=problems,
                      field=problems[0]["field"],
                      values={"n_problems": len(problems)})
    rows = [WorkplaceRating(competency_id=cid, level=level, comment=((comments or {}).get(cid) or "").strip())
            for cid, level in levels.items()]
    rater.ratings.extend(rows)
    rater.submitted_at = now()
    session.flush()
    audit.record(session, "workplace.rated", actor=rater.user_id, subject_type="workplace_assessment",
                 subject_id=rater.assessment_id, data={"rater_id": rater.id})
    return rows


# --- summaries ---------------------------------------------------------------------------------

@dataclass
class GroupFigure:
    """Ratings of one relation: ``mean`` is None when hidden (fewer than ``MIN_GROUP``)."""

    relation: str
    n: int
    mean: float | None

    @property
    def hidden(self) -> bool:
        return self.mean is None and self.n > 0


@dataclass
class CompetencySummary:
    competency: Competency
    supervisor: int | None = None
    self_rating: int | None = None
    groups: dict[str, GroupFigure] = field(default_factory=dict)
    rating: float | None = None      # mean of the ratings that may be shown (self excluded)
    n_raters: int = 0
    agreement: float | None = None   # r_wg over those ratings
    low_agreement: bool = False
    not_observed: int = 0


def summarise(session: Session, assessment: WorkplaceAssessment) -> list[CompetencySummary]:
    """Per competency of the round, what may be shown (see the module docstring)."""
    submitted = [r for r in assessment.raters if r.submitted_at is not None]
    competencies = {c.id: c for c in session.scalars(select(Competency).where(
        Competency.id.in_(assessment.competency_ids)))}
    out = []
    for cid in assessment.competency_ids:
        if cid not in competencies:
            continue
        by_relation: dict[str, list[int]] = {rel: [] for rel in RELATIONS}
        summary = CompetencySummary(competencies[cid])
        for rater in submitted:
            rating = next((x for x in rater.ratings if x.competency_id == cid), None)
            if rating is None:
                continue
            if rating.level is None:
                summary.not_observed += 1
            else:
                by_relation[rater.relation].append(rating.level)
        summary.supervisor = by_relation[SUPERVISOR][0] if by_relation[SUPERVISOR] else None
        summary.self_rating = by_relation[SELF][0] if by_relation[SELF] else None
        pooled = list(by_relation[SUPERVISOR])
        for relation in (PEER, REPORT):
            values = by_relation[relation]
            shown = len(values) >= MIN_GROUP
            summary.groups[relation] = GroupFigure(relation, len(values), float(np.mean(values)) if shown else None)
            if shown:
                pooled.extend(values)
        if pooled:
            summary.rating, summary.n_raters = float(np.mean(pooled)), len(pooled)
            if len(pooled) >= 2:
                summary.agreement = float(r_wg(np.array(pooled, dtype=float)[:, None])[0])
                summary.low_agreement = summary.agreement < LOW_AGREEMENT
        out.append(summary)
    return out


def latest_assessment(session: Session, official: User) -> WorkplaceAssessment | None:
    return session.scalar(select(WorkplaceAssessment).where(WorkplaceAssessment.official_id == official.id)
                          .order_by(WorkplaceAssessment.opened_at.desc(), WorkplaceAssessment.id.desc()).limit(1))


def get_assessment(session: Session, assessment_id: int) -> WorkplaceAssessment:
    """:raise NotFound: if there is no such round."""
    found = session.get(WorkplaceAssessment, assessment_id)
    if found is None:
        raise NotFound(N_("no workplace assessment {assessment_id}"), field="assessment",
                       values={"assessment_id": assessment_id})
    return found


@dataclass
class ProfileRow:
    competency: Competency
    required: int
    proctored: Held | None
    workplace: CompetencySummary | None

    @property
    def gap(self) -> int:
        """Levels the proctored result falls short of the requirement (no result: all of it)."""
        return max(self.required - (self.proctored.level if self.proctored else 0), 0)


def competency_profile(session: Session, official: User) -> list[ProfileRow]:
    """Per competency of the official's current position: required level, proctored level (date,
    SE), workplace rating (rater count, agreement), and the gap, which the proctored level alone
    decides."""
    assignment = current_assignment(session, official)
    version = assignment.position.approved if assignment else None
    if version is None:
        return []
    codes = [r.competency.code for r in version.requirements]
    held = held_levels(session, [official.id], codes)
    latest = latest_assessment(session, official)
    workplace = {s.competency.id: s for s in summarise(session, latest)} if latest else {}
    return [ProfileRow(r.competency, r.level, held.get((official.id, r.competency.code)),
                       workplace.get(r.competency_id)) for r in version.requirements]
