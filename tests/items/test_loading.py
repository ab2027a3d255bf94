"""Loading many items at once stores exactly what creating them one by one stores (rows,
versions, states, audit events), refuses all of them listing every problem, and reports
progress per batch."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from piaa import audit
from piaa.errors import Forbidden, Invalid, NotFound
from piaa.items import services
from piaa.items.models import Item
from piaa.items.services import loading
from tests.items.samples import ITEMS, item

ITEM_COLUMNS = ("code", "type", "competency_id", "level", "sub_area", "state", "current_version",
                "search_text", "created_at", "updated_at")
VERSION_COLUMNS = ("number", "competency_id", "level", "sub_area", "content", "created_by_id",
                   "created_at", "frozen_at", "submitted_by_id")


def stored(session, bank) -> list[tuple]:
    """The bank's items and versions, column by column, in the order they were created."""
    session.expire_all()
    items = session.scalars(select(Item).where(Item.bank_id == bank.id).order_by(Item.id))
    return [(tuple(getattr(i, c) for c in ITEM_COLUMNS),
             [tuple(getattr(v, c) for c in VERSION_COLUMNS) for v in i.versions]) for i in items]


def creation_events(session, bank) -> list[tuple]:
    """The bank's item audit events, the item named by code rather than by id."""
    codes = dict(session.execute(select(Item.id, Item.code).where(Item.bank_id == bank.id)).all())
    events = session.scalars(select(audit.AuditEvent).where(audit.AuditEvent.subject_type == "item")
                             .order_by(audit.AuditEvent.id))
    return [(e.action, e.actor_id, codes[int(e.subject_id)], {**e.data, "bank": "this bank"})
            for e in events if e.data.get("bank") == bank.id]


@pytest.fixture
def twin_banks(session, agency, dictionary):
    """Two empty banks with the same languages: one filled item by item, one in bulk."""
    made = [services.create_bank(session, name=name, organisation=agency, languages=["en", "hi"])
            for name in ("One by one", "In bulk")]
    session.commit()
    return made


@pytest.mark.parametrize("state, role", [("draft", "author"), ("approved", "psychometrician"),
                                         ("operational", None)])
def test_bulk_stores_what_item_by_item_stores(session, twin_banks, make_user, state, role):
    actor = make_user(role=role, organisation="Test Agency") if role else None
    one_by_one, in_bulk = twin_banks
    samples = [ITEMS[kind] for kind in sorted(ITEMS)]
    singles = [services.create_item_from_bank_json(session, one_by_one, data, actor=actor, state=state)
               for data in samples]
    loaded = services.create_items_from_bank_json(session, in_bulk, samples, actor=actor, state=state)
    session.commit()
    assert [i.code for i in loaded] == [i.code for i in singles] == [d["id"] for d in samples]
    assert {i.state for i in loaded} == {state}
    assert stored(session, in_bulk) == stored(session, one_by_one)
    assert creation_events(session, in_bulk) == creation_events(session, one_by_one)
    assert len(creation_events(session, in_bulk)) == len(samples)
    assert audit.verify_chain(session).ok


def test_loaded_items_work_as_created_ones(session, bank, author):
    loaded = services.create_items_from_bank_json(session, bank, [ITEMS["single_choice"]], actor=author)
    session.commit()
    found = services.find_item(session, bank, "SC-1")
    assert loaded == [found] and found.current.content["key"] == "B"
    assert services.item_to_bank_json(found) == ITEMS["single_choice"]
    services.submit_item(session, found, actor=author)
    assert found.state == "in_review" and found.current.frozen


