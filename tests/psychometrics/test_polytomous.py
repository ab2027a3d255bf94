"""Tests for the graded response and generalized partial credit models.

Reference values come from R mirt's fits of the Science data (see
reference/science_grm.json and reference/science_gpcm.json for the file and
line of every number) and, for the two-category GRM, mirt's LSAT7 2PL fit
(reference/lsat_mirt_dichotomous.json).
"""

import json
from pathlib import Path

import numpy as np
import pytest

from piaa.psychometrics import irt
from piaa.psychometrics.polytomous import (
    category_log_prob,
    expected_score,
    fit_polytomous,
    from_slope_intercept,
    information_gpcm,
    information_grm,
    log_prob_grm,
    loglik_poly,
    marginal_loglik,
    n_categories,
    prob_gpcm,
    prob_grm,
    standard_errors,
    to_slope_intercept,
    validate_poly_params,
)
from piaa.psychometrics.simulation import simulate_params, simulate_responses, simulate_theta

REF = Path(__file__).parent / "reference"


def _load(name):
    return json.loads((REF / name).read_text())


@pytest.fixture(scope="module")
def science(science_responses):
    # categories 1-4 in the file; the fixture counts from 0, as our models do
    return science_responses


@pytest.fixture(scope="module")
def science_grm(science):
    return fit_polytomous(science, "grm", tol=1e-7)


@pytest.fixture(scope="module")
def science_gpcm(science):
    return fit_polytomous(science, "gpcm", tol=1e-7)


# ---------------------------------------------------------------- response functions

PARAMS_GRM = np.array([
    [1.2, -1.0, 0.2, 1.5],
    [0.8, -0.5, 0.9, np.nan],
    [2.0, 0.3, np.nan, np.nan],
])


def test_grm_probabilities_follow_the_cumulative_definition():
    theta = np.array([-2.0, 0.0, 0.7, 3.0])
    p = prob_grm(theta, PARAMS_GRM)
    assert p.shape == (4, 3, 4)
    np.testing.assert_allclose(p.sum(axis=2), 1.0, atol=1e-14)
    # P(X >= k) = logistic(a (θ - b_k)) straight from the model's definition
    for j, row in enumerate(PARAMS_GRM):
        b = row[1:][~np.isnan(row[1:])]
        star = 1 / (1 + np.exp(-row[0] * (theta[:, None] - b[None, :])))
        at_least = np.cumsum(p[:, j, ::-1], axis=1)[:, ::-1][:, 1 : b.size + 1]
        np.testing.assert_allclose(at_least, star, atol=1e-13)
    assert np.all(p[:, 1, 3] == 0) and np.all(p[:, 2, 2:] == 0)


def test_gpcm_probabilities_follow_the_adjacent_category_definition():
    params = np.array([[0.9, -1.0, 0.5, 0.2], [1.5, 0.4, -0.3, np.nan]])
    theta = np.linspace(-3, 3, 7)
    p = prob_gpcm(theta, params)
    np.testing.assert_allclose(p.sum(axis=2), 1.0, atol=1e-14)
    for j, row in enumerate(params):
        b = row[1:][~np.isnan(row[1:])]
        numer = np.exp(np.concatenate(
            [np.zeros((theta.size, 1)), np.cumsum(row[0] * (theta[:, None] - b), axis=1)], axis=1))
        np.testing.assert_allclose(p[:, j, : b.size + 1], numer / numer.sum(1, keepdims=True), atol=1e-14)
    # P(X=k)/P(X=k-1) = exp(a (θ - b_k)) is the GPCM's defining property
    np.testing.assert_allclose(p[:, 0, 2] / p[:, 0, 1], np.exp(0.9 * (theta - 0.5)), rtol=1e-12)


def test_grm_log_probabilities_stay_accurate_far_in_the_tails():
    row = np.array([[1.5, -1.0, 0.0, 1.0]])
    lp = log_prob_grm(np.array([-40.0, 40.0]), row)
    # top category at θ = -40: log F(1.5 (-41)); bottom at θ = +40: log(1 - F(1.5 * 41))
    assert lp[0, 0, 3] == pytest.approx(-1.5 * 41 - np.log1p(np.exp(-61.5)), rel=1e-12)
    assert lp[1, 0, 0] == pytest.approx(-1.5 * 41, rel=1e-12)
    assert np.all(np.isfinite(lp))


