"""MML-EM calibration of dichotomous items: mirt references, recovery, options, errors.

Reference numbers live in reference/lsat_mirt_dichotomous.json with their
sources. mirt stops EM at a 1e-4 parameter change; we converge to 1e-6 or
tighter, so our estimates sit at the optimum and may differ from mirt's
default-run values by up to about 2e-3 (its SEM run, taken to 1e-5, agrees
to 1e-4).
"""

import json
from pathlib import Path

import numpy as np
import pytest

from piaa.psychometrics import _em
from piaa.psychometrics.calibration import (
    IRTCalibrator,
    _public_to_internal,
    expected_counts,
)
from piaa.psychometrics.irt import prob
from piaa.psychometrics.quadrature import normal_quadrature

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "lsat_mirt_dichotomous.json").read_text())
Z975 = 1.959964


def _lsat6():
    freq = REF["lsat6_data"]["frequencies"]
    patterns = np.array([[(k >> (4 - i)) & 1 for i in range(5)] for k in range(32)], float)
    return np.repeat(patterns, freq, axis=0)


@pytest.fixture(scope="module")
def lsat7(lsat7_responses):
    return lsat7_responses


@pytest.fixture(scope="module")
def lsat7_2pl(lsat7):
    return IRTCalibrator(model="2pl", tol=1e-8).fit(lsat7)


def _slope_intercept(params):
    return params[:, 0], -params[:, 0] * params[:, 1]


# ---------------------------------------------------------------- mirt references
def test_lsat7_2pl_matches_mirt(lsat7_2pl):
    a, d = _slope_intercept(lsat7_2pl.params_)
    ref = REF["lsat7_2pl_default"]
    np.testing.assert_allclose(a, ref["a"], atol=3e-3)
    np.testing.assert_allclose(d, ref["d"], atol=3e-3)
    # mirt's SEM run converges to 1e-5 and is printed to 4 decimals
    sem = REF["lsat7_2pl_sem"]
    np.testing.assert_allclose(a, sem["a"], atol=1.5e-4)
    np.testing.assert_allclose(d, sem["d"], atol=1.5e-4)
    fit = REF["lsat7_2pl_loglik"]
    assert lsat7_2pl.loglik_ == pytest.approx(fit["loglik"], abs=1e-3)
    assert lsat7_2pl.aic_ == pytest.approx(fit["aic"], abs=2e-3)
    assert lsat7_2pl.bic_ == pytest.approx(fit["bic"], abs=2e-3)
    assert lsat7_2pl.converged_ and lsat7_2pl.warnings_ == []


def test_lsat7_2pl_standard_errors_match_mirt_richardson(lsat7_2pl):
    # mirt's 'Richardson' SEs are the numerical Hessian of the marginal loglik,
    # our se_method; its intervals are printed to 4 decimals (SE to ~3e-5).
    ref = REF["lsat7_2pl_richardson_ci"]
    se_a = np.array([(hi - lo) / (2 * Z975) for _, lo, hi in ref["a_ci"]])
    se_d = np.array([(hi - lo) / (2 * Z975) for _, lo, hi in ref["d_ci"]])
    np.testing.assert_allclose(lsat7_2pl.se_[:, 0], se_a, atol=1e-3)
    np.testing.assert_allclose(lsat7_2pl.result_.extra["se_intercept"], se_d, atol=1e-3)
    assert "Hessian" in lsat7_2pl.result_.se_method
    assert np.isnan(lsat7_2pl.se_[:, 2:]).all()


