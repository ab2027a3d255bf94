"""Nothing a candidate's client receives holds a key, a scoring rule, an IRT parameter,
a rationale or an item not administered to that candidate: every candidate-facing response
of whole sittings in every mode is scanned."""
import json

import pytest
from sqlalchemy import select

from piaa.delivery.models import AttemptItem
from piaa.items.calibration_models import ItemParameter
from piaa.items.models import Item
from tests.delivery.conftest import SLOPE_DIGITS
from tests.delivery.helpers import Sitting, bearer

# Field names that carry keys, scoring rules, parameters or internal identities.
FORBIDDEN_FIELDS = {"key", "credit", "accepted", "tolerance", "partial_credit", "rationale", "reference",
                    "params", "parameters", "parameter_set_id", "a", "b", "c", "d", "item_id", "version_id",
                    "scored", "category", "max_credit", "code", "exposure_k", "cut_scores", "seed", "plan"}


def field_names(value):
    if isinstance(value, dict):
        for name, inner in value.items():
            yield name
            yield from field_names(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from field_names(inner)


def scan(session, sitting):
    texts = [body.decode() for _, body in sitting.received]
    shown = set(session.scalars(select(AttemptItem.item_id).where(AttemptItem.attempt_id == sitting.attempt_id,
                                                                  AttemptItem.presented_at.is_not(None))))
    everything = list(session.scalars(select(Item)))
    parameters = list(session.scalars(select(ItemParameter)))
    for (call, body), text in zip(sitting.received, texts):
        found = set(field_names(json.loads(body))) & FORBIDDEN_FIELDS
        assert not found, f"{call} sends {found}"
        assert SLOPE_DIGITS not in text, f"{call} sends an IRT parameter"
        for parameter in parameters:
            for value in parameter.params[:2]:
                assert repr(value) not in text, f"{call} sends parameter {value!r}"
        for item in everything:
            content = item.current.content
            assert content["rationale"]["en"] not in text, f"{call} sends the rationale of {item.code}"
            if item.id not in shown:  # (the test stems of shown items quote their codes)
                assert item.code not in text, f"{call} names item {item.code}"
                assert content["stem"]["en"] not in text, f"{call} sends unadministered item {item.code}"
    return shown


@pytest.mark.parametrize("mode", ["fixed", "loft", "adaptive"])
def test_no_candidate_response_leaks(app, session, candidate, calibration, make_assessment, make_window,
                                     mode):
    window = make_window(make_assessment(mode, pretest_count=1, navigation="free"))
    sitting = Sitting(app.test_client(), bearer(session, candidate))
    sitting.call("GET", "/me/windows")
    sitting.open(window.id)
    sitting.call("GET", f"/attempts/{sitting.attempt_id}/items")  # before start: nothing
    sitting.check_in_and_start()
    if mode == "adaptive":
        sitting.sit_one_at_a_time(lambda item: item["content"]["options"][1]["id"])
    else:
        for item in sitting.items():
            sitting.answer(item["ref"], "B")
        sitting.call("POST", f"/attempts/{sitting.attempt_id}/responses/{item['ref']}/flag", {"flagged": True})
        sitting.call("GET", f"/attempts/{sitting.attempt_id}/items?lang=hi")
    sitting.call("POST", f"/attempts/{sitting.attempt_id}/events", {"events": [{"kind": "heartbeat"}]})
    result = sitting.submit()["result"]
    sitting.call("GET", f"/attempts/{sitting.attempt_id}")
    sitting.call("GET", f"/attempts/{sitting.attempt_id}/items")
    sitting.call("GET", "/me/attempts")
    assert result["method"] == "eap" and result["theta"] is not None and result["level"]
    shown = scan(session, sitting)
    assert 4 <= len(shown) < 40  # the scan had unadministered items to look for
