"""Dichotomous response functions and the quadrature grid.

Reference values are closed-form facts of the logistic model (derivations in
the comments); recovery checks the log-likelihood on seeded simulated data.
"""

import numpy as np
import pytest

from piaa.psychometrics.irt import information, log_prob_pair, loglik, prob, validate_params
from piaa.psychometrics.quadrature import normal_quadrature, normal_weights

ITEMS = np.array(
    [
        [1.0, 0.0, 0.0, 1.0],  # Rasch item
        [1.7, -0.5, 0.0, 1.0],  # 2PL
        [1.2, 0.8, 0.2, 1.0],  # 3PL
        [0.9, 0.3, 0.15, 0.9],  # 4PL
    ]
)


def test_probability_at_difficulty_is_midway_between_asymptotes():
    # At θ = b the logistic is 1/2, so P = c + (d - c) / 2.
    p = prob(ITEMS[:, 1], ITEMS)
    expected = ITEMS[:, 2] + (ITEMS[:, 3] - ITEMS[:, 2]) / 2
    np.testing.assert_allclose(np.diag(p), expected, rtol=0, atol=1e-15)


def test_probability_known_value():
    # 2PL, a = 1.7, b = -0.5, θ = 0.5: 1 / (1 + exp(-1.7)) = 0.845534734916465
    assert prob([0.5], ITEMS[1:2])[0, 0] == pytest.approx(0.845534734916465, abs=1e-14)


def test_log_pair_matches_probability_and_survives_the_tails():
    theta = np.array([-40.0, -3.0, 0.0, 2.0, 40.0])
    log_p, log_q = log_prob_pair(theta, ITEMS)
    p = prob(theta, ITEMS)
    inner = slice(1, 4)
    np.testing.assert_allclose(np.exp(log_p[inner]), p[inner], rtol=1e-12)
    np.testing.assert_allclose(np.exp(log_q[inner]), 1 - p[inner], rtol=1e-12)
    # 2PL at θ = 40: log(1 - P) = -log1p(exp(1.7 * 40.5)) ≈ -68.85, not -inf
    assert log_q[-1, 1] == pytest.approx(-1.7 * 40.5, rel=1e-12)
    assert np.isfinite(log_p).all() and np.isfinite(log_q).all()


def test_information_2pl_peak_is_a_squared_over_four():
    # 2PL: I = a² P (1 - P), maximal at θ = b where P = 1/2.
    assert information([-0.5], ITEMS[1:2])[0, 0] == pytest.approx(1.7**2 / 4, rel=1e-14)


def test_information_3pl_maximum_matches_birnbaum():
    # Birnbaum (1968): the 3PL information peaks at θ = b + log((1 + sqrt(1 + 8c)) / 2) / a
    # with value a² / (8 (1 - c)²) * (1 - 20c - 8c² + (1 + 8c)^1.5).
    a, b, c = ITEMS[2, :3]
    theta_max = b + np.log((1 + np.sqrt(1 + 8 * c)) / 2) / a
    i_max = a**2 / (8 * (1 - c) ** 2) * (1 - 20 * c - 8 * c**2 + (1 + 8 * c) ** 1.5)
    grid = np.linspace(theta_max - 0.01, theta_max + 0.01, 2001)
    info = information(grid, ITEMS[2:3])[:, 0]
    assert info.max() == pytest.approx(i_max, rel=1e-9)
    assert grid[info.argmax()] == pytest.approx(theta_max, abs=2e-5)


def test_information_equals_squared_slope_over_variance_numerically():
    # I = P'² / (P (1 - P)); P' by central differences.
    theta = np.linspace(-3, 3, 13)
    h = 1e-6
    dp = (prob(theta + h, ITEMS) - prob(theta - h, ITEMS)) / (2 * h)
    p = prob(theta, ITEMS)
    np.testing.assert_allclose(information(theta, ITEMS), dp**2 / (p * (1 - p)), rtol=1e-6)


def test_loglik_ignores_missing_responses():
    theta = np.array([0.3, -1.0])
    x = np.array([[1, 0, np.nan, 1], [np.nan, np.nan, 0, 1]], float)
    p = prob(theta, ITEMS)
    expected0 = np.log(p[0, 0]) + np.log(1 - p[0, 1]) + np.log(p[0, 3])
    expected1 = np.log(1 - p[1, 2]) + np.log(p[1, 3])
    np.testing.assert_allclose(loglik(x, theta, ITEMS), [expected0, expected1], rtol=1e-13)


def test_loglik_is_maximised_near_the_true_ability():
    rng = np.random.default_rng(20240501)
    items = np.column_stack([rng.lognormal(0, 0.2, 200), rng.normal(0, 1, 200), np.zeros(200), np.ones(200)])
    true_theta = np.array([-1.5, 0.0, 1.2])
    x = (rng.random((3, 200)) < prob(true_theta, items)).astype(float)
    grid = np.linspace(-4, 4, 801)
    ll = np.stack([loglik(x, np.full(3, t), items) for t in grid])
    theta_hat = grid[ll.argmax(axis=0)]
    # 200 items give a standard error near 1 / sqrt(200 * 0.2) ≈ 0.16
    np.testing.assert_allclose(theta_hat, true_theta, atol=0.5)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.array([[1.0, 0.0, 0.3, 0.2]]), "item 0 needs 0 <= c < d <= 1"),
        (np.array([[1.0, np.nan, 0.0, 1.0]]), "item 0 are not finite"),
        (np.ones((2, 3)), "shape"),
    ],
)
def test_bad_parameters_are_named(bad, message):
    with pytest.raises(ValueError, match=message):
        validate_params(bad)


def test_quadrature_matches_mirt_rectangular_grid():
    # mirt: Theta <- seq(-6, 6, length.out = 61); prior <- dnorm(Theta); prior / sum(prior)
    nodes, weights = normal_quadrature()
    np.testing.assert_allclose(nodes, np.linspace(-6, 6, 61), atol=1e-15)
    dens = np.exp(-0.5 * nodes**2) / np.sqrt(2 * np.pi)
    np.testing.assert_allclose(weights, dens / dens.sum(), rtol=1e-13)
    assert weights.sum() == pytest.approx(1.0, abs=1e-15)
    # spacing 0.2 times the N(0,1) density at 0 (0.398942...) = 0.0797885
    assert weights[30] == pytest.approx(0.2 * 0.3989422804014327, rel=1e-9)


def test_quadrature_moments_follow_mean_and_sd():
    # The grid ends 4.3 sd above the mean, so truncation costs about 3e-5 in
    # the mean and 2e-4 in the variance (normal tail beyond 4.3 sd).
    nodes, weights = normal_quadrature(61, (-6, 6), mean=0.4, sd=1.3)
    assert weights @ nodes == pytest.approx(0.4, abs=1e-4)
    assert weights @ (nodes - 0.4) ** 2 == pytest.approx(1.69, abs=1e-3)


def test_quadrature_rejects_bad_input():
    with pytest.raises(ValueError, match="n_points"):
        normal_quadrature(1)
    with pytest.raises(ValueError, match="bounds"):
        normal_quadrature(11, (2, -2))
    with pytest.raises(ValueError, match="sd must be a positive"):
        normal_weights([0.0, 1.0], sd=0)
