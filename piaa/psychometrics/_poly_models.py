"""Category probabilities and their parameter derivatives for GRM and GPCM.

Internal to :mod:`piaa.psychometrics.polytomous`. Everything here works in the
slope-intercept metric that estimation uses (the one R's mirt prints):

* GRM:  logit P(X >= k | θ) = a θ + d_k,  k = 1..K-1, with d_1 > d_2 > ...
* GPCM: P(X = k | θ) ∝ exp(k a θ + c_k),  c_0 = 0.

An item's row is ``(a, d_1, ..., d_{Kmax-1})`` with NaN after its last
intercept when it has fewer than ``Kmax`` categories; the same layout as the
public IRT-metric parameters, so masks carry over.

For estimation each model supplies, at every quadrature node, the category
log-probabilities ``log P`` (Q, J, K), the score ``g = ∂ log P / ∂η``
(Q, J, K, p) and, for standard errors, the Hessian ``h = ∂² log P / ∂η∂η'``
(Q, J, K, p, p), where p = Kmax is the length of a parameter row. Categories
an item lacks get log P = -inf, g = 0 and h = 0.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_expit, logsumexp

from ._checks import check_choice
from ._item_models import POLYTOMOUS_MODELS

MODELS = POLYTOMOUS_MODELS


def check_model(model: str) -> str:
    """Return the lower-cased polytomous model name or raise naming the bad value."""
    return check_choice("polytomous model", str(model).lower(), MODELS)


def category_counts(rows: np.ndarray) -> np.ndarray:
    """(J,) number of categories K_j = 1 + number of non-NaN intercepts."""
    return 1 + np.sum(~np.isnan(rows[:, 1:]), axis=1)


def category_mask(n_categories: np.ndarray, k_max: int) -> np.ndarray:
    """(J, Kmax) True where the item has that category."""
    return np.arange(k_max)[None, :] < np.asarray(n_categories)[:, None]


# --------------------------------------------------------------------------
# metric conversions


def irt_to_slope_intercept(params: np.ndarray, model: str) -> np.ndarray:
    """(a, b_1..b_{K-1}) -> (a, d_1..d_{K-1}); NaN padding is kept."""
    p = np.array(params, dtype=float)
    a = p[:, :1]
    b = p[:, 1:]
    if model == "grm":
        d = -a * b
    else:
        # c_k = -a Σ_{v<=k} b_v; nancumsum would turn padding into numbers.
        d = -a * np.cumsum(b, axis=1)
    return np.hstack([a, d])


def slope_intercept_to_irt(rows: np.ndarray, model: str) -> np.ndarray:
    """(a, d_1..d_{K-1}) -> (a, b_1..b_{K-1}); NaN padding is kept."""
    p = np.array(rows, dtype=float)
    a = p[:, :1]
    d = p[:, 1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        if model == "grm":
            b = -d / a
        else:
            steps = np.diff(np.hstack([np.zeros_like(a), d]), axis=1)
            b = -steps / a
    return np.hstack([a, b])


def irt_jacobian(rows: np.ndarray, model: str) -> np.ndarray:
    """(J, p, p) Jacobian ∂(a, b) / ∂(a, d) per item, for the delta method."""
    p = np.asarray(rows, dtype=float)
    n_items, width = p.shape
    a = p[:, 0]
    d = np.nan_to_num(p[:, 1:])
    jac = np.zeros((n_items, width, width))
    jac[:, 0, 0] = 1.0
    idx = np.arange(1, width)
    if model == "grm":
        jac[:, idx, 0] = d / a[:, None] ** 2
        jac[:, idx, idx] = -1.0 / a[:, None]
    else:
        steps = np.diff(np.hstack([np.zeros((n_items, 1)), d]), axis=1)
        jac[:, idx, 0] = steps / a[:, None] ** 2
        jac[:, idx, idx] = -1.0 / a[:, None]
        jac[:, idx[1:], idx[:-1]] = 1.0 / a[:, None]
    return jac


# --------------------------------------------------------------------------
# log-probabilities


def _grm_cumulative_logits(theta, rows):
    """(n, J, Kmax+1) logits of P(X >= k) for k = 0..Kmax, padded with ±inf.

    P(X >= 0) = 1 is +inf and every cumulative probability beyond an item's
    top category is -inf, so the category formula below needs no special case
    at either end.
    """
    a = rows[:, 0]
    d = rows[:, 1:]
    z = a[None, :, None] * theta[:, None, None] + d[None, :, :]
    z = np.where(np.isnan(z), -np.inf, z)
    n, n_items = z.shape[0], z.shape[1]
    top = np.full((n, n_items, 1), np.inf)
    bottom = np.full((n, n_items, 1), -np.inf)
    return np.concatenate([top, z, bottom], axis=2)


def grm_log_prob(theta, rows, n_categories):
    """(n, J, Kmax) log P(X = k) under the GRM; -inf for absent categories.

    P_k = F(z_k) - F(z_{k+1}) = F(z_k) F(-z_{k+1}) (1 - exp(z_{k+1} - z_k)),
    which keeps full relative precision in both tails where the plain
    difference of two logistic values cancels.
    """
    zext = _grm_cumulative_logits(theta, rows)
    upper, lower = zext[:, :, :-1], zext[:, :, 1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = -np.expm1(lower - upper)
        logp = log_expit(upper) + log_expit(-lower) + np.log(gap)
    mask = category_mask(n_categories, rows.shape[1])[None, :, :]
    return np.where(mask, logp, -np.inf)


def gpcm_log_prob(theta, rows, n_categories):
    """(n, J, Kmax) log P(X = k) under the GPCM; -inf for absent categories."""
    z = _gpcm_logits(theta, rows, n_categories)
    return z - logsumexp(z, axis=2, keepdims=True)


def _gpcm_logits(theta, rows, n_categories):
    k_max = rows.shape[1]
    a = rows[:, 0]
    c = np.hstack([np.zeros((rows.shape[0], 1)), np.nan_to_num(rows[:, 1:])])
    k = np.arange(k_max)
    z = a[None, :, None] * theta[:, None, None] * k[None, None, :] + c[None, :, :]
    mask = category_mask(n_categories, k_max)[None, :, :]
    return np.where(mask, z, -np.inf)


def log_prob(theta, rows, n_categories, model):
    if model == "grm":
        return grm_log_prob(theta, rows, n_categories)
    return gpcm_log_prob(theta, rows, n_categories)


# --------------------------------------------------------------------------
# derivatives with respect to the slope-intercept parameters


def _grm_threshold_pattern(k_max):
    """(Kmax, Kmax-1) +1 where threshold m bounds category k from below, -1 from above."""
    k = np.arange(k_max)[:, None]
    m = np.arange(1, k_max)[None, :]
    return (m == k).astype(float) - (m == k + 1).astype(float)


def grm_derivatives(theta, rows, n_categories, second=False):
    """Log-probabilities, scores and (optionally) Hessians under the GRM.

    With W_k = F(z_k)(1 - F(z_k)) the derivatives of P_k are
    ∂P_k/∂a = θ (W_k - W_{k+1}), ∂P_k/∂d_k = W_k, ∂P_k/∂d_{k+1} = -W_{k+1};
    second derivatives replace W by W' = W (1 - 2F).

    Returns
    -------
    logp : (n, J, K); g : (n, J, K, p); h : (n, J, K, p, p) or None.
    """
    logp = grm_log_prob(theta, rows, n_categories)
    prob = np.exp(logp)
    zext = _grm_cumulative_logits(theta, rows)
    f = expit(zext)
    w = f * (1.0 - f)                       # 0 at ±inf, as it should be
    pattern = _grm_threshold_pattern(rows.shape[1])
    th = theta[:, None, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_p = np.where(prob > 0, 1.0 / prob, 0.0)
    dp_a = th * (w[:, :, :-1] - w[:, :, 1:])
    dp_d = w[:, :, None, 1:-1] * pattern[None, None, :, :]
    dp = np.concatenate([dp_a[..., None], dp_d], axis=3)
    g = dp * inv_p[..., None]
    if not second:
        return logp, g, None
    w2 = w * (1.0 - 2.0 * f)
    n, n_items, k_max = prob.shape
    d2p = np.zeros((n, n_items, k_max, k_max, k_max))
    d2p[..., 0, 0] = th**2 * (w2[:, :, :-1] - w2[:, :, 1:])
    cross = w2[:, :, None, 1:-1] * pattern[None, None, :, :]
    d2p[..., 0, 1:] = th[..., None] * cross
    d2p[..., 1:, 0] = th[..., None] * cross
    diag = np.arange(1, k_max)
    d2p[..., diag, diag] = cross
    h = d2p * inv_p[..., None, None] - g[..., :, None] * g[..., None, :]
    return logp, g, h


def gpcm_derivatives(theta, rows, n_categories, second=False):
    """Log-probabilities, scores and (optionally) Hessians under the GPCM.

    The GPCM is a multinomial logit whose category k has sufficient
    statistic t_k = (k θ, e_k): the score is t_k - E[t] and the Hessian of
    every category's log-probability is -Cov(t).
    """
    logp = gpcm_log_prob(theta, rows, n_categories)
    prob = np.exp(logp)
    n, _, k_max = prob.shape
    k = np.arange(k_max, dtype=float)
    t = np.zeros((n, 1, k_max, k_max))
    t[:, 0, :, 0] = theta[:, None] * k[None, :]
    t[:, 0, np.arange(1, k_max), np.arange(1, k_max)] = 1.0
    mean_t = np.einsum("njk,nkp->njp", prob, t[:, 0])
    present = category_mask(n_categories, k_max)[None, :, :, None]
    g = np.where(present, t - mean_t[:, :, None, :], 0.0)
    if not second:
        return logp, g, None
    # Cov(t) = Σ_k P_k (t_k - E t)(t_k - E t)'; identical for every category.
    cov = np.einsum("njk,njkp,njkq->njpq", prob, g, g)
    h = np.where(present[..., None], -cov[:, :, None, :, :], 0.0)
    return logp, g, h


def derivatives(theta, rows, n_categories, model, second=False):
    if model == "grm":
        return grm_derivatives(theta, rows, n_categories, second)
    return gpcm_derivatives(theta, rows, n_categories, second)


# --------------------------------------------------------------------------
# validity of a parameter row


def rows_valid(rows, n_categories, model) -> np.ndarray:
    """(J,) True where a slope-intercept row defines proper probabilities.

    GRM intercepts must fall strictly from one threshold to the next (else a
    category probability is negative); every present value must be finite.
    """
    mask = category_mask(n_categories, rows.shape[1])
    finite = np.all(np.where(mask, np.isfinite(rows), True), axis=1)
    if model != "grm":
        return finite
    d = rows[:, 1:]
    steps = d[:, :-1] - d[:, 1:]
    pair_present = mask[:, 2:]
    ordered = np.all(np.where(pair_present, steps > 0, True), axis=1)
    return finite & ordered
