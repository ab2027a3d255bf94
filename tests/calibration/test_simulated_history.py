"""The fast simulated history writes the rows delivery and scoring write: a rescore by the
real scoring code of a simulated attempt gives the same score, decision confidence and
decision, and a LOFT form never repeats an item an official met before."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from piaa.delivery import scoring
from piaa.delivery.models import AttemptItem, AttemptScore
from tests.calibration.conftest import true_params_for

DECISION_COLUMNS = ("theta", "se", "level", "method", "raw_score", "max_score", "n_items", "parameter_set_id",
                    "confidence", "certifying_confidence", "certified_level", "certified_confidence", "decision")


@pytest.mark.parametrize("calibrated", [True, False])
def test_a_simulated_score_is_what_scoring_makes_of_the_same_answers(
        session, competency, operational, calibration, make_assessment, make_window, make_history, clock,
        psychometrician, calibrated):
    if not calibrated:
        calibration.active = False
        session.commit()
    assessment = make_assessment("loft", certifying_level=2, pretest_count=1)
    window = make_window(assessment, opens_at=clock() - timedelta(days=3), closes_at=clock() - timedelta(days=1))
    truth = true_params_for(session, competency)
    sitting = make_history(window, 40, truth, seed=3)
    decisions = set()
    for attempt_id in sitting.attempt_ids[:12]:
        from piaa.delivery.models import Attempt

        attempt = session.get(Attempt, attempt_id)
        scoring.rescore(session, attempt, actor=psychometrician, reason="check against scoring")
        session.commit()
        first, second = scoring.scores_of(session, attempt)
        for column in DECISION_COLUMNS:
            a, b = getattr(first, column), getattr(second, column)
            if isinstance(a, float):
                assert b == pytest.approx(a, abs=1e-9), column
            else:
                assert a == b, column
        if first.level_probabilities is None:
            assert second.level_probabilities is None
        else:
            assert np.allclose(first.level_probabilities, second.level_probabilities, atol=1e-6)
        decisions.add(first.decision)
    # Calibrated: IRT decisions with confidence; not: classical practice results.
    assert decisions <= ({scoring.CERTIFY, scoring.NOT_DECISIVE, scoring.BELOW_LEVEL} if calibrated
                         else {scoring.PRACTICE})
    assert session.scalar(select(AttemptScore.method).where(AttemptScore.attempt_id == sitting.attempt_ids[0])) \
        == ("eap" if calibrated else "classical")


def test_a_second_sitting_meets_none_of_the_items_of_the_first(session, competency, operational, calibration,
                                                                make_assessment, make_window, cohort, clock):
    from piaa.calibration import simulated_history

    assessment = make_assessment("loft")
    window = make_window(assessment, opens_at=clock() - timedelta(days=3), closes_at=clock() - timedelta(days=1))
    truth = true_params_for(session, competency)
    rng = np.random.default_rng(4)
    users = simulated_history.add_officials(session, cohort, 30, rng)
    first = simulated_history.sit(session, window, users, true_params=truth, rng=rng, at=clock() - timedelta(days=2))
    second = simulated_history.sit(session, window, users, true_params=truth, rng=rng, at=clock() - timedelta(days=1))
    session.commit()

    def items_of(attempt_ids):
        rows = session.execute(select(AttemptItem.attempt_id, AttemptItem.item_id)
                               .where(AttemptItem.attempt_id.in_(attempt_ids))).all()
        out: dict[int, set[int]] = {}
        for attempt_id, item_id in rows:
            out.setdefault(attempt_id, set()).add(item_id)
        return [out[a] for a in attempt_ids]

    for before, after in zip(items_of(first.attempt_ids), items_of(second.attempt_ids)):
        assert before and after and not before & after
