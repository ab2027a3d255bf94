"""Tests for item and person fit: S-X², infit/outfit, lz and lz*."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from piaa.psychometrics._sumscore import leave_one_out_distributions, lord_wingersky
from piaa.psychometrics.fit import _collapse, infit_outfit, person_fit, s_x2
from piaa.psychometrics.irt import prob

from ._analysis_data import reference


def _two_category(p):
    p = np.asarray(p, dtype=float)
    return np.stack([1 - p, p], axis=-1)


# ------------------------------------------------------------ Lord–Wingersky
def test_lord_wingersky_by_hand():
    # Items with P = .5 and .2 at one node: P(0) = .5*.8 = .4,
    # P(1) = .5*.8 + .5*.2 = .5, P(2) = .5*.2 = .1.
    dist = lord_wingersky(_two_category([[0.5, 0.2]]))
    np.testing.assert_allclose(dist, [[0.4, 0.5, 0.1]])


def test_leave_one_out_matches_direct_recursion():
    rng = np.random.default_rng(3)
    probs = _two_category(rng.uniform(0.05, 0.95, size=(7, 6)))
    loo = leave_one_out_distributions(probs)
    for j in range(6):
        direct = lord_wingersky(np.delete(probs, j, axis=1))
        np.testing.assert_allclose(loo[j, :, :6], direct, atol=1e-14)
        assert np.all(loo[j, :, 6:] == 0)


def test_polytomous_sum_score_distribution_by_hand():
    # A 3-category item (.2, .5, .3) and a 0/1 item with P = .4:
    # P(0)=.2*.6=.12, P(1)=.2*.4+.5*.6=.38, P(2)=.5*.4+.3*.6=.38, P(3)=.3*.4=.12.
    probs = np.array([[[0.2, 0.5, 0.3], [0.6, 0.4, 0.0]]])
    np.testing.assert_allclose(lord_wingersky(probs), [[0.12, 0.38, 0.38, 0.12]])


def test_declared_top_scores_survive_underflow():
    # Item 0's top category has probability 0 at the node (as a far-off GRM
    # threshold underflows); declared, the score range still reaches 3.
    # P(0) = .5*.6 = .3, P(1) = .5*.4 + .5*.6 = .5, P(2) = .5*.4 = .2, P(3) = 0.
    probs = np.array([[[0.5, 0.5, 0.0], [0.6, 0.4, 0.0]]])
    np.testing.assert_allclose(lord_wingersky(probs), [[0.3, 0.5, 0.2]])
    np.testing.assert_allclose(lord_wingersky(probs, [2, 1]), [[0.3, 0.5, 0.2, 0.0]])
    assert leave_one_out_distributions(probs, [2, 1]).shape == (2, 1, 4)
    with pytest.raises(ValueError, match="max_scores must be"):
        lord_wingersky(probs, [3, 1])


def test_sum_score_table_and_sx2_share_one_recursion():
    """The EAP sum-score table's score probabilities are Σ_q w_q LW(θ_q)."""
    from piaa.psychometrics._item_models import category_probs
    from piaa.psychometrics.estimation import eap_sum_score_table
    from piaa.psychometrics.quadrature import normal_quadrature

    params = np.array([[1.2, -1.0, 0.3, np.nan], [0.8, -0.5, 0.4, 1.1], [1.5, 0.2, np.nan, np.nan]])
    nodes, weights = normal_quadrature(61)
    expected = weights @ lord_wingersky(category_probs(nodes, params, "grm"))
    table = eap_sum_score_table(params, "grm")
    np.testing.assert_allclose(table.probability, expected, rtol=1e-12)
    assert table.sum_score[-1] == 2 + 3 + 1


# ----------------------------------------------------------------------- S-X²
@pytest.fixture(scope="module")
def lsat7(lsat7_responses):
    x = lsat7_responses
    ref = reference("analysis_lsat7_sx2.json")
    a, d = np.array(ref["a1"]), np.array(ref["d"])
    params = np.column_stack([a, -d / a, np.zeros(5), np.ones(5)])
    return x, params, ref


