"""Ability estimation: mirt's published LSAT7 scores, girth agreement, recovery."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from piaa.psychometrics.estimation import (
    AbilityEstimates,
    eap_sum_score_table,
    empirical_reliability,
    estimate_ability,
    marginal_reliability,
    total_information,
)

REFERENCE = json.loads(
    (Path(__file__).parent / "reference" / "ability_lsat7_mirt.json").read_text()
)


def _lsat7() -> np.ndarray:
    """LSAT7 as its 1,000 persons, in the row order of mirt's expand.table.

    Rebuilt from mirt's pattern-frequency table (the same expansion as the
    project's LSAT7.csv reference data set) so the test needs no data files.
    """
    counts = {
        "00000": 12, "00001": 19, "00010": 1, "00011": 7, "00100": 3, "00101": 19,
        "00110": 3, "00111": 17, "01000": 10, "01001": 5, "01010": 3, "01011": 7,
        "01100": 7, "01101": 23, "01110": 8, "01111": 28, "10000": 7, "10001": 39,
        "10010": 11, "10011": 34, "10100": 14, "10101": 51, "10110": 15, "10111": 90,
        "11000": 6, "11001": 25, "11010": 7, "11011": 35, "11100": 18, "11101": 136,
        "11110": 32, "11111": 308,
    }
    rows = [[float(c) for c in pattern] for pattern, n in counts.items() for _ in range(n)]
    return np.array(rows)


def _mirt_params(name: str) -> np.ndarray:
    m = REFERENCE["models"][name]
    a, d = np.array(m["a1"]), np.array(m["d"])
    return np.column_stack([a, -d / a, np.zeros_like(a), np.ones_like(a)])


def _simulate_2pl(rng, n_persons, n_items):
    theta = rng.normal(size=n_persons)
    params = np.column_stack([
        rng.lognormal(0.0, 0.25, n_items), rng.normal(0.0, 1.0, n_items),
        np.zeros(n_items), np.ones(n_items),
    ])
    p = 1.0 / (1.0 + np.exp(-params[:, 0] * (theta[:, None] - params[:, 1])))
    return theta, params, (rng.random(p.shape) < p).astype(float)


# ---------------------------------------------------------------- mirt


@pytest.mark.parametrize("key,method", [("eap_patterns", "eap"), ("map_patterns", "map")])
def test_pattern_scores_match_mirt(key, method):
    ref = REFERENCE[key]
    est = estimate_ability(np.array(ref["patterns"], float), _mirt_params(ref["model"]),
                           method=method)
    np.testing.assert_allclose(est.theta, ref["theta"], atol=ref["tolerance"], rtol=0)


def test_mle_matches_mirt_and_bounds_extreme_patterns():
    ref = REFERENCE["mle_rows"]
    x = _lsat7()
    est = estimate_ability(x, _mirt_params(ref["model"]), method="mle")
    rows = np.array(ref["rows_1_based"]) - 1
    np.testing.assert_allclose(est.theta[rows], ref["theta"], atol=ref["tolerance"], rtol=0)
    # mirt: row 1 (all wrong) is -Inf and row 1000 (all right) Inf; we bound them.
    assert est.theta[0] == -6.0 and est.theta[999] == 6.0
    assert est.extreme[0] == -1 and est.extreme[999] == 1
    assert est.at_bound[[0, 999]].all() and not est.at_bound[rows].any()
    assert np.all(np.isfinite(est.se)) and est.se[0] > 3.0
    assert est.converged.all()


def test_eap_sum_score_table_matches_mirt():
    ref = REFERENCE["eap_sum"]
    table = eap_sum_score_table(_mirt_params(ref["model"]), observed=_lsat7())
    np.testing.assert_array_equal(table.sum_score, ref["sum_score"])
    tol = ref["tolerance_theta_se"]
    np.testing.assert_allclose(table.theta, ref["theta"], atol=tol, rtol=0)
    np.testing.assert_allclose(table.se, ref["se"], atol=tol, rtol=0)
    np.testing.assert_array_equal(table.observed, ref["observed"])
    np.testing.assert_allclose(table.expected, ref["expected"], atol=ref["tolerance_expected"])
    np.testing.assert_allclose(table.std_residual, ref["std_residual"],
                               atol=ref["tolerance_std_residual"])
    assert table.observed_reliability == pytest.approx(ref["rxx"], abs=ref["tolerance_rxx"])
    assert table.probability.sum() == pytest.approx(1.0)


def test_sum_score_eap_equals_pattern_eap_when_scores_are_sufficient():
    # With equal slopes the sum score is sufficient for θ, so every pattern's
    # EAP equals the EAP of its sum score (derivation: the likelihood depends
    # on the pattern only through the sum).
    params = _mirt_params("modm4")
    x = _lsat7()
    table = eap_sum_score_table(params)
    est = estimate_ability(x, params)
    theta, se = table.lookup(x.sum(axis=1))
    np.testing.assert_allclose(est.theta, theta, atol=1e-10)
    np.testing.assert_allclose(est.se, se, atol=1e-10)


def test_sum_score_lookup_rejects_impossible_scores():
    table = eap_sum_score_table(_mirt_params("modm1"))
    with pytest.raises(ValueError, match="0..5"):
        table.lookup([6])


# ---------------------------------------------------------------- girth


def _girth_layout(x):
    import girth  # a declared dependency: its absence must fail, not skip

    return np.where(np.isnan(x), girth.INVALID_RESPONSE, x).T.astype(int), girth


@pytest.mark.parametrize("sparse", [False, True])
def test_agrees_with_girth(sparse):
    x = _lsat7()
    if sparse:
        x[np.random.default_rng(7).random(x.shape) < 0.3] = np.nan
    params = _mirt_params("modm1")
    a, b = params[:, 0], params[:, 1]
    g, girth = _girth_layout(x)
    eap = girth.ability_eap(g, b, a, {"quadrature_bounds": (-6, 6), "quadrature_n": 61})
    # girth integrates with Gauss-Legendre nodes, we with mirt's rectangular
    # grid; both are accurate to well below 1e-5 for these smooth posteriors.
    np.testing.assert_allclose(estimate_ability(x, params).theta, eap, atol=1e-5)
    # girth's fminbound stops at xtol 1e-5.
    np.testing.assert_allclose(estimate_ability(x, params, method="map").theta,
                               girth.ability_map(g, b, a), atol=1e-4)
    if not sparse:
        mle = girth.ability_mle(g, b, a)
        ours = estimate_ability(x, params, method="mle")
        finite = np.isfinite(mle)
        np.testing.assert_allclose(ours.theta[finite], mle[finite], atol=1e-4)
        # girth leaves zero-variance patterns unestimated; those are our extremes.
        np.testing.assert_array_equal(~finite, ours.extreme != 0)


# ---------------------------------------------------------------- behaviour


def test_recovers_simulated_abilities():
    rng = np.random.default_rng(20240611)
    theta, params, x = _simulate_2pl(rng, 3000, 40)
    x[rng.random(x.shape) < 0.25] = np.nan           # sparse, as in LOFT forms
    for method in ("eap", "map", "mle"):
        est = estimate_ability(x, params, method=method)
        ok = ~est.at_bound
        err = est.theta[ok] - theta[ok]
        # 30 items answered on average: reliability about 0.87, so r ~ 0.93.
        assert np.corrcoef(est.theta[ok], theta[ok])[0, 1] > 0.9, method
        assert abs(err.mean()) < 0.05, method
        # Reported SEs should describe the actual error (loose: 15 %).
        rmse = np.sqrt(np.mean(err**2))
        assert rmse == pytest.approx(np.sqrt(np.mean(est.se[ok] ** 2)), rel=0.15), method
        cover = np.mean(np.abs(err) < 1.96 * est.se[ok])
        assert 0.92 < cover < 0.97, method
        assert est.converged.all()


def test_three_pl_map_is_posterior_mode():
    rng = np.random.default_rng(3)
    params = np.column_stack([rng.uniform(0.8, 2.0, 30), rng.normal(size=30),
                              rng.uniform(0.1, 0.25, 30), np.ones(30)])
    x = (rng.random((50, 30)) < 0.6).astype(float)
    est = estimate_ability(x, params, model="3pl", method="map")
    # Check the mode against a brute-force grid of the log-posterior.
    grid = np.linspace(-6, 6, 24001)
    p = params[:, 2] + (1 - params[:, 2]) / (1 + np.exp(-params[:, 0] * (grid[:, None] - params[:, 1])))
    logpost = x @ np.log(p).T + (1 - x) @ np.log1p(-p).T - 0.5 * grid**2
    np.testing.assert_allclose(est.theta, grid[logpost.argmax(axis=1)], atol=1e-3)


def test_no_responses_give_prior_or_nan():
    params = _mirt_params("modm1")
    x = np.full((2, 5), np.nan)
    x[1, 2] = 1.0
    eap = estimate_ability(x, params, prior_mean=0.5, prior_sd=0.8)
    assert eap.theta[0] == pytest.approx(0.5, abs=1e-9)
    assert eap.se[0] == pytest.approx(0.8, abs=1e-6)
    assert eap.n_administered.tolist() == [0, 1]
    mle = estimate_ability(x, params, method="mle")
    assert np.isnan(mle.theta[0]) and np.isnan(mle.se[0])
    assert mle.theta[1] == 6.0 and mle.extreme[1] == 1


def test_standard_errors_follow_information():
    params = _mirt_params("modm1")
    x = _lsat7()[[13, 33, 500]]
    mle = estimate_ability(x, params, method="mle")
    info = total_information(mle.theta, params)
    np.testing.assert_allclose(mle.se, 1 / np.sqrt(info))
    map_ = estimate_ability(x, params, method="map", prior_sd=2.0)
    info = total_information(map_.theta, params)
    np.testing.assert_allclose(map_.se, 1 / np.sqrt(info + 0.25))


def test_reliabilities():
    params = _mirt_params("modm1")
    rel = marginal_reliability(params)
    # Independent check with scipy's adaptive integration (as mirt's
    # marginal_rxx uses R's integrate).
    from scipy.integrate import quad
    from scipy.stats import norm

    def integrand(t):
        return (total_information([t], params)[0] / (total_information([t], params)[0] + 1)
                * norm.pdf(t))

    assert rel == pytest.approx(quad(integrand, -np.inf, np.inf)[0], abs=1e-6)
    est = estimate_ability(_lsat7(), params)
    rxx = empirical_reliability(est)
    manual = np.var(est.theta, ddof=1) / (np.var(est.theta, ddof=1) + np.mean(est.se**2))
    assert rxx == pytest.approx(manual)
    # The empirical EAP reliability equals the sum-score table's observed one
    # only under sufficiency; here both are ~0.44-0.45, a weak test.
    assert 0.3 < rxx < 0.6


def test_bad_input_is_named():
    params = _mirt_params("modm1")
    with pytest.raises(ValueError, match="row 1, item column 3"):
        estimate_ability([[0, 1, 0, 1, 1], [0, 1, 0, 2, 1]], params)
    with pytest.raises(ValueError, match="method"):
        estimate_ability([[0, 1, 0, 1, 1]], params, method="wle")
    with pytest.raises(ValueError, match="6 item columns"):
        estimate_ability(np.zeros((1, 6)), params)
    with pytest.raises(ValueError, match="prior_sd"):
        estimate_ability([[0, 1, 0, 1, 1]], params, prior_sd=0)
    assert isinstance(estimate_ability([0, 1, 0, 1, 1], params), AbilityEstimates)


# ---------------------------------------------------------------- polytomous

SCIENCE = json.loads(
    (Path(__file__).parent / "reference" / "ability_science_mirt.json").read_text()
)


def _science_grm() -> np.ndarray:
    si = np.array(SCIENCE["model"]["slope_intercept"])
    return np.column_stack([si[:, 0], -si[:, 1:] / si[:, [0]]])


def test_grm_eap_matches_mirt():
    params = _science_grm()
    ref = SCIENCE["eap_response_pattern"]
    est = estimate_ability([ref["pattern"]], params, model="grm")
    assert est.theta[0] == pytest.approx(ref["theta"], abs=ref["tolerance"])
    assert est.se[0] == pytest.approx(ref["se"], abs=ref["tolerance"])
    ref = SCIENCE["eap_patterns"]
    est = estimate_ability(np.array(ref["patterns"], float), params, model="grm")
    np.testing.assert_allclose(est.theta, ref["theta"], atol=ref["tolerance"])


def _log_grid(params, model, patterns, grid):
    from piaa.psychometrics.polytomous import category_log_prob

    logp = category_log_prob(grid, params, model)               # (G, J, K)
    j = np.arange(patterns.shape[1])
    return logp[:, j[None, :], patterns.astype(int)].sum(axis=2).T  # (n, G)


@pytest.mark.parametrize("model", ["grm", "gpcm"])
def test_polytomous_modes_match_brute_force(model):
    params = _science_grm()
    rng = np.random.default_rng(12)
    x = rng.integers(0, 4, (40, 4)).astype(float)
    grid = np.linspace(-6, 6, 48001)
    ll = _log_grid(params, model, x, grid)
    map_ = estimate_ability(x, params, model=model, method="map")
    np.testing.assert_allclose(map_.theta, grid[(ll - 0.5 * grid**2).argmax(axis=1)], atol=1e-3)
    mle = estimate_ability(x, params, model=model, method="mle")
    inner = mle.extreme == 0
    np.testing.assert_allclose(mle.theta[inner], grid[ll[inner].argmax(axis=1)], atol=1e-3)
    assert np.all(mle.theta[mle.extreme == -1] == -6) and np.all(mle.theta[mle.extreme == 1] == 6)
    assert map_.converged.all() and mle.converged.all()


def test_polytomous_sum_score_table_matches_enumeration():
    # Derivation: summing the pattern likelihoods of all 4^4 patterns with
    # the same total gives P(sum | θ); Lord–Wingersky must agree exactly.
    params = _science_grm()
    patterns = np.array(np.meshgrid(*[range(4)] * 4, indexing="ij")).reshape(4, -1).T
    from piaa.psychometrics.quadrature import normal_quadrature

    nodes, weights = normal_quadrature()
    like = np.exp(_log_grid(params, "grm", patterns.astype(float), nodes))  # (256, Q)
    totals = patterns.sum(axis=1)
    by_score = np.array([like[totals == s].sum(axis=0) for s in range(13)]) * weights
    table = eap_sum_score_table(params, "grm")
    np.testing.assert_allclose(table.probability, by_score.sum(axis=1), atol=1e-14)
    np.testing.assert_allclose(table.theta, by_score @ nodes / by_score.sum(axis=1), atol=1e-12)


@pytest.mark.parametrize("model", ["grm", "gpcm"])
def test_polytomous_recovery(model):
    from piaa.psychometrics import simulation as sim

    rng = np.random.default_rng(99)
    theta = sim.simulate_theta(2000, rng)
    params = sim.simulate_params(model, 20, rng, n_categories=4)
    x = sim.simulate_responses(theta, params, model, rng, missing=0.2)
    for method in ("eap", "map", "mle"):
        est = estimate_ability(x, params, model=model, method=method)
        ok = ~est.at_bound
        err = est.theta[ok] - theta[ok]
        assert abs(err.mean()) < 0.05, method
        assert np.corrcoef(est.theta[ok], theta[ok])[0, 1] > 0.9, method
        rmse = np.sqrt(np.mean(err**2))
        assert rmse == pytest.approx(np.sqrt(np.mean(est.se[ok] ** 2)), rel=0.15), method


def test_polytomous_bad_category_is_named():
    with pytest.raises(ValueError, match="row 0, item column 2"):
        estimate_ability([[0, 1, 4, 1]], _science_grm(), model="grm")
