"""Scoring: EAP θ and SE from operational items with the parameter set used, the level from
the cut scores, the classical score before calibration, and recorded rescoring."""
import numpy as np
import pytest
from sqlalchemy import select

from piaa.audit import AuditEvent
from piaa.delivery import assessments as assessment_service
from piaa.delivery import scoring
from piaa.delivery.models import AttemptItem, AttemptScore
from piaa.delivery.parameters import parameter_rows, record_parameter_set
from piaa.errors import Conflict, Invalid
from tests.delivery.conftest import CUTS, sit


def test_level_from_cut_scores():
    # The cut is where a level begins: reaching it exactly counts.
    assert [scoring.level_from_cuts(v, CUTS) for v in (-2.5, -2.0, -0.8, 0.25, 1.5, 2.0, 3.1)] == \
        [None, 1, 1, 3, 4, 5, 5]
    assert scoring.level_from_cuts(0.3, None) is None


def reference_eap(categories, params):
    """EAP by hand: 61 equally spaced nodes on [-6, 6], N(0, 1) prior weights (mirt's default
    grid), 2PL likelihood; posterior mean and SD. Independent of piaa.psychometrics."""
    nodes = np.linspace(-6, 6, 61)
    prior = np.exp(-nodes ** 2 / 2)
    like = np.ones_like(nodes)
    for x, (a, b, _, _) in zip(categories, params):
        p = 1 / (1 + np.exp(-a * (nodes - b)))
        like *= p if x == 1 else 1 - p
    post = prior * like / np.sum(prior * like)
    mean = np.sum(post * nodes)
    return mean, np.sqrt(np.sum(post * nodes ** 2) - mean ** 2)


def test_eap_from_operational_items_only_matches_the_hand_computation(session, candidate, calibration,
                                                                      make_assessment, make_window):
    window = make_window(make_assessment("loft", pretest_count=2))
    attempt = sit(session, candidate, window, choose=lambda row: "B" if row.position % 3 else "A")
    rows = list(session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id,
                                                          AttemptItem.scored.is_(True))
                                .order_by(AttemptItem.position)))
    params = parameter_rows(session, calibration, [r.item_id for r in rows])
    theta, se = reference_eap([r.category for r in rows], [params[r.item_id] for r in rows])
    assert len(rows) == 10
    # Same grid and prior: agreement to rounding of the sums.
    assert attempt.theta == pytest.approx(theta, abs=1e-9) and attempt.se == pytest.approx(se, abs=1e-9)
    assert attempt.level == scoring.level_from_cuts(theta, CUTS)
    score = session.scalar(select(AttemptScore).where(AttemptScore.attempt_id == attempt.id))
    assert (score.method, score.parameter_set_id, score.n_items) == ("eap", calibration.id, 10)


def test_every_score_records_its_decision_confidence(session, candidate, calibration, make_assessment,
                                                    make_window):
    """The level probabilities are the posterior's mass between the cuts: checked against a
    posterior computed here by hand on a fine grid (2,001 nodes on [-6, 6], N(0, 1) prior),
    independent of piaa.psychometrics."""
    window = make_window(make_assessment("loft", certifying_level=3))
    attempt = sit(session, candidate, window, choose=lambda row: "B" if row.position % 3 else "A")
    rows = list(session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id,
                                                          AttemptItem.scored.is_(True))))
    params = parameter_rows(session, calibration, [r.item_id for r in rows])
    nodes = np.linspace(-6, 6, 2001)
    post = np.exp(-nodes ** 2 / 2)
    for r in rows:
        a, b = params[r.item_id][:2]
        p = 1 / (1 + np.exp(-a * (nodes - b)))
        post *= p if r.category == 1 else 1 - p
    post /= post.sum()
    edges = np.concatenate([[-np.inf], CUTS, [np.inf]])
    expected = [post[(nodes >= lo) & (nodes < hi)].sum() for lo, hi in zip(edges[:-1], edges[1:])]
    score = scoring.latest_score(session, attempt)
    # The service's 121-node grid splits the cell a cut falls in; the 2,001-node sum has a
    # node-counting error of about one node's mass (< .004): .005 covers both.
    np.testing.assert_allclose(score.level_probabilities, expected, atol=0.005)
    assert score.confidence == pytest.approx(expected[attempt.level], abs=0.005)
    assert score.certifying_confidence == pytest.approx(sum(expected[3:]), abs=0.005)
    expected_decision = ("below_level" if attempt.level < 3 else
                         "certify" if score.certifying_confidence >= 0.8 else "not_decisive")
    assert score.decision == expected_decision
    view = scoring.result_of(attempt)["decision"]
    assert view["confidence"] == round(100 * score.confidence)