def test_lsat7_sx2_matches_mirt(lsat7):
    x, params, ref = lsat7
    res = s_x2(x, params, model="2pl")
    # mirt's own test accepts +-1e-2; our inputs are mirt's printed 4-digit
    # coefficients, which move S-X² by about 2e-3.
    np.testing.assert_allclose(res.statistic, ref["S_X2"], atol=1e-2)
    np.testing.assert_array_equal(res.df, ref["df_S_X2"])
    assert res.n_persons == 1000
    # Observed counts are the persons by score group and answer.
    assert sum(o.sum() for o in res.observed[:1]) == np.sum((x.sum(1) > 0) & (x.sum(1) < 5))


def test_sx2_rasch_degrees_of_freedom_subtract_latent_variance(lsat7):
    x, _, _ = lsat7
    rasch = np.column_stack([np.ones(5), np.array([-2.7, -1.0, -0.24, -1.3, -2.1]), np.zeros(5), np.ones(5)])
    res = s_x2(x, rasch, model="rasch")
    # 4 score groups, 2 categories: 8 cells - 4 groups - 1 item parameter - 1 variance.
    np.testing.assert_array_equal(res.df, [2, 2, 2, 2, 2])


def test_collapse_follows_mirt_rules_by_hand():
    # Rows are score groups, columns wrong/right.
    observed = np.array([[0, 0], [1, 0], [3, 1], [5, 4], [2, 6], [0, 3]], dtype=float)
    expected = np.array([[0.1, 0.1], [0.7, 0.2], [3.1, 0.9], [5.0, 4.0], [2.5, 5.5], [0.6, 2.4]])
    o, e = _collapse(observed, expected, mincell=1.0)
    # Group 0 is empty and dropped; group 1 holds one person and folds into
    # group 2 -> O (4, 1), E (3.8, 1.1). Then the last group has E 0.6 < 1 and
    # merges into the one before -> O (2, 9), E (3.1, 7.9). Nothing below 1 is left.
    np.testing.assert_allclose(o, [[4, 1], [5, 4], [2, 9]])
    np.testing.assert_allclose(e, [[3.8, 1.1], [5.0, 4.0], [3.1, 7.9]])


def test_collapse_inner_group_joins_smaller_neighbour():
    observed = np.array([[6, 2], [1, 1], [3, 1], [4, 6]], dtype=float)
    expected = np.array([[5.5, 2.5], [1.2, 0.5], [3.0, 1.0], [4.5, 5.5]])
    o, e = _collapse(observed, expected, mincell=1.0)
    # Group 1 (E 0.5) is inner; neighbours hold 8 and 4 persons, so it joins group 2.
    np.testing.assert_allclose(o, [[6, 2], [4, 2], [4, 6]])
    np.testing.assert_allclose(e, [[5.5, 2.5], [4.2, 1.5], [4.5, 5.5]])


def _simulate_2pl(rng, n, params):
    theta = rng.normal(size=n)
    return (rng.uniform(size=(n, params.shape[0])) < prob(theta, params)).astype(float), theta


def _sx2_design(rng, n_items=15):
    return np.column_stack(
        [rng.uniform(0.8, 2.0, n_items), np.linspace(-1.5, 1.5, n_items), np.zeros(n_items), np.ones(n_items)]
    )


def test_seeded_sx2_under_the_model_does_not_flag():
    rng = np.random.default_rng(20240611)
    params = _sx2_design(rng)
    x, _ = _simulate_2pl(rng, 3000, params)
    res = s_x2(x, params)
    assert np.all(res.p_value > 0.001)
    assert np.mean(res.p_value < 0.05) <= 0.2


def test_seeded_sx2_flags_the_misfitting_item():
    rng = np.random.default_rng(20240611)
    params = _sx2_design(rng)
    x, theta = _simulate_2pl(rng, 3000, params)
    # Item 7 really has a guessing floor of .3 but is scored with 2PL parameters.
    p7 = 0.3 + 0.7 * prob(theta, params[7:8])[:, 0]
    x[:, 7] = (rng.uniform(size=3000) < p7).astype(float)
    res = s_x2(x, params)
    assert res.p_value[7] < 1e-6
    assert int(np.argmin(res.p_value)) == 7
    # A misfitting item also distorts the score groups of the others a little.
    assert np.median(np.delete(res.p_value, 7)) > 0.1


