"""Floating point in the E-step: no subnormal posterior reaches a matrix product, and
single-precision early E-steps leave the double-precision answer unchanged.

A subnormal operand makes BLAS take a microcode assist on many processors; with
about 5% of float32 posteriors subnormal, ``chunk.T @ post`` ran 19 times slower.
"""

import numpy as np
import pytest

from piaa.psychometrics import _em, calibration
from piaa.psychometrics.calibration import IRTCalibrator, _public_to_internal
from piaa.psychometrics.irt import prob
from piaa.psychometrics.quadrature import normal_quadrature


def _simulate(rng, n, J, slope_log_mean=0.0):
    params = np.column_stack([
        rng.lognormal(slope_log_mean, 0.25, J), rng.normal(0.0, 1.0, J), np.zeros(J), np.ones(J)])
    x = (rng.random((n, J)) < prob(rng.normal(size=n), params)).astype(float)
    return x, params


def _posterior_and_raw(x, params, dtype):
    """The E-step's posterior and, for comparison, the same rows without the underflow floor."""
    design = _em.prepare_dense(x, x.shape[0], dtype)
    nodes, w = normal_quadrature(61)
    logp, logq = _em.log_tables(_public_to_internal(params), nodes)
    post, _ = _em.chunk_posterior(design.chunks[0], design.kind, logp, logq, np.log(w), dtype)
    L = design.chunks[0] @ (logp - logq).T.astype(dtype) + (logq.sum(axis=1) + np.log(w)).astype(dtype)
    raw = np.exp(L - L.max(axis=1, keepdims=True))
    raw /= raw.sum(axis=1, keepdims=True)
    return post, raw


def _subnormal(a):
    return (a != 0) & (np.abs(a) < np.finfo(a.dtype).tiny)


@pytest.mark.parametrize("dtype, J, slope_log_mean", [
    (np.float32, 100, 0.0),   # the 100,000 x 100 2PL case, on fewer persons
    (np.float64, 600, 1.0),   # long, sharp tests underflow float64 too
])
def test_no_subnormal_posterior_reaches_the_matrix_product(dtype, J, slope_log_mean):
    x, params = _simulate(np.random.default_rng(5), 2_000, J, slope_log_mean)
    post, raw = _posterior_and_raw(x, params, dtype)
    # The case is one that produces subnormals without the floor ...
    assert _subnormal(raw).mean() > 0.005
    # ... and none reaches chunk.T @ post.
    assert post.dtype == dtype and not _subnormal(post).any()
    # What was set to zero was below any count's rounding: rows still sum to 1
    # and every kept entry is the unfloored value.
    np.testing.assert_allclose(post.sum(axis=1), 1.0, rtol=10 * np.finfo(dtype).eps)
    kept = post > 0
    np.testing.assert_allclose(post[kept], raw[kept], rtol=10 * np.finfo(dtype).eps)


def test_float32_expected_counts_agree_with_float64():
    x, params = _simulate(np.random.default_rng(6), 5_000, 40)
    nodes, w = normal_quadrature(61)
    eta = _public_to_internal(params)
    double = _em.prepare_dense(x, 1_000, np.float64)
    single = _em.in_single_precision(double)
    assert single.chunks[0].dtype == np.float32 and double.chunks[0].dtype == np.float64
    c64 = _em.expected_counts(double, eta, nodes, w)
    c32 = _em.expected_counts(single, eta, nodes, w)
    # float32 carries ~7 digits; the counts are sums of thousands of posteriors.
    np.testing.assert_allclose(c32.correct, c64.correct, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(c32.node_mass, c64.node_mass, rtol=1e-4, atol=1e-3)


def test_single_precision_early_steps_end_at_the_double_precision_fit(monkeypatch):
    twins = []
    make_twin = _em.in_single_precision
    monkeypatch.setattr(_em, "in_single_precision", lambda d: twins.append(d) or make_twin(d))
    # Small data, so lower the threshold at which "auto" turns to float32.
    monkeypatch.setattr(calibration, "SINGLE_PRECISION_CELLS", 10_000)
    x, _ = _simulate(np.random.default_rng(7), 4_000, 20)
    steps = []
    auto = IRTCalibrator(se_method="xpd", tol=1e-7, callback=lambda i, ll: steps.append(i)).fit(x)
    assert len(twins) == 1
    double = IRTCalibrator(se_method="xpd", tol=1e-7, precision="double").fit(x)
    assert len(twins) == 1  # "double" makes no float32 twin
    assert auto.converged_ and double.converged_
    # Both stop within tol-sized steps of one optimum; EM's rate here keeps
    # the distance under 20 steps' worth.
    np.testing.assert_allclose(auto.params_, double.params_, atol=2e-6)
    # The log-likelihood and SEs come from float64 E-steps in both.
    assert auto.loglik_ == pytest.approx(double.loglik_, rel=1e-10, abs=1e-6)
    np.testing.assert_allclose(auto.se_, double.se_, rtol=1e-4)
    # One numbering of E-steps across both precisions, as progress bars expect.
    assert steps == list(range(1, auto.n_iter_ + 1))
