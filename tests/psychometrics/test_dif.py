"""Tests for Mantel–Haenszel and logistic-regression DIF."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit

from piaa.psychometrics.dif import logistic_dif, mantel_haenszel
from piaa.psychometrics.irt import prob


def _persons(cells):
    """Expand (stratum, group, score, count) rows into response, group and matching arrays."""
    rows = [(s, g, x) for s, g, x, n in cells for _ in range(n)]
    arr = np.array(rows, dtype=float)
    return arr[:, 2:3], arr[:, 1].astype(int), arr[:, 0]


# Hand-derived 2 x 2 x 2 table.
#   stratum 1: reference 8 right / 2 wrong, focal 5 right / 5 wrong, N = 20
#   stratum 2: reference 6 right / 4 wrong, focal 3 right / 7 wrong, N = 20
# R_k = A D / N = 2.0, 2.1 (R = 4.1); S_k = B C / N = 0.5, 0.6 (S = 1.1)
# alpha_MH = 4.1 / 1.1 = 3.727273; D = -2.35 ln(3.727273) = -3.091840
# E(A) = 10*13/20 + 10*9/20 = 11; sum A = 14; Var(A) = 9100/7600 + 9900/7600 = 2.5
# chi2 = (|14 - 11| - .5)^2 / 2.5 = 2.5, p = .113846
# RBG: P_k = (A + D)/N = .65, Q_k = .35 in both strata;
#   var ln alpha = .65*4.1/(2*4.1^2) + (.65*1.1 + .35*4.1)/(2*4.1*1.1) + .35*1.1/(2*1.1^2)
#               = .0792683 + .2383592 + .1590909 = .4767184; SE(D) = 2.35*.6904480 = 1.622553
# Not significant, so ETS class A despite |D| > 1.5.
HAND_TABLE = [
    (1, 0, 1, 8), (1, 0, 0, 2), (1, 1, 1, 5), (1, 1, 0, 5),
    (2, 0, 1, 6), (2, 0, 0, 4), (2, 1, 1, 3), (2, 1, 0, 7),
]


def test_mantel_haenszel_hand_derived_table():
    x, g, strata = _persons(HAND_TABLE)
    res = mantel_haenszel(x, g, matching=strata)
    assert res.alpha_mh[0] == pytest.approx(4.1 / 1.1)
    assert res.delta_mh[0] == pytest.approx(-2.35 * np.log(4.1 / 1.1))
    assert res.delta_mh[0] == pytest.approx(-3.091840, abs=1e-6)
    assert res.chi2[0] == pytest.approx(2.5)
    assert res.p_value[0] == pytest.approx(0.113846, abs=1e-6)
    assert res.se_delta[0] == pytest.approx(1.622553, abs=1e-6)
    assert res.ets_class[0] == "A"
    assert res.n_strata[0] == 2


def test_ets_classes_follow_size_and_significance():
    # Ten copies of the hand table: same alpha_MH and D, SE shrinks by sqrt(10)
    # to .513096 and chi2 grows, so the item becomes C: |D| >= 1.5 and
    # (3.0918 - 1) / .5131 = 4.08 > 1.645.
    x, g, strata = _persons([(s, gr, sc, 10 * n) for s, gr, sc, n in HAND_TABLE])
    res = mantel_haenszel(x, g, matching=strata)
    assert res.se_delta[0] == pytest.approx(1.622553 / np.sqrt(10), abs=1e-6)
    assert res.ets_class[0] == "C"
    # Halve the effect: A/D in stratum 1 change so D is about -1.2, significant,
    # but |D| < 1.5 -> B.
    cells = [(1, 0, 1, 70), (1, 0, 0, 30), (1, 1, 1, 55), (1, 1, 0, 45),
             (2, 0, 1, 60), (2, 0, 0, 40), (2, 1, 1, 45), (2, 1, 0, 55)]
    x, g, strata = _persons([(s, gr, sc, 4 * n) for s, gr, sc, n in cells])
    res = mantel_haenszel(x, g, matching=strata)
    assert 1.0 < abs(res.delta_mh[0]) < 1.5 and res.p_value[0] < 0.05
    assert res.ets_class[0] == "B"


def _planted_dif(rng, n=4000, n_items=20, shift=0.8, item=3, slope_change=None):
    g = (np.arange(n) >= n // 2).astype(int)
    theta = rng.normal(size=n)
    params = np.column_stack(
        [rng.uniform(0.8, 1.8, n_items), rng.normal(0, 1, n_items), np.zeros(n_items), np.ones(n_items)]
    )
    focal = params.copy()
    focal[item, 1] += shift
    if slope_change is not None:
        focal[item, 0] = slope_change
    p = prob(theta, params)
    p[g == 1] = prob(theta[g == 1], focal)
    return (rng.uniform(size=p.shape) < p).astype(float), g


@pytest.mark.parametrize("purify", [False, True])
def test_seeded_mantel_haenszel_finds_planted_dif_only(purify):
    rng = np.random.default_rng(4242)
    x, g = _planted_dif(rng)
    res = mantel_haenszel(x, g, purify=purify)
    assert res.ets_class[3] == "C"
    assert res.delta_mh[3] < -1.5  # harder for the focal group
    assert np.all(np.delete(res.ets_class, 3) == "A")
    assert res.purified is purify


def _logit_by_scipy(design, y):
    """Independent maximum likelihood: scipy BFGS on the negative log-likelihood."""
    def nll(beta):
        eta = design @ beta
        return -np.sum(y * eta - np.logaddexp(0, eta))

    fit = minimize(nll, np.zeros(design.shape[1]), method="BFGS", options={"gtol": 1e-9})
    return -fit.fun


def test_logistic_dif_matches_independent_fits():
    rng = np.random.default_rng(77)
    x, g = _planted_dif(rng, n=600, n_items=6, shift=0.6, item=2)
    x[5, 1] = np.nan
    total = np.nansum(x, axis=1)
    res = logistic_dif(x, g, matching=total)
    for j in (1, 2):
        seen = ~np.isnan(x[:, j])
        s, gg, y = total[seen], g[seen].astype(float), x[seen, j]
        d0 = np.column_stack([np.ones_like(s), s])
        d1 = np.column_stack([d0, gg])
        d2 = np.column_stack([d1, s * gg])
        ll = [_logit_by_scipy(d, y) for d in (d0, d1, d2)]
        n = y.size
        k = y.sum()
        ll_null = k * np.log(k / n) + (n - k) * np.log(1 - k / n)
        r2 = [(1 - np.exp(2 * (ll_null - v) / n)) / (1 - np.exp(2 * ll_null / n)) for v in ll]
        assert res.lr_uniform[j] == pytest.approx(2 * (ll[1] - ll[0]), abs=1e-5)
        assert res.lr_nonuniform[j] == pytest.approx(2 * (ll[2] - ll[1]), abs=1e-5)
        assert res.delta_r2_total[j] == pytest.approx(r2[2] - r2[0], abs=1e-7)
    assert res.converged.all()


def test_logistic_dif_coefficients_are_on_the_raw_score():
    rng = np.random.default_rng(8)
    n = 3000
    g = rng.integers(0, 2, n)
    score = rng.integers(0, 21, n).astype(float)
    y = (rng.uniform(size=n) < expit(-3 + 0.3 * score - 0.8 * g + 0.05 * score * g)).astype(float)
    res = logistic_dif(y[:, None], g, matching=score)
    err = np.abs(res.coefficients[0] - [-3, 0.3, -0.8, 0.05])
    assert np.all(err < [0.35, 0.03, 0.5, 0.04]), res.coefficients[0]


def test_seeded_logistic_dif_uniform_and_nonuniform():
    rng = np.random.default_rng(4242)
    x, g = _planted_dif(rng, shift=0.8, item=3)
    res = logistic_dif(x, g, effect_size="jodoin-gierl")
    assert res.p_uniform[3] < 1e-10
    assert res.effect_class[3] in ("B", "C")
    assert np.all(np.delete(res.effect_class, 3) == "A")
    # Non-uniform DIF: same difficulty, much flatter curve for the focal group.
    rng = np.random.default_rng(17)
    x, g = _planted_dif(rng, n=6000, shift=0.0, item=5, slope_change=0.2)
    res = logistic_dif(x, g)
    assert res.p_nonuniform[5] < 1e-6
    assert res.lr_nonuniform[5] == np.max(res.lr_nonuniform)


def test_dif_input_errors_name_the_value():
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="got 2 at row 1"):
        mantel_haenszel(x, np.array([0, 2, 1]))
    with pytest.raises(ValueError, match="both reference"):
        logistic_dif(x, np.zeros(3))
    with pytest.raises(ValueError, match="row 0 has items not administered"):
        mantel_haenszel(np.array([[np.nan, 1.0], [1.0, 0.0]]), np.array([0, 1]))
    with pytest.raises(ValueError, match="effect_size"):
        logistic_dif(x, np.array([0, 1, 1]), effect_size="huge")