def test_lsat7_1pl_and_rasch_match_mirt(lsat7):
    ref = REF["lsat7_1pl"]
    one = IRTCalibrator(model="1pl", tol=1e-8).fit(lsat7)
    a, d = _slope_intercept(one.params_)
    np.testing.assert_allclose(a, ref["a"], atol=1e-3)  # printed to 3 decimals
    np.testing.assert_allclose(d, ref["d"], atol=1e-3)
    rasch = IRTCalibrator(model="rasch", tol=1e-8).fit(lsat7)
    r = REF["lsat7_rasch"]
    np.testing.assert_allclose(rasch.params_[:, 0], 1.0)
    np.testing.assert_allclose(-rasch.params_[:, 1], r["d"], atol=1e-3)
    assert rasch.result_.latent_sd**2 == pytest.approx(r["variance"], abs=3e-3)
    # Same model, two parameterisations: identical maximum.
    assert rasch.loglik_ == pytest.approx(one.loglik_, abs=1e-6)
    assert 31 - rasch.result_.n_parameters == r["df"]


def test_lsat6_rasch_matches_mirt():
    fit = IRTCalibrator(model="rasch", tol=1e-8).fit(_lsat6())
    ref = REF["lsat6_rasch_sem"]
    d = -fit.params_[:, 1]
    np.testing.assert_allclose(d, [v[0] for v in ref["d_ci"]], atol=1.5e-3)
    assert fit.result_.latent_sd**2 == pytest.approx(ref["variance_ci"][0], abs=1.5e-3)
    se_d = fit.result_.extra["se_intercept"]
    np.testing.assert_allclose(se_d, [(hi - lo) / (2 * Z975) for _, lo, hi in ref["d_ci"]], atol=2e-3)


def test_lsat7_item5_3pl_loglik_and_optimum(lsat7):
    ref = REF["lsat7_item5_3pl"]
    models = ["2pl"] * 4 + ["3pl"]
    fit = IRTCalibrator(model=models, tol=1e-8).fit(lsat7)
    nodes, weights = normal_quadrature()
    published = np.column_stack(
        [ref["a"], -np.array(ref["d"]) / np.array(ref["a"]), np.clip(ref["g"], 0, None), np.ones(5)]
    )
    at_mirt = expected_counts(lsat7, published, nodes, weights).loglik
    # Our marginal likelihood reproduces mirt's at mirt's own estimates
    # (3-decimal rounding of the estimates moves it by well under 1e-3)...
    assert at_mirt == pytest.approx(ref["loglik"], abs=1e-3)
    # ...and converging further than mirt's 1e-4 stop can only improve it.
    assert fit.loglik_ >= ref["loglik"] - 1e-3
    assert fit.converged_
    assert fit.result_.n_parameters == 11


def test_lsat7_3pl_reaches_a_better_optimum_than_2pl(lsat7, lsat7_2pl):
    fit = IRTCalibrator(model="3pl", tol=1e-8).fit(lsat7)
    assert fit.loglik_ >= lsat7_2pl.loglik_ - 1e-6
    # LSAT7 has no guessing to speak of: most lower asymptotes run to zero,
    # which the fit reports.
    assert any("guessing" in w and "lower bound" in w for w in fit.warnings_)


# ---------------------------------------------------------------- recovery
def _simulate(rng, n, J, model, missing=0.0):
    a = rng.lognormal(0.0, 0.25, J)
    b = rng.normal(0.0, 1.0, J)
    c = rng.uniform(0.1, 0.25, J) if model in ("3pl", "4pl") else np.zeros(J)
    d = rng.uniform(0.9, 0.98, J) if model == "4pl" else np.ones(J)
    if model == "rasch":
        a = np.ones(J)
    if model == "1pl":
        a = np.full(J, 1.3)
    params = np.column_stack([a, b, c, d])
    theta = rng.normal(0.0, 1.2 if model == "rasch" else 1.0, n)
    x = (rng.random((n, J)) < prob(theta, params)).astype(float)
    if missing:
        x[rng.random((n, J)) < missing] = np.nan
    return x, params


