"""Loading many items into a bank at once: a bank import of tens of thousands of rows.

``create_items_from_bank_json`` stores what ``create_item_from_bank_json`` would store for
each item in turn (the same rows, states and audit events), all or nothing, but asks the
database for competencies and taken codes once, checks every item before writing any, and
writes in batches of ``BATCH_SIZE``: one executemany each for items, versions and audit
events, the audit chain extended in memory after one lock of its tail.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from piaa.accounts.models import User
from piaa.clock import now
from piaa.errors import Invalid, listed
from piaa.i18n import N_
from piaa.items.models import DRAFT, Competency, Item, ItemBank, ItemVersion
from piaa.items.services.items import (ITEM_CODE, item_problems, require_creation_rights,
                                       search_text)
from piaa.items.services.workflow import Transition, creation_move, record_creations
from piaa.items.types import get_item_type

BATCH_SIZE = 1000
# A refusal's message names this many items; ``problems`` always lists every one.
ITEMS_NAMED = 5

Progress = Callable[[int, int], None]


def create_items_from_bank_json(session: Session, bank: ItemBank, items: list[dict[str, Any]], *,
                                actor: User | None = None, state: str = DRAFT,
                                progress: Progress | None = None) -> list[Item]:
    """``create_item_from_bank_json`` for every item of ``items``, in order, all or nothing.

    ``progress(done, total)`` is called after each batch of ``BATCH_SIZE`` items is written.
    Returns the new items, in the order given.

    :raise Invalid: listing every problem of every item (item, field, message), before
        anything is written; or if items are not loaded in ``state``.
    :raise Forbidden: if the actor may not author in this bank, or load items in ``state``.
    :raise NotFound: if the actor may not see the bank.
    """
    require_creation_rights(bank, actor, state)
    session.flush()  # a bank created in this transaction gets its id
    records = _competencies(session, items)
    _refuse_if(_refusals(session, bank, items, records))
    move = creation_move(state, actor)
    moment = now()
    created: list[Item] = []
    for start in range(0, len(items), BATCH_SIZE):
        batch = items[start:start + BATCH_SIZE]
        created += _write_batch(session, bank, batch, records, move, actor, moment)
        if progress is not None:
            progress(start + len(batch), len(items))
    return created


# --- checking ------------------------------------------------------------------------------

def _competencies(session: Session, items: list[Any]) -> dict[str, Competency]:
    codes = {i.get("competency") for i in items if isinstance(i, dict)}
    codes = {c for c in codes if isinstance(c, str)}
    if not codes:
        return {}
    return {c.code: c for c in session.scalars(select(Competency).where(Competency.code.in_(codes)))}


def _taken_codes(session: Session, bank: ItemBank) -> set[str]:
    # The bank's codes rather than an IN over the incoming ones: one query whatever the size
    # of the import (SQLite caps the parameters of one statement).
    return set(session.scalars(select(Item.code).where(Item.bank_id == bank.id)))


def _refusals(session: Session, bank: ItemBank, items: list[Any],
              records: dict[str, Competency]) -> list[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    """For each item that cannot be loaded: what a refusal says of it (a text to translate and
    its values), and its problems."""
    taken = _taken_codes(session, bank)
    first_at: dict[str, int] = {}
    refused = []
    for position, data in enumerate(items, start=1):
        if not isinstance(data, dict):
            values = {"position": position, "n_items": len(items)}
            message = N_("item {position} of {n_items} must be a JSON object")
            refused.append((message, values, [{"item": None, "field": "", "message": message.format(**values)}]))
            continue
        code, competency = data.get("id"), data.get("competency")
        record = records.get(competency) if isinstance(competency, str) else None
        found = item_problems(bank, code=code, item_type=data.get("type"), competency=competency,
                              record=record, level=data.get("level"), content=data,
                              sub_area=data.get("sub_area"),
                              taken=isinstance(code, str) and code in taken)
        if isinstance(code, str) and ITEM_CODE.match(code):
            if code in first_at:
                found.append({"item": code, "field": "id",
                              "message": f"id {code} is given to items {first_at[code]} and "
                                         f"{position} of this load"})
            else:
                first_at[code] = position
        if found:
            # Worded as create_item words a refusal of one item.
            refused.append((N_("item {code}: {problems}"), {"code": code, "problems": listed(found)}, found))
    return refused


def _refuse_if(refused: list[tuple[str, dict[str, Any], list[dict[str, Any]]]]) -> None:
    """:raise Invalid: with every problem; the message names the first few items."""
    if not refused:
        return
    found = [p for _, _, problems in refused for p in problems]
    if len(refused) == 1:
        message, values, _ = refused[0]
        raise Invalid(message, field=found[0]["field"] or None, problems=found, values=values)
    said = " | ".join(message.format(**values) for message, values, _ in refused[:ITEMS_NAMED])
    more = len(refused) - ITEMS_NAMED
    raise Invalid(N_("{n_items} items have problems: {said} | and {more} more") if more > 0
                  else N_("{n_items} items have problems: {said}"), field=found[0]["field"] or None,
                  problems=found, values={"n_items": len(refused), "said": said, "more": more})


# --- writing -------------------------------------------------------------------------------

def _write_batch(session: Session, bank: ItemBank, batch: list[dict[str, Any]],
                 records: dict[str, Competency], move: Transition, actor: User | None,
                 moment: datetime) -> list[Item]:
    """Insert one batch's items, their first versions and their creation events."""
    contents = [get_item_type(data["type"]).from_bank_json(data) for data in batch]
    item_rows = [{"bank_id": bank.id, "code": data["id"], "type": data["type"],
                  "competency_id": records[data["competency"]].id, "level": data["level"],
                  "sub_area": data.get("sub_area") or None, "state": move.target,
                  "current_version": 1, "search_text": search_text(data["id"], content),
                  "created_at": moment, "updated_at": moment}
                 for data, content in zip(batch, contents)]
    # A plain executemany (psycopg pipelines it, SQLite loops in C) and one SELECT for the
    # new rows beat INSERT ... RETURNING on both: in parameter order SQLite runs that row by
    # row, and psycopg spends longer parsing multi-row statements than sending rows.
    session.execute(insert(Item.__table__), item_rows)
    codes = [row["code"] for row in item_rows]
    by_code = {item.code: item for item in session.scalars(
        select(Item).where(Item.bank_id == bank.id, Item.code.in_(codes)))}
    created = [by_code[code] for code in codes]
    actor_id = actor.id if actor else None
    frozen_at = None if move.target == DRAFT else moment
    session.execute(insert(ItemVersion.__table__), [
        {"item_id": item.id, "number": 1, "competency_id": row["competency_id"],
         "level": row["level"], "sub_area": row["sub_area"], "content": content,
         "created_by_id": actor_id, "created_at": moment, "frozen_at": frozen_at,
         "submitted_by_id": None}
        for item, row, content in zip(created, item_rows, contents)])
    record_creations(session, [(item.id, item.code) for item in created], move,
                     bank_id=bank.id, actor=actor)
    return created

