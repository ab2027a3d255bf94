"""Polytomous IRT models: the graded response model and the generalized partial credit model.

Items scored in ordered categories 0..K-1 (a Likert scale, a rubric, partial
credit) use these models instead of the 4PL family.

Parameters are stored as ``(n_items, 1 + Kmax - 1)`` arrays: the slope ``a``
then ordered thresholds ``b_1..b_{K-1}``, NaN-padded after the last threshold
of an item with fewer than ``Kmax`` categories. Logistic metric, D = 1.

* GRM (Samejima, 1969): P(X >= k | θ) = 1 / (1 + exp(-a (θ - b_k))).
* GPCM (Muraki, 1992): P(X = k | θ) ∝ exp(Σ_{v<=k} a (θ - b_v)).

``fit_polytomous`` estimates them by marginal maximum likelihood with the
Bock–Aitkin EM algorithm (Bock & Aitkin, 1981). Estimation runs in the
slope-intercept metric R's mirt reports (GRM: a θ + d_k with d_k = -a b_k;
GPCM: k a θ + d_k with d_k = -a Σ_{v<=k} b_v); results are returned in the
IRT metric above, with the slope-intercept values alongside.

References
----------
Samejima, F. (1969). Estimation of latent ability using a response pattern of
graded scores. Psychometrika Monograph 17.
Muraki, E. (1992). A generalized partial credit model. Applied Psychological
Measurement 16(2), 159-176.
Bock, R. D., & Aitkin, M. (1981). Marginal maximum likelihood estimation of
item parameters: application of an EM algorithm. Psychometrika 46, 443-459.
Louis, T. A. (1982). Finding the observed information matrix when using the
EM algorithm. JRSS B 44(2), 226-233.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
from scipy.special import expit, ndtri

from ._blas import single_blas_thread
from . import _poly_em as em
from . import _poly_models as pm
from ._checks import check_at_least, check_choice, check_positive
from ._poly_girth import girth_estimates
from .quadrature import normal_quadrature

__all__ = [
    "POLYTOMOUS_MODELS",
    "validate_poly_params",
    "n_categories",
    "prob_grm",
    "prob_gpcm",
    "log_prob_grm",
    "log_prob_gpcm",
    "category_prob",
    "category_log_prob",
    "information_grm",
    "information_gpcm",
    "information_poly",
    "expected_score",
    "loglik_poly",
    "to_slope_intercept",
    "from_slope_intercept",
    "fit_polytomous",
    "marginal_loglik",
    "standard_errors",
]

POLYTOMOUS_MODELS = pm.MODELS

SE_METHODS = {
    "louis": "Louis observed information (EM posterior moments)",
    "xpd": "cross-product of per-person marginal scores (XPD)",
}
# Louis' score covariance costs about n · P² · 2e-9 s here; above this
# budget "auto" switches to the cross-product estimate.
_LOUIS_BUDGET = 4e9


def _choose_se_method(se_method, n_persons, n_free):
    method = "auto" if se_method is None else str(se_method).lower()
    check_choice("se_method", method, ("auto", "louis", "xpd"))
    if method == "auto":
        method = "louis" if n_persons * n_free**2 <= _LOUIS_BUDGET else "xpd"
    return method


# --------------------------------------------------------------------------
# parameters


def validate_poly_params(params, model: str) -> np.ndarray:
    """Return ``params`` as a float ``(J, Kmax)`` array, rejecting impossible rows.

    Raises
    ------
    ValueError
        If the shape is wrong, a slope is not finite (or zero for the GRM),
        an item has no threshold, a NaN sits before a number, or GRM
        thresholds are not strictly ordered along the slope's sign.
    """
    model = pm.check_model(model)
    p = np.asarray(params, dtype=float)
    if p.ndim == 1:
        p = p[None, :]
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError(
            f"polytomous params must have shape (n_items, 1 + K-1) = a, b1..b(K-1); got {p.shape}"
        )
    a = p[:, 0]
    bad = ~np.isfinite(a) | (a == 0) if model == "grm" else ~np.isfinite(a)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise ValueError(f"item {j}: slope a must be finite and non-zero, got {a[j]!r}")
    b = p[:, 1:]
    missing = np.isnan(b)
    gap = missing[:, :-1] & ~missing[:, 1:]
    if missing[:, 0].any() or gap.any():
        j = int(np.flatnonzero(missing[:, 0] | gap.any(axis=1))[0])
        raise ValueError(
            f"item {j}: thresholds must be numbers followed only by NaN padding, got {b[j]!r}"
        )
    if np.isinf(b).any():
        j = int(np.flatnonzero(np.isinf(b).any(axis=1))[0])
        raise ValueError(f"item {j}: thresholds must be finite, got {b[j]!r}")
    if model == "grm":
        rows = pm.irt_to_slope_intercept(p, model)
        ok = pm.rows_valid(rows, pm.category_counts(rows), model)
        if not ok.all():
            j = int(np.flatnonzero(~ok)[0])
            raise ValueError(
                f"item {j}: GRM thresholds must increase strictly (for a > 0), got {b[j]!r}"
            )
    return p


def n_categories(params) -> np.ndarray:
    """(J,) number of response categories of each item (1 + number of thresholds)."""
    p = np.asarray(params, dtype=float)
    return pm.category_counts(np.atleast_2d(p))


def to_slope_intercept(params, model: str) -> np.ndarray:
    """IRT metric (a, b_k) -> mirt's slope-intercept metric (a, d_k), same shape.

    ``params`` is (J, Kmax) (a 1-D row is one item); the result is (J, Kmax)
    with the same NaN padding.

    GRM: d_k = -a b_k. GPCM: d_k = -a Σ_{v<=k} b_v (mirt's d0 = 0 is omitted).
    """
    model = pm.check_model(model)
    return pm.irt_to_slope_intercept(np.atleast_2d(np.asarray(params, dtype=float)), model)


def from_slope_intercept(rows, model: str) -> np.ndarray:
    """Inverse of :func:`to_slope_intercept`: (J, Kmax) (a, d_k) rows -> (J, Kmax) (a, b_k)."""
    model = pm.check_model(model)
    return pm.slope_intercept_to_irt(np.atleast_2d(np.asarray(rows, dtype=float)), model)


# --------------------------------------------------------------------------
# response functions


def _theta(theta) -> np.ndarray:
    return np.atleast_1d(np.asarray(theta, dtype=float))


def category_log_prob(theta, params, model: str) -> np.ndarray:
    """log P(X = k | θ) for every person, item and category.

    Parameters
    ----------
    theta : (n,) abilities.
    params : (J, Kmax) a, b_1..b_{Kmax-1} (NaN-padded).
    model : "grm" or "gpcm".

    Returns
    -------
    (n, J, Kmax); -inf for categories an item lacks.
    """
    p = validate_poly_params(params, model)
    rows = pm.irt_to_slope_intercept(p, model.lower())
    return pm.log_prob(_theta(theta), rows, pm.category_counts(rows), model.lower())


def category_prob(theta, params, model: str) -> np.ndarray:
    """P(X = k | θ) for theta (n,) and params (J, Kmax): (n, J, Kmax), 0 for categories an item lacks."""
    return np.exp(category_log_prob(theta, params, model))


def prob_grm(theta, params) -> np.ndarray:
    """GRM category probabilities for theta (n,), params (J, Kmax): (n, J, Kmax); see :func:`category_prob`."""
    return category_prob(theta, params, "grm")


def prob_gpcm(theta, params) -> np.ndarray:
    """GPCM category probabilities for theta (n,), params (J, Kmax): (n, J, Kmax); see :func:`category_prob`."""
    return category_prob(theta, params, "gpcm")


def log_prob_grm(theta, params) -> np.ndarray:
    """GRM category log-probabilities for theta (n,), params (J, Kmax): (n, J, Kmax), accurate in both tails."""
    return category_log_prob(theta, params, "grm")


def log_prob_gpcm(theta, params) -> np.ndarray:
    """GPCM category log-probabilities for theta (n,), params (J, Kmax): (n, J, Kmax)."""
    return category_log_prob(theta, params, "gpcm")


def expected_score(theta, params, model: str) -> np.ndarray:
    """Expected item score E[X | θ] = Σ_k k P_k(θ) for theta (n,), params (J, Kmax): (n, J)."""
    prob = category_prob(theta, params, model)
    return prob @ np.arange(prob.shape[2], dtype=float)


def information_grm(theta, params) -> np.ndarray:
    """GRM item information I_j(θ) = Σ_k (∂P_k/∂θ)² / P_k for theta (n,), params (J, Kmax): (n, J).

    ∂P_k/∂θ = a (W_k - W_{k+1}) with W_k = P*_k (1 - P*_k) the slope of the
    k-th cumulative curve (W_0 = W_K = 0).
    """
    p = validate_poly_params(params, "grm")
    rows = pm.irt_to_slope_intercept(p, "grm")
    counts = pm.category_counts(rows)
    theta = _theta(theta)
    logp = pm.grm_log_prob(theta, rows, counts)
    prob = np.exp(logp)
    zext = pm._grm_cumulative_logits(theta, rows)
    star = expit(zext)
    w = star * (1.0 - star)
    slope_k = rows[:, 0][None, :, None] * (w[:, :, :-1] - w[:, :, 1:])
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(prob > 0, slope_k**2 / prob, 0.0)
    return terms.sum(axis=2)


def information_gpcm(theta, params) -> np.ndarray:
    """GPCM item information I_j(θ) = a² Var(X | θ) for theta (n,), params (J, Kmax): (n, J)."""
    p = validate_poly_params(params, "gpcm")
    prob = category_prob(theta, p, "gpcm")
    k = np.arange(prob.shape[2], dtype=float)
    mean = prob @ k
    var = prob @ k**2 - mean**2
    return p[:, 0][None, :] ** 2 * np.maximum(var, 0.0)


def information_poly(theta, params, model: str) -> np.ndarray:
    """Item information under ``model`` ("grm" or "gpcm") for theta (n,), params (J, Kmax): (n, J)."""
    model = pm.check_model(model)
    return information_grm(theta, params) if model == "grm" else information_gpcm(theta, params)


def loglik_poly(responses, theta, params, model: str) -> np.ndarray:
    """Log-likelihood of each person's response pattern at their θ.

    Parameters
    ----------
    responses : (n, J) categories 0..K_j-1, NaN where not administered.
    theta : (n,) one ability per person.
    params : (J, Kmax) item parameters.

    Returns
    -------
    (n,) Σ over administered items of log P(X = x_ij | θ_i).
    """
    x = np.asarray(responses, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"responses must be 2-D (n_persons, n_items); got shape {x.shape}")
    theta = _theta(theta)
    if theta.shape[0] != x.shape[0]:
        raise ValueError(f"theta has {theta.shape[0]} values but responses have {x.shape[0]} persons")
    p = validate_poly_params(params, model)
    if p.shape[0] != x.shape[1]:
        raise ValueError(f"params have {p.shape[0]} items but responses have {x.shape[1]}")
    codes = _response_codes(x, pm.category_counts(p))
    logp = category_log_prob(theta, p, model)
    seen = codes >= 0
    picked = np.take_along_axis(logp, np.where(seen, codes, 0)[:, :, None], axis=2)[:, :, 0]
    return np.where(seen, picked, 0.0).sum(axis=1)


def _response_codes(x: np.ndarray, max_categories=None) -> np.ndarray:
    """(n, J) int categories with -1 for NaN; rejects non-integers and negatives."""
    seen = ~np.isnan(x)
    vals = x[seen]
    bad = (vals < 0) | (vals != np.round(vals)) | ~np.isfinite(vals)
    if bad.any():
        rows, cols = np.nonzero(seen)
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"response at person {rows[i]}, item {cols[i]} is {vals[i]!r}; "
            "categories must be whole numbers 0, 1, 2, ... (NaN = not administered)"
        )
    codes = np.where(seen, x, -1).astype(np.int64)
    if max_categories is not None:
        over = codes >= np.asarray(max_categories)[None, :]
        if over.any():
            i, j = (int(v[0]) for v in np.nonzero(over))
            raise ValueError(
                f"response at person {i}, item {j} is {codes[i, j]} but the item has "
                f"only {int(max_categories[j])} categories (0..{int(max_categories[j]) - 1})"
            )
    return codes


# --------------------------------------------------------------------------
# estimation


def _observed_categories(codes: np.ndarray) -> np.ndarray:
    """(J,) 1 + highest category seen per item (0 for an item nobody answered)."""
    return codes.max(axis=0) + 1


def _category_tallies(codes: np.ndarray, k_max: int) -> np.ndarray:
    """(J, Kmax) number of responses in each category of each item."""
    return np.stack([(codes == k).sum(axis=0) for k in range(k_max)], axis=1)


def _check_categories_used(codes, counts, free_items):
    """Every category of an estimated item must be observed; else its threshold has no MLE."""
    k_max = int(counts.max())
    tallies = _category_tallies(codes, k_max)
    needed = pm.category_mask(counts, k_max) & free_items[:, None]
    empty = needed & (tallies == 0)
    if empty.any():
        j, k = (int(v[0]) for v in np.nonzero(empty))
        raise ValueError(
            f"item {j} has no responses in category {k} (of 0..{int(counts[j]) - 1}); "
            "recode its categories to be consecutive or fix the item as an anchor"
        )
    one = free_items & (counts < 2)
    if one.any():
        j = int(np.flatnonzero(one)[0])
        raise ValueError(f"item {j} has a single observed category (no variance); it cannot be calibrated")


def _marginal_start(codes, counts, model):
    """Slope 1 and intercepts from the marginal category proportions."""
    k_max = int(counts.max())
    n_items = codes.shape[1]
    tallies = _category_tallies(codes, k_max).astype(float)
    present = pm.category_mask(counts, k_max)
    prop = np.where(present, np.maximum(tallies, 0.5), 0.0)
    prop /= prop.sum(axis=1, keepdims=True)
    rows = np.full((n_items, k_max), np.nan)
    rows[:, 0] = 1.0
    if model == "grm":
        at_least = np.cumsum(prop[:, ::-1], axis=1)[:, ::-1][:, 1:]
        at_least = np.clip(at_least, 1e-4, 1 - 1e-4)
        d = np.log(at_least / (1.0 - at_least))
    else:
        with np.errstate(divide="ignore"):      # absent categories, masked below
            d = np.log(prop[:, 1:] / prop[:, :1])
    rows[:, 1:] = np.where(present[:, 1:], d, np.nan)
    return rows


def _start_values(codes, counts, model, nodes, free):
    """Starting values from a provisional ability: normal scores of the mean item score.

    Marginal proportions alone give intercepts shrunk towards 0 (by a factor
    of about 2 for the GPCM), which costs dozens of slow EM cycles. Instead
    each person is placed at the node nearest the normal score of their
    mean proportion-of-maximum item score, and each item is fitted to those
    provisional abilities with the M-step itself.
    """
    rows = _marginal_start(codes, counts, model)
    seen = codes >= 0
    share = np.where(seen, codes / np.maximum(counts - 1, 1)[None, :], 0.0).sum(axis=1)
    share = share / np.maximum(seen.sum(axis=1), 1)
    from scipy.stats import rankdata  # about 1 s to import: only fits pay for it

    ranks = rankdata(share)
    provisional = ndtri((ranks - 0.5) / share.size)
    nearest = np.abs(provisional[:, None] - nodes[None, :]).argmin(axis=1)
    k_max = rows.shape[1]
    hard = np.zeros((codes.shape[1], k_max, nodes.size))
    persons, items = np.nonzero(seen)
    np.add.at(hard, (items, codes[persons, items], nearest[persons]), 1.0)
    fitted = em.m_step(rows, hard, nodes, counts, model, free, n_newton=20)
    return np.where(pm.rows_valid(fitted, counts, model)[:, None], fitted, rows)


def _free_mask(counts, k_max, anchored):
    present = pm.category_mask(counts, k_max)
    return present & ~anchored[:, None]


@single_blas_thread
def fit_polytomous(
    responses,
    model: str = "grm",
    nodes=None,
    weights=None,
    max_iter: int = 2000,
    tol: float = 1e-6,
    *,
    anchors: dict | None = None,
    start=None,
    estimate_mean: bool | None = None,
    estimate_var: bool | None = None,
    chunk_size: int = 16384,
    compute_se: bool = True,
    se_method: str = "auto",
    accelerate: bool = True,
    engine: str = "piaa",
    callback: Callable[[int, float], None] | None = None,
    n_quadrature: int = 61,
    theta_bounds: tuple[float, float] = (-6.0, 6.0),
) -> dict:
    """Marginal maximum likelihood (Bock–Aitkin EM) for the GRM or the GPCM.

    Parameters
    ----------
    responses : (n, J) categories 0..K_j-1, NaN = not administered. An item's
        K_j is one more than its highest observed category (or its anchor's).
    model : "grm" or "gpcm".
    nodes, weights : (Q,) quadrature for the latent N(0, 1); default
        :func:`normal_quadrature` with ``n_quadrature`` points on ``theta_bounds``
        (61 on [-6, 6], as mirt).
    max_iter : EM cycles at most.
    tol : convergence when no slope-intercept parameter moves more than this
        in one cycle (mirt's criterion; its default is 1e-4).
    anchors : {item index: parameter row (a, b_1, ...)} held fixed.
    start : optional (J, Kmax) starting values in the IRT metric.
    estimate_mean, estimate_var : also estimate the latent mean / variance;
        weights are then re-computed on the fixed nodes each cycle. None
        (default) estimates both exactly when anchors fix the scale.
    chunk_size : persons per E-step block (bounds memory to chunk × J·K).
    compute_se : compute standard errors.
    se_method : "louis" (observed information by Louis' formula), "xpd"
        (cross-product of per-person scores; much cheaper for large data) or
        "auto" (Louis unless persons × parameters² exceeds 4e9).
    accelerate : SQUAREM extrapolation between EM cycles (same optimum,
        fewer cycles).
    callback : called as ``callback(iteration, loglik)`` after each E-step.
    engine : "piaa" (this EM) or "girth" (girth 0.8's grm_mml / pcm_mml, for
        comparison; log-likelihood and standard errors are then ours at
        girth's estimates, and anchors are not supported).

    Returns
    -------
    dict with keys
        params (J, Kmax) IRT metric; se (J, Kmax) (NaN for fixed or absent
        entries); params_slope_intercept, se_slope_intercept (mirt's metric);
        cov (P, P) covariance of the free slope-intercept parameters; loglik;
        aic; bic; n_iter; converged; warnings (list of str); theta_nodes;
        theta_weights (the fitted latent distribution on the nodes);
        posterior_weights (expected share of persons per node); latent_mean;
        latent_sd; se_method; n_params; n_persons; n_categories; model.

    Raises
    ------
    ValueError
        For a bad model name, non-integer or negative categories, an item
        without two observed categories, or a category no one used.
    """
    model = pm.check_model(model)
    nodes, weights = _check_fit_options(engine, se_method, max_iter, tol, nodes, weights,
                                        n_quadrature, theta_bounds)
    x = np.asarray(responses, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"responses must be 2-D (n_persons, n_items); got shape {x.shape}")
    warnings: list[str] = []
    answered = ~np.isnan(x).all(axis=1)
    if not answered.all():
        warnings.append(f"{int((~answered).sum())} persons with no responses were left out")
        x = x[answered]
    n_persons, n_items = x.shape
    if n_persons == 0:
        raise ValueError("no person has any response")
    codes = _response_codes(x)

    anchors = dict(anchors or {})
    estimate_mean = bool(anchors) if estimate_mean is None else bool(estimate_mean)
    estimate_var = bool(anchors) if estimate_var is None else bool(estimate_var)
    if (estimate_mean or estimate_var) and not anchors:
        raise ValueError(
            "the latent mean and variance can only be estimated when anchor items fix the scale"
        )
    if engine == "girth" and anchors:
        raise ValueError("engine='girth' cannot hold anchor items fixed")
    anchor_rows, counts = _resolve_anchors(anchors, codes, model)
    anchored = np.isin(np.arange(n_items), list(anchor_rows))
    _check_categories_used(codes, counts, ~anchored)
    k_max = int(counts.max())
    free = _free_mask(counts, k_max, anchored)
    rows = _initial_rows(codes, counts, model, nodes, free, anchor_rows, start)

    indicators = em.CategoryIndicators(codes, k_max, chunk_size)
    em_map = em.EMMap(indicators, nodes, weights, counts, model, free,
                      estimate_mean, estimate_var, m_tol=tol / 10.0)
    if engine == "girth":
        theirs = girth_estimates(model, x, nodes, max_iter)
        vec = em_map.pack(pm.irt_to_slope_intercept(theirs[:, :k_max], model))
        n_iter, converged = 0, True
        warnings.append("estimates from girth; log-likelihood and standard errors evaluated at them")
    else:
        vec, n_iter, converged = em.run_em(
            em_map, em_map.pack(rows), int(max_iter), tol, accelerate, callback
        )
    if not converged:
        warnings.append(
            f"EM did not converge in {n_iter} cycles (last parameter change above tol={tol:g})"
        )
    rows, mean, sd = em_map.unpack(vec)
    log_w = em_map.log_weights(mean, sd)
    _, node_totals, loglik = em_map.e_step(vec)

    se_rows = np.full(rows.shape, np.nan)
    se_irt = np.full(rows.shape, np.nan)
    cov = np.full((int(free.sum()),) * 2, np.nan)
    se_label = "none"
    if compute_se and free.any():
        kind = _choose_se_method(se_method, n_persons, int(free.sum()))
        se_label = SE_METHODS[kind]
        if estimate_mean or estimate_var:
            se_label += "; latent mean/variance treated as known"
        cov, se_rows, se_irt, msg = _standard_errors(
            indicators, rows, nodes, log_w, counts, model, free, kind
        )
        if msg:
            warnings.append(msg)

    params = pm.slope_intercept_to_irt(rows, model)
    warnings += _item_warnings(params, ~anchored)
    for j, prow in anchor_rows.items():
        # returned exactly as given, not via a round trip through (a, d)
        params[j] = np.nan
        params[j, : min(prow.size, k_max)] = prow[:k_max]
    n_free = int(free.sum()) + int(estimate_mean) + int(estimate_var)
    return {
        "model": model,
        "params": params,
        "se": se_irt,
        "params_slope_intercept": rows,
        "se_slope_intercept": se_rows,
        "cov": cov,
        "loglik": float(loglik),
        "aic": float(-2.0 * loglik + 2.0 * n_free),
        "bic": float(-2.0 * loglik + n_free * math.log(n_persons)),
        "n_iter": int(n_iter),
        "converged": bool(converged),
        "warnings": warnings,
        "theta_nodes": nodes,
        "theta_weights": np.exp(log_w),
        "posterior_weights": node_totals / node_totals.sum(),
        "latent_mean": float(mean),
        "latent_sd": float(sd),
        "se_method": se_label,
        "n_params": n_free,
        "n_persons": int(n_persons),
        "n_categories": counts,
        "engine": engine,
    }


def _item_warnings(params, estimated):
    """Flag estimated items whose slope says the item is misbehaving."""
    out = []
    a = params[:, 0]
    for j in np.flatnonzero(estimated & (a <= 0)):
        out.append(f"item {j} has a non-positive slope ({a[j]:.3f}): higher scores go with lower ability")
    for j in np.flatnonzero(estimated & (a > 8)):
        out.append(f"item {j} has a slope of {a[j]:.1f}: nearly deterministic, its estimates are unstable")
    return out


def _check_fit_options(engine, se_method, max_iter, tol, nodes, weights, n_quadrature, theta_bounds):
    """Validate the estimator's options; return the quadrature (nodes, weights summing to 1)."""
    check_choice("engine", engine, ("piaa", "girth"))
    _choose_se_method(se_method, 0, 0)
    check_at_least("max_iter", max_iter, 1)
    check_positive("tol", tol)
    if nodes is None:
        nodes, weights = normal_quadrature(n_quadrature, theta_bounds)
    nodes = np.asarray(nodes, dtype=float)
    weights = np.asarray(weights, dtype=float)
    if nodes.ndim != 1 or weights.shape != nodes.shape or np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError("nodes and weights must be 1-D arrays of one length with weights >= 0")
    return nodes, weights / weights.sum()


def _resolve_anchors(anchors, codes, model):
    """Validated anchor rows {item: (a, b...)} and every item's number of categories."""
    n_items = codes.shape[1]
    counts = _observed_categories(codes)
    anchor_rows = {}
    for j, row in anchors.items():
        if not (0 <= int(j) < n_items):
            raise ValueError(f"anchor item index {j!r} is outside 0..{n_items - 1}")
        prow = validate_poly_params(np.atleast_2d(row), model)[0]
        k_anchor = int(pm.category_counts(prow[None, :])[0])
        if counts[int(j)] > k_anchor:
            raise ValueError(
                f"item {j} has responses up to category {counts[int(j)] - 1} but its anchor "
                f"has only {k_anchor} categories"
            )
        anchor_rows[int(j)] = prow
        counts[int(j)] = k_anchor
    never = counts == 0
    if never.any():
        raise ValueError(f"item {int(np.flatnonzero(never)[0])} has no responses")
    return anchor_rows, counts


def _initial_rows(codes, counts, model, nodes, free, anchor_rows, start):
    """Slope-intercept rows to start EM from: data-based, or ``start``, with anchors in place."""
    k_max = int(counts.max())
    n_items = codes.shape[1]
    rows = _start_values(codes, counts, model, nodes, free)
    if start is not None:
        s = validate_poly_params(start, model)
        if s.shape[0] != n_items:
            raise ValueError(f"start has {s.shape[0]} items but responses have {n_items}")
        s_rows = pm.irt_to_slope_intercept(s, model)
        width = min(k_max, s_rows.shape[1])
        rows[:, :width] = np.where(pm.category_mask(counts, k_max)[:, :width],
                                   s_rows[:, :width], np.nan)
    for j, prow in anchor_rows.items():
        srow = pm.irt_to_slope_intercept(prow[None, :], model)[0]
        rows[j] = np.nan
        rows[j, : min(srow.size, k_max)] = srow[:k_max]
    return rows


def _standard_errors(indicators, rows, nodes, log_w, counts, model, free, kind="louis"):
    """Covariance from the inverted information; delta method to the IRT metric."""
    info = em.louis_information(indicators, rows, nodes, log_w, counts, model, free, kind)
    msg = ""
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(info)
        msg = "observed information is singular; standard errors from its pseudo-inverse"
    var = np.diag(cov).copy()
    if np.any(var <= 0):
        msg = msg or "observed information is not positive definite; some standard errors are NaN"
        var = np.where(var > 0, var, np.nan)
    n_items, p = rows.shape
    flat = np.flatnonzero(free.ravel())
    se_rows = np.full(n_items * p, np.nan)
    se_rows[flat] = np.sqrt(var)
    se_rows = se_rows.reshape(n_items, p)

    full = np.zeros((n_items * p, n_items * p))
    full[np.ix_(flat, flat)] = cov
    jac = pm.irt_jacobian(rows, model)
    idx = np.arange(n_items)[:, None] * p + np.arange(p)[None, :]
    block = full[idx[:, :, None], idx[:, None, :]]                  # (J, p, p)
    irt_cov = np.einsum("jab,jbc,jdc->jad", jac, block, jac)
    irt_var = np.diagonal(irt_cov, axis1=1, axis2=2)
    se_irt = np.where(free, np.sqrt(np.where(irt_var > 0, irt_var, np.nan)), np.nan)
    return cov, se_rows, se_irt, msg


def _fixed_design(responses, params, model, nodes, weights):
    """Shared set-up for evaluating given parameters on given responses."""
    model = pm.check_model(model)
    p = validate_poly_params(params, model)
    x = np.asarray(responses, dtype=float)
    if x.ndim != 2 or x.shape[1] != p.shape[0]:
        raise ValueError(
            f"responses must be (n_persons, {p.shape[0]}) for {p.shape[0]} items; got {x.shape}"
        )
    if nodes is None:
        nodes, weights = normal_quadrature()
    nodes = np.asarray(nodes, dtype=float)
    weights = np.asarray(weights, dtype=float)
    weights = weights / weights.sum()
    counts = pm.category_counts(p)
    codes = _response_codes(x[~np.isnan(x).all(axis=1)], counts)
    rows = pm.irt_to_slope_intercept(p, model)
    return model, rows, counts, codes, nodes, np.log(np.maximum(weights, 1e-300))


def marginal_loglik(responses, params, model: str, nodes=None, weights=None,
                    chunk_size: int = 16384) -> float:
    """Marginal log-likelihood Σ_i log Σ_q w_q L_i(θ_q) of given item parameters.

    Parameters
    ----------
    responses : (n, J) categories, NaN = not administered.
    params : (J, Kmax) IRT-metric parameters.
    nodes, weights : (Q,) quadrature (default 61 points on [-6, 6], N(0, 1)).
    """
    model, rows, counts, codes, nodes, log_w = _fixed_design(responses, params, model, nodes, weights)
    indicators = em.CategoryIndicators(codes, rows.shape[1], chunk_size)
    logp = pm.log_prob(nodes, rows, counts, model)
    _, _, loglik = em.e_step(indicators, logp, pm.category_mask(counts, rows.shape[1]), log_w)
    return float(loglik)


def standard_errors(responses, params, model: str, nodes=None, weights=None,
                    chunk_size: int = 16384, se_method: str = "louis") -> dict:
    """Standard errors of given item parameters from Louis' observed information.

    Useful for parameters estimated elsewhere (or held fixed as anchors and
    then checked). The information is evaluated exactly at ``params``.

    Parameters
    ----------
    responses : (n, J) categories, NaN = not administered.
    params : (J, Kmax) IRT-metric parameters.
    nodes, weights : (Q,) quadrature (default 61 points on [-6, 6], N(0, 1)).
    se_method : "louis", "xpd" or "auto".

    Returns
    -------
    dict with ``se`` (J, Kmax) in the IRT metric, ``se_slope_intercept`` in
    mirt's metric, ``cov`` of the slope-intercept parameters (row-major,
    present entries only) and ``se_method``.
    """
    model, rows, counts, codes, nodes, log_w = _fixed_design(responses, params, model, nodes, weights)
    k_max = rows.shape[1]
    indicators = em.CategoryIndicators(codes, k_max, chunk_size)
    free = pm.category_mask(counts, k_max)
    kind = _choose_se_method(se_method, codes.shape[0], int(free.sum()))
    cov, se_rows, se_irt, msg = _standard_errors(indicators, rows, nodes, log_w, counts, model, free, kind)
    return {"se": se_irt, "se_slope_intercept": se_rows, "cov": cov,
            "se_method": SE_METHODS[kind], "warnings": [msg] if msg else []}
