"""Tests for IRT scale linking through common items."""

from __future__ import annotations

import numpy as np
import pytest

from piaa.psychometrics.irt import prob
from piaa.psychometrics.linking import LINKING_METHODS, link, transform_params


def _anchors(rng, m=15, c=0.0):
    return np.column_stack([rng.uniform(0.7, 2.0, m), rng.normal(0, 1, m), np.full(m, c), np.ones(m)])


def _to_new_scale(base, A, B):
    """Parameters the new calibration would report if θ_base = A θ_new + B."""
    new = base.copy()
    new[:, 0] = base[:, 0] * A
    new[:, 1] = (base[:, 1] - B) / A
    return new


def test_moment_methods_by_hand():
    # Base anchors: a = (1, 2), b = (-1, 1); new anchors: a = (2, 2), b = (-0.5, 0.5).
    # mean-mean: A = mean(a_new)/mean(a_base) = 2/1.5 = 4/3; B = 0 - A*0 = 0.
    # mean-sigma: A = SD(b_base)/SD(b_new) = 1/0.5 = 2; B = 0.
    base = np.array([[1.0, -1.0, 0, 1], [2.0, 1.0, 0, 1]])
    new = np.array([[2.0, -0.5, 0, 1], [2.0, 0.5, 0, 1]])
    mm = link(new, base, "mean-mean")
    ms = link(new, base, "mean-sigma")
    assert (mm.A, mm.B) == pytest.approx((4 / 3, 0.0))
    assert (ms.A, ms.B) == pytest.approx((2.0, 0.0))


@pytest.mark.parametrize("model_c", [0.0, 0.2])
def test_all_methods_agree_on_error_free_anchors(model_c):
    rng = np.random.default_rng(12)
    base = _anchors(rng, c=model_c)
    new = _to_new_scale(base, 1.3, -0.4)
    model = "3pl" if model_c else "2pl"
    for method in LINKING_METHODS:
        res = link(new, base, method, model)
        assert res.A == pytest.approx(1.3, abs=1e-6), method
        assert res.B == pytest.approx(-0.4, abs=1e-6), method
    moved = link(new, base, "haebara", model).transform_params(new)
    np.testing.assert_allclose(moved, base, atol=1e-6)


def test_seeded_recovery_with_estimation_noise():
    rng = np.random.default_rng(2025)
    base = _anchors(rng, m=25)
    true_A, true_B = 0.8, 0.5
    new = _to_new_scale(base, true_A, true_B)
    new[:, 0] *= np.exp(rng.normal(0, 0.08, 25))
    new[:, 1] += rng.normal(0, 0.08, 25)
    results = {m: link(new, base, m) for m in LINKING_METHODS}
    for method, res in results.items():
        assert res.A == pytest.approx(true_A, abs=0.08), method
        assert res.B == pytest.approx(true_B, abs=0.08), method
    # The characteristic-curve methods move away from their mean-sigma start
    # and do at least as well on their own criterion.
    ms = results["mean-sigma"]
    for method in ("haebara", "stocking-lord"):
        res = results[method]
        assert res.converged
        assert (res.A, res.B) != pytest.approx((ms.A, ms.B), abs=1e-6)
    grid = np.linspace(-4, 4, 41)
    tcc_base = prob(grid, base).sum(axis=1)
    sl = results["stocking-lord"]
    tcc_sl = prob(grid, sl.transform_params(new)).sum(axis=1)
    tcc_ms = prob(grid, transform_params(new, ms.A, ms.B)).sum(axis=1)
    w = np.exp(-grid**2 / 2)
    assert np.sum(w * (tcc_sl - tcc_base) ** 2) <= np.sum(w * (tcc_ms - tcc_base) ** 2)


def test_theta_and_se_transform():
    res = link(np.array([[2.0, -0.5, 0, 1], [2.0, 0.5, 0, 1]]), np.array([[1.0, -1.0, 0, 1], [2.0, 1.0, 0, 1]]), "mean-sigma")
    np.testing.assert_allclose(res.transform_theta([0.0, 1.0]), [0.0, 2.0])
    np.testing.assert_allclose(res.transform_se([0.3]), [0.6])


def test_polytomous_thresholds_move_like_difficulties():
    p = np.array([[1.5, -1.0, 0.0, 1.0], [0.8, -0.5, 0.5, np.nan]])
    moved = transform_params(p, 2.0, 1.0, "grm")
    np.testing.assert_allclose(moved[:, 0], [0.75, 0.4])
    np.testing.assert_allclose(moved[0, 1:], [-1.0, 1.0, 3.0])
    assert np.isnan(moved[1, 3])


def test_grm_characteristic_curve_linking_recovers_constants():
    base = np.array([[1.2, -1.5, 0.0, 1.0], [0.9, -0.5, 0.6, 1.8], [1.6, -2.0, -1.0, 0.2], [1.1, 0.0, 0.8, 1.5]])
    new = transform_params(base, 1 / 1.25, -0.3 / 1.25, "grm")  # inverse map: A = 1.25, B = 0.3
    for method in LINKING_METHODS:
        res = link(new, base, method, "grm")
        assert res.A == pytest.approx(1.25, abs=1e-5), method
        assert res.B == pytest.approx(0.3, abs=1e-5), method


def test_linking_input_errors():
    base = np.array([[1.0, -1.0, 0, 1], [2.0, 1.0, 0, 1]])
    with pytest.raises(ValueError, match="method must be one of"):
        link(base, base, "equipercentile")
    with pytest.raises(ValueError, match="one shape"):
        link(base, base[:1], "mean-mean")
    with pytest.raises(ValueError, match="anchor 1 needs positive slopes"):
        link(np.array([[1.0, 0, 0, 1], [-1.0, 0, 0, 1]]), base, "mean-mean")
    with pytest.raises(ValueError, match="A must be a positive number"):
        transform_params(base, -1.0, 0.0)
