"""Item and person fit: does a calibrated IRT model describe the responses?

A psychometrician reviews fit before promoting pretest items to operational
use and before trusting a candidate's score:

- :func:`s_x2` — Orlando & Thissen's (2000) S-X² item fit, which compares
  observed and model-implied proportions correct within summed-score groups.
  The expected proportions come from the Lord–Wingersky recursion, so no
  ability estimates are needed. Sparse cells are collapsed as R mirt's
  ``itemfit`` does, and the degrees of freedom follow mirt's count.
- :func:`infit_outfit` — Wright & Masters' (1982) information-weighted (infit)
  and unweighted (outfit) mean squares, for items and for persons, with the
  Wilson–Hilferty standardized t.
- :func:`person_fit` — the standardized log-likelihood lz (Drasgow, Levine &
  Williams, 1985) and Snijders' (2001) lz*, which corrects lz for θ being
  estimated from the same responses.

References
----------
Orlando, M., & Thissen, D. (2000). Likelihood-based item-fit indices for
dichotomous item response theory models. Applied Psychological Measurement, 24, 50–64.
Snijders, T. A. B. (2001). Asymptotic null distribution of person fit
statistics with estimated person parameter. Psychometrika, 66, 331–342.
Wright, B. D., & Masters, G. N. (1982). Rating scale analysis. MESA Press.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import chdtrc

from . import irt
from ._checks import as_responses, as_theta
from ._item_models import (
    category_probs,
    check_model,
    max_item_scores,
    n_free_group_params,
    n_free_item_params,
)
from ._sumscore import leave_one_out_distributions, lord_wingersky
from .quadrature import normal_quadrature

__all__ = [
    "SX2Result",
    "RaschFitResult",
    "PersonFitResult",
    "s_x2",
    "infit_outfit",
    "person_fit",
]


# --------------------------------------------------------------------- S-X²
@dataclass(frozen=True)
class SX2Result:
    """S-X² item fit.

    Attributes
    ----------
    statistic : (J,) S-X² (NaN where the collapsed table leaves no df).
    df : (J,) degrees of freedom after collapsing.
    p_value : (J,) upper-tail chi-square probability.
    rmsea : (J,) RMSEA of the item, sqrt(max(S-X²/df - 1, 0) / (N - 1)).
    n_persons : persons used (complete response rows).
    observed : tuple of J (G_j, K) arrays, observed counts per collapsed
        summed-score group and category.
    expected : tuple of J (G_j, K) arrays, model-implied counts (NaN where a
        category cannot occur in a group).
    """

    statistic: np.ndarray
    df: np.ndarray
    p_value: np.ndarray
    rmsea: np.ndarray
    n_persons: int
    observed: tuple
    expected: tuple


def s_x2(
    responses,
    params,
    model: str = "2pl",
    *,
    n_quadrature: int = 61,
    theta_bounds: tuple[float, float] = (-6.0, 6.0),
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    mincell: float = 1.0,
    n_item_params=None,
    n_group_params: int | None = None,
    drop_incomplete: bool = False,
) -> SX2Result:
    """Orlando–Thissen S-X² for every item.

    Parameters
    ----------
    responses : (n, J) item scores, NaN = not administered. Summed scores are
        only comparable across persons who took every item, so rows with NaN
        are refused unless ``drop_incomplete`` (then they are left out).
    params : (J, 4) dichotomous or (J, 1 + K - 1) polytomous parameters.
    model : item model of ``params`` (see ``_models``).
    n_quadrature, theta_bounds, prior_mean, prior_sd : the rectangular normal
        quadrature for the latent distribution (mirt: 61 nodes on ±6).
    mincell : smallest expected count allowed in a cell; smaller cells are
        merged with a neighbouring score group (mirt's default 1). For
        polytomous items mirt first merges rare categories within a score
        group; here whole score groups are merged instead, which is
        conservative and leaves fewer degrees of freedom than mirt.
    n_item_params : int or (J,) estimated parameters per item, subtracted from
        df; by default counted from ``model`` (2 for 2PL, 1 for Rasch ...).
    n_group_params : estimated latent-distribution parameters also subtracted
        (default: 1 for mirt's Rasch, whose variance is free, else 0).

    Returns
    -------
    SX2Result
    """
    name = check_model(model)
    x = as_responses(responses)
    x = _complete_rows(x, drop_incomplete)
    n_persons, n_items = x.shape
    if n_items < 2:
        raise ValueError(f"S-X² needs at least 2 items; got {n_items}")
    nodes, weights = normal_quadrature(n_quadrature, theta_bounds, prior_mean, prior_sd)
    probs = category_probs(nodes, params, name)  # (Q, J, K)
    if probs.shape[1] != n_items:
        raise ValueError(f"params have {probs.shape[1]} items but responses have {n_items}")
    _check_categories(x, probs.shape[2])
    expected_prop = _expected_proportions(probs, weights, max_item_scores(params, name))  # (J, S+1, K)
    observed, group_sizes = _observed_counts(x, expected_prop.shape[1], probs.shape[2])
    # Scores 0 and S carry no information about any single item (their
    # response pattern is fixed), so they are left out as in mirt.
    inner = slice(1, expected_prop.shape[1] - 1)
    expected = expected_prop[:, inner, :] * group_sizes[inner][None, :, None]
    observed = observed[:, inner, :]

    k_item = _param_counts(n_item_params, params, name, n_items)
    k_group = n_free_group_params(name) if n_group_params is None else int(n_group_params)
    stats = np.full(n_items, np.nan)
    df = np.zeros(n_items)
    obs_tables, exp_tables = [], []
    # Collapsing merges neighbouring score groups one at a time until every
    # expected count reaches mincell; the merges depend on the item's own
    # table, so this step runs item by item.
    for j in range(n_items):
        o, e = _collapse(observed[j], expected[j], mincell)
        obs_tables.append(o)
        exp_tables.append(e)
        cells = np.isfinite(e)
        df[j] = cells.sum() - e.shape[0] - k_item[j] - k_group
        with np.errstate(divide="ignore", invalid="ignore"):
            stats[j] = np.nansum(np.where(cells, (o - e) ** 2 / e, np.nan))
    df = np.maximum(df, 0.0)
    stats[df == 0] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        p_value = np.where(df > 0, chdtrc(np.where(df > 0, df, 1), stats), np.nan)
        rmsea = np.where(
            df > 0, np.sqrt(np.maximum(stats / np.where(df > 0, df, 1) - 1.0, 0.0) / (n_persons - 1)),
            np.nan,
        )
    return SX2Result(stats, df, p_value, rmsea, n_persons, tuple(obs_tables), tuple(exp_tables))


def _complete_rows(x: np.ndarray, drop_incomplete: bool) -> np.ndarray:
    missing = np.isnan(x).any(axis=1)
    if not missing.any():
        return x
    if not drop_incomplete:
        row = int(np.flatnonzero(missing)[0])
        col = int(np.flatnonzero(np.isnan(x[row]))[0])
        raise ValueError(
            f"S-X² needs complete response rows; row {row} has no response to item {col} "
            "(pass drop_incomplete=True to leave such rows out)"
        )
    kept = x[~missing]
    if kept.shape[0] == 0:
        raise ValueError("no complete response rows are left for S-X²")
    return kept


def _check_categories(x: np.ndarray, n_cats: int) -> None:
    bad = x > n_cats - 1
    if bad.any():
        r, c = (int(v) for v in np.argwhere(bad)[0])
        raise ValueError(
            f"responses[{r}, {c}] = {x[r, c]:g} exceeds the model's highest category {n_cats - 1}"
        )


def _param_counts(n_item_params, params, model: str, n_items: int) -> np.ndarray:
    if n_item_params is None:
        return n_free_item_params(params, model).astype(float)
    k = np.broadcast_to(np.asarray(n_item_params, dtype=float), (n_items,))
    return k.copy()


def _expected_proportions(probs: np.ndarray, weights: np.ndarray, max_scores) -> np.ndarray:
    """(J, S+1, K) model P(X_j = k | summed score s), marginal over θ.

    P(X_j = k, S = s) = Σ_q w_q P_j(k | θ_q) P(S_{-j} = s - k | θ_q), divided by
    P(S = s) = Σ_q w_q P(S = s | θ_q). ``probs`` is (Q, J, K), ``weights``
    (Q,) and ``max_scores`` (J,).
    """
    full = lord_wingersky(probs, max_scores)  # (Q, S+1)
    rest = leave_one_out_distributions(probs, max_scores)  # (J, Q, S+1)
    score_prob = weights @ full  # (S+1,)
    n_items, _, n_scores = rest.shape
    n_cats = probs.shape[2]
    joint = np.zeros((n_items, n_scores, n_cats))
    weighted = probs * weights[:, None, None]  # (Q, J, K)
    for k in range(n_cats):  # categories: at most a handful
        # Σ_q w_q P_j(k|θ_q) rest[j, q, s - k]
        contrib = np.einsum("qj,jqs->js", weighted[:, :, k], rest[:, :, : n_scores - k])
        joint[:, k:, k] = contrib
    with np.errstate(invalid="ignore", divide="ignore"):
        return joint / score_prob[None, :, None]


def _observed_counts(x: np.ndarray, n_scores: int, n_cats: int) -> tuple[np.ndarray, np.ndarray]:
    """(J, S+1, K) counts of persons by summed score and item category, and (S+1,) group sizes."""
    n_items = x.shape[1]
    total = x.sum(axis=1).astype(int)
    cat = x.astype(int)
    index = (np.arange(n_items)[None, :] * n_scores + total[:, None]) * n_cats + cat
    counts = np.bincount(index.ravel(), minlength=n_items * n_scores * n_cats)
    group_sizes = np.bincount(total, minlength=n_scores).astype(float)
    return counts.reshape(n_items, n_scores, n_cats).astype(float), group_sizes


def _collapse(observed: np.ndarray, expected: np.ndarray, mincell: float):
    """Merge sparse summed-score groups, following mirt's ``collapseCells``.

    Order of operations (mirt 1.4x): fold groups whose table has structurally
    impossible cells into the nearest complete group; drop groups nobody
    obtained and fold groups of one person into the next; then, while a cell's
    expected count is below ``mincell``, merge the first offending group with
    its neighbour (the end groups inward; inner groups into the neighbour with
    fewer observations, the lower one on a tie). Cells with zero expectation
    become NaN and do not count towards df.
    """
    o = observed.copy()
    e = expected.copy()
    o, e = _fold_impossible_rows(o, e)
    keep = o.sum(axis=1) > 0
    o, e = o[keep], e[keep]
    if o.shape[0] == 0:
        return o, np.where(e == 0, np.nan, e)
    o, e = _fold_single_person_rows(o, e)
    while o.shape[0] > 1:
        low = (e < mincell) & (e != 0)
        rows = np.flatnonzero(low.any(axis=1))
        if rows.size == 0:
            break
        r = int(rows[0])
        if r == 0:
            target = 1
        elif r == o.shape[0] - 1:
            target = r - 1
        else:
            before, after = o[r - 1].sum(), o[r + 1].sum()
            target = r - 1 if before <= after else r + 1
        o[target] += o[r]
        e[target] += e[r]
        o, e = np.delete(o, r, axis=0), np.delete(e, r, axis=0)
    e = np.where(e == 0, np.nan, e)
    return o, e


def _fold_impossible_rows(o: np.ndarray, e: np.ndarray):
    """Merge edge groups in which some category cannot occur into the nearest full group."""
    # Only the categories an item actually has matter: a column that is zero
    # in every group is a category the item lacks.
    present = (e > 0).any(axis=0)
    impossible = ((e[:, present] <= 0).any(axis=1))
    if not impossible.any() or impossible.all():
        return o, e
    full_rows = np.flatnonzero(~impossible)
    first, last = full_rows[0], full_rows[-1]
    o[first] += o[:first].sum(axis=0)
    e[first] += e[:first].sum(axis=0)
    o[last] += o[last + 1:].sum(axis=0)
    e[last] += e[last + 1:].sum(axis=0)
    return o[first:last + 1], e[first:last + 1]


def _fold_single_person_rows(o: np.ndarray, e: np.ndarray):
    """Groups observed once are added to the next group (the last to the previous one)."""
    drop = []
    for r in range(o.shape[0] - 1):
        if o[r].sum() == 1:
            drop.append(r)
            o[r + 1] += o[r]
            e[r + 1] += e[r]
    if drop:
        o, e = np.delete(o, drop, axis=0), np.delete(e, drop, axis=0)
    if o.shape[0] > 1 and o[-1].sum() == 1:
        o[-2] += o[-1]
        e[-2] += e[-1]
        o, e = o[:-1], e[:-1]
    return o, e


# ----------------------------------------------------------- infit / outfit
@dataclass(frozen=True)
class RaschFitResult:
    """Infit and outfit mean squares with their standardized t.

    Attributes
    ----------
    item_outfit, item_infit : (J,) mean squares (expected value 1).
    item_outfit_t, item_infit_t : (J,) Wilson–Hilferty standardized t.
    person_outfit, person_infit, person_outfit_t, person_infit_t : (n,) the
        same statistics summed over each person's administered items.
    item_n, person_n : (J,), (n,) number of responses each statistic uses.
    """

    item_outfit: np.ndarray
    item_infit: np.ndarray
    item_outfit_t: np.ndarray
    item_infit_t: np.ndarray
    person_outfit: np.ndarray
    person_infit: np.ndarray
    person_outfit_t: np.ndarray
    person_infit_t: np.ndarray
    item_n: np.ndarray
    person_n: np.ndarray


def infit_outfit(responses, theta, params, model: str = "rasch") -> RaschFitResult:
    """Infit and outfit mean squares for items and persons.

    With residual y = x - E(X|θ), variance W = Var(X|θ) and fourth central
    moment C, outfit = mean(y²/W) and infit = Σy² / ΣW. Their standardized t
    is (MS^(1/3) - 1)(3/q) + q/3 with q the statistic's model SD
    (q² = Σ(C/W²)/N² - 1/N for outfit, Σ(C - W²)/(ΣW)² for infit), q capped at
    √2, as in Wright & Masters (1982) and R mirt's ``itemfit(..., 'infit')``.

    Parameters
    ----------
    responses : (n, J) scores, NaN = not administered (left out of the sums).
    theta : (n,) ability estimates.
    params : (J, 4) dichotomous or (J, 1 + K - 1) polytomous parameters of
        ``model``; any model works, although the statistics are designed for
        the Rasch family.

    Returns
    -------
    RaschFitResult
    """
    x = as_responses(responses)
    t = as_theta(theta, x.shape[0])
    probs = category_probs(t, params, model)  # (n, J, K)
    if probs.shape[1] != x.shape[1]:
        raise ValueError(f"params have {probs.shape[1]} items but responses have {x.shape[1]}")
    _check_categories(x, probs.shape[2])
    k = np.arange(probs.shape[2], dtype=float)
    mean = probs @ k
    dev = k[None, None, :] - mean[:, :, None]
    var = np.einsum("njk,njk->nj", probs, dev**2)
    kurt = np.einsum("njk,njk->nj", probs, dev**4)
    seen = ~np.isnan(x)
    resid2 = np.where(seen, (np.nan_to_num(x) - mean) ** 2, 0.0)
    var = np.where(seen, var, 0.0)
    kurt = np.where(seen, kurt, 0.0)
    item = _mean_squares(resid2, var, kurt, seen, axis=0)
    person = _mean_squares(resid2, var, kurt, seen, axis=1)
    return RaschFitResult(*item[:4], *person[:4], item[4], person[4])


def _mean_squares(resid2, var, kurt, seen, axis):
    n = seen.sum(axis=axis).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z2 = np.where(seen, resid2 / var, 0.0)
        outfit = z2.sum(axis=axis) / n
        q_out = np.sqrt(np.where(seen, kurt / var**2, 0.0).sum(axis=axis) / n**2 - 1.0 / n)
        w_sum = var.sum(axis=axis)
        infit = resid2.sum(axis=axis) / w_sum
        q_in = np.sqrt((kurt - var**2).sum(axis=axis) / w_sum**2)
    q_out = np.minimum(q_out, np.sqrt(2.0))
    q_in = np.minimum(q_in, np.sqrt(2.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        t_out = (np.cbrt(outfit) - 1.0) * (3.0 / q_out) + q_out / 3.0
        t_in = (np.cbrt(infit) - 1.0) * (3.0 / q_in) + q_in / 3.0
    return outfit, infit, t_out, t_in, n.astype(int)


# ------------------------------------------------------------ person fit
@dataclass(frozen=True)
class PersonFitResult:
    """Standardized log-likelihood person fit.

    Attributes
    ----------
    lz : (n,) Drasgow–Levine–Williams lz at the given θ.
    lz_star : (n,) Snijders' lz*, asymptotically N(0, 1) with estimated θ.
    n_items : (n,) administered items per person.
    method : the θ estimator lz* was corrected for ("ml", "map" or "wle").

    Values are NaN for persons with fewer than two administered items or an
    all-correct / all-wrong pattern under ML (θ infinite).
    """

    lz: np.ndarray
    lz_star: np.ndarray
    n_items: np.ndarray
    method: str


_THETA_METHODS = ("ml", "map", "wle")


def person_fit(
    responses,
    theta,
    params,
    method: str = "ml",
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
) -> PersonFitResult:
    """lz and Snijders' lz* for dichotomous items (1PL–4PL).

    lz = (l0 - E l0) / sqrt(Var l0) with l0 the pattern log-likelihood.
    lz* replaces the weights w_i = logit P_i by w̃_i = w_i - c_n r_i, with
    r_i = P'_i / (P_i Q_i) and c_n = Σ P'_i w_i / Σ P'_i r_i, and centres by
    -c_n r_0(θ̂), where r_0 is 0 for ML, (μ - θ)/σ² for MAP with a normal
    prior and J/(2I) for Warm's WLE (Snijders, 2001; Magis, Raîche & Béland, 2012).

    Parameters
    ----------
    responses : (n, J) 0/1 scores, NaN = not administered.
    theta : (n,) θ estimates obtained with ``method``.
    params : (J, 4) item parameters.
    method : "ml", "map" or "wle".

    Returns
    -------
    PersonFitResult
    """
    method = str(method).lower()
    if method not in _THETA_METHODS:
        raise ValueError(f"method must be one of {', '.join(_THETA_METHODS)}; got {method!r}")
    x = as_responses(responses)
    bad = ~np.isnan(x) & (x > 1)
    if bad.any():
        r, c = (int(v) for v in np.argwhere(bad)[0])
        raise ValueError(f"person fit needs 0/1 scores; got {x[r, c]:g} at row {r}, column {c}")
    t = as_theta(theta, x.shape[0])
    p = irt.validate_params(params)
    if p.shape[0] != x.shape[1]:
        raise ValueError(f"params have {p.shape[0]} items but responses have {x.shape[1]}")
    seen = ~np.isnan(x)
    xs = np.nan_to_num(x)
    f, prob, d1 = irt.response_curve(t, p)
    q = 1.0 - prob
    d2 = d1 * p[:, 0] * (1.0 - 2.0 * f)     # d²P/dθ² = a (1 - 2F) dP/dθ
    log_p, log_q = irt.log_prob_pair(t, p)
    w = log_p - log_q
    pq = prob * q

    def masked_sum(v):
        return np.where(seen, v, 0.0).sum(axis=1)

    l0 = masked_sum(xs * log_p + (1.0 - xs) * log_q)
    e_l0 = masked_sum(prob * log_p + q * log_q)
    v_l0 = masked_sum(pq * w**2)
    r = d1 / pq
    with np.errstate(divide="ignore", invalid="ignore"):
        lz = (l0 - e_l0) / np.sqrt(v_l0)
        c_n = masked_sum(d1 * w) / masked_sum(d1 * r)
        w_tilde = w - c_n[:, None] * r
        tau2 = masked_sum(w_tilde**2 * pq)
        if method == "ml":
            r0 = np.zeros_like(t)
        elif method == "map":
            r0 = (prior_mean - t) / prior_sd**2
        else:
            r0 = masked_sum(d1 * d2 / pq) / (2.0 * masked_sum(d1**2 / pq))
        w_n = masked_sum((xs - prob) * w)
        lz_star = (w_n + c_n * r0) / np.sqrt(tau2)
    n_items = seen.sum(axis=1)
    degenerate = n_items < 2
    if method == "ml":
        score = masked_sum(xs)
        degenerate |= (score == 0) | (score == n_items)
    lz = np.where(degenerate, np.nan, lz)
    lz_star = np.where(degenerate, np.nan, lz_star)
    return PersonFitResult(lz, lz_star, n_items, method)
