"""How a new competency enters the dictionary: the Centre of Excellence (CoE) flow.

An MDO's staff draft a competency (after the duplicate check has shown them the nearest
existing ones); the MDO's leadership forwards it to a CoE reviewer, who consents or returns it
with comments; with consent the MDO's leadership approves it and only then is it written to the
dictionary. The reviewer owns nothing: no move of theirs edits the record or approves it.

``MOVES`` is the one table of legal moves; ``move`` is the one entry point that changes a
proposal's state, and every move is kept (``ProposalMove``) and written to the audit log.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from piaa import audit
from piaa.accounts.models import COE_REVIEWER, MDO, MDO_LEADERSHIP, MDO_STAFF, User
from piaa.clock import now
from piaa.errors import Conflict, Forbidden, Invalid, NotFound, listed
from piaa.items.models import Competency
from piaa.items.services.competencies import check_competency_record, upsert_competency
from piaa.i18n import N_

from .models import (APPROVED, COE_REVIEW, CONSENTED, DRAFT, MDO_SCRUTINY, RETURNED, CompetencyProposal,
                     ProposalMove)


@dataclass(frozen=True)
class Move:
    """A legal move: from a state, by one of ``roles``, to a state."""

    action: str
    source: str
    target: str
    roles: tuple[str, ...]
    needs_comment: bool = False

    @property
    def label(self) -> str:
        """What the button says (English; the page translates it)."""
        return ACTION_LABELS[self.action]


#: The words of each move on buttons and in the history (the stored action stays the code).
ACTION_LABELS = {"submit": N_("Send for scrutiny"), "send_back": N_("Send back to draft"),
                 "forward": N_("Forward to the CoE"), "consent": N_("Consent"), "return": N_("Return with comments"),
                 "resubmit": N_("Resubmit"), "approve": "Approve"}


MOVES: dict[tuple[str, str], Move] = {(m.source, m.action): m for m in (
    Move("submit", DRAFT, MDO_SCRUTINY, (MDO_STAFF,)),
    Move("send_back", MDO_SCRUTINY, DRAFT, (MDO_LEADERSHIP,), needs_comment=True),
    Move("forward", MDO_SCRUTINY, COE_REVIEW, (MDO_LEADERSHIP,)),
    Move("consent", COE_REVIEW, CONSENTED, (COE_REVIEWER,)),
    Move("return", COE_REVIEW, RETURNED, (COE_REVIEWER,), needs_comment=True),
    Move("resubmit", RETURNED, MDO_SCRUTINY, (MDO_STAFF,)),
    Move("approve", CONSENTED, APPROVED, (MDO_LEADERSHIP,)),
)}
EDITABLE_STATES = (DRAFT, RETURNED)
OPEN_STATES = (DRAFT, MDO_SCRUTINY, COE_REVIEW, CONSENTED, RETURNED)


def moves_for(proposal: CompetencyProposal, user: User) -> list[Move]:
    """The moves ``user`` may make on ``proposal`` now (what the page offers as buttons)."""
    return [m for (source, _), m in MOVES.items() if source == proposal.state and _may(user, m, proposal)]


def _may(user: User, move: Move, proposal: CompetencyProposal) -> bool:
    if user.role not in move.roles:
        return False
    # MDO roles act only for their own MDO; the CoE reviewer acts for none, so may only review.
    return user.role == COE_REVIEWER or user.organisation_id == proposal.mdo_id


def may_edit(user: User, proposal: CompetencyProposal) -> bool:
    return (proposal.state in EDITABLE_STATES and user.role == MDO_STAFF
            and user.organisation_id == proposal.mdo_id)


def _check_record(session: Session, record: dict[str, Any], *, proposal_id: int | None = None) -> None:
    found = check_competency_record(record)
    if found:
        raise Invalid(N_("the competency is not complete: {problems}"), field=found[0]["field"], problems=found,
                      values={"problems": listed(found)})
    code = record["code"]
    if session.scalar(select(Competency.id).where(Competency.code == code)) is not None:
        raise Conflict(N_("the dictionary already has a competency {code}"), field="code", values={"code": code})
    other = session.scalar(select(CompetencyProposal.id).where(
        CompetencyProposal.code == code, CompetencyProposal.state.in_(OPEN_STATES),
        CompetencyProposal.id != (proposal_id or 0)))
    if other is not None:
        raise Conflict(N_("competency {code} is already proposed (proposal {other})"), field="code",
                       values={"code": code, "other": other})


def draft_proposal(session: Session, user: User, record: dict[str, Any], *, area: str = "") -> CompetencyProposal:
    """A new draft competency of the user's MDO.

    :raise Forbidden: unless ``user`` is MDO staff of an MDO.
    :raise Invalid: if the record is not a sound dictionary record.
    :raise Conflict: if its code is taken in the dictionary or by an open proposal.
    """
    _check_record(session, record)
    if user.role != MDO_STAFF or user.organisation is None or user.organisation.kind != MDO:
        raise Forbidden(N_("only an MDO's staff draft competencies for it"))
    moment = now()
    proposal = CompetencyProposal(mdo_id=user.organisation_id, code=record["code"], area=area.strip(),
                                  record=record, state=DRAFT, revision=1, created_by_id=user.id,
                                  created_at=moment, updated_at=moment)
    session.add(proposal)
    session.flush()
    audit.record(session, "proposal.drafted", actor=user, subject_type="competency_proposal",
                 subject_id=proposal.id, data={"code": proposal.code, "mdo_id": proposal.mdo_id})
    return proposal


def revise_proposal(session: Session, user: User, proposal: CompetencyProposal, record: dict[str, Any], *,
                    area: str | None = None) -> CompetencyProposal:
    """Change a draft or returned proposal's record.

    :raise Forbidden: unless ``user`` is staff of the owning MDO and the proposal is editable.
    """
    if not may_edit(user, proposal):
        raise Forbidden(
            N_("proposal {proposal_id} is {proposal_state}; only its MDO's staff may edit it, and only as a draft or when returned"),
                        values={"proposal_id": proposal.id, "proposal_state": proposal.state})
    if record.get("code") != proposal.code:
        raise Invalid(N_("the code of a proposal stays {proposal_code}"), field="code",
                      values={"proposal_code": proposal.code})
    _check_record(session, record, proposal_id=proposal.id)
    proposal.record = record
    if area is not None:
        proposal.area = area.strip()
    proposal.updated_at = now()
    session.flush()
    audit.record(session, "proposal.revised", actor=user, subject_type="competency_proposal",
                 subject_id=proposal.id, data={"code": proposal.code, "revision": proposal.revision})
    return proposal


def move(session: Session, user: User, proposal: CompetencyProposal, action: str, *,
         comment: str = "") -> ProposalMove:
    """Make ``action`` on ``proposal``; the only way its state changes.

    :raise Invalid: if ``action`` is not a legal move from the proposal's state, or needs a
        comment and has none.
    :raise Forbidden: if ``user`` may not make it.
    """
    legal = MOVES.get((proposal.state, action))
    if legal is None:
        allowed = sorted(a for (s, a) in MOVES if s == proposal.state)
        raise Invalid(N_("cannot {action} a proposal that is {proposal_state}; legal here: {value}"), field="action",
                      values={"action": action, "proposal_state": proposal.state,
                              "value": ', '.join(allowed) or 'nothing'})
    if not _may(user, legal, proposal):
        raise Forbidden(N_("{action} needs the role {roles}") if user.role == COE_REVIEWER
                        else N_("{action} needs the role {roles} of the owning MDO"),
                        values={"action": action, "roles": list(legal.roles)})
    comment = (comment or "").strip()
    if legal.needs_comment and not comment:
        raise Invalid(N_("say why when you {action}"), field="comment", values={"action": action.replace('_', ' ')})
    if legal.target == APPROVED:
        # The dictionary record is written only now, by the MDO's own leadership.
        upsert_competency(session, proposal.record, actor=user)
        proposal.competency_id = session.scalar(select(Competency.id).where(Competency.code == proposal.code))
    if legal.action == "resubmit":
        proposal.revision += 1
    entry = ProposalMove(action=action, from_state=proposal.state, to_state=legal.target, actor_id=user.id,
                         comment=comment, at=now())
    proposal.moves.append(entry)
    proposal.state = legal.target
    proposal.updated_at = entry.at
    session.flush()
    audit.record(session, f"proposal.{action}", actor=user, subject_type="competency_proposal",
                 subject_id=proposal.id, data={"code": proposal.code, "from": entry.from_state,
                                               "to": entry.to_state, "comment": comment,
                                               "revision": proposal.revision})
    return entry


def get_proposal(session: Session, proposal_id: int) -> CompetencyProposal:
    """:raise NotFound: if there is no such proposal."""
    proposal = session.get(CompetencyProposal, proposal_id)
    if proposal is None:
        raise NotFound(N_("no competency proposal {proposal_id}"), field="proposal",
                       values={"proposal_id": proposal_id})
    return proposal


REVIEWER_STATES = (COE_REVIEW, CONSENTED, RETURNED, APPROVED)


def check_readable(user: User, proposal: CompetencyProposal) -> None:
    """Who reads a proposal is who lists it (:func:`proposals_for`): an MDO's roles their own
    MDO's, the CoE reviewer those that have reached the CoE.

    :raise NotFound: otherwise (as if it did not exist).
    """
    if user.role in (MDO_STAFF, MDO_LEADERSHIP):
        readable = user.organisation_id == proposal.mdo_id
    elif user.role == COE_REVIEWER:
        readable = proposal.state in REVIEWER_STATES
    else:
        readable = True
    if not readable:
        raise NotFound(N_("no competency proposal {proposal_id}"), field="proposal",
                       values={"proposal_id": proposal.id})


def proposals_for(session: Session, user: User) -> list[CompetencyProposal]:
    """What ``user`` works on: a CoE reviewer sees those awaiting or past CoE review; MDO roles
    their own MDO's; others everything."""
    query = select(CompetencyProposal).order_by(CompetencyProposal.updated_at.desc(), CompetencyProposal.id.desc())
    if user.role == COE_REVIEWER:
        query = query.where(CompetencyProposal.state.in_(REVIEWER_STATES))
    elif user.role in (MDO_STAFF, MDO_LEADERSHIP):
        query = query.where(CompetencyProposal.mdo_id == (user.organisation_id or 0))
    return list(session.scalars(query))


def similar_competencies(session: Session, name: str, text: str = "", *, limit: int = 5):
    """The dictionary competencies nearest to a proposed name and text (``similarity.nearest``)."""
    from sqlalchemy.orm import selectinload

    from .similarity import nearest

    candidates = [(c.code, c.name, " ".join([c.name, c.description, *(lvl.descriptor for lvl in c.levels)]))
                  for c in session.scalars(select(Competency).options(selectinload(Competency.levels)))]
    return nearest(name, text, candidates, limit=limit)
