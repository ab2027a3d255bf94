"""Adaptive tests that classify: level probabilities, cut-aimed selection, the
decided-level stop, and the classification policy against maximum information."""

from __future__ import annotations

import math

import numpy as np
import pytest

from piaa.psychometrics.cat import (
    CatPolicy,
    ItemBank,
    StoppingRule,
    calibrate_sympson_hetter,
    check_readiness,
    classification_summary,
    level_probabilities,
    levels_of,
    select_next_item,
    simulate_cat,
)
from piaa.psychometrics.cat.classification import above_cut_weights, check_cuts
from piaa.psychometrics.cat.exposure import updated_k
from piaa.psychometrics.irt import information
from piaa.psychometrics.quadrature import normal_weights

CUTS = (-1.5, -0.5, 0.5, 1.5)


def _normal_cdf(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _bank_params(seed, n_items):
    """The issue's bank: a ~ lognormal(0.25, 0.25), b ~ U(-2.5, 2.5), 2PL."""
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.lognormal(0.25, 0.25, n_items), rng.uniform(-2.5, 2.5, n_items),
                            np.zeros(n_items), np.ones(n_items)])


# ---------------------------------------------------------------- level probabilities


@pytest.mark.parametrize("mean,sd", [(0.0, 1.0), (0.3, 0.4), (-1.2, 0.25)])
def test_level_probabilities_of_a_normal_posterior_are_its_cdf_differences(mean, sd):
    # Reference: the normal CDF (math.erf). A posterior N(mean, sd) on a 241-node grid on
    # [-6, 6] (spacing 0.05); interpolating the CDF inside a cell leaves an error of order
    # spacing² × density' (< 1e-3 here).
    nodes = np.linspace(-6, 6, 241)
    post = normal_weights(nodes, mean, sd)[None, :]
    probs = level_probabilities(post, above_cut_weights(nodes, CUTS))[0]
    cdf = [0.0] + [_normal_cdf((c - mean) / sd) for c in CUTS] + [1.0]
    np.testing.assert_allclose(probs, np.diff(cdf), atol=1e-3)
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)


def test_a_cut_between_nodes_splits_the_nodes_mass_linearly():
    nodes = np.array([-1.0, 0.0, 1.0])
    # Cells: [-1.5, -0.5], [-0.5, 0.5], [0.5, 1.5]; a cut at 0.25 leaves a quarter of the
    # middle cell above it, and all of the top cell.
    np.testing.assert_allclose(above_cut_weights(nodes, [0.25])[:, 0], [0.0, 0.25, 1.0])
    post = np.array([[0.2, 0.4, 0.4]])
    np.testing.assert_allclose(level_probabilities(post, above_cut_weights(nodes, [0.25])),
                               [[0.2 + 0.3, 0.1 + 0.4]])


def test_levels_follow_the_services_rule():
    from piaa.delivery.scoring import level_from_cuts

    theta = np.array([-3.0, -1.5, -0.6, 0.5, 0.49, 2.0])
    expected = [level_from_cuts(t, list(CUTS)) or 0 for t in theta]
    np.testing.assert_array_equal(levels_of(theta, CUTS), expected)


def test_classification_summary_by_hand():
    true = np.array([-1.0, -0.2, 0.3, 0.9])
    est = np.array([-0.8, 0.1, 0.2, 0.4])
    se = np.array([0.3, 0.3, 0.4, 0.4])
    out = classification_summary(true, est, se, [-0.5, 0.5])
    # Cut -0.5: all four on the right side. Cut 0.5: the last is put below it.
    assert out["accuracy_at_cuts"] == [1.0, 0.75]
    assert out["exact_level_accuracy"] == 0.75         # true levels 0,1,1,2; given 0,1,1,1
    var = np.var(est)
    assert out["reliability"] == pytest.approx(1 - np.mean(se**2) / var)


@pytest.mark.parametrize("cuts,match", [([], "non-empty"), ([0.5, 0.5], "ascend"),
                                        ([0.0, float("nan")], "cut 2")])
def test_bad_cuts_are_named(cuts, match):
    with pytest.raises(ValueError, match=match):
        check_cuts(cuts)


