"""Tests for the bookmark method and Rudner's classification accuracy and consistency."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from piaa.psychometrics.polytomous import prob_gpcm
from piaa.psychometrics.standard_setting import (
    bookmark_cut_scores,
    classification_accuracy,
    ordered_item_booklet,
)


def test_rp_locations_by_hand():
    # 2PL: P = RP at θ = b + ln(RP/(1-RP))/a; RP = .67 gives ln(.67/.33) = .708185.
    # 3PL with c = .2: F = (.67 - .2)/.8 = .5875, θ = b + ln(.5875/.4125)/a = b + .353640/a.
    params = np.array([[1.0, 0.5, 0.0, 1.0], [2.0, -1.0, 0.0, 1.0], [1.0, 0.0, 0.2, 1.0]])
    booklet = ordered_item_booklet(params, "3pl", rp=0.67)
    loc = {int(i): v for i, v in zip(booklet.item, booklet.location)}
    assert loc[0] == pytest.approx(0.5 + 0.708185, abs=1e-6)
    assert loc[1] == pytest.approx(-1.0 + 0.708185 / 2, abs=1e-6)
    assert loc[2] == pytest.approx(0.353640, abs=1e-6)
    assert booklet.item.tolist() == [1, 2, 0]
    assert np.all(np.diff(booklet.location) >= 0)


def test_rp50_puts_2pl_items_at_their_difficulty():
    params = np.column_stack([[0.7, 1.4, 2.0], [0.3, -0.2, 1.1], np.zeros(3), np.ones(3)])
    booklet = ordered_item_booklet(params, rp=0.5)
    np.testing.assert_allclose(booklet.location, [-0.2, 0.3, 1.1])


def test_grm_pages_are_category_boundaries():
    # GRM: P(X >= k) = RP at b_k + logit(RP)/a.
    params = np.array([[1.0, -1.0, 0.5, np.nan], [2.0, -0.5, 0.0, 1.0]])
    booklet = ordered_item_booklet(params, "grm", rp=0.67)
    shift = np.log(0.67 / 0.33)
    expected = sorted([-1.0 + shift, 0.5 + shift, -0.5 + shift / 2, shift / 2, 1.0 + shift / 2])
    np.testing.assert_allclose(booklet.location, expected)
    assert booklet.location.size == 5
    assert set(zip(booklet.item.tolist(), booklet.category.tolist())) == {(0, 1), (0, 2), (1, 1), (1, 2), (1, 3)}


def test_gpcm_pages_solve_cumulative_probability():
    params = np.array([[1.3, -0.8, 0.4, 1.1]])
    booklet = ordered_item_booklet(params, "gpcm", rp=0.67)
    probs = prob_gpcm(booklet.location, params)[:, 0, :]  # (pages, K)
    at_least = [probs[i, k:].sum() for i, k in enumerate(booklet.category)]
    np.testing.assert_allclose(at_least, 0.67, atol=1e-9)


def test_bookmark_cut_rules():
    params = np.column_stack([np.ones(5), [-2.0, -1.0, 0.0, 1.0, 2.0], np.zeros(5), np.ones(5)])
    booklet = ordered_item_booklet(params, rp=0.5)
    np.testing.assert_allclose(bookmark_cut_scores(booklet, [2, 4]), [-2.0, 0.0])
    np.testing.assert_allclose(bookmark_cut_scores(booklet, [2, 4], rule="bookmark"), [-1.0, 1.0])
    np.testing.assert_allclose(bookmark_cut_scores(booklet, [2, 4], rule="midpoint"), [-1.5, 0.5])
    with pytest.raises(ValueError, match="strictly increasing"):
        bookmark_cut_scores(booklet, [4, 2])
    with pytest.raises(ValueError, match="bookmark 1 is on page 6"):
        bookmark_cut_scores(booklet, [2, 6])


def test_rudner_single_cut_by_hand():
    # One cut at 0. Person A: θ̂ = .5, SE = .5 -> P(true above) = Φ(1) = .841345.
    # Person B: θ̂ = -.2, SE = .4 -> P(true below) = Φ(.5) = .691462.
    # accuracy = (.841345 + .691462)/2 = .766404;
    # consistency = mean(p² + (1-p)²) = (.733032 + .573316)/2 = .653174.
    res = classification_accuracy([0.5, -0.2], [0.5, 0.4], [0.0])
    a, b = norm.cdf(1.0), norm.cdf(0.5)
    assert res.accuracy == pytest.approx((a + b) / 2)
    assert res.accuracy == pytest.approx(0.766404, abs=1e-6)
    assert res.consistency == pytest.approx(((a**2 + (1 - a) ** 2) + (b**2 + (1 - b) ** 2)) / 2)
    assert res.consistency == pytest.approx(0.653174, abs=1e-6)
    assert res.accuracy_by_cut[0] == pytest.approx(res.accuracy)
    assert res.false_positive_by_cut[0] == pytest.approx((1 - a) / 2)
    assert res.false_negative_by_cut[0] == pytest.approx((1 - b) / 2)
    assert res.observed_level.tolist() == [1, 0]
    np.testing.assert_allclose(res.confusion.sum(), 1.0)


def test_seeded_rudner_matches_empirical_accuracy_and_consistency():
    rng = np.random.default_rng(8080)
    n = 40000
    theta = rng.normal(size=n)
    se = rng.uniform(0.25, 0.45, n)
    first = theta + rng.normal(size=n) * se
    second = theta + rng.normal(size=n) * se
    cuts = np.array([-0.5, 0.8])
    res = classification_accuracy(first, se, cuts)
    level = lambda t: np.searchsorted(cuts, t, side="right")  # noqa: E731
    empirical_accuracy = np.mean(level(first) == level(theta))
    empirical_consistency = np.mean(level(first) == level(second))
    # Rudner's normal approximation ignores the shrinkage of θ̂ towards the
    # population mean, so it runs about .005 high here; .015 leaves room for
    # sampling error (binomial SE about .002).
    assert res.accuracy == pytest.approx(empirical_accuracy, abs=0.015)
    assert res.consistency == pytest.approx(empirical_consistency, abs=0.015)
    for k, cut in enumerate(cuts):
        emp = np.mean((first >= cut) == (theta >= cut))
        assert res.accuracy_by_cut[k] == pytest.approx(emp, abs=0.01)
    np.testing.assert_allclose(res.level_probabilities.sum(axis=1), 1.0)


def test_classification_input_errors():
    with pytest.raises(ValueError, match="person 1 has theta=0, se=0"):
        classification_accuracy([0.0, 0.0], [0.3, 0.0], [0.0])
    with pytest.raises(ValueError, match="strictly increasing"):
        classification_accuracy([0.0], [0.3], [1.0, 0.5])
    with pytest.raises(ValueError, match="rp must be between"):
        ordered_item_booklet(np.array([[1.0, 0.0, 0.0, 1.0]]), rp=1.2)
    with pytest.raises(ValueError, match="outside item 0's asymptotes"):
        ordered_item_booklet(np.array([[1.0, 0.0, 0.3, 1.0]]), "3pl", rp=0.25)