def test_two_category_grm_is_the_2pl():
    params = np.array([[1.3, 0.4], [0.7, -1.2]])
    theta = np.linspace(-4, 4, 9)
    four = np.column_stack([params, np.zeros(2), np.ones(2)])
    np.testing.assert_allclose(prob_grm(theta, params)[:, :, 1], irt.prob(theta, four), atol=1e-14)
    np.testing.assert_allclose(prob_gpcm(theta, params)[:, :, 1], irt.prob(theta, four), atol=1e-14)
    np.testing.assert_allclose(information_grm(theta, params), irt.information(theta, four), rtol=1e-12)
    np.testing.assert_allclose(information_gpcm(theta, params), irt.information(theta, four), rtol=1e-12)


@pytest.mark.parametrize("model", ["grm", "gpcm"])
def test_information_is_the_fisher_information_of_theta(model):
    """I(θ) = Σ_k (∂P_k/∂θ)² / P_k, checked by central differences of P."""
    params = np.array([[1.2, -1.0, 0.2, 1.5], [0.8, -0.5, 0.9, np.nan]])
    theta = np.linspace(-3, 3, 13)
    h = 1e-6
    p = np.exp(category_log_prob(theta, params, model))
    with np.errstate(invalid="ignore"):     # -inf - -inf for absent categories
        dp = category_log_prob(theta + h, params, model) - category_log_prob(theta - h, params, model)
        numeric = np.nansum(p * (dp / (2 * h)) ** 2, axis=2)
    info = information_grm(theta, params) if model == "grm" else information_gpcm(theta, params)
    np.testing.assert_allclose(info, numeric, rtol=1e-6)


def test_expected_score_and_pattern_loglik():
    theta = np.array([-1.0, 0.5])
    es = expected_score(theta, PARAMS_GRM, "grm")
    p = prob_grm(theta, PARAMS_GRM)
    np.testing.assert_allclose(es, (p * np.arange(4)).sum(axis=2))
    x = np.array([[0, 2, np.nan], [3, 1, 1]])
    ll = loglik_poly(x, theta, PARAMS_GRM, "grm")
    expected = [np.log(p[0, 0, 0] * p[0, 1, 2]), np.log(p[1, 0, 3] * p[1, 1, 1] * p[1, 2, 1])]
    np.testing.assert_allclose(ll, expected, rtol=1e-12)


def test_slope_intercept_conversion_matches_mirt_conventions():
    # mirt's graded Comfort item: b_k = -d_k / a
    grm = from_slope_intercept([[1.041, 4.863, 2.639, -1.465]], "grm")
    np.testing.assert_allclose(grm[0, 1:], [-4.863 / 1.041, -2.639 / 1.041, 1.465 / 1.041])
    # mirt's gpcm Comfort item: b_k = -(d_k - d_{k-1}) / a with d0 = 0
    gpcm = from_slope_intercept([[0.865, 2.831, 5.324, 3.998]], "gpcm")
    np.testing.assert_allclose(gpcm[0, 1:], [-2.831 / 0.865, -(5.324 - 2.831) / 0.865, -(3.998 - 5.324) / 0.865])
    for model in ("grm", "gpcm"):
        np.testing.assert_allclose(
            to_slope_intercept(from_slope_intercept(PARAMS_GRM, model), model), PARAMS_GRM)
    np.testing.assert_array_equal(n_categories(PARAMS_GRM), [4, 3, 2])


@pytest.mark.parametrize("bad, message", [
    (np.array([[1.0, 0.5, -0.5]]), "increase strictly"),
    (np.array([[1.0, np.nan, 0.3]]), "NaN padding"),
    (np.array([[np.inf, 0.0, 1.0]]), "slope"),
    (np.array([[1.0]]), "shape"),
])
def test_bad_parameters_are_named(bad, message):
    with pytest.raises(ValueError, match=message):
        validate_poly_params(bad, "grm")


# ---------------------------------------------------------------- R mirt references: GRM


def test_grm_science_matches_converged_mirt(science_grm):
    ref = _load("science_grm.json")
    # mirt's converged (SEM-run) estimates are printed to 3 decimals: 5e-4
    # rounding plus the brief's 3e-3 budget for the rest
    np.testing.assert_allclose(
        science_grm["params_slope_intercept"], ref["converged"]["slope_intercept"], atol=3e-3)
    np.testing.assert_allclose(
        science_grm["params_slope_intercept"], ref["converged"]["slope_intercept"], atol=6e-4)
    assert science_grm["converged"]
    assert science_grm["loglik"] == pytest.approx(ref["fit"]["loglik"], abs=1e-3)
    assert science_grm["aic"] == pytest.approx(ref["fit"]["aic"], abs=2e-3)
    assert science_grm["bic"] == pytest.approx(ref["fit"]["bic"], abs=2e-3)
    assert science_grm["n_params"] == ref["fit"]["n_params"]


