"""An item model (a QTI item with template processing) in sittings: each attempt draws its own
instance, seeded from the attempt and the item and kept on the administered item; the candidate
sees that instance's values and never its key; the answer is scored on that instance."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from piaa.delivery import attempts
from piaa.delivery.models import AttemptItem
from piaa.items import item_models
from piaa.items import services as items
from piaa.items.importers import qti
from piaa.items.models import OPERATIONAL

MODEL_FILE = Path(__file__).parents[1] / "items" / "fixtures" / "qti" / "v3_item_model.xml"


def _model_item() -> dict:
    item = qti.read_item(MODEL_FILE.read_bytes(), MODEL_FILE.name,
                         {"id": "IM-001", "competency": "FN-NOTING", "level": 3, "sub_area": "arithmetic"}).item
    return item


def _sit(session, candidate, window, answer_model):
    """One sitting: the model answered by ``answer_model(values)`` (its drawn template values),
    the other item "B"."""
    attempt = attempts.create_attempt(session, candidate, window.id)
    attempts.check_in(session, attempt, candidate, identity_confirmed=True, rules_accepted=True)
    attempts.start(session, attempt, candidate)
    session.commit()
    shown = attempts.visible_items(session, attempt)
    versions = attempts.item_versions(session, attempt, shown)
    seen = {}
    for seq, row in enumerate(shown, start=1):
        view = attempts.candidate_item(attempt, row, None, versions[row.version_id])
        if view["content"]["type"] == "numeric_entry":
            seen = view
            values = {k: v["values"][0] for k, v in row.instance["templates"].items()}
            attempts.save_answer(session, attempt.id, candidate, row.ref, answer_model(values), seq)
        else:
            attempts.save_answer(session, attempt.id, candidate, row.ref, "B", seq)
    attempts.submit(session, attempt.id, candidate)
    session.commit()
    row = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id,
                                                    AttemptItem.ref == seen["ref"])).one()
    return attempt, row, seen


def test_two_attempts_draw_their_own_instances_and_are_scored_on_them(
        session, bank, make_assessment, make_window, candidate, cohort, make_user):
    from piaa.delivery import assessments

    other = make_user(role="candidate", organisation="Department of Posts", kind="mdo")
    assessments.enrol(session, cohort, other)
    item = _model_item()
    created = items.create_item_from_bank_json(session, bank, item, state=OPERATIONAL)
    session.commit()
    window = make_window(make_assessment(mode="fixed", n_forms=1, blueprint={
        "cells": [{"level": 2, "sub_area": "noting", "count": 1}, {"level": 3, "sub_area": "arithmetic", "count": 1}],
        "tolerance": 0}, purpose="pre_course"))

    def right(values):
        return int(values["FILES"]) // int(values["DAYS"])

    first, first_row, first_view = _sit(session, candidate, window, right)
    second, second_row, second_view = _sit(session, other, window, lambda values: right(values) + 1)

    # Each attempt's instance is the draw seeded from its own seed and the item, kept on the row.
    content = {k: v for k, v in item.items() if k not in ("id", "type", "competency", "level", "sub_area")}
    assert first_row.instance == item_models.draw(content, [first.seed, created.id])
    assert second_row.instance == item_models.draw(content, [second.seed, created.id])
    assert first_row.instance != second_row.instance
    # The candidate saw the drawn values, no markers, and nothing of the key or the processing.
    for row, view in ((first_row, first_view), (second_row, second_view)):
        files = row.instance["templates"]["FILES"]["values"][0]
        text = str(view["content"])
        assert f"clear {files} files" in text and "{{" not in text
        assert "scoring" not in view["content"] and "key" not in view["content"] and "qti-" not in text
    # Scored on the attempt's own instance: the right answer for it earns full credit, and an
    # answer right for the other instance would not.
    assert (first_row.credit, first_row.category) == (1.0, 1)
    assert (second_row.credit, second_row.category) == (0.0, 0)
    # Rescoring reads the stored instance again: the same scores.
    from piaa.delivery.scoring import score_rows

    rescored = {r.id: r.credit for r in score_rows(session, first)}
    assert rescored[first_row.id] == 1.0