@pytest.mark.parametrize(
    "model, kwargs, tol_a, tol_b",
    [
        ("rasch", {}, 1e-9, 0.12),
        ("1pl", {}, 0.05, 0.12),
        ("2pl", {}, 0.15, 0.15),
        ("3pl", {"guessing_prior": (5, 17), "slope_prior": (0.0, 0.5)}, 0.35, 0.35),
    ],
)
def test_recovery(model, kwargs, tol_a, tol_b):
    rng = np.random.default_rng(7)
    x, true = _simulate(rng, 2000, 20, model)
    fit = IRTCalibrator(model=model, se_method=None, **kwargs).fit(x)
    assert fit.converged_
    # RMSE bounds are about twice the sampling SE at 2000 persons x 20 items.
    assert np.sqrt(np.mean((fit.params_[:, 0] - true[:, 0]) ** 2)) < tol_a
    assert np.sqrt(np.mean((fit.params_[:, 1] - true[:, 1]) ** 2)) < tol_b
    if model == "rasch":
        assert fit.result_.latent_sd == pytest.approx(1.2, abs=0.06)
    if model == "3pl":
        assert np.sqrt(np.mean((fit.params_[:, 2] - true[:, 2]) ** 2)) < 0.08


def test_recovery_4pl_with_priors():
    rng = np.random.default_rng(11)
    x, true = _simulate(rng, 3000, 15, "4pl")
    fit = IRTCalibrator(model="4pl", se_method=None, guessing_prior=(5, 17), slope_prior=(0.0, 0.5)).fit(x)
    assert fit.converged_
    # Upper and lower asymptotes trade off against slope and difficulty, so the
    # item curves, not the single parameters, are what 3000 persons pin down.
    grid = np.linspace(-2.5, 2.5, 51)
    diff = prob(grid, fit.params_) - prob(grid, true)
    assert np.sqrt(np.mean(diff**2)) < 0.03
    assert np.abs(diff).max() < 0.15


def test_recovery_with_missing_responses_and_sparse_equivalence():
    import scipy.sparse as sp

    from piaa.psychometrics.calibration import SparseResponses

    rng = np.random.default_rng(3)
    x, true = _simulate(rng, 3000, 30, "2pl", missing=0.8)
    dense = IRTCalibrator(model="2pl", se_method=None, tol=1e-8).fit(x)
    seen = ~np.isnan(x)
    sparse_in = SparseResponses(sp.csr_matrix(seen.astype(float)), sp.csr_matrix(np.nan_to_num(x)))
    sparse = IRTCalibrator(model="2pl", se_method=None, tol=1e-8, chunk_size=700).fit(sparse_in)
    np.testing.assert_allclose(sparse.params_, dense.params_, atol=1e-6)
    assert sparse.loglik_ == pytest.approx(dense.loglik_, abs=1e-6)
    assert np.sqrt(np.mean((dense.params_[:, 1] - true[:, 1]) ** 2)) < 0.25


def test_expected_counts_add_across_partitions():
    rng = np.random.default_rng(5)
    x, true = _simulate(rng, 1000, 12, "3pl", missing=0.3)
    nodes, weights = normal_quadrature(21)
    whole = expected_counts(x, true, nodes, weights)
    parts = expected_counts(x[:400], true, nodes, weights) + expected_counts(x[400:], true, nodes, weights)
    np.testing.assert_allclose(parts.correct, whole.correct, rtol=1e-12)
    np.testing.assert_allclose(parts.incorrect, whole.incorrect, rtol=1e-12)
    assert parts.loglik == pytest.approx(whole.loglik, rel=1e-13)
    # Each administered response is split over the nodes exactly once.
    np.testing.assert_allclose(whole.correct.sum(axis=1) + whole.incorrect.sum(axis=1), (~np.isnan(x)).sum(axis=0))
    np.testing.assert_allclose(whole.correct.sum(axis=1), np.nansum(x, axis=0))


def test_chunking_does_not_change_the_fit(lsat7):
    small = IRTCalibrator(model="2pl", chunk_size=37, se_method=None, tol=1e-8).fit(lsat7)
    big = IRTCalibrator(model="2pl", se_method=None, tol=1e-8).fit(lsat7)
    np.testing.assert_allclose(small.params_, big.params_, atol=1e-8)


