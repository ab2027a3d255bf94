"""Full sittings through the candidate API in each mode, and their results."""
from piaa.delivery.models import Attempt, AttemptItem
from tests.delivery.helpers import Sitting, bearer


def test_loft_sitting_end_to_end(app, session, candidate, make_assessment, make_window):
    window = make_window(make_assessment("loft"))
    sitting = Sitting(app.test_client(), bearer(session, candidate))
    windows = sitting.call("GET", "/me/windows")["windows"]
    assert [w["id"] for w in windows] == [window.id]
    created = sitting.open(window.id)
    assert created["state"] == "created" and created["time_left_s"] == 1800
    started = sitting.check_in_and_start()
    assert started["state"] == "in_progress" and started["deadline"]
    items = sitting.items()
    assert len(items) == 10 and len({i["ref"] for i in items}) == 10
    for item in items:
        assert sitting.answer(item["ref"], "B")["saved"] is True
    body = sitting.submit()
    assert body["attempt"]["state"] == "scored"
    assert body["result"]["method"] == "classical" and body["result"]["level"] == 5
    assert body["result"]["classical"]["percent"] == 100.0