def test_grm_science_default_mirt_stops_short_of_our_optimum(science, science_grm):
    """mirt's default 1e-4 stop leaves item Future's slope ~1e-2 short; likelihood says we are higher."""
    ref = _load("science_grm.json")["default_tolerance"]
    mirt_params = from_slope_intercept(ref["slope_intercept"], "grm")
    at_mirt = marginal_loglik(science, mirt_params, "grm")
    assert at_mirt == pytest.approx(-1608.870, abs=1e-3)     # same likelihood as mirt's
    assert science_grm["loglik"] > at_mirt
    # on the well-determined items the two agree to the brief's tolerance
    diff = np.abs(science_grm["params_slope_intercept"] - np.array(ref["slope_intercept"]))
    assert diff[[0, 1, 3]].max() < 3e-3


def test_louis_standard_errors_match_mirt(science):
    """mirt's SE.type='Louis' evaluated at its own estimates; 5-decimal printout."""
    ref = _load("science_grm.json")["default_tolerance"]
    out = standard_errors(science, from_slope_intercept(ref["slope_intercept"], "grm"), "grm")
    np.testing.assert_allclose(out["se_slope_intercept"], ref["se_louis"], atol=2e-5)
    assert "Louis" in out["se_method"]


def test_grm_standard_errors_in_irt_metric_by_delta_method(science_grm):
    rows = science_grm["params_slope_intercept"]
    cov = science_grm["cov"]
    # item 0's block: parameters 0..3 in row-major order
    a, d1 = rows[0, 0], rows[0, 1]
    grad = np.array([d1 / a**2, -1 / a])          # ∂b1/∂(a, d1) for b1 = -d1/a
    var_b1 = grad @ cov[np.ix_([0, 1], [0, 1])] @ grad
    assert science_grm["se"][0, 1] == pytest.approx(np.sqrt(var_b1), rel=1e-12)
    assert science_grm["se"][0, 0] == pytest.approx(science_grm["se_slope_intercept"][0, 0])


def test_two_category_grm_reproduces_mirt_lsat7_2pl(lsat7_responses):
    lsat = lsat7_responses
    ref = _load("lsat_mirt_dichotomous.json")
    fit = fit_polytomous(lsat, "grm", tol=1e-7)
    si = fit["params_slope_intercept"]
    np.testing.assert_allclose(si[:, 0], ref["lsat7_2pl_sem"]["a"], atol=3e-3)
    np.testing.assert_allclose(si[:, 1], ref["lsat7_2pl_sem"]["d"], atol=3e-3)
    assert fit["loglik"] == pytest.approx(ref["lsat7_2pl_loglik"]["loglik"], abs=1e-3)


# ---------------------------------------------------------------- R mirt references: GPCM


def test_gpcm_science_matches_the_derived_optimum(science_gpcm):
    ref = _load("science_gpcm.json")["converged"]
    # the derived optimum has gradient 3e-9; 5-decimal rounding bounds the gap
    np.testing.assert_allclose(science_gpcm["params_slope_intercept"], ref["slope_intercept"], atol=3e-5)
    assert science_gpcm["loglik"] == pytest.approx(ref["loglik"], abs=1e-4)


def test_gpcm_science_against_mirt(science, science_gpcm):
    mirt = _load("science_gpcm.json")["mirt"]
    mirt_params = from_slope_intercept(mirt["slope_intercept"], "gpcm")
    # our likelihood at mirt's printed estimates is mirt's printed likelihood
    assert marginal_loglik(science, mirt_params, "gpcm") == pytest.approx(mirt["loglik"], abs=1e-3)
    # converging further gains 0.0014: mirt stopped at a 1e-4 parameter change
    gain = science_gpcm["loglik"] - mirt["loglik"]
    assert 0 < gain < 3e-3
    assert science_gpcm["aic"] == pytest.approx(mirt["aic"] - 2 * gain, abs=2e-3)
    # parameters: within 3e-3 where the likelihood is curved enough to pin
    # them (slopes of Comfort, Work, Benefit); item Future's slope is weakly
    # determined, and its intercepts move with it
    ours = science_gpcm["params_slope_intercept"]
    assert np.abs(ours[[0, 1, 3], 0] - np.array(mirt["slope_intercept"])[[0, 1, 3], 0]).max() < 5e-3
    assert np.abs(ours - np.array(mirt["slope_intercept"])).max() < 0.1


