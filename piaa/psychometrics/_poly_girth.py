"""Fit the GRM or GPCM with girth 0.8 instead of our EM (internal).

girth's ``grm_mml`` and ``pcm_mml`` (its partial credit model has an item
slope, i.e. it is the GPCM) take ``[n_items, n_persons]`` integer arrays with
``girth.INVALID_RESPONSE`` for missing answers and return slopes and
thresholds in the same logistic metric as ours (D = 1; for the GPCM, step
difficulties b_k with P(X=k)/P(X=k-1) = exp(a(θ - b_k))). girth reports no
standard errors, log-likelihood or convergence flag; the caller fills those
in at girth's estimates with our own likelihood.
"""

from __future__ import annotations

import numpy as np

GIRTH_FUNCTIONS = {"grm": "grm_mml", "gpcm": "pcm_mml"}


def girth_estimates(model, responses, nodes, max_iter):
    """(J, Kmax) IRT-metric parameters estimated by girth on our quadrature span."""
    import girth

    x = np.asarray(responses, dtype=float)
    data = np.where(np.isnan(x), girth.INVALID_RESPONSE, np.nan_to_num(x)).astype(int)
    options = {
        "quadrature_n": int(nodes.size),
        "quadrature_bounds": (float(nodes[0]), float(nodes[-1])),
        "max_iteration": int(max_iter),
    }
    out = getattr(girth, GIRTH_FUNCTIONS[model])(np.ascontiguousarray(data.T), options=options)
    slopes = np.asarray(out["Discrimination"], dtype=float)
    thresholds = np.atleast_2d(np.asarray(out["Difficulty"], dtype=float))
    return np.column_stack([slopes, thresholds])