def test_squarem_reaches_the_same_optimum_in_fewer_steps(lsat7):
    fast = IRTCalibrator(model="2pl", se_method=None, tol=1e-7).fit(lsat7)
    plain = IRTCalibrator(model="2pl", se_method=None, tol=1e-7, accelerate=False).fit(lsat7)
    np.testing.assert_allclose(fast.params_, plain.params_, atol=2e-5)
    assert fast.n_iter_ < plain.n_iter_


def test_anchored_calibration_puts_new_items_on_the_old_scale():
    rng = np.random.default_rng(17)
    J = 24
    params = np.column_stack([rng.lognormal(0, 0.2, J), rng.normal(0, 1, J), np.zeros(J), np.ones(J)])
    # The new cohort is abler and more spread out than the reference scale.
    theta = rng.normal(0.5, 1.3, 4000)
    x = (rng.random((4000, J)) < prob(theta, params)).astype(float)
    anchors = {j: params[j] for j in range(12)}
    fit = IRTCalibrator(model="2pl").fit(x, anchors=anchors)
    np.testing.assert_array_equal(fit.params_[:12], params[:12])
    assert fit.result_.latent_mean == pytest.approx(0.5, abs=0.08)
    assert fit.result_.latent_sd == pytest.approx(1.3, abs=0.08)
    assert np.sqrt(np.mean((fit.params_[12:, 1] - params[12:, 1]) ** 2)) < 0.12
    assert np.isnan(fit.se_[:12]).all()
    assert np.isfinite(fit.se_[12:, :2]).all()


def test_grm_anchor_items_put_a_shifted_population_on_the_old_scale():
    from piaa.psychometrics.simulation import (
        simulate_params,
        simulate_responses,
        simulate_theta,
    )

    rng = np.random.default_rng(41)
    true = simulate_params("grm", 10, rng, n_categories=4)
    # The new cohort sits half a unit above the anchors' scale and is more spread out.
    theta = simulate_theta(3000, rng, mean=0.5, sd=1.3)
    x = simulate_responses(theta, true, "grm", rng)
    anchors = {j: true[j] for j in range(5)}
    fit = IRTCalibrator(model="grm").fit(x, anchors=anchors)
    np.testing.assert_array_equal(fit.params_[:5], true[:5])
    # SE of a mean of 3000 draws with sd 1.3 is 0.024; 0.08 is over three of them.
    assert fit.result_.latent_mean == pytest.approx(0.5, abs=0.08)
    assert fit.result_.latent_sd == pytest.approx(1.3, abs=0.08)
    assert fit.result_.n_parameters == 5 * 4 + 2
    # Had the mean been held at 0, the free items' thresholds would absorb the shift.
    assert np.abs(np.mean(fit.params_[5:, 1:] - true[5:, 1:])) < 0.1


@pytest.mark.parametrize("model", ["rasch", "1pl", "2pl", "3pl", "grm"])
def test_callback_reports_every_e_step_in_order(lsat7, model):
    seen = []
    fit = IRTCalibrator(model=model, callback=lambda i, ll: seen.append((i, ll)), se_method=None)
    fit.fit(lsat7)
    assert [i for i, _ in seen] == list(range(1, fit.n_iter_ + 1))
    # Each E-step reports the log-likelihood at the point it was taken; the
    # last is taken at the converged parameters.
    assert seen[-1][1] == pytest.approx(fit.loglik_, abs=1e-4)
    assert seen[-1][1] > seen[0][1]


def test_callback_must_be_callable():
    x = np.random.default_rng(2).integers(0, 2, (100, 4)).astype(float)
    with pytest.raises(ValueError, match="callback must be callable"):
        IRTCalibrator(callback="print").fit(x)


