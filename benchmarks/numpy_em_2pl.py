"""A plain float64 numpy Bock-Aitkin EM for the 2PL: the peer ``piaa calibrate`` is timed against.

Standalone on purpose (numpy and pandas only, nothing from piaa), so it stands
for what a psychometrician would write in an afternoon: the textbook EM with
vectorised E-step (one matrix product over all persons, a log-sum-exp over
nodes) and batched 2x2 Newton M-step, no acceleration. It does the same job
as ``piaa calibrate RESPONSES --model 2pl --out PARAMS``: read a wide CSV
(``person`` column, one 0/1 column per item, complete data), fit on mirt's
grid (61 points on [-6, 6], N(0, 1) weights) until one EM step moves no
slope or intercept by more than ``--tol`` (piaa's default 1e-6), compute
standard errors from the cross-product of per-person scores (what piaa uses
at this size), and write ``item,a,b,se_a,se_b``.

Usage: python benchmarks/numpy_em_2pl.py RESPONSES.csv OUT.csv [--tol 1e-6]

Reference: Bock, R. D., & Aitkin, M. (1981). Psychometrika, 46, 443-459.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def e_step(x, a, d, nodes, log_w):
    """Posterior (n, Q), expected correct (J, Q), node mass (Q,), log-likelihood."""
    z = nodes[:, None] * a + d  # (Q, J)
    log_p = -np.logaddexp(0.0, -z)
    log_q = -np.logaddexp(0.0, z)
    L = x @ (log_p - log_q).T + (log_q.sum(axis=1) + log_w)  # (n, Q)
    top = L.max(axis=1, keepdims=True)
    post = np.exp(L - top)
    total = post.sum(axis=1, keepdims=True)
    post /= total
    loglik = float((top + np.log(total)).sum())
    return post, x.T @ post, post.sum(axis=0), loglik


def m_step(a, d, r, n, nodes, newton=5):
    """Batched Newton on each item's expected complete-data log-likelihood."""
    for _ in range(newton):
        p = 1.0 / (1.0 + np.exp(-(a[:, None] * nodes + d[:, None])))  # (J, Q)
        resid = r - n * p
        w = n * p * (1.0 - p)
        g_a, g_d = (resid * nodes).sum(axis=1), resid.sum(axis=1)
        h_aa, h_ad, h_dd = (w * nodes**2).sum(axis=1), (w * nodes).sum(axis=1), w.sum(axis=1)
        det = h_aa * h_dd - h_ad**2
        a = a + (h_dd * g_a - h_ad * g_d) / det
        d = d + (h_aa * g_d - h_ad * g_a) / det
    return a, d


def standard_errors(x, a, d, nodes, log_w):
    """SEs of a and b from the cross-product of per-person scores (XPD)."""
    post, _, _, _ = e_step(x, a, d, nodes, log_w)
    p = 1.0 / (1.0 + np.exp(-(nodes[:, None] * a + d)))  # (Q, J)
    s_d = x - post @ p
    s_a = x * (post @ nodes)[:, None] - post @ (p * nodes[:, None])
    scores = np.concatenate([s_a, s_d], axis=1)
    cov = np.linalg.inv(scores.T @ scores)
    J = a.size
    var_a, var_d, cov_ad = np.diag(cov)[:J], np.diag(cov)[J:], np.diag(cov[:J, J:])
    # b = -d / a (delta method)
    var_b = (d / a**2) ** 2 * var_a + var_d / a**2 - 2 * d / a**3 * cov_ad
    return np.sqrt(var_a), np.sqrt(var_b)


def fit(x, tol=1e-6, max_iter=5000):
    nodes = np.linspace(-6.0, 6.0, 61)
    w = np.exp(-0.5 * nodes**2)
    log_w = np.log(w / w.sum())
    J = x.shape[1]
    a, d = np.ones(J), np.zeros(J)
    p = x.mean(axis=0)
    d = np.log(p / (1 - p))
    for it in range(1, max_iter + 1):
        _, r, n, loglik = e_step(x, a, d, nodes, log_w)
        a_new, d_new = m_step(a, d, r, n[None, :], nodes)
        change = max(np.abs(a_new - a).max(), np.abs(d_new - d).max())
        a, d = a_new, d_new
        if change < tol:
            break
    return a, d, loglik, it, nodes, log_w


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("responses")
    ap.add_argument("out")
    ap.add_argument("--tol", type=float, default=1e-6)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    frame = pd.read_csv(args.responses)
    items = list(frame.columns[1:])
    x = frame[items].to_numpy(dtype=np.float64)
    a, d, loglik, n_iter, nodes, log_w = fit(x, args.tol)
    se_a, se_b = standard_errors(x, a, d, nodes, log_w)
    pd.DataFrame({"item": items, "a": a, "b": -d / a, "se_a": se_a, "se_b": se_b}).to_csv(args.out, index=False)
    print(f"2pl: {len(items)} items, {x.shape[0]} persons; log-likelihood = {loglik:.4f}; "
          f"{n_iter} EM cycles; {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