def test_sx2_missing_rows_are_refused_or_dropped(lsat7):
    x, params, _ = lsat7
    y = x.copy()
    y[4, 2] = np.nan
    with pytest.raises(ValueError, match="row 4 has no response to item 2"):
        s_x2(y, params)
    res = s_x2(y, params, drop_incomplete=True)
    assert res.n_persons == 999


def test_sx2_rejects_category_beyond_model(lsat7):
    x, params, _ = lsat7
    y = x.copy()
    y[0, 0] = 2
    with pytest.raises(ValueError, match=r"responses\[0, 0\] = 2 exceeds"):
        s_x2(y, params)


# ------------------------------------------------------------ infit / outfit
def _infit_outfit_by_loops(x, theta, b):
    """Independent Rasch infit/outfit per item, written from Wright & Masters' formulas."""
    out = []
    for j in range(x.shape[1]):
        z2, w_sum, r2_sum, c_over_w2, c_minus_w2, n = 0.0, 0.0, 0.0, 0.0, 0.0, 0
        for i in range(x.shape[0]):
            if np.isnan(x[i, j]):
                continue
            p = 1 / (1 + np.exp(-(theta[i] - b[j])))
            w = p * (1 - p)
            c = (0 - p) ** 4 * (1 - p) + (1 - p) ** 4 * p
            r2 = (x[i, j] - p) ** 2
            z2 += r2 / w
            w_sum += w
            r2_sum += r2
            c_over_w2 += c / w**2
            c_minus_w2 += c - w**2
            n += 1
        outfit, infit = z2 / n, r2_sum / w_sum
        q_out = min(np.sqrt(c_over_w2 / n**2 - 1 / n), np.sqrt(2))
        q_in = min(np.sqrt(c_minus_w2 / w_sum**2), np.sqrt(2))
        out.append(
            [outfit, infit, (outfit ** (1 / 3) - 1) * 3 / q_out + q_out / 3, (infit ** (1 / 3) - 1) * 3 / q_in + q_in / 3]
        )
    return np.array(out)


def test_infit_outfit_match_independent_loops():
    rng = np.random.default_rng(5)
    b = np.array([-1.0, 0.0, 0.5, 1.2])
    theta = rng.normal(size=60)
    x = (rng.uniform(size=(60, 4)) < expit(theta[:, None] - b)).astype(float)
    x[3, 1] = np.nan
    params = np.column_stack([np.ones(4), b, np.zeros(4), np.ones(4)])
    res = infit_outfit(x, theta, params, model="rasch")
    ref = _infit_outfit_by_loops(x, theta, b)
    np.testing.assert_allclose(res.item_outfit, ref[:, 0], rtol=1e-12)
    np.testing.assert_allclose(res.item_infit, ref[:, 1], rtol=1e-12)
    np.testing.assert_allclose(res.item_outfit_t, ref[:, 2], rtol=1e-10)
    np.testing.assert_allclose(res.item_infit_t, ref[:, 3], rtol=1e-10)
    assert res.item_n.tolist() == [60, 59, 60, 60]
    # Person statistics are the same formulas with the roles swapped.
    ref_p = _infit_outfit_by_loops(x.T, -b, -theta)
    np.testing.assert_allclose(res.person_outfit, ref_p[:, 0], rtol=1e-12)


def test_outfit_by_hand():
    # One item (b = 0), persons at θ = 0 (x = 1) and θ = ln 3 (x = 0):
    # P = .5 and .75; z² = .25/.25 = 1 and .5625/.1875 = 3; outfit = 2.
    # infit = (.25 + .5625) / (.25 + .1875) = .8125 / .4375 = 1.857142...
    params = np.array([[1.0, 0.0, 0.0, 1.0]])
    res = infit_outfit(np.array([[1.0], [0.0]]), np.array([0.0, np.log(3)]), params)
    assert res.item_outfit[0] == pytest.approx(2.0)
    assert res.item_infit[0] == pytest.approx(0.8125 / 0.4375)


def test_seeded_rasch_fit_near_one_and_misfit_detected():
    rng = np.random.default_rng(99)
    b = np.linspace(-2, 2, 20)
    theta = rng.normal(size=2000)
    x = (rng.uniform(size=(2000, 20)) < expit(theta[:, None] - b)).astype(float)
    x[:, 5] = (rng.uniform(size=2000) < 0.5).astype(float)  # pure guessing, b[5] near -0.9
    params = np.column_stack([np.ones(20), b, np.zeros(20), np.ones(20)])
    res = infit_outfit(x, theta, params)
    good = np.delete(np.arange(20), 5)
    np.testing.assert_allclose(res.item_infit[good], 1.0, atol=0.08)
    assert np.all(np.abs(res.item_infit_t[good]) < 3.5)
    assert res.item_infit[5] > 1.2 and res.item_infit_t[5] > 5


