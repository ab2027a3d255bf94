"""Decision confidence: level probabilities from the θ posterior or its normal approximation,
the beta-binomial model of classical scores (Livingston & Lewis; Subkoviak), and simulations
showing that a certificate rule built on them keeps its promise."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

from piaa.psychometrics.decision import (
    AbilityPosterior,
    ability_posterior,
    beta_true_score,
    classical_level_confidence,
    effective_test_length,
    livingston_lewis,
    normal_level_confidence,
    posterior_level_confidence,
    subkoviak_agreement,
)

LSAT7 = json.loads((Path(__file__).parent / "reference" / "ability_lsat7_mirt.json").read_text())


def _mirt_lsat7_params() -> np.ndarray:
    m = LSAT7["models"]["modm1"]
    a, d = np.array(m["a1"]), np.array(m["d"])
    return np.column_stack([a, -d / a, np.zeros_like(a), np.ones_like(a)])


# ------------------------------------------------------------------ IRT posterior


def test_posterior_reproduces_mirt_eap_of_lsat7():
    # R mirt's EAPsum for sum scores 0 and 5 of LSAT7 (test-01-mirtOne.R line 116): each sum
    # score has one pattern (00000, 11111), so its EAP and SE are that pattern's posterior
    # mean and SD on mirt's 61-node [-6, 6] grid with a N(0, 1) prior.
    ref = LSAT7["eap_sum"]
    post = ability_posterior(np.array([[0.0] * 5, [1.0] * 5]), _mirt_lsat7_params(), n_quadrature=61)
    np.testing.assert_allclose(post.theta, [ref["theta"][0], ref["theta"][5]], atol=1e-4)
    np.testing.assert_allclose(post.se, [ref["se"][0], ref["se"][5]], atol=1e-4)
    np.testing.assert_allclose(post.weights.sum(axis=1), 1.0)


def test_level_masses_split_the_cell_a_cut_falls_in():
    # By hand: nodes 0, 1, 2 stand for cells [-.5, .5], [.5, 1.5], [1.5, 2.5]. A cut at 1.25
    # leaves three quarters of the middle cell below it: .2 + .5 * .75 = .575 below.
    post = AbilityPosterior(np.array([0.0, 1.0, 2.0]), np.array([[0.2, 0.5, 0.3]]),
                            np.array([1.1]), np.array([0.7]))
    conf = posterior_level_confidence(post, [1.25])
    np.testing.assert_allclose(conf.probabilities, [[0.575, 0.425]])
    assert conf.level.tolist() == [0] and conf.confidence[0] == pytest.approx(0.575)
    assert conf.at_or_above(1)[0] == pytest.approx(0.425)


def test_level_probabilities_match_direct_integration_of_the_posterior():
    # The definition: P(θ >= cut | x) = ∫_cut^∞ φ(θ) L(θ) dθ / ∫ φ(θ) L(θ) dθ, by adaptive
    # quadrature (scipy.integrate.quad), independent of the grid.
    params = np.array([[1.2, -0.5, 0, 1], [0.8, 0.3, 0, 1], [1.6, 0.9, 0, 1], [1.0, 1.4, 0, 1]])
    pattern = np.array([1.0, 1.0, 0.0, 1.0])

    def joint(t):
        p = 1 / (1 + np.exp(-params[:, 0] * (t - params[:, 1])))
        return norm.pdf(t) * np.prod(np.where(pattern == 1, p, 1 - p))

    total = integrate.quad(joint, -8, 8, points=[0.25, 1.0])[0]
    cuts = [-0.75, 0.25, 1.0]
    exact_above = [integrate.quad(joint, c, 8)[0] / total for c in cuts]
    conf = posterior_level_confidence(ability_posterior(pattern, params), cuts)
    # 121 nodes on ±6 (spacing 0.1) with cells split at the cut: within 1e-3 of the integral.
    np.testing.assert_allclose([conf.at_or_above(k + 1)[0] for k in range(3)], exact_above, atol=1e-3)


def test_normal_approximation_by_hand():
    # θ̂ = .5, SE = .5, cuts 0 and 1: P(level 0) = Φ(-1) = .158655, P(level 2) = Φ(-1) again,
    # P(level 1) = 1 - 2 × .158655 = .682689 (the reported level).
    conf = normal_level_confidence([0.5], [0.5], [0.0, 1.0])
    np.testing.assert_allclose(conf.probabilities, [[0.158655, 0.682689, 0.158655]], atol=1e-6)
    assert conf.level.tolist() == [1] and conf.confidence[0] == pytest.approx(0.682689, abs=1e-6)
    with pytest.raises(ValueError, match="person 0 has theta=0, se=0"):
        normal_level_confidence([0.0], [0.0], [0.0])
    with pytest.raises(ValueError, match="strictly increasing"):
        normal_level_confidence([0.0], [0.3], [1.0, 0.5])


def _simulate_2pl(rng, theta, params):
    p = 1 / (1 + np.exp(-params[:, 0] * (theta[:, None] - params[:, 1])))
    return (rng.random(p.shape) < p).astype(float)


def test_seeded_certified_simulees_below_the_level_stay_within_the_threshold():
    """Certify when the reported level reaches level 3 and P(θ >= its cut) >= .80: at most
    20% of the certified may truly be below level 3, and the posterior's own promise (the
    mean of 1 - P among the certified) must match what happened."""
    rng = np.random.default_rng(15)
    n, threshold, cuts = 6000, 0.80, np.array([-1.5, -0.5, 0.5, 1.5])
    params = np.column_stack([rng.lognormal(0.2, 0.25, 20), rng.uniform(-2, 2, 20), np.zeros(20), np.ones(20)])
    theta = rng.normal(size=n)
    conf = posterior_level_confidence(ability_posterior(_simulate_2pl(rng, theta, params), params), cuts)
    sure = conf.at_or_above(3)
    certified = (conf.level >= 3) & (sure >= threshold)
    below = theta[certified] < cuts[2]
    share, promised = below.mean(), np.mean(1 - sure[certified])
    se = np.sqrt(threshold * (1 - threshold) / certified.sum())
    # 3 binomial standard errors of a share near the limit (about .03 with ~1,100 certified).
    assert certified.sum() > 500
    assert share <= (1 - threshold) + 3 * se
    assert share == pytest.approx(promised, abs=3 * se)
    # And the rule bites: certifying on the reported level alone lets more through wrongly.
    assert np.mean(theta[conf.level >= 3] < cuts[2]) > share


# ------------------------------------------------------------------ classical


def test_effective_length_of_a_kr21_reliability_is_the_number_of_items():
    # Substituting KR-21 = n/(n-1) (1 - μ(n-μ)/(nσ²)) into Livingston & Lewis's (1995)
    # n' = (μ(n-μ) - rσ²)/(σ²(1-r)) gives n' = n: the binomial error model of KR-21.
    n, mean, var = 20, 13.0, 16.0
    kr21 = n / (n - 1) * (1 - mean * (n - mean) / (n * var))
    assert effective_test_length(mean, var, kr21, 0, n) == pytest.approx(n)
    with pytest.raises(ValueError, match="reliability must be between 0 and 1"):
        effective_test_length(mean, var, 1.0, 0, n)
    with pytest.raises(ValueError, match="mean must lie inside"):
        effective_test_length(25.0, var, 0.8, 0, n)


def test_posterior_mean_of_the_true_proportion_is_kelleys_regressed_score():
    # Lord & Novick (1968, ch. 23): under the beta-binomial model the regression of true
    # score on observed score is linear, and equals Kelley's τ̂ = ρ x/n + (1 - ρ) μ/n with ρ the
    # KR-21 reliability. The posterior Beta(α + x, β + n - x) must have that mean.
    n, mean, var = 20, 13.0, 16.0
    kr21 = n / (n - 1) * (1 - mean * (n - mean) / (n * var))
    a, b = beta_true_score(mean, var, kr21, 0, n)
    for x in (0, 7, 13, 20):
        assert (a + x) / (a + b + n) == pytest.approx(kr21 * x / n + (1 - kr21) * mean / n)
    # The confidence uses that posterior: P(τ >= .6) for x = 15 from the beta directly.
    from scipy.stats import beta

    conf = classical_level_confidence([15], n, [60.0], mean=mean, sd=np.sqrt(var), reliability=kr21)
    assert conf.level.tolist() == [1]
    assert conf.confidence[0] == pytest.approx(beta.sf(0.6, a + 15, b + 5), abs=1e-12)


def test_subkoviak_agreement_by_hand():
    # Two items, cut 50% (one item right), r = .5, scores 0, 1, 2 (mean 1): Kelley gives
    # τ̂ = .25, .5, .75. P(pass) = 1 - (1 - τ̂)² = .4375, .75, .9375; agreement per person
    # p² + (1-p)² = .507813, .625, .882813 -> p0 = .671875. Mean P(pass) = .708333, so chance
    # agreement .708333² + .291667² = .586806 and kappa = (.671875 - .586806)/.413194 = .205882.
    p0, kappa = subkoviak_agreement([0, 1, 2], 2, [50.0], 0.5)
    assert p0 == pytest.approx(0.671875)
    assert kappa == pytest.approx(0.205882, abs=1e-6)
    with pytest.raises(ValueError, match="score 1 is 3"):
        subkoviak_agreement([0, 3], 2, [50.0], 0.5)


def _beta_binomial_population(rng, n_persons, n_items, a=6.0, b=3.0):
    tau = rng.beta(a, b, n_persons)
    return tau, rng.binomial(n_items, tau), rng.binomial(n_items, tau)


def _kr21(scores, n):
    m, v = scores.mean(), scores.var(ddof=1)
    return n / (n - 1) * (1 - m * (n - m) / (n * v))


def test_seeded_livingston_lewis_and_subkoviak_match_two_parallel_forms():
    rng = np.random.default_rng(1995)
    n_items, cuts = 25, np.array([50.0, 70.0, 90.0])
    tau, first, second = _beta_binomial_population(rng, 40000, n_items)
    r = _kr21(first, n_items)
    level = lambda p: np.searchsorted(cuts / 100, p, side="right")  # noqa: E731
    accuracy = np.mean(level(first / n_items + 1e-12) == level(tau))
    consistency = np.mean(level(first / n_items + 1e-12) == level(second / n_items + 1e-12))
    ll = livingston_lewis(first.mean(), first.std(ddof=1), r, n_items, cuts)
    assert ll.effective_length == n_items  # KR-21 reliability (see above)
    # The data follow the model exactly, so the only error is sampling: binomial SE of a
    # share of 40,000 is about .0025; .01 is four of them.
    assert ll.accuracy == pytest.approx(accuracy, abs=0.01)
    assert ll.consistency == pytest.approx(consistency, abs=0.01)
    for k, cut in enumerate(cuts / 100):
        assert ll.accuracy_by_cut[k] == pytest.approx(np.mean((first / n_items >= cut - 1e-12) == (tau >= cut)),
                                                      abs=0.01)
    # Subkoviak's coefficient treats Kelley's point estimates as the true proportions and
    # ignores their spread, so it misses the two-form agreement a little (here .545 against
    # .562); within .03.
    p0, _ = subkoviak_agreement(first, n_items, cuts, r)
    assert p0 == pytest.approx(consistency, abs=0.03)


def test_seeded_classical_certificates_keep_the_threshold():
    """Certify at 70% when P(τ >= .7 | x) >= .80, from a pilot's moments and KR-21."""
    rng = np.random.default_rng(2026)
    n_items, threshold = 20, 0.80
    pilot_tau, pilot, _ = _beta_binomial_population(rng, 500, n_items)
    tau, scores, _ = _beta_binomial_population(rng, 20000, n_items)
    conf = classical_level_confidence(scores, n_items, [70.0], mean=pilot.mean(), sd=pilot.std(ddof=1),
                                      reliability=_kr21(pilot, n_items))
    certified = (conf.level >= 1) & (conf.at_or_above(1) >= threshold)
    share = np.mean(tau[certified] < 0.7)
    se = np.sqrt(threshold * (1 - threshold) / certified.sum())
    assert certified.sum() > 1000 and share <= (1 - threshold) + 3 * se
    assert share == pytest.approx(np.mean(1 - conf.at_or_above(1)[certified]), abs=3 * se)
