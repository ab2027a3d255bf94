"""CAT simulation harness, stopping rules and starting rules."""

from __future__ import annotations

import numpy as np
import pytest

from piaa.psychometrics.cat import (
    CatPolicy,
    ContentBlueprint,
    FixedStart,
    ItemBank,
    PriorStart,
    RandomStart,
    StoppingRule,
    simulate_cat,
)
from piaa.psychometrics.estimation import estimate_ability


def _bank(seed, n_items, content=None):
    rng = np.random.default_rng(seed)
    params = np.column_stack([rng.lognormal(0.2, 0.25, n_items), rng.normal(size=n_items),
                              np.zeros(n_items), np.ones(n_items)])
    return ItemBank(params, content=content), params


# ---------------------------------------------------------------- stopping


def test_stopping_rule_combines_se_target_and_lengths():
    rule = StoppingRule(se_target=0.3, min_items=5, max_items=20)
    n = np.array([3, 5, 12, 20, 20])
    se = np.array([0.2, 0.29, 0.35, 0.5, 0.1])
    np.testing.assert_array_equal(rule.should_stop(n, se), [False, True, False, True, True])
    fixed = StoppingRule(max_items=10)
    np.testing.assert_array_equal(fixed.should_stop([9, 10], [0.01, 5.0]), [False, True])


@pytest.mark.parametrize("kwargs,match", [
    ({}, "never ends"),
    ({"se_target": -0.1}, "se_target"),
    ({"se_target": 0.3, "min_items": 10, "max_items": 5}, "max_items"),
])
def test_stopping_rule_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        StoppingRule(**kwargs)


# ---------------------------------------------------------------- start


def test_starting_rules():
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(FixedStart(0.5).initial_theta(3), [0.5, 0.5, 0.5])
    drawn = RandomStart(-1.0, 2.0).initial_theta(5000, rng)
    assert drawn.min() >= -1.0 and drawn.max() <= 2.0
    assert drawn.mean() == pytest.approx(0.5, abs=0.05)
    np.testing.assert_array_equal(PriorStart(np.array([0.1, -0.4])).initial_theta(2), [0.1, -0.4])
    with pytest.raises(ValueError, match="rng"):
        RandomStart().initial_theta(2)
    with pytest.raises(ValueError, match="one prior mean per examinee"):
        PriorStart(np.zeros(3)).initial_theta(2)
    with pytest.raises(ValueError, match="low <= high"):
        RandomStart(1.0, -1.0)


# ---------------------------------------------------------------- simulation


def test_variable_length_cat_recovers_theta_and_honours_stopping_rule():
    bank, params = _bank(1, 400)
    rng = np.random.default_rng(20240611)
    true = rng.normal(size=1500)
    rule = StoppingRule(se_target=0.3, min_items=5, max_items=30)
    sim = simulate_cat(bank, true, CatPolicy(stopping=rule), rng)
    assert abs(sim.bias) < 0.04
    # Reported precision matches the realised error (loose: 15 %).
    assert sim.rmse == pytest.approx(np.sqrt(np.mean(sim.se**2)), rel=0.15)
    assert np.all((sim.se <= 0.3) | (sim.n_items == 30))
    assert np.all(sim.n_items >= 5)
    assert 5 <= sim.mean_length < 30
    # Each simulee got distinct items, recorded in order and in responses.
    for row in range(0, 1500, 97):
        seq = sim.items[row, : sim.n_items[row]]
        assert len(set(seq.tolist())) == seq.size
        assert set(np.flatnonzero(~np.isnan(sim.responses[row]))) == set(seq.tolist())
    # The interim EAP equals estimate_ability's EAP on the same responses.
    eap = estimate_ability(sim.responses, params)
    np.testing.assert_allclose(sim.theta, eap.theta, atol=1e-10)
    np.testing.assert_allclose(sim.exposure_rate.sum(), sim.mean_length)


def test_cat_beats_random_items_of_equal_length():
    # Adaptive selection should reach a lower RMSE than giving the same
    # number of items at random (the reason CAT exists).
    bank, params = _bank(2, 300)
    rng = np.random.default_rng(7)
    true = rng.normal(0.0, 1.3, 1000)
    sim = simulate_cat(bank, true, CatPolicy(stopping=StoppingRule(max_items=12)), rng)
    picks = np.argsort(rng.random((1000, 300)), axis=1)[:, :12]
    x = np.full((1000, 300), np.nan)
    p = 1 / (1 + np.exp(-params[picks, 0] * (true[:, None] - params[picks, 1])))
    np.put_along_axis(x, picks, (rng.random(p.shape) < p).astype(float), axis=1)
    random_rmse = np.sqrt(np.mean((estimate_ability(x, params).theta - true) ** 2))
    assert sim.rmse < 0.85 * random_rmse


def test_policy_options_run_together():
    cells = np.repeat(["a", "b"], 100)
    bank, _ = _bank(3, 200, content=cells)
    rng = np.random.default_rng(8)
    policy = CatPolicy(
        stopping=StoppingRule(max_items=10), start=RandomStart(-1, 1), criterion="pwi",
        randomesque=3, blueprint=ContentBlueprint({"a": 0.6, "b": 0.4}), final_method="map",
    )
    sim = simulate_cat(bank, rng.normal(size=200), policy, rng)
    assert np.all(sim.n_items == 10)
    taken_a = (~np.isnan(sim.responses[:, :100])).sum(axis=1)
    np.testing.assert_array_equal(taken_a, 6)
    assert sim.max_exposure < 1.0
    summary = sim.summary()
    assert set(summary) >= {"bias", "rmse", "mean_length", "max_exposure"}


def test_simulation_stops_when_bank_runs_out():
    bank, _ = _bank(4, 8)
    sim = simulate_cat(bank, [0.0, 1.0], CatPolicy(stopping=StoppingRule(se_target=0.01)),
                       np.random.default_rng(0))
    np.testing.assert_array_equal(sim.n_items, [8, 8])
    np.testing.assert_array_equal(sim.exposure_rate, np.ones(8))


def test_simulation_respects_excluded_items():
    bank, _ = _bank(5, 50)
    excluded = np.zeros(50, dtype=bool)
    excluded[:25] = True
    sim = simulate_cat(bank, np.zeros(20), CatPolicy(stopping=StoppingRule(max_items=10)),
                       np.random.default_rng(1), excluded=excluded)
    assert np.all(sim.exposure_rate[:25] == 0)


def test_graded_response_bank_runs_through_a_cat():
    from piaa.psychometrics import simulation as sim_mod
    from piaa.psychometrics.polytomous import information_grm

    rng = np.random.default_rng(21)
    params = sim_mod.simulate_params("grm", 120, rng, n_categories=5)
    bank = ItemBank(params, model="grm")
    grid = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(bank.information(grid), information_grm(grid, params))
    true = rng.normal(size=600)
    sim = simulate_cat(bank, true, CatPolicy(stopping=StoppingRule(se_target=0.35,
                                                                   max_items=20)), rng)
    assert abs(sim.bias) < 0.06
    assert sim.rmse == pytest.approx(np.sqrt(np.mean(sim.se**2)), rel=0.2)
    # Scores stay inside each item's categories and match the EAP from scratch.
    seen = ~np.isnan(sim.responses)
    assert np.all(sim.responses[seen] <= (bank.n_categories - 1)[np.nonzero(seen)[1]])
    eap = estimate_ability(sim.responses, params, model="grm")
    np.testing.assert_allclose(sim.theta, eap.theta, atol=1e-8)
