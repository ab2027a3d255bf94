"""Items: creating, checking, editing (in place or as a new version), finding and showing.

The bank JSON of ``item_banks/`` is the exchange form: ``create_item_from_bank_json`` reads
one item of it and ``item_to_bank_json`` writes one, so importers and exporters of other
formats only translate to and from that.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from piaa import audit
from piaa.accounts.models import AUTHOR, User
from piaa.clock import now
from piaa.errors import Conflict, Invalid, NotFound, listed
from piaa.items import item_models
from piaa.items.models import (APPROVED, BEHAVIOURAL, DRAFT, IN_REVIEW, ITEM_STATES, OPERATIONAL,
                               PROFICIENCY_LEVELS, RETIRED, Competency, Item, ItemBank, ItemVersion)
from piaa.items.services.access import can_read_bank, require_bank_role, visible_banks
from piaa.items.services.workflow import creation_move, transition
from piaa.items.types import ITEM_TYPES, get_item_type
from piaa.i18n import N_

ITEM_CODE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
LOADABLE_STATES = (DRAFT, APPROVED, OPERATIONAL)
_UNCHANGED: Any = object()


# --- checking ------------------------------------------------------------------------------

def check_item(session: Session, bank: ItemBank, *, code: Any, item_type: Any, competency: Any,
               level: Any, content: Any, sub_area: Any = None,
               existing: Item | None = None) -> tuple[list[dict[str, Any]], Competency | None]:
    """Every problem with an item for ``bank`` (each with item and field), and its competency.

    Writes nothing, so importers can check a whole bank before loading any of it.
    """
    taken = existing is None and isinstance(code, str) and bool(ITEM_CODE.match(code)) and \
        session.scalar(select(Item.id).where(Item.bank_id == bank.id, Item.code == code)) is not None
    record = session.scalar(select(Competency).where(Competency.code == competency)) \
        if isinstance(competency, str) else None
    return item_problems(bank, code=code, item_type=item_type, competency=competency, record=record,
                         level=level, content=content, sub_area=sub_area, taken=taken), record


def item_problems(bank: ItemBank, *, code: Any, item_type: Any, competency: Any,
                  record: Competency | None, level: Any, content: Any, sub_area: Any = None,
                  taken: bool = False) -> list[dict[str, Any]]:
    """``check_item`` once the database has been asked: ``record`` is the competency found
    for ``competency`` (or None) and ``taken`` says whether the bank already uses ``code``.
    The one set of rules for creating one item and loading many."""
    found: list[dict[str, Any]] = []

    def bad(field_name: str, message: str) -> None:
        found.append({"item": code if isinstance(code, str) else None, "field": field_name,
                      "message": message})

    if not isinstance(code, str) or not ITEM_CODE.match(code):
        bad("id", f"must be 1-64 letters, digits, '.', '-' or '_', got {code!r}")
    elif taken:
        bad("id", f"bank {bank.name!r} already has an item {code}")
    kind = ITEM_TYPES.get(item_type) if isinstance(item_type, str) else None
    if kind is None:
        bad("type", f"unknown item type {item_type!r}; known types: {', '.join(ITEM_TYPES)}")
    if record is None:
        bad("competency", f"no competency with code {competency!r} in the dictionary")
    if isinstance(level, bool) or level not in PROFICIENCY_LEVELS:
        bad("level", f"must be a proficiency level 1 to 5, got {level!r}")
    if sub_area is not None and (not isinstance(sub_area, str) or len(sub_area) > 100):
        bad("sub_area", "must be text of at most 100 characters")
    # situational judgement and Likert scales are behavioural; a rated essay suits any competency
    if kind is not None and record is not None and kind.polytomous and not kind.human_rated \
            and record.type != BEHAVIOURAL:
        bad("type", f"{kind.name} items are for behavioural competencies; "
                    f"{record.code} is {record.type}")
    if not isinstance(content, dict):
        bad("", "item content must be an object")
    elif kind is not None:
        for p in kind.validate(kind.from_bank_json(content), bank.languages):
            bad(p["field"], p["message"])
    return found


def check_bank_item(session: Session, bank: ItemBank, data: Any) -> list[dict[str, Any]]:
    """Problems with one bank-format item (see the module docstring); empty when loadable."""
    if not isinstance(data, dict):
        return [{"field": "", "message": N_("an item must be a JSON object")}]
    found, _ = check_item(session, bank, code=data.get("id"), item_type=data.get("type"),
                          competency=data.get("competency"), level=data.get("level"),
                          sub_area=data.get("sub_area"), content=data)
    return found


def _raise_if(found: list[dict[str, Any]], code: Any) -> None:
    if found:
        raise Invalid(N_("item {code}: {problems}"), field=found[0]["field"] or None, problems=found,
                      values={"code": code, "problems": listed(found)})


def search_text(code: str, content: dict[str, Any]) -> str:
    """The code and every text of the item in every language, case-folded."""
    texts: list[str] = [code]

    def walk(value: Any) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for key, inner in value.items():
                if key not in ("id", "credit", "rationale", "reference"):
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk({k: v for k, v in content.items() if k in ("stem", "options", "accepted", "unit")})
    return "\n".join(texts).casefold()


# --- creating and editing ------------------------------------------------------------------

def require_creation_rights(bank: ItemBank, actor: User | None, state: str) -> None:
    """:raise Invalid: if items cannot be created in ``state``;
    :raise Forbidden: if the actor may not author in this bank;
    :raise NotFound: if the actor may not even see it."""
    if state not in LOADABLE_STATES:
        raise Invalid(N_("items are loaded as {loadable_states}, not {state}"), field="state",
                      values={"loadable_states": ', '.join(LOADABLE_STATES), "state": repr(state)})
    if state == DRAFT:
        require_bank_role(actor, bank, AUTHOR)
    elif actor is not None and not can_read_bank(actor, bank):
        raise NotFound(N_("no item bank {bank_id}"), values={"bank_id": bank.id})


def create_item(session: Session, bank: ItemBank, *, code: str, item_type: str, competency: str,
                level: int, content: dict[str, Any], sub_area: str | None = None,
                actor: User | None = None, state: str = DRAFT) -> Item:
    """A new item with version 1.

    ``content`` is the bank-format item (extra id/type/competency/level fields are ignored).
    ``state`` other than draft loads the item as already reviewed (approved or operational;
    only administrators, psychometricians and the command line may), its version frozen.

    An item whose key is missing (``key_missing``) is always created a draft: it waits for an
    author to set its key.

    :raise Invalid: listing every problem (item, field, message).
    :raise Forbidden: if the actor may not author in this bank.
    """
    if isinstance(content, dict) and content.get("key_missing"):
        state = DRAFT
    require_creation_rights(bank, actor, state)
    found, record = check_item(session, bank, code=code, item_type=item_type, competency=competency,
                               level=level, content=content, sub_area=sub_area)
    _raise_if(found, code)
    move = creation_move(state, actor, code=code)  # before anything joins the session
    kind = get_item_type(item_type)
    content = kind.from_bank_json(content)
    moment = now()
    item = Item(bank=bank, code=code, type=item_type, competency=record, level=level,
                sub_area=sub_area or None, state=None, current_version=1,
                search_text=search_text(code, content), created_at=moment, updated_at=moment)
    version = ItemVersion(number=1, competency=record, level=level, sub_area=sub_area or None,
                          content=content, created_by_id=actor.id if actor else None, created_at=moment,
                          frozen_at=None if state == DRAFT else moment)
    item.versions.append(version)
    session.add(item)
    transition(session, item, move.action, actor=actor, target=state)
    return item


def create_item_from_bank_json(session: Session, bank: ItemBank, data: dict[str, Any], *,
                               actor: User | None = None, state: str = DRAFT) -> Item:
    """``create_item`` from one item of a bank file (``{"id", "type", "competency", ...}``)."""
    if not isinstance(data, dict):
        raise Invalid(N_("an item must be a JSON object"))
    return create_item(session, bank, code=data.get("id"), item_type=data.get("type"),
                       competency=data.get("competency"), level=data.get("level"),
                       sub_area=data.get("sub_area"), content=data, actor=actor, state=state)


def update_item(session: Session, item: Item, *, content: dict[str, Any], actor: User | None,
                competency: str | None = None, level: int | None = None,
                sub_area: Any = _UNCHANGED) -> ItemVersion:
    """Change an item's wording or tagging.

    The author of a draft version that was never submitted edits it in place; any other
    edit makes a new version, and an approved or operational item goes back to draft. An
    edit that changes nothing makes nothing.

    :raise Conflict: if the item is in review or retired.
    :raise Invalid: listing every problem.
    :raise Forbidden: if the actor may not author in this bank.
    """
    require_bank_role(actor, item.bank, AUTHOR)
    if item.state in (IN_REVIEW, RETIRED):
        raise Conflict(N_("item {item_code} is {item_state}; it cannot be edited now"), field="state",
                       values={"item_code": item.code, "item_state": item.state})
    version = item.current
    competency = competency or version.competency.code
    level = version.level if level is None else level
    sub_area = version.sub_area if sub_area is _UNCHANGED else (sub_area or None)
    found, record = check_item(session, item.bank, code=item.code, item_type=item.type,
                               competency=competency, level=level, content=content,
                               sub_area=sub_area, existing=item)
    _raise_if(found, item.code)
    content = get_item_type(item.type).from_bank_json(content)
    if (content, record.id, level, sub_area) == (version.content, version.competency_id,
                                                 version.level, version.sub_area):
        return version
    moment = now()
    actor_id = actor.id if actor else None
    in_place = item.state == DRAFT and not version.frozen and version.created_by_id == actor_id
    if in_place:
        version.content, version.competency, version.level, version.sub_area = content, record, level, sub_area
        version.created_at = moment
    else:
        version = ItemVersion(number=max(v.number for v in item.versions) + 1, competency=record,
                              level=level, sub_area=sub_area, content=content, created_by_id=actor_id,
                              created_at=moment)
        item.versions.append(version)
        item.current_version = version.number
    item.competency, item.level, item.sub_area = record, level, sub_area
    item.search_text = search_text(item.code, content)
    item.updated_at = moment
    session.flush()
    session.expire(item, ["current"])
    audit.record(session, "item.edited", actor=actor, subject_type="item", subject_id=item.id,
                 data={"bank": item.bank_id, "code": item.code, "version": version.number,
                       "in_place": in_place})
    if not in_place and item.state in (APPROVED, OPERATIONAL):
        transition(session, item, "revise", actor=actor)
    return version


# --- finding -------------------------------------------------------------------------------

def get_item(session: Session, item_id: int, user: User | None) -> Item:
    """:raise NotFound: if there is no such item or ``user`` may not see its bank."""
    item = session.get(Item, item_id)
    if item is None or not can_read_bank(user, item.bank):
        raise NotFound(N_("no item {item_id}"), values={"item_id": item_id})
    return item


def find_item(session: Session, bank: ItemBank, code: str) -> Item | None:
    return session.scalar(select(Item).where(Item.bank_id == bank.id, Item.code == code))


@dataclass
class ItemPage:
    items: list[Item]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_items(session: Session, bank: ItemBank, *, competency: str | None = None,
                 level: int | None = None, state: str | None = None, item_type: str | None = None,
                 text: str | None = None, page: int = 1, per_page: int = 50) -> ItemPage:
    """A bank's items filtered by competency code, level, state, type and text, by code.

    :raise Invalid: if a filter value is not one the bank can hold.
    """
    query = select(Item).where(Item.bank_id == bank.id)
    if competency:
        query = query.join(Competency, Item.competency_id == Competency.id).where(Competency.code == competency)
    if level is not None:
        if level not in PROFICIENCY_LEVELS:
            raise Invalid(N_("level must be 1 to 5, got {level}"), field="level", values={"level": repr(level)})
        query = query.where(Item.level == level)
    if state:
        if state not in ITEM_STATES:
            raise Invalid(N_("state must be one of {item_states}, got {state}"), field="state",
                          values={"item_states": ', '.join(ITEM_STATES), "state": repr(state)})
        query = query.where(Item.state == state)
    if item_type:
        get_item_type(item_type)
        query = query.where(Item.type == item_type)
    if text and text.strip():
        query = query.where(Item.search_text.contains(text.strip().casefold(), autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    page = max(1, page)
    items = session.scalars(query.options(selectinload(Item.competency)).order_by(Item.code)
                            .limit(per_page).offset((page - 1) * per_page))
    return ItemPage(list(items), total, page, per_page)


def review_queue(session: Session, user: User) -> list[Item]:
    """Items in review in the banks ``user`` may read, except versions they wrote or submitted."""
    query = (select(Item).join(ItemBank, Item.bank_id == ItemBank.id)
             .join(ItemVersion, (ItemVersion.item_id == Item.id)
                   & (ItemVersion.number == Item.current_version))
             .where(Item.state == IN_REVIEW, visible_banks(user),
                    or_(ItemVersion.created_by_id.is_(None), ItemVersion.created_by_id != user.id),
                    or_(ItemVersion.submitted_by_id.is_(None), ItemVersion.submitted_by_id != user.id))
             .order_by(Item.updated_at, Item.id))
    return list(session.scalars(query))


# --- showing -------------------------------------------------------------------------------

def item_to_bank_json(item: Item, version: ItemVersion | None = None) -> dict[str, Any]:
    """One item in the bank format, at ``version`` (default: the current one)."""
    version = version or item.current
    out: dict[str, Any] = {"id": item.code, "type": item.type, "competency": version.competency.code,
                           "level": version.level}
    if version.sub_area:
        out["sub_area"] = version.sub_area
    body = get_item_type(item.type).to_bank_json(version.content)
    body.pop("type", None)
    out.update(body)
    return out


def candidate_view(version: ItemVersion, lang: str = "en",
                   rng: np.random.Generator | None = None) -> dict[str, Any]:
    """The version as a candidate receives it (no key, credit or rationale); an item model as
    one instance, a new draw each time."""
    content = version.content
    if item_models.is_model(content):
        seed = int((rng or np.random.default_rng()).integers(2 ** 62))
        content, _ = item_models.attempt_content(content, version.item.type, None, [seed, version.item_id])
    return get_item_type(version.item.type).candidate_view(content, lang, rng)
