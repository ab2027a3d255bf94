"""Tests for simulated parameters and responses.

The reference for a simulator is the model itself: with many draws, observed
category frequencies must match the model's probabilities within sampling
error (binomial standard errors, derivation in each test).
"""

import numpy as np
import pytest

from piaa.psychometrics import irt
from piaa.psychometrics.polytomous import category_prob, validate_poly_params
from piaa.psychometrics.simulation import (
    SIMULATION_MODELS,
    simulate_params,
    simulate_responses,
    simulate_theta,
)


@pytest.mark.parametrize("model", SIMULATION_MODELS)
def test_every_model_gives_valid_parameters_and_responses(model):
    rng = np.random.default_rng(3)
    params = simulate_params(model, 8, rng)
    if model in ("grm", "gpcm"):
        validate_poly_params(params, model)
        assert params.shape == (8, 4)
    else:
        irt.validate_params(params)
        assert params.shape == (8, 4)
    x = simulate_responses(simulate_theta(50, rng), params, model, rng, missing=0.2)
    assert x.shape == (50, 8)
    seen = x[~np.isnan(x)]
    assert set(np.unique(seen)) <= set(range(4 if model in ("grm", "gpcm") else 2))


def test_model_specific_constraints():
    rng = np.random.default_rng(4)
    assert np.all(simulate_params("rasch", 5, rng)[:, 0] == 1.0)
    one = simulate_params("1pl", 5, rng)
    assert np.all(one[:, 0] == one[0, 0])
    two = simulate_params("2pl", 5, rng)
    assert np.all(two[:, 2] == 0) and np.all(two[:, 3] == 1)
    three = simulate_params("3pl", 200, rng)
    assert three[:, 2].min() >= 0.05 and three[:, 2].max() <= 0.25 and np.all(three[:, 3] == 1)
    four = simulate_params("4pl", 200, rng)
    assert four[:, 3].min() >= 0.90 and four[:, 3].max() <= 0.99
    poly = simulate_params("grm", 6, rng, n_categories=[2, 3, 5, 2, 3, 5])
    assert poly.shape == (6, 5)
    assert np.isnan(poly[0, 2:]).all() and np.isfinite(poly[2, 1:]).all()
    assert np.all(np.diff(poly[2, 1:]) >= 0.3)


@pytest.mark.parametrize("model", ["2pl", "3pl", "grm", "gpcm"])
def test_frequencies_match_model_probabilities(model):
    """At a fixed θ every draw is multinomial with the model's probabilities.

    With N = 40 000 draws per item the standard error of a frequency is at
    most sqrt(0.25 / N) = 0.0025; 5 standard errors is 0.0125.
    """
    rng = np.random.default_rng(11)
    params = simulate_params(model, 3, rng, n_categories=4)
    theta = np.full(40_000, 0.4)
    x = simulate_responses(theta, params, model, rng)
    if model in ("grm", "gpcm"):
        expected = category_prob(theta[:1], params, model)[0]
        observed = np.stack([(x == k).mean(axis=0) for k in range(4)], axis=1)
    else:
        expected = irt.prob(theta[:1], params)[0]
        observed = x.mean(axis=0)
    np.testing.assert_allclose(observed, expected, atol=0.0125)


def test_missing_fraction_and_reproducibility():
    params = simulate_params("2pl", 20, np.random.default_rng(1))
    theta = simulate_theta(5000, np.random.default_rng(2))
    x1 = simulate_responses(theta, params, "2pl", np.random.default_rng(9), missing=0.3)
    x2 = simulate_responses(theta, params, "2pl", np.random.default_rng(9), missing=0.3)
    np.testing.assert_array_equal(x1, x2)
    # 100 000 cells: SE of the missing share is sqrt(0.21 / 1e5) = 0.0014
    assert np.isnan(x1).mean() == pytest.approx(0.3, abs=0.007)


def test_theta_distribution():
    theta = simulate_theta(100_000, np.random.default_rng(5), mean=-0.5, sd=2.0)
    # SE of the mean 2/sqrt(1e5) = 0.0063; of the sd about 2/sqrt(2e5) = 0.0045
    assert theta.mean() == pytest.approx(-0.5, abs=0.03)
    assert theta.std() == pytest.approx(2.0, abs=0.025)


@pytest.mark.parametrize("call, message", [
    (lambda r: simulate_params("nominal", 3, r), "model must be one of"),
    (lambda r: simulate_params("grm", 3, r, n_categories=1), "at least 2 categories"),
    (lambda r: simulate_params("2pl", 0, r), "n_items"),
    (lambda r: simulate_responses([0.0], [[1, 0, 0, 1]], "2pl", r, missing=1.0), "missing"),
    (lambda r: simulate_theta(0, r), "n_persons"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call(np.random.default_rng(0))


def test_rng_must_be_a_generator():
    with pytest.raises(TypeError, match="Generator"):
        simulate_params("2pl", 3, 42)
