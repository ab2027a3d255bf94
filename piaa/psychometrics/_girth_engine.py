"""Run dichotomous calibrations through girth 0.8 (internal).

girth lays data out as [n_items, n_persons] with ``girth.INVALID_RESPONSE``
for missing answers, and reports discrimination / difficulty in the logistic
metric with D = 1 (its IRF is 1 / (1 + exp(-a (θ - b))), the same as ours).
It gives no standard errors, log-likelihood or convergence flag; the
calibrator fills those in at girth's estimates.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logit

GIRTH_FUNCTIONS = {"rasch": "onepl_mml", "1pl": "onepl_mml", "2pl": "twopl_mml", "3pl": "threepl_mml"}


def to_girth_layout(responses: np.ndarray) -> np.ndarray:
    """(n_persons, n_items) with NaN -> girth's (n_items, n_persons) int array."""
    import girth

    x = np.asarray(responses, dtype=float)
    out = np.where(np.isnan(x), girth.INVALID_RESPONSE, np.nan_to_num(x)).astype(int)
    return np.ascontiguousarray(out.T)


def fit(model, responses, n_quadrature, theta_bounds, options=None):
    """Fit with girth; return internal eta (J, 4), latent mean, sd and warnings."""
    import girth

    if model not in GIRTH_FUNCTIONS:
        raise ValueError(f"engine='girth' supports {tuple(GIRTH_FUNCTIONS)}, not {model!r}")
    opts = {"quadrature_n": int(n_quadrature), "quadrature_bounds": tuple(float(v) for v in theta_bounds)}
    opts.update(options or {})
    data = to_girth_layout(responses)
    out = getattr(girth, GIRTH_FUNCTIONS[model])(data, options=opts)
    J = data.shape[0]
    a = np.broadcast_to(np.asarray(out["Discrimination"], float), (J,)).copy()
    b = np.asarray(out["Difficulty"], float)
    c = np.asarray(out.get("Guessing", np.zeros(J)), float)
    warnings = []
    mean, sd = 0.0, 1.0
    if model == "rasch":
        # girth's onepl fixes the latent sd at 1 and frees the common slope; with
        # θ' = a θ the same model has slope 1, difficulty a b and sd a (mirt's Rasch).
        sd = float(a[0])
        b = a * b
        a = np.ones(J)
    eta = np.zeros((J, 4))
    eta[:, 0] = a
    eta[:, 1] = -a * b
    with np.errstate(divide="ignore"):
        eta[:, 2] = logit(np.clip(c, 0, 1))
    eta[:, 3] = np.inf
    return eta, mean, sd, warnings