@pytest.mark.parametrize("cuts,match", [([], "non-empty"), ([0.5, 0.5], "ascend"),
                                        ([0.0, float("nan")], "cut 2"), ([[0.0, 1.0]], "non-empty")])
def test_a_bank_names_bad_cuts_on_every_call(cuts, match):
    bank = ItemBank(np.array([[1.0, 0.0, 0.0, 1.0], [1.2, 0.5, 0.0, 1.0]]))
    for _ in range(2):  # a bad set is never remembered as checked
        with pytest.raises(ValueError, match=match):
            bank.cut_arrays(cuts)


def test_a_bank_computes_the_arrays_of_a_set_of_cuts_once():
    bank = ItemBank(np.array([[1.0, 0.0, 0.0, 1.0], [1.2, 0.5, 0.0, 1.0]]))
    first = bank.cut_arrays([-0.5, 0.5])
    assert bank.cut_arrays((-0.5, 0.5)) is first and bank.cut_arrays(np.array([-0.5, 0.5])) is first
    assert np.allclose(first[1], above_cut_weights(bank.nodes, np.array([-0.5, 0.5])))


# ---------------------------------------------------------------- selection


def test_nearest_cut_selection_equals_catsims_max_info_at_that_cut():
    # Reference: catsim's MaxInfoSelector (the same criterion, information at a point)
    # evaluated at the cut nearest the current θ (Eggen & Straetmans, 2000).
    import catsim.item_bank as catsim_bank
    import catsim.selection as catsim_selection

    params = _bank_params(3, 400)
    bank = ItemBank(params)
    theirs = catsim_bank.ItemBank(params)
    selector = catsim_selection.MaxInfoSelector()
    rng = np.random.default_rng(4)
    for _ in range(30):
        theta = rng.uniform(-3, 3)
        taken = rng.choice(400, rng.integers(0, 30), replace=False)
        mask = np.zeros(400, dtype=bool)
        mask[taken] = True
        nearest = CUTS[int(np.argmin(np.abs(theta - np.array(CUTS))))]
        ours = select_next_item(theta, bank, mask, criterion="nearest_cut", cuts=CUTS).item
        assert ours == selector.select(item_bank=theirs, administered_items=list(taken),
                                       est_theta=nearest)


def test_cut_doubt_aims_at_the_cut_in_doubt_and_at_theta_once_decided():
    params = _bank_params(5, 300)
    bank = ItemBank(params)
    none = np.zeros(300, dtype=bool)
    info = information(np.array(CUTS + (2.6,)), params)
    # A posterior centred on the cut 0.5 with SD 0.1: only that cut is in doubt.
    post = normal_weights(bank.nodes, 0.5, 0.1)
    pick = select_next_item(0.5, bank, none, criterion="cut_doubt", posterior=post, cuts=CUTS)
    assert pick.item == int(np.argmax(info[2]))
    # A posterior at 2.6 with SD 0.1: every side decided, so information at θ̂ decides.
    post = normal_weights(bank.nodes, 2.6, 0.1)
    pick = select_next_item(2.6, bank, none, criterion="cut_doubt", posterior=post, cuts=CUTS)
    assert pick.item == int(np.argmax(info[4]))
    with pytest.raises(ValueError, match="cut scores"):
        select_next_item(0.0, bank, none, criterion="nearest_cut")


# ---------------------------------------------------------------- stopping


def test_confidence_stop_needs_the_level_confidence():
    rule = StoppingRule(max_items=20, min_items=3, confidence=0.9)
    np.testing.assert_array_equal(rule.should_stop([2, 3, 3, 20], [1, 1, 1, 1],
                                                   [0.99, 0.95, 0.85, 0.5]),
                                  [False, True, False, True])
    with pytest.raises(ValueError, match="level_confidence"):
        rule.should_stop([3], [1.0])
    with pytest.raises(ValueError, match="confidence"):
        StoppingRule(max_items=5, confidence=1.0)
    with pytest.raises(ValueError, match="cut scores"):
        CatPolicy(stopping=rule)


