"""The item life cycle: one table of legal moves and one guarded function that makes them.

draft -> in_review -> approved (pretest) -> operational -> retired; a reviewer's return
sends in_review back to draft; revising an approved or operational item makes a new
draft version. Every move writes an audit event. Rules beyond "who may make this move"
(four eyes, comments on a return) live in the service functions below the table.

Items loaded in bulk are inserted already in the target of their creation move
(``creation_move``); ``record_creations`` writes the events ``transition`` would have.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from piaa import audit
from piaa.accounts.models import ADMIN, AUTHOR, PSYCHOMETRICIAN, REVIEWER, User
from piaa.clock import now
from piaa.errors import Conflict, DomainError, Forbidden, Invalid
from piaa.items.models import (APPROVE, APPROVED, DECISIONS, DRAFT, IN_REVIEW, OPERATIONAL, RETIRED,
                               RETURN, Item, ReviewDecision)
from piaa.items.services.access import SYSTEM, require_bank_role, role_of
from piaa.i18n import N_


@dataclass(frozen=True)
class Transition:
    action: str
    source: str | None      # None: the item is being created
    target: str
    roles: frozenset[str]


def _t(action: str, source: str | None, target: str, *roles: str) -> Transition:
    return Transition(action, source, target, frozenset(roles))


TRANSITIONS: tuple[Transition, ...] = (
    _t("create", None, DRAFT, AUTHOR, ADMIN, SYSTEM),
    # Loading a bank as approved/operational skips review: only trusted callers may.
    _t("load", None, APPROVED, ADMIN, PSYCHOMETRICIAN, SYSTEM),
    _t("load", None, OPERATIONAL, ADMIN, PSYCHOMETRICIAN, SYSTEM),
    _t("submit", DRAFT, IN_REVIEW, AUTHOR, ADMIN),
    _t("approve", IN_REVIEW, APPROVED, REVIEWER, ADMIN),
    _t("return", IN_REVIEW, DRAFT, REVIEWER, ADMIN),
    _t("promote", APPROVED, OPERATIONAL, PSYCHOMETRICIAN, ADMIN, SYSTEM),
    _t("revise", APPROVED, DRAFT, AUTHOR, ADMIN),
    _t("revise", OPERATIONAL, DRAFT, AUTHOR, ADMIN),
    _t("retire", DRAFT, RETIRED, AUTHOR, REVIEWER, PSYCHOMETRICIAN, ADMIN, SYSTEM),
    _t("retire", APPROVED, RETIRED, AUTHOR, REVIEWER, PSYCHOMETRICIAN, ADMIN, SYSTEM),
    _t("retire", OPERATIONAL, RETIRED, AUTHOR, REVIEWER, PSYCHOMETRICIAN, ADMIN, SYSTEM),
)


def find_transition(action: str, source: str | None, target: str | None = None) -> Transition | None:
    """The table's entry for doing ``action`` from ``source`` (to ``target`` when several)."""
    for t in TRANSITIONS:
        if t.action == action and t.source == source and (target is None or t.target == target):
            return t
    return None


def allowed_actions(item: Item, user: User | None) -> list[str]:
    """The moves ``user``'s role may make on ``item`` now (for showing buttons)."""
    role = role_of(user)
    return [t.action for t in TRANSITIONS if t.source == item.state and role in t.roles]


def check_move(action: str, source: str | None, actor: User | None, *, code: str = "",
               target: str | None = None) -> Transition:
    """The legal move for ``actor`` doing ``action`` from ``source``.

    :raise Conflict: if the move is not legal from that state.
    :raise Forbidden: if the actor's role may not make it.
    """
    move = find_transition(action, source, target)
    if move is None:
        values = {"code": code, "state": source or "new", "action": action, "target": target}
        raise Conflict(N_("item {code} is {state}: cannot {action} it to {target}") if target
                       else N_("item {code} is {state}: cannot {action} it"), field="state", values=values)
    if role_of(actor) not in move.roles:
        raise Forbidden(N_("the role {role_of} may not {action} items"),
                        values={"role_of": role_of(actor), "action": action})
    return move


def transition(session: Session, item: Item, action: str, *, actor: User | None,
               target: str | None = None, data: dict | None = None) -> Transition:
    """Move ``item`` by ``action``; the only place an item's state is set.

    :raise Conflict: if the move is not legal from the item's state.
    :raise Forbidden: if the actor's role may not make it.
    """
    source = item.state  # None while the item is being created
    move = check_move(action, source, actor, code=item.code, target=target)
    item.state = move.target
    item.updated_at = now()
    session.flush()
    audit.record(session, f"item.{action}", actor=actor, subject_type="item", subject_id=item.id,
                 data={"bank": item.bank_id, "code": item.code, "version": item.current_version,
                       "from": move.source, "to": move.target, **(data or {})})
    return move


def creation_move(state: str, actor: User | None, *, code: str = "") -> Transition:
    """The move that brings a new item into ``state``: create (draft) or load (reviewed).

    :raise Conflict: if no move creates items in that state.
    :raise Forbidden: if the actor's role may not make it.
    """
    return check_move("create" if state == DRAFT else "load", None, actor, code=code, target=state)


def record_creations(session: Session, created: list[tuple[int, str]], move: Transition, *,
                     bank_id: int, actor: User | None) -> None:
    """The audit events of ``move`` for items inserted in bulk at version 1, already in
    ``move.target``: ``created`` lists their ``(id, code)``. The same events ``transition``
    writes for one item, appended with one lock of the chain."""
    audit.record_many(session, [
        audit.Event(f"item.{move.action}", "item", item_id, actor=actor,
                    data={"bank": bank_id, "code": code, "version": 1, "from": move.source,
                          "to": move.target})
        for item_id, code in created])


