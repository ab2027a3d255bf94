"""The calibration's own numeric steps, on arrays: each against a routine of
``piaa.psychometrics`` that has its own reference test, or against a known truth."""
from __future__ import annotations

import numpy as np
import pytest

from piaa.calibration import analysis
from piaa.psychometrics import item_statistics, s_x2, simulate_params, simulate_responses, transform_params


@pytest.fixture(scope="module")
def complete():
    rng = np.random.default_rng(8)
    params = simulate_params("2pl", 12, rng)
    theta = rng.normal(0, 1, 1500)
    return params, theta, simulate_responses(theta, params, "2pl", rng)


def test_point_biserial_on_a_complete_design_is_the_item_rest_correlation(complete):
    # The rest score as a proportion is a linear function of the rest total when everyone
    # took every item, so the correlation equals item_statistics' item-rest r (whose own
    # reference test checks it on LSAT6 against R ltm::descript's excluded point-biserial).
    _, _, x = complete
    ours = analysis.classical_statistics(x, np.zeros_like(x, bool))
    reference = item_statistics(x)
    np.testing.assert_allclose(ours["pbis"], reference.item_rest_r, atol=1e-12)
    np.testing.assert_allclose(ours["p"], reference.p_value, atol=1e-12)


def test_omit_rate_counts_unanswered_among_administered(complete):
    _, _, x = complete
    x = x.copy()
    x[:500, 0] = np.nan                    # not administered: not an omission
    omitted = np.zeros_like(x, bool)
    omitted[500:600, 0] = True             # 100 of the 1000 who had it
    assert analysis.classical_statistics(x, omitted)["omit_rate"][0] == pytest.approx(0.1)


def test_sx2_by_form_equals_s_x2_when_everyone_took_one_form(complete):
    # s_x2 is checked on LSAT7 against R mirt's itemfit in tests/psychometrics/test_fit.py.
    params, _, x = complete
    ours = analysis.sx2_by_pattern(x, params, "2pl", np.zeros(12, bool), 0.0, 1.0)
    reference = s_x2(x, params, "2pl", n_group_params=0)
    np.testing.assert_allclose(ours["statistic"], reference.statistic, rtol=1e-10)
    np.testing.assert_allclose(ours["df"], reference.df)
    np.testing.assert_allclose(ours["p_value"], reference.p_value, rtol=1e-8)


def test_sx2_adds_over_forms_and_skips_small_forms(complete):
    params, _, x = complete
    x = x.copy()
    x[:750, 11] = np.nan                   # two forms of 750; item 11 only on the second
    x[:20, 10] = np.nan                    # a third "form" of 20 attempts: too small to count
    ours = analysis.sx2_by_pattern(x, params, "2pl", np.zeros(12, bool), 0.0, 1.0)
    first = s_x2(x[20:750, :11], params[:11], "2pl", n_group_params=0)
    second = s_x2(x[750:], params, "2pl", n_group_params=0)
    assert ours["statistic"][0] == pytest.approx(first.statistic[0] + second.statistic[0])
    assert ours["df"][0] == first.df[0] + second.df[0]
    assert ours["statistic"][11] == pytest.approx(second.statistic[11])


def test_the_jackknife_error_of_an_exact_link_is_nil_and_grows_with_noise(complete):
    params, _, _ = complete
    base = transform_params(params, 1.3, -0.4, "2pl")
    assert analysis._jackknife_link(params, base, "2pl") == pytest.approx((0.0, 0.0), abs=1e-4)
    noisy = base.copy()
    noisy[:, 1] += np.random.default_rng(1).normal(0, 0.2, 12)
    se_a, se_b = analysis._jackknife_link(params, noisy, "2pl")
    assert 0.005 < se_b < 0.2 and se_a > 0.001


def test_displacement_finds_an_anchor_banked_at_the_wrong_place(complete):
    # Answers come from the true parameters; one anchor is "banked" 0.8 logits too easy.
    params, _, x = complete
    banked = params.copy()
    banked[3, 1] -= 0.8
    a, b, se_b = analysis.displacement(x, banked, np.arange(12), "2pl", 0.0, 1.0)
    assert b[3] - banked[3, 1] == pytest.approx(0.8, abs=3 * se_b[3] + 0.1)
    others = np.delete(np.arange(12), 3)
    assert np.all(np.abs(b[others] - params[others, 1]) < 3 * se_b[others] + 0.1)


def test_check_design_names_the_disjoint_parts():
    x = np.full((4, 4), np.nan)
    x[:2, :2] = [[0, 1], [1, 0]]
    x[2:, 2:] = [[0, 1], [1, 0]]
    data = analysis.CalibrationInput(x, np.zeros_like(x, bool), ["A", "B", "C", "D"], ["operational"] * 4,
                                     np.full((4, 4), np.nan), np.full((4, 4), np.nan))
    with pytest.raises(analysis.DesignError, match=r"2 groups .*\{A, B\}; \{C, D\}"):
        analysis.check_design(data, "rasch", "free", 2)
    with pytest.raises(analysis.DesignError, match="too few responses.*A \\(2 responses\\)"):
        analysis.check_design(data, "rasch", "free", 3)