# ----------------------------------------------------------------- lz and lz*
def _lz_star_by_loops(x, theta, params, r0):
    """Independent lz* for one person, following Snijders (2001) term by term."""
    a, b, c, d = params.T
    f = 1 / (1 + np.exp(-a * (theta - b)))
    p = c + (d - c) * f
    q = 1 - p
    dp = a * (d - c) * f * (1 - f)
    w = np.log(p / q)
    r = dp / (p * q)
    cn = np.sum(dp * w) / np.sum(dp * r)
    wt = w - cn * r
    return (np.sum((x - p) * w) + cn * r0) / np.sqrt(np.sum(wt**2 * p * q))


def test_lz_and_lz_star_match_independent_formulas():
    params = np.array([[1.2, -1, 0, 1], [0.8, 0, 0.2, 1], [1.5, 0.5, 0, 1], [1.0, 1.0, 0.1, 0.95]])
    x = np.array([[1, 0, 1, 0], [0, 1, 1, 1]], dtype=float)
    theta = np.array([0.3, -0.4])
    res_ml = person_fit(x, theta, params, method="ml")
    res_map = person_fit(x, theta, params, method="map", prior_mean=0.0, prior_sd=1.0)
    for i in range(2):
        pr = prob(theta[i : i + 1], params)[0]
        l0 = np.sum(x[i] * np.log(pr) + (1 - x[i]) * np.log(1 - pr))
        e = np.sum(pr * np.log(pr) + (1 - pr) * np.log(1 - pr))
        v = np.sum(pr * (1 - pr) * np.log(pr / (1 - pr)) ** 2)
        assert res_ml.lz[i] == pytest.approx((l0 - e) / np.sqrt(v), rel=1e-12)
        assert res_ml.lz_star[i] == pytest.approx(_lz_star_by_loops(x[i], theta[i], params, 0.0), rel=1e-12)
        assert res_map.lz_star[i] == pytest.approx(
            _lz_star_by_loops(x[i], theta[i], params, -theta[i]), rel=1e-12
        )


def test_seeded_lz_star_is_standard_normal_with_ml_theta():
    from piaa.psychometrics.estimation import estimate_ability

    rng = np.random.default_rng(31)
    n_items = 40
    params = np.column_stack(
        [rng.uniform(0.8, 2.0, n_items), rng.normal(0, 1, n_items), np.zeros(n_items), np.ones(n_items)]
    )
    x, _ = _simulate_2pl(rng, 3000, params)
    est = estimate_ability(x, params, method="mle")
    res = person_fit(x, est.theta, params, method="ml")
    ok = np.isfinite(res.lz_star)
    assert ok.sum() > 2900
    # lz with an estimated θ is known to have variance below 1 (here about .7);
    # lz* corrects it. Its mean sits about .1 above 0 at 40 items (the
    # correction is asymptotic), hence the tolerance.
    assert abs(np.mean(res.lz_star[ok])) < 0.15
    assert abs(np.var(res.lz_star[ok]) - 1.0) < 0.1
    assert np.var(res.lz[ok]) < np.var(res.lz_star[ok])
    # A careless responder (answers at random) is flagged.
    careless = (rng.uniform(size=(1, n_items)) < 0.5).astype(float)
    careless_theta = estimate_ability(careless, params, method="mle").theta
    assert person_fit(careless, careless_theta, params).lz_star[0] < -1.0


def test_person_fit_marks_perfect_ml_patterns_and_bad_method():
    params = np.column_stack([np.ones(3), [-1, 0, 1], np.zeros(3), np.ones(3)])
    res = person_fit(np.ones((1, 3)), np.array([4.0]), params, method="ml")
    assert np.isnan(res.lz_star[0])
    with pytest.raises(ValueError, match="method must be one of"):
        person_fit(np.ones((1, 3)), np.array([0.0]), params, method="eap")
