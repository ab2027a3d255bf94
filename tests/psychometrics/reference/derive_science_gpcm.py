"""Derive the converged GPCM estimates for the Science data by direct maximisation.

R mirt's published GPCM fit of Science (reference/mirt.md, example
``mirt(Science, 1, 'gpcm')``) stops its EM at a 1e-4 parameter change, short
of the optimum along the weakly identified slope of item Future. This script
finds the optimum without EM: it writes the GPCM marginal log-likelihood
from its definition (mirt's slope-intercept form, 61 equally spaced nodes on
[-6, 6] with normalised N(0, 1) density weights, as mirt) and maximises it
with scipy's BFGS from mirt's printed estimates, then polishes with Newton
steps on a finite-difference Hessian. It shares no code with
piaa.psychometrics. Run:

    python tests/psychometrics/reference/derive_science_gpcm.py DATA.csv

and it prints the JSON block stored in science_gpcm.json.
"""

import json
import sys

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp

MIRT_PRINTED = [  # a1, d1, d2, d3 per item (d0 = 0), mirt.md example output
    [0.865, 2.831, 5.324, 3.998],
    [0.841, 1.711, 2.578, 0.848],
    [2.204, 4.601, 6.759, 4.918],
    [0.724, 2.099, 2.899, 1.721],
]


def negative_loglik(flat, x, nodes, log_w):
    pars = flat.reshape(4, 4)
    total = np.tile(log_w, (x.shape[0], 1))
    for j in range(4):
        a, d = pars[j, 0], np.concatenate([[0.0], pars[j, 1:]])
        z = np.outer(nodes, a * np.arange(4)) + d            # (Q, 4)
        logp = z - logsumexp(z, axis=1, keepdims=True)
        total += logp[:, x[:, j]].T
    return -logsumexp(total, axis=1).sum()


def main(path):
    raw = np.genfromtxt(path, delimiter=",", skip_header=1, usecols=(1, 2, 3, 4))
    x = raw.astype(int) - 1
    nodes = np.linspace(-6, 6, 61)
    w = np.exp(-0.5 * nodes**2)
    log_w = np.log(w / w.sum())
    f = lambda v: negative_loglik(v, x, nodes, log_w)
    res = minimize(f, np.array(MIRT_PRINTED).ravel(), method="BFGS", options={"gtol": 1e-8})
    v = res.x
    h = 1e-4
    for _ in range(3):
        n = v.size
        grad = np.array([(f(v + h * e) - f(v - h * e)) / (2 * h) for e in np.eye(n)])
        hess = np.empty((n, n))
        for i, ei in enumerate(np.eye(n)):
            for k, ek in enumerate(np.eye(n)):
                hess[i, k] = (f(v + h * ei + h * ek) - f(v + h * ei - h * ek)
                              - f(v - h * ei + h * ek) + f(v - h * ei - h * ek)) / (4 * h * h)
        v = v - np.linalg.solve(hess, grad)
    grad = np.array([(f(v + h * e) - f(v - h * e)) / (2 * h) for e in np.eye(v.size)])
    out = {
        "loglik": round(-f(v), 6),
        "slope_intercept": np.round(v.reshape(4, 4), 5).tolist(),
        "max_abs_gradient": float(np.abs(grad).max()),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main(sys.argv[1])