def test_gpcm_louis_information_equals_numerical_hessian(science, science_gpcm):
    """Louis' formula against central second differences of the marginal log-likelihood."""
    rows = science_gpcm["params_slope_intercept"]
    flat = rows.ravel()
    h = 1e-4

    def ll(v):
        return marginal_loglik(science, from_slope_intercept(v.reshape(rows.shape), "gpcm"), "gpcm")

    idx = [0, 1, 5, 9, 14]          # a sample of slopes and intercepts across items
    numeric = np.empty((len(idx), len(idx)))
    for r, i in enumerate(idx):
        for c, k in enumerate(idx):
            ei, ek = np.eye(flat.size)[i] * h, np.eye(flat.size)[k] * h
            numeric[r, c] = -(ll(flat + ei + ek) - ll(flat + ei - ek) - ll(flat - ei + ek) + ll(flat - ei - ek)) / (4 * h * h)
    info = np.linalg.inv(science_gpcm["cov"])[np.ix_(idx, idx)]
    np.testing.assert_allclose(info, numeric, rtol=2e-4, atol=1e-3)


# ---------------------------------------------------------------- estimation behaviour


@pytest.mark.parametrize("model", ["grm", "gpcm"])
def test_seeded_recovery_with_mixed_categories_and_missing(model):
    rng = np.random.default_rng(20240611)
    true = simulate_params(model, 12, rng, n_categories=[3, 4, 5] * 4)
    theta = simulate_theta(3000, rng)
    x = simulate_responses(theta, true, model, rng, missing=0.15)
    fit = fit_polytomous(x, model)
    assert fit["converged"]
    est = fit["params"]
    assert np.isnan(est[0, 3:]).all() and np.isfinite(est[2, 1:]).all()
    rmse_a = np.sqrt(np.mean((est[:, 0] - true[:, 0]) ** 2))
    rmse_b = np.sqrt(np.nanmean((est[:, 1:] - true[:, 1:]) ** 2))
    assert rmse_a < 0.08 and rmse_b < 0.12
    # standard errors describe the sampling error: most truths within 3 SE
    z = (est - true) / fit["se"]
    assert np.mean(np.abs(z[np.isfinite(z)]) < 3) > 0.95


def test_anchored_items_fix_the_scale_and_latent_distribution_is_estimated():
    rng = np.random.default_rng(7)
    true = simulate_params("grm", 10, rng, n_categories=4)
    theta = simulate_theta(4000, rng, mean=0.5, sd=1.3)
    x = simulate_responses(theta, true, "grm", rng)
    anchors = {j: true[j] for j in range(5)}
    fit = fit_polytomous(x, "grm", anchors=anchors)
    np.testing.assert_array_equal(fit["params"][:5], true[:5])
    assert np.isnan(fit["se"][:5]).all() and np.isfinite(fit["se"][5:]).all()
    assert fit["latent_mean"] == pytest.approx(0.5, abs=0.08)
    assert fit["latent_sd"] == pytest.approx(1.3, abs=0.08)
    z = (fit["params"][5:] - true[5:]) / fit["se"][5:]
    assert np.abs(z).max() < 3.5
    assert np.sqrt(np.mean((fit["params"][5:] - true[5:]) ** 2)) < 0.15
    assert fit["n_params"] == 5 * 4 + 2


def test_chunks_and_acceleration_do_not_change_the_answer(science):
    """Expected counts add over chunks of persons (the map-reduce property)."""
    base = fit_polytomous(science, "gpcm", tol=1e-8)
    chunked = fit_polytomous(science, "gpcm", tol=1e-8, chunk_size=37)
    plain = fit_polytomous(science, "gpcm", tol=1e-8, accelerate=False, max_iter=5000)
    np.testing.assert_allclose(chunked["params"], base["params"], atol=1e-9)
    assert chunked["loglik"] == pytest.approx(base["loglik"], abs=1e-9)
    np.testing.assert_allclose(plain["params"], base["params"], atol=1e-5)
    assert plain["n_iter"] > base["n_iter"]


def test_callback_sees_every_e_step_and_loglik_rises(science):
    seen = []
    fit = fit_polytomous(science, "grm", callback=lambda i, ll: seen.append((i, ll)))
    assert [i for i, _ in seen] == list(range(1, fit["n_iter"] + 1))
    assert seen[-1][1] == pytest.approx(fit["loglik"], abs=1e-4)
    assert seen[-1][1] > seen[0][1]


def test_not_converging_is_reported(science):
    fit = fit_polytomous(science, "grm", max_iter=2)
    assert not fit["converged"]
    assert any("did not converge" in w for w in fit["warnings"])