# --- the moves with their rules ------------------------------------------------------------

def submit_item(session: Session, item: Item, *, actor: User | None) -> Item:
    """Send the current version to review; from now on that version is frozen.

    :raise Forbidden: if the actor does not author for the item's agency.
    :raise Conflict: if the item is not a draft, or its key is missing (an imported item that
        gave none: an author sets it first).
    """
    require_bank_role(actor, item.bank, AUTHOR)
    version = item.current
    if (version.content or {}).get("key_missing"):
        raise Conflict(N_("this item has no key yet: set its key, then send it for review"), field="key")
    if item.state == DRAFT and version.frozen:
        raise Conflict(N_("version {version_number} of item {item_code} was already reviewed; edit the item "
                          "to make a new version, then submit that"), field="state",
                       values={"version_number": version.number, "item_code": item.code})
    transition(session, item, "submit", actor=actor)
    version.frozen_at = now()
    version.submitted_by_id = actor.id if actor else None
    session.flush()
    return item


def review_item(session: Session, item: Item, *, reviewer: User, decision: str,
                comments: str = "") -> ReviewDecision:
    """Approve or return the version under review (four eyes: never one's own).

    :raise Invalid: if the decision is unknown, or a return comes without comments.
    :raise Forbidden: if the reviewer wrote or submitted this version, or works elsewhere.
    :raise Conflict: if the item is not in review.
    """
    if decision not in DECISIONS:
        raise Invalid(N_("decision must be approve or return, got {decision}"), field="decision",
                      values={"decision": repr(decision)})
    comments = (comments or "").strip()
    if decision == RETURN and not comments:
        raise Invalid(N_("say what must change: a return needs comments"), field="comments")
    require_bank_role(reviewer, item.bank, REVIEWER)
    if item.state != IN_REVIEW:
        raise Conflict(N_("item {item_code} is {item_state}, not in review"), field="state",
                       values={"item_code": item.code, "item_state": item.state})
    version = item.current
    if reviewer.id in (version.created_by_id, version.submitted_by_id):
        raise Forbidden(N_("you wrote or submitted version {version_number} of item {item_code}; another "
                           "reviewer must decide on it"), field="reviewer",
                        values={"version_number": version.number, "item_code": item.code})
    action = "approve" if decision == APPROVE else "return"
    row = ReviewDecision(item_version_id=version.id, reviewer_id=reviewer.id, decision=decision,
                         comments=comments, at=now())
    session.add(row)
    session.flush()
    transition(session, item, action, actor=reviewer,
               data={"decision": decision, "comments": comments, "decision_id": row.id})
    return row


def retire_item(session: Session, item: Item, *, actor: User | None, reason: str = "") -> Item:
    """:raise Forbidden: if the actor works for another agency; :raise Conflict: if not retirable."""
    require_bank_role(actor, item.bank, AUTHOR, REVIEWER, PSYCHOMETRICIAN)
    transition(session, item, "retire", actor=actor, data={"reason": reason.strip()} if reason else None)
    return item


def promote_item(session: Session, item: Item, *, actor: User | None) -> Item:
    """Make an approved (pretest) item operational, once it is calibrated.

    Psychometricians promote in every bank, as they read every bank.
    """
    if actor is not None and actor.role not in (PSYCHOMETRICIAN, ADMIN):
        raise Forbidden(N_("the role {actor_role} may not promote items"), values={"actor_role": actor.role})
    transition(session, item, "promote", actor=actor)
    return item


def decisions_for(session: Session, item: Item) -> list[ReviewDecision]:
    """Every review decision on any version of the item, newest first."""
    from piaa.items.models import ItemVersion

    return list(session.scalars(select(ReviewDecision).join(ItemVersion)
                                .where(ItemVersion.item_id == item.id)
                                .order_by(ReviewDecision.id.desc())))


# --- moves in bulk, for a bank's imported drafts ------------------------------------------------

@dataclass
class BulkOutcome:
    """Items moved (codes) and items left as they were, each with the refusal that kept it
    (shown in the reader's language)."""

    moved: list[str]
    skipped: list[tuple[str, DomainError]]


def items_in_state(session: Session, bank_id: int, state: str, item_ids: list[int] | None = None) -> list[Item]:
    """The bank's items in ``state`` (only ``item_ids`` among them, when given), by code."""
    query = select(Item).where(Item.bank_id == bank_id, Item.state == state).order_by(Item.code)
    if item_ids is not None:
        query = query.where(Item.id.in_(item_ids))
    return list(session.scalars(query))


def _one_by_one(session: Session, items: list[Item], move) -> BulkOutcome:
    outcome = BulkOutcome([], [])
    for item in items:
        try:
            with session.begin_nested():
                move(item)
        except (Conflict, Forbidden, Invalid) as error:
            outcome.skipped.append((item.code, error))
        else:
            outcome.moved.append(item.code)
    return outcome


def submit_items(session: Session, items: list[Item], *, actor: User | None) -> BulkOutcome:
    """Send each draft to review; one that cannot go is left, with the reason."""
    return _one_by_one(session, items, lambda item: submit_item(session, item, actor=actor))


def approve_items(session: Session, items: list[Item], *, reviewer: User) -> BulkOutcome:
    """Approve each item in review that ``reviewer`` neither wrote nor submitted (four eyes:
    those are left for another reviewer, and said so)."""
    return _one_by_one(session, items, lambda item: review_item(session, item, reviewer=reviewer,
                                                                decision=APPROVE))


def written_or_submitted_by(item: Item, user: User) -> bool:
    """Whether ``user`` wrote or submitted the item's current version (and so may not review it)."""
    version = item.current
    return user.id in (version.created_by_id, version.submitted_by_id)