def test_unanswered_items_count_as_wrong(session, candidate, calibration, make_assessment, make_window):
    window = make_window(make_assessment("loft"))
    attempt = sit(session, candidate, window, choose=lambda row: "B" if row.position < 5 else None)
    rows = list(session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)))
    assert sorted(r.category for r in rows) == [0] * 5 + [1] * 5 and attempt.raw_score == 5


def test_classical_score_before_any_calibration_is_labelled(session, candidate, make_assessment,
                                                            make_window):
    window = make_window(make_assessment("loft"))
    attempt = sit(session, candidate, window, choose=lambda row: "B" if row.position < 7 else "A")
    result = scoring.result_of(attempt)
    assert result["method"] == "classical" and result["theta"] is None
    assert result["classical"] == {"label": "Classical score (no calibration yet)", "raw_score": 7.0,
                                   "max_score": 10.0, "percent": 70.0}
    assert result["level"] == 3 and result["level_label"] == "Proficient"  # 70% >= 60%, < 75%


def test_rescoring_after_recalibration_is_recorded_not_overwritten(session, candidate, competency,
                                                                   operational, calibration, make_user,
                                                                   make_assessment, make_window):
    window = make_window(make_assessment("loft"))
    attempt = sit(session, candidate, window, choose=lambda row: "B" if row.position % 2 else "A")
    first_theta = attempt.theta
    shifted = {item_id: [row[0], row[1] - 1.0, 0.0, 1.0]
               for item_id, row in parameter_rows(session, calibration).items()}
    recalibrated = record_parameter_set(session, competency, "2pl", shifted, label="recalibration")
    with pytest.raises(Invalid, match="say why"):
        scoring.rescore(session, attempt, actor=None, reason="  ")
    psychometrician = make_user(role="psychometrician")
    scoring.rescore(session, attempt, actor=psychometrician, reason="recalibrated after pilot")
    session.commit()
    scores = scoring.scores_of(session, attempt)
    assert [(s.number, s.parameter_set_id) for s in scores] == [(1, calibration.id), (2, recalibrated.id)]
    assert scores[0].theta == first_theta and attempt.theta == scores[1].theta
    # The same answers to items now a logit easier place the candidate lower (shrunk by the prior).
    assert first_theta - 1.0 < attempt.theta < first_theta - 0.5
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "attempt.rescored"))
    assert event.actor_id == psychometrician.id and event.data["previous"]["theta"] == first_theta
    assert event.data["reason"] == "recalibrated after pilot"


def test_only_scored_attempts_are_rescored(session, candidate, make_assessment, make_window):
    from piaa.delivery import attempts

    window = make_window(make_assessment("loft"))
    attempt = attempts.create_attempt(session, candidate, window.id)
    with pytest.raises(Conflict, match="only scored attempts"):
        scoring.rescore(session, attempt, actor=None, reason="why not")


def test_adaptive_recovers_known_abilities(session, make_user, cohort, calibration, make_assessment,
                                           make_window):
    """Seeded recovery: simulees answer by the 2PL with the bank's own parameters."""
    # exposure_k=1: the most informative item every time, so the only randomness is the
    # simulees' answers, drawn from the seeded generator below (a randomesque draw per attempt
    # is not seeded, and made the bias wander past its bound now and then).
    window = make_window(make_assessment("adaptive", se_target=0.45, min_items=5, max_items=14,
                                         exposure_k=1))
    params = parameter_rows(session, calibration)
    rng = np.random.default_rng(20260105)
    true_theta = rng.normal(0, 1, 12)
    estimates = []
    for theta in true_theta:
        user = make_user(role="candidate")
        assessment_service.enrol(session, cohort, user)

        def respond(row, theta=theta):
            a, b = params[row.item_id][:2]
            return "B" if rng.random() < 1 / (1 + np.exp(-a * (theta - b))) else "A"

        estimates.append(sit(session, user, window, choose=respond).theta)
    estimates = np.array(estimates)
    # With SE near 0.45 per simulee (true SD 1), 12 simulees recover the ordering and stay unbiased.
    assert np.corrcoef(true_theta, estimates)[0, 1] > 0.8
    assert abs(np.mean(estimates - true_theta)) < 0.35


def test_a_parameter_held_fixed_is_stored_without_a_standard_error(session, competency, calibration):
    # A calibration with fixed anchors has no SE for the anchors' parameters (NaN), which
    # PostgreSQL's JSON refuses: it is stored as null.
    rows = parameter_rows(session, calibration)
    ses = {item_id: [float("nan"), float("nan"), float("nan"), float("nan")] for item_id in rows}
    first = next(iter(rows))
    ses[first] = [0.1, 0.05, float("nan"), float("nan")]
    stored = record_parameter_set(session, competency, "2pl", rows, se=ses, activate=False)
    session.commit()
    by_item = {p.item_id: p.se for p in stored.items}
    assert by_item[first] == [0.1, 0.05, None, None]
    assert all(se == [None] * 4 for item_id, se in by_item.items() if item_id != first)
