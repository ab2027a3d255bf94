"""A composite item (several interactions, one score) in a sitting: its parts reach the candidate
without keys, the answer is one object of part answers, and the item is scored once."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from piaa.delivery.models import AttemptItem
from piaa.items import services as items
from piaa.items.models import OPERATIONAL


COMPOSITE = {"id": "CM-001", "type": "composite", "competency": "FN-NOTING", "level": 3, "sub_area": "writing",
             "stem": {"en": "A receipt is first entered in the ____ (1) and then sent to the ____ (2)."},
             "parts": [{"id": "R1", "label": "1", "type": "single_choice", "inline": True, "points": 1,
                        "options": [{"id": "D", "text": {"en": "section diary"}},
                                    {"id": "C", "text": {"en": "cash book"}}], "key": "D"},
                       {"id": "R2", "label": "2", "type": "text_entry", "points": 2,
                        "accepted": [{"value": "dealing hand", "credit": 1.0}]}]}


def test_a_composite_item_is_answered_part_by_part_through_the_api_and_scored_once(
        app, session, bank, make_assessment, make_window, candidate):
    from tests.delivery.helpers import Sitting, bearer

    items.create_item_from_bank_json(session, bank, COMPOSITE, state=OPERATIONAL)
    session.commit()
    window = make_window(make_assessment(mode="fixed", n_forms=1, blueprint={
        "cells": [{"level": 2, "sub_area": "noting", "count": 1}, {"level": 3, "sub_area": "writing", "count": 1}],
        "tolerance": 0}, purpose="pre_course"))
    client = Sitting(app.test_client(), bearer(session, candidate))
    client.open(window.id)
    client.check_in_and_start()
    shown = client.items()
    (composite,) = [i for i in shown if i["content"]["interaction"] == "composite"]
    assert [p["id"] for p in composite["content"]["parts"]] == ["R1", "R2"]
    assert "dealing hand" not in str(composite) and "key" not in str(composite["content"])
    client.answer(composite["ref"], {"R1": "D", "R2": "wrong office"})
    client.call("PUT", f"/attempts/{client.attempt_id}/responses/{composite['ref']}",
                {"answer": {"R9": "x"}, "seq": 99}, expect=422)
    for other in shown:
        if other is not composite:
            client.answer(other["ref"], "B")
    body = client.submit()
    assert body["attempt"]["state"] == "scored"
    row = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == client.attempt_id,
                                                    AttemptItem.ref == composite["ref"])).one()
    # part 1 right (1 point of 3), part 2 wrong: one third, not full credit
    assert row.credit == pytest.approx(1 / 3) and row.category == 0
