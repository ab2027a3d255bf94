"""Dichotomous item response functions: the four-parameter logistic family.

Every model used for right/wrong items (Rasch, 1PL, 2PL, 3PL, 4PL) is a special
case of the 4PL written in the logistic metric with D = 1:

    P(θ) = c + (d - c) / (1 + exp(-a (θ - b)))

with item parameters stored as an ``(n_items, 4)`` array of columns a, b, c, d.
A 2PL item has c = 0, d = 1; a Rasch item additionally has a = 1.

All functions broadcast over persons (or quadrature nodes) and items at once:
``theta`` is ``(n,)``, ``params`` is ``(J, 4)`` and results are ``(n, J)``.
Responses are ``(n, J)`` floats with 0/1 scores and NaN for items not
administered.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

__all__ = [
    "validate_params",
    "prob",
    "log_prob_pair",
    "information",
    "loglik",
    "PARAM_COLUMNS",
]

PARAM_COLUMNS = ("a", "b", "c", "d")


def validate_params(params) -> np.ndarray:
    """Return ``params`` as a float ``(J, 4)`` array, rejecting impossible rows.

    Raises
    ------
    ValueError
        If the shape is wrong, a value is not finite, or an item has
        c < 0, d > 1 or c >= d (the asymptotes would not bound a probability).
    """
    p = np.asarray(params, dtype=float)
    if p.ndim == 1 and p.shape[0] == 4:
        p = p[None, :]
    if p.ndim != 2 or p.shape[1] != 4:
        raise ValueError(f"params must have shape (n_items, 4) = a, b, c, d; got {p.shape}")
    bad = ~np.isfinite(p).all(axis=1)
    if bad.any():
        raise ValueError(f"params of item {int(np.flatnonzero(bad)[0])} are not finite")
    c, d = p[:, 2], p[:, 3]
    bad = (c < 0) | (d > 1) | (c >= d)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"item {j} needs 0 <= c < d <= 1; got c={c[j]!r}, d={d[j]!r}"
        )
    return p


def _logit(theta: np.ndarray, p: np.ndarray) -> np.ndarray:
    """(n, J) linear predictor a (θ - b)."""
    return p[:, 0] * (np.asarray(theta, dtype=float)[:, None] - p[:, 1])


def response_curve(theta: np.ndarray, p: np.ndarray):
    """Logistic F, P and dP/dθ of validated (J, 4) items at (n,) θ, each (n, J).

    P = c + (d - c) F with F the logistic of a (θ - b); dP/dθ = a (d - c) F (1 - F).
    """
    f = expit(_logit(theta, p))
    a, c, d = p[:, 0], p[:, 2], p[:, 3]
    return f, c + (d - c) * f, a * (d - c) * f * (1.0 - f)


def prob(theta, params) -> np.ndarray:
    """Probability of a correct response.

    Parameters
    ----------
    theta : (n,) abilities (or quadrature nodes).
    params : (J, 4) item parameters a, b, c, d.

    Returns
    -------
    (n, J) array of P(X = 1 | θ).
    """
    p = validate_params(params)
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    z = _logit(theta, p)
    return p[:, 2] + (p[:, 3] - p[:, 2]) * expit(z)


def log_prob_pair(theta, params) -> tuple[np.ndarray, np.ndarray]:
    """Logarithms of P(correct) and P(incorrect), accurate in both tails.

    For the 2PL (c = 0, d = 1) these are -log1p(exp(-z)) and -log1p(exp(z)),
    computed without forming P so that neither underflows to log(0).

    Parameters
    ----------
    theta : (n,) abilities (or quadrature nodes).
    params : (J, 4) item parameters a, b, c, d.

    Returns
    -------
    (log P, log(1 - P)), each (n, J).
    """
    p = validate_params(params)
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    return log_prob_pair_from_logit(_logit(theta, p), p[:, 2], p[:, 3])


def log_prob_pair_from_logit(z: np.ndarray, c: np.ndarray, d: np.ndarray):
    """(log P, log(1 - P)) from the (n, J) logits z = a (θ - b) and (J,) asymptotes.

    The one place the 4PL is combined in log space; calibration, whose
    items are stored by their logits, calls it directly.
    """
    log_f = -np.logaddexp(0.0, -z)      # log of the logistic F(z)
    log_1mf = -np.logaddexp(0.0, z)     # log of 1 - F(z)
    if np.all(c == 0) and np.all(d == 1):
        return log_f, log_1mf
    # P = c + (d-c) F  and  1-P = (1-d) + (d-c)(1-F); combine in log space.
    with np.errstate(divide="ignore"):
        log_c, log_1md, log_dmc = np.log(c), np.log1p(-d), np.log(d - c)
    log_p = np.logaddexp(log_c, log_dmc + log_f)
    log_q = np.logaddexp(log_1md, log_dmc + log_1mf)
    return log_p, log_q


def information(theta, params) -> np.ndarray:
    """Fisher information of each item at each θ.

    I(θ) = P'(θ)² / (P (1 - P)) with P' = a (d - c) F (1 - F), F the logistic
    of a (θ - b). For the 2PL this reduces to a² P (1 - P).

    Parameters
    ----------
    theta : (n,) abilities (or quadrature nodes).
    params : (J, 4) item parameters a, b, c, d.

    Returns
    -------
    (n, J) array.
    """
    p = validate_params(params)
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    _, pr, dp = response_curve(theta, p)
    denom = pr * (1.0 - pr)
    with np.errstate(divide="ignore", invalid="ignore"):
        info = np.where(denom > 0, dp**2 / denom, 0.0)
    return info


def loglik(responses, theta, params) -> np.ndarray:
    """Log-likelihood of each person's response pattern at their θ.

    Parameters
    ----------
    responses : (n, J) 0/1 scores, NaN where an item was not administered.
    theta : (n,) one ability per person.
    params : (J, 4) item parameters.

    Returns
    -------
    (n,) sum over administered items of x log P + (1 - x) log(1 - P).
    """
    x = np.asarray(responses, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"responses must be 2-D (n_persons, n_items); got shape {x.shape}")
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    if theta.shape[0] != x.shape[0]:
        raise ValueError(
            f"theta has {theta.shape[0]} values but responses have {x.shape[0]} persons"
        )
    p = validate_params(params)
    if p.shape[0] != x.shape[1]:
        raise ValueError(f"params have {p.shape[0]} items but responses have {x.shape[1]}")
    log_p, log_q = log_prob_pair(theta, p)
    seen = ~np.isnan(x)
    xs = np.where(seen, x, 0.0)
    ll = np.where(seen, xs * log_p + (1.0 - xs) * log_q, 0.0)
    return ll.sum(axis=1)
