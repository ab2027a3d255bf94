"""Form assembly: LOFT with exposure control, fixed forms, pre/post disjointness, pretest
seeding, and adaptive selection with content balancing and the stopping rule."""
from collections import Counter

import numpy as np
import pytest
from sqlalchemy import select

from piaa.delivery import assessments as assessment_service
from piaa.delivery import attempts
from piaa.delivery.models import AttemptItem
from piaa.errors import Conflict
from piaa.items.models import Item
from tests.delivery.conftest import BLUEPRINT, sit


def administered(session, attempt):
    return list(session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)
                                .order_by(AttemptItem.position)))


def officials(make_user, cohort, session, n):
    users = [make_user(role="candidate") for _ in range(n)]
    for user in users:
        assessment_service.enrol(session, cohort, user)
    session.commit()
    return users


def test_loft_forms_meet_the_blueprint_and_spread_exposure_evenly(session, make_user, cohort,
                                                                 make_assessment, make_window):
    window = make_window(make_assessment("loft"))
    counts = Counter()
    for user in officials(make_user, cohort, session, 8):
        attempt = sit(session, user, window, submit=False)
        rows = administered(session, attempt)
        cells = Counter(row.cell for row in rows)
        assert cells == Counter({f"L{c['level']}/{c['sub_area']}": 1 for c in BLUEPRINT["cells"]})
        counts.update(row.item_id for row in rows)
    # 8 forms draw one of the 4 items of each cell: least-exposed first gives each item 2.
    assert sorted(set(counts.values())) == [2] and len(counts) == 40


def test_pre_and_post_sittings_draw_disjoint_items(session, candidate, make_assessment, make_window):
    pre = make_window(make_assessment("loft", purpose="pre_course"))
    post = make_window(make_assessment("loft", purpose="post_course"))
    first = {row.item_id for row in administered(session, sit(session, candidate, pre))}
    second = {row.item_id for row in administered(session, sit(session, candidate, post))}
    assert len(first) == len(second) == 10 and not first & second


def test_a_pool_too_small_for_the_blueprint_is_named(session, candidate, make_assessment, make_window):
    blueprint = {"cells": [{"level": 1, "sub_area": "noting", "count": 5}], "tolerance": 0}
    window = make_window(make_assessment("loft", blueprint=blueprint))
    attempt = attempts.create_attempt(session, candidate, window.id)
    attempts.check_in(session, attempt, candidate, identity_confirmed=True, rules_accepted=True)
    with pytest.raises(Conflict, match=r"cell L1/noting needs 5 items but only 4"):
        attempts.start(session, attempt, candidate)


def test_fixed_forms_are_disjoint_and_a_retake_gets_the_other(session, candidate, make_assessment,
                                                              make_window):
    assessment = make_assessment("fixed", n_forms=2)
    first_form, second_form = ({e["item_id"] for e in f.items} for f in assessment.forms)
    assert len(first_form) == 10 and not first_form & second_form
    pre = make_window(assessment)
    taken = {row.item_id for row in administered(session, sit(session, candidate, pre))}
    assert taken in (first_form, second_form)
    again = make_window(assessment)
    retake = {row.item_id for row in administered(session, sit(session, candidate, again))}
    assert retake == ({*first_form, *second_form} - taken)
    third = make_window(assessment)
    attempt = attempts.create_attempt(session, candidate, third.id)
    attempts.check_in(session, attempt, candidate, identity_confirmed=True, rules_accepted=True)
    with pytest.raises(Conflict, match="no fixed form free of items"):
        attempts.start(session, attempt, candidate)


def test_pretest_items_are_seeded_unscored_at_random_positions(session, make_user, cohort,
                                                               make_assessment, make_window):
    window = make_window(make_assessment("loft", pretest_count=2))
    positions = set()
    for user in officials(make_user, cohort, session, 6):
        attempt = sit(session, user, window)
        rows = administered(session, attempt)
        pretest = [row for row in rows if not row.scored]
        assert len(rows) == 12 and len(pretest) == 2
        codes = {session.get(Item, row.item_id).code for row in pretest}
        assert all(code.startswith("PT-") for code in codes)
        positions.update(row.position for row in pretest)
        # Scored on the 10 operational items only: all right, pretest answers aside.
        assert attempt.raw_score == 10 and attempt.max_score == 10
    assert len(positions) >= 4  # not always the same places


def test_adaptive_follows_information_content_and_stopping_rule(session, candidate, calibration,
                                                                make_assessment, make_window):
    # exposure_k=1: the most informative item every time, so the path is the information's and
    # not the randomesque draw's (with k=3 a level-4 first item can make the halves tie).
    window = make_window(make_assessment("adaptive", se_target=0.5, min_items=4, max_items=12,
                                         exposure_k=1))
    attempt = sit(session, candidate, window, choose=lambda row: "B")  # all right: θ climbs
    rows = administered(session, attempt)
    levels = [session.get(Item, row.item_id).level for row in rows]
    assert 4 <= len(rows) <= 12
    assert levels == sorted(levels) and levels[0] <= 3 and levels[-1] == 5  # harder as θ rises
    areas = Counter(session.get(Item, row.item_id).sub_area for row in rows)
    assert abs(areas["noting"] - areas["drafting"]) <= 1  # the blueprint splits them evenly
    assert attempt.theta > 1.0 and attempt.level >= 4 and attempt.score_method == "eap"


def test_adaptive_stops_at_the_maximum_length(session, candidate, calibration, make_assessment,
                                              make_window):
    window = make_window(make_assessment("adaptive", se_target=0.05, min_items=2, max_items=6,
                                         pretest_count=1))
    rng = np.random.default_rng(3)
    attempt = sit(session, candidate, window, choose=lambda row: "B" if rng.random() < 0.5 else "A")
    rows = administered(session, attempt)
    assert sum(row.scored for row in rows) == 6 and sum(not row.scored for row in rows) == 1
    assert attempt.complete and attempt.state == "scored"