def test_decided_level_stop_is_right_as_often_as_it_claims():
    # Seeded recovery: with simulees drawn from the prior, the posterior probability of
    # the most probable level is calibrated, so those stopped at confidence >= 0.9 get
    # their true level at least about 90% of the time (3 binomial SEs of slack).
    bank = ItemBank(_bank_params(6, 300))
    rng = np.random.default_rng(20240611)
    true = rng.normal(size=3000)
    policy = CatPolicy(stopping=StoppingRule(max_items=30, min_items=3, confidence=0.9),
                       criterion="cut_doubt", cuts=CUTS)
    sim = simulate_cat(bank, true, policy, rng)
    early = sim.n_items < 30
    assert early.mean() > 0.5 and sim.mean_length < 25
    assert np.all(sim.level_confidence[early] >= 0.9)
    post = bank.posterior(sim.responses)
    decided = np.argmax(bank.level_probabilities(post, CUTS), axis=1)
    right = np.mean(decided[early] == levels_of(true[early], CUTS))
    assert right >= 0.9 - 3 * np.sqrt(0.09 / early.sum())


# ---------------------------------------------------------------- exposure


def test_ratio_update_has_the_papers_value_for_over_exposed_items():
    # Sympson & Hetter (1985): K = r_max / P(S) where P(S) > r_max. After a round with
    # parameters K, P(A) = K P(S), so K r_max / P(A) is the same number.
    k = np.array([1.0, 0.5, 0.8, 1.0])
    ps = np.array([0.6, 0.9, 0.2, 0.1])
    pa = k * ps
    paper = updated_k(k, ps, pa, 0.25, "sympson-hetter")
    ratio = updated_k(k, ps, pa, 0.25, "ratio")
    over = ps > 0.25
    np.testing.assert_allclose(ratio[over], paper[over])
    np.testing.assert_allclose(paper[~over], 1.0)
    np.testing.assert_allclose(ratio[~over], [1.0, 1.0])   # 0.8*0.25/0.16 and 0.25/0.1, capped


# ---------------------------------------------------------------- the policy


def test_classification_policy_matches_max_information_at_the_cuts_under_the_same_cap():
    # Seeded comparison at a smaller size than the benchmark (benchmarks/cat_classification.py):
    # both policies get Sympson-Hetter parameters calibrated to the same cap on the same
    # calibration sample and are judged on the same fresh simulees. The classification
    # policy must reach at least maximum information's accuracy at the cuts (within one
    # binomial SE of a difference, 0.011 at n = 1500) without giving up reliability.
    params = _bank_params(7, 200)
    out = {}
    for criterion in ("mfi", "cut_doubt"):
        check = check_readiness(params, CUTS, max_items=15, max_exposure=0.3, examinees=1500,
                                calibration_examinees=1500, criterion=criterion,
                                rng=np.random.default_rng(11))
        out[criterion] = check.summary
        assert check.summary["max_exposure"] <= 0.3 + 0.03
    mfi, cls = out["mfi"], out["cut_doubt"]
    assert np.mean(cls["accuracy_at_cuts"]) >= np.mean(mfi["accuracy_at_cuts"]) - 0.011
    assert cls["reliability"] >= mfi["reliability"] - 0.02
    assert min(cls["accuracy_at_cuts"]) > 0.85


def test_sympson_hetter_calibration_keeps_a_cut_policy_under_the_cap():
    bank = ItemBank(_bank_params(8, 200))
    rng = np.random.default_rng(2)
    policy = CatPolicy(stopping=StoppingRule(max_items=12), criterion="nearest_cut", cuts=CUTS)
    free = simulate_cat(bank, rng.normal(size=1000), policy, rng)
    assert free.max_exposure > 0.9           # everyone near a cut gets the same items
    calib = calibrate_sympson_hetter(bank, rng.normal(size=1000), policy, 0.25, rng,
                                     n_rounds=30, tol=0.04, update="ratio")
    # The busiest of the many items near the cap sits about 2.5 binomial SEs (0.014 at
    # n = 1000) above it by chance alone; the tenth busiest shows where the cap holds.
    assert calib.converged and calib.max_exposure[0] > 0.9
    assert np.sort(calib.exposure_rate)[-10] <= 0.25 + 0.015