@pytest.mark.parametrize("x, message", [
    (np.array([[0, 1], [2, 1], [0, 0.5]]), "person 2, item 1"),
    (np.array([[0, 1], [2, 1], [0, -1.0]]), "whole numbers"),
    (np.array([[0, 1], [3, 0], [0, 1]]), "item 0 has no responses in category 1"),
    (np.array([[0, 1], [0, 0], [0, 1]]), "item 0 has a single observed category"),
    (np.array([[0, np.nan], [1, np.nan]]), "item 1 has no responses"),
])
def test_bad_responses_are_named(x, message):
    with pytest.raises(ValueError, match=message):
        fit_polytomous(x, "grm")


def test_bad_options_are_named(science):
    with pytest.raises(ValueError, match="polytomous model"):
        fit_polytomous(science, "nominal")
    with pytest.raises(ValueError, match="anchor items fix the scale"):
        fit_polytomous(science, "grm", estimate_mean=True)
    with pytest.raises(ValueError, match="only 3 categories"):
        fit_polytomous(science, "grm", anchors={0: [1.0, -1.0, 0.0, np.nan]})


def test_agrees_with_girth_grm_mml(science, science_grm):
    import girth  # a declared dependency: its absence must fail, not skip

    # girth wants [items, persons] integer categories; same grid as ours
    out = girth.grm_mml(science.T.astype(int), {
        "quadrature_n": 61, "quadrature_bounds": (-6, 6), "max_iteration": 500, "use_LUT": False})
    theirs = np.column_stack([out["Discrimination"], out["Difficulty"]])
    ours = science_grm["params"]
    # girth stops when slopes move < 1e-3 and solves thresholds from marginal
    # equations rather than the likelihood, so agreement is to about 0.04
    np.testing.assert_allclose(theirs[:, 0], ours[:, 0], atol=0.02)
    np.testing.assert_allclose(theirs[:, 1:], ours[:, 1:], atol=0.05)
    # and the likelihood prefers ours
    assert science_grm["loglik"] >= marginal_loglik(science, theirs, "grm")


@pytest.mark.parametrize("model", ["grm", "gpcm"])
def test_girth_engine_is_evaluated_with_our_likelihood(model):
    rng = np.random.default_rng(12)
    true = simulate_params(model, 6, rng, n_categories=4)
    x = simulate_responses(simulate_theta(2000, rng), true, model, rng, missing=0.1)
    ours = fit_polytomous(x, model)
    theirs = fit_polytomous(x, model, engine="girth", max_iter=200)
    assert theirs["engine"] == "girth" and np.isfinite(theirs["se"][:, 0]).all()
    assert theirs["loglik"] == pytest.approx(marginal_loglik(x, theirs["params"], model), abs=1e-9)
    assert ours["loglik"] >= theirs["loglik"] - 1e-6
    np.testing.assert_allclose(theirs["params"], ours["params"], atol=0.15)


def test_cross_product_standard_errors_approach_louis():
    """XPD and Louis estimate the same information; with 4000 persons they agree to ~10%."""
    rng = np.random.default_rng(21)
    true = simulate_params("gpcm", 8, rng, n_categories=3)
    x = simulate_responses(simulate_theta(4000, rng), true, "gpcm", rng)
    louis = fit_polytomous(x, "gpcm", se_method="louis")
    xpd = standard_errors(x, louis["params"], "gpcm", se_method="xpd")
    assert "XPD" in xpd["se_method"] and "Louis" in louis["se_method"]
    ratio = xpd["se"][:, :3] / louis["se"][:, :3]
    assert np.all(np.abs(ratio - 1) < 0.12)
    with pytest.raises(ValueError, match="se_method"):
        fit_polytomous(x, "gpcm", se_method="sandwich")


def test_a_reversed_item_is_flagged():
    rng = np.random.default_rng(30)
    true = simulate_params("grm", 5, rng, n_categories=3)
    x = simulate_responses(simulate_theta(1500, rng), true, "grm", rng)
    x[:, 2] = 2 - x[:, 2]                  # scored the wrong way round
    fit = fit_polytomous(x, "grm")
    assert fit["params"][2, 0] < 0
    assert any(w.startswith("item 2 has a non-positive slope") for w in fit["warnings"])


def test_start_values_change_the_path_not_the_optimum(science, science_grm):
    start = science_grm["params"] + np.array([0.3, 0.2, -0.1, 0.1])
    fit = fit_polytomous(science, "grm", tol=1e-7, start=start)
    np.testing.assert_allclose(fit["params"], science_grm["params"], atol=1e-5)
    with pytest.raises(ValueError, match="start has 2 items"):
        fit_polytomous(science, "grm", start=start[:2])