def test_priors_pull_estimates():
    rng = np.random.default_rng(23)
    x, _ = _simulate(rng, 300, 10, "3pl")
    weak = IRTCalibrator(model="3pl", se_method=None, guessing_prior=(2, 8)).fit(x)
    tight = IRTCalibrator(model="3pl", se_method=None, guessing_prior=(200, 800)).fit(x)
    # A Beta(200, 800) prior concentrates the guessing parameters near 0.2.
    assert np.abs(tight.params_[:, 2] - 0.2).max() < 0.03
    assert np.abs(tight.params_[:, 2] - 0.2).max() < np.abs(weak.params_[:, 2] - 0.2).max()
    strong_slopes = IRTCalibrator(model="2pl", se_method=None, slope_prior=(np.log(2.0), 0.01)).fit(x)
    np.testing.assert_allclose(strong_slopes.params_[:, 0], 2.0, rtol=0.03)


def test_iteration_cap_gives_honest_flag(lsat7):
    fit = IRTCalibrator(model="3pl", max_iter=3, se_method=None).fit(lsat7)
    assert not fit.converged_
    assert fit.n_iter_ <= 3
    assert any(w.startswith("not converged") for w in fit.warnings_)


def test_posterior_latent_distribution(lsat7_2pl):
    nodes, w = lsat7_2pl.theta_nodes_, lsat7_2pl.theta_weights_
    assert w.sum() == pytest.approx(1.0)
    # At the MML optimum the posterior mean of θ matches the N(0, 1) prior's mean
    # closely (a property of the EM fixed point for the latent mean).
    assert abs(w @ nodes) < 0.05


# ---------------------------------------------------------------- girth engine
@pytest.mark.parametrize("model", ["rasch", "1pl", "2pl"])
def test_girth_engine_agrees(lsat7, model):
    ours = IRTCalibrator(model=model).fit(lsat7)
    theirs = IRTCalibrator(model=model, engine="girth").fit(lsat7)
    # girth stops after 25 EM cycles, so it sits ~2e-4 from the optimum.
    np.testing.assert_allclose(theirs.params_, ours.params_, atol=2e-3)
    assert theirs.loglik_ == pytest.approx(ours.loglik_, abs=1e-3)
    assert theirs.loglik_ <= ours.loglik_ + 1e-6
    assert np.isfinite(theirs.se_[:, 1]).all()
    assert theirs.result_.engine == "girth"


def test_girth_engine_3pl_on_simulated_data():
    rng = np.random.default_rng(29)
    x, true = _simulate(rng, 2000, 10, "3pl")
    ours = IRTCalibrator(model="3pl", se_method=None).fit(x)
    theirs = IRTCalibrator(model="3pl", engine="girth", se_method=None).fit(x)
    # Weakly identified lower asymptotes: the item curves need to agree where
    # most persons are; below θ = -1.5 the two fits may trade c against a and b.
    grid = np.linspace(-1.5, 3, 46)
    assert np.abs(prob(grid, ours.params_) - prob(grid, theirs.params_)).max() < 0.05
    assert theirs.loglik_ <= ours.loglik_ + 1e-6


# ---------------------------------------------------------------- errors
def test_item_without_variance_is_named():
    x = np.random.default_rng(1).integers(0, 2, (50, 4)).astype(float)
    x[:, 2] = 1.0
    with pytest.raises(ValueError, match="item column 2 has no variance"):
        IRTCalibrator().fit(x)


def test_too_few_persons_for_the_parameters():
    x = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0], [0, 0, 1]], float)
    with pytest.raises(ValueError, match="4 persons cannot identify 6 free parameters"):
        IRTCalibrator(model="2pl").fit(x)


def test_bad_response_value_is_located():
    x = np.zeros((5, 3))
    x[0, 0] = 1
    x[3, 1] = 2
    with pytest.raises(ValueError, match="row 3, item column 1 holds 2"):
        IRTCalibrator().fit(x)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"model": "5pl"}, "model must be one of"),
        ({"engine": "ltm"}, "engine must be"),
        ({"tol": 0}, "tol must be a positive number"),
        ({"guessing_prior": (0, 3)}, "guessing_prior"),
        ({"model": "2pl", "estimate_var": True}, "cannot also estimate"),
    ],
)
def test_bad_options(kwargs, message):
    x = np.random.default_rng(2).integers(0, 2, (100, 4)).astype(float)
    with pytest.raises(ValueError, match=message):
        IRTCalibrator(**kwargs).fit(x)