def test_every_problem_of_every_item_is_listed_and_nothing_stored(session, bank, author):
    services.create_item_from_bank_json(session, bank, ITEMS["true_false"], actor=author)
    session.commit()
    events_before = session.scalar(select(func.count(audit.AuditEvent.id)))
    batch = [ITEMS["single_choice"],
             item("multiple_response", competency="FN-NOPE", key=["Z"]),
             ITEMS["true_false"],                                  # already in the bank
             item("ordering", id="SC-1"),                          # the first item's id again
             "not an item",
             item("likert", competency="FN-NOTING", level=9)]
    with pytest.raises(Invalid) as caught:
        services.create_items_from_bank_json(session, bank, batch, actor=author)
    session.rollback()
    where = {(p["item"], p["field"]) for p in caught.value.problems}
    assert where == {("MR-1", "competency"), ("MR-1", "key"), ("TF-1", "id"), ("SC-1", "id"),
                     (None, ""), ("LK-1", "type"), ("LK-1", "level")}
    assert caught.value.message.startswith("5 items have problems: item MR-1: competency: ")
    assert "item 5 of 6 must be a JSON object" in caught.value.message
    assert session.scalar(select(func.count(Item.id))) == 1
    assert session.scalar(select(func.count(audit.AuditEvent.id))) == events_before


@pytest.mark.parametrize("changes", [{"key": "Z"}, {"id": 123, "level": "two"}])
def test_one_bad_item_is_refused_in_the_words_of_the_single_path(session, bank, author, changes):
    bad = item("single_choice", **changes)
    with pytest.raises(Invalid) as one:
        services.create_item_from_bank_json(session, bank, bad, actor=author)
    session.rollback()
    with pytest.raises(Invalid) as many:
        services.create_items_from_bank_json(session, bank, [ITEMS["true_false"], bad], actor=author)
    session.rollback()
    assert (many.value.message, many.value.field, many.value.problems) == \
        (one.value.message, one.value.field, one.value.problems)


def test_a_long_refusal_names_a_few_items_and_lists_all(session, bank, author):
    batch = [item("true_false", id=f"TF-{n}", level=0) for n in range(12)]
    with pytest.raises(Invalid) as caught:
        services.create_items_from_bank_json(session, bank, batch, actor=author)
    assert len(caught.value.problems) == 12
    assert caught.value.message.endswith(f"| and {12 - loading.ITEMS_NAMED} more")


def test_rights_and_states_are_those_of_the_single_path(session, bank, author, make_user):
    with pytest.raises(Forbidden):
        services.create_items_from_bank_json(session, bank, [ITEMS["true_false"]], actor=author,
                                             state="operational")
    with pytest.raises(Forbidden, match="another agency"):
        services.create_items_from_bank_json(session, bank, [ITEMS["true_false"]],
                                             actor=make_user(role="author", organisation="Other Agency"))
    with pytest.raises(NotFound):
        services.create_items_from_bank_json(session, bank, [ITEMS["true_false"]], state="approved",
                                             actor=make_user(role="author", organisation="Elsewhere"))
    with pytest.raises(Invalid, match="loaded as"):
        services.create_items_from_bank_json(session, bank, [ITEMS["true_false"]], state="in_review")
    session.rollback()
    assert session.scalar(select(func.count(Item.id))) == 0


def test_progress_is_reported_after_each_batch(session, bank, author, monkeypatch):
    monkeypatch.setattr(loading, "BATCH_SIZE", 2)
    batch = [item("true_false", id=f"TF-{n}") for n in range(5)]
    seen = []
    loaded = services.create_items_from_bank_json(session, bank, batch, actor=author,
                                                  progress=lambda done, total: seen.append((done, total)))
    session.commit()
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert [i.code for i in loaded] == [f"TF-{n}" for n in range(5)]
    assert [e[2] for e in creation_events(session, bank)] == [f"TF-{n}" for n in range(5)]
    assert audit.verify_chain(session).ok


def test_nothing_to_load_writes_nothing(session, bank, author):
    events_before = session.scalar(select(func.count(audit.AuditEvent.id)))
    assert services.create_items_from_bank_json(session, bank, [], actor=author) == []
    assert session.scalar(select(func.count(audit.AuditEvent.id))) == events_before