def test_fixed_asymptotes_come_out_exactly_zero_and_one(lsat7):
    """c = 0 and d = 1 of a 2PL are logits of -inf and +inf internally.

    The bounds that keep estimated asymptote logits in [-20, 20] must not
    touch them: expit(-20) = 2.06e-09 and expit(20) = 1 - 2.06e-09 are what a
    clipped fixed asymptote would come back as (and what a free 3PL guessing
    parameter run to its bound does come back as).
    """
    import scipy.sparse as sp

    from piaa.psychometrics.calibration import SparseResponses

    seen = sp.csr_matrix(np.ones_like(lsat7))
    fits = {
        "rasch": IRTCalibrator(model="rasch", se_method=None).fit(lsat7),
        "1pl": IRTCalibrator(model="1pl", se_method=None).fit(lsat7),
        "2pl": IRTCalibrator(model="2pl", se_method=None).fit(lsat7),
        "2pl single": IRTCalibrator(model="2pl", se_method=None, precision="single").fit(lsat7),
        "2pl sparse": IRTCalibrator(model="2pl", se_method=None).fit(
            SparseResponses(seen, sp.csr_matrix(lsat7))),
        "2pl anchored": IRTCalibrator(model="2pl", se_method=None).fit(
            lsat7, anchors={0: [1.0, -1.5, 0.0, 1.0]}),
        "2pl girth": IRTCalibrator(model="2pl", se_method=None, engine="girth").fit(lsat7),
        "2pl+3pl with priors": IRTCalibrator(
            model=["2pl"] * 4 + ["3pl"], se_method=None, guessing_prior=(5, 17),
            slope_prior=(0.0, 0.5)).fit(lsat7),
    }
    for name, fit in fits.items():
        c, d = fit.params_[:4, 2], fit.params_[:, 3]
        assert np.all(c == 0.0), (name, c)
        assert np.all(d == 1.0), (name, d)
        # girth stops after its own 25 cycles and is honestly flagged unconverged
        assert fit.converged_ or fit.result_.engine == "girth", name
    three = IRTCalibrator(model="3pl", se_method=None).fit(lsat7)
    assert np.all(three.params_[:, 3] == 1.0)
    # A guessing prior applies to estimated lower asymptotes only; on the
    # fixed c = 0 of the 2PL items it would be log 0.
    mixed = fits["2pl+3pl with priors"]
    assert np.isfinite(mixed.loglik_) and 0.0 < mixed.params_[4, 2] < 0.5


def test_guessing_prior_leaves_fixed_asymptotes_out_of_the_objective():
    spec = _em.ModelSpec(
        free=np.array([[True, True, False, False], [True, True, True, False]]),
        common_slope=False, estimate_mean=False, estimate_var=False,
        slope_prior=None, guessing_prior=(5.0, 17.0),
    )
    eta = _public_to_internal(np.array([[1.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.2, 1.0]]))
    nodes = np.linspace(-3, 3, 7)
    r = np.full((2, 7), 3.0)
    obj, grad, _ = _em.item_derivatives(eta, r, r, nodes, spec)
    assert np.isfinite(obj).all() and np.isfinite(grad).all()
    no_prior = _em.ModelSpec(spec.free, False, False, False, None, None)
    obj0, _, _ = _em.item_derivatives(eta, r, r, nodes, no_prior)
    # Beta(5, 17) log-density kernel at c = 0.2: 4 log 0.2 + 16 log 0.8.
    assert obj[0] == obj0[0]
    assert obj[1] - obj0[1] == pytest.approx(4 * np.log(0.2) + 16 * np.log(0.8), rel=1e-12)


def test_internal_roundtrip():
    params = np.array([[1.3, -0.4, 0.2, 0.95]])
    eta = _public_to_internal(params)
    back = _em.project(eta.copy())
    from piaa.psychometrics.calibration import _internal_to_public

    np.testing.assert_allclose(_internal_to_public(back), params, rtol=1e-12)
