"""Classical test theory item analysis: the first look at a new item bank.

Before (and beside) an IRT calibration, reviewers read the classical item
statistics of a pretest: how hard each item is (p-value), whether it separates
stronger from weaker candidates (item–rest correlation), which wrong options
attract whom (distractor analysis), and how reliable the total score is
(Cronbach's alpha, alpha if an item is deleted, standard error of measurement).

Conventions: scores are ``(n_persons, n_items)`` with NaN for an item not
administered. Item-level statistics (p-value, mean, SD) use every person who
took the item. Statistics built on the total score (item–rest correlations,
alpha, SEM, upper/lower groups) need a total that means the same for everyone,
so they use complete rows only — as R mirt's ``itemstats`` does.

References
----------
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
Psychometrika, 16, 297–334.
Kelley, T. L. (1939). The selection of upper and lower groups for the
validation of test items. Journal of Educational Psychology, 30, 17–24.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import as_responses

__all__ = [
    "ItemStatistics",
    "AlphaResult",
    "DistractorAnalysis",
    "item_statistics",
    "cronbach_alpha",
    "distractor_analysis",
    "score_key",
]


@dataclass(frozen=True)
class AlphaResult:
    """Internal consistency of the total score.

    Attributes
    ----------
    alpha : Cronbach's alpha of all items.
    alpha_if_deleted : (J,) alpha of the remaining J - 1 items.
    sem : standard error of measurement of the raw total, SD_total · sqrt(1 - alpha).
    total_mean, total_sd : mean and SD (n - 1 denominator) of the total score.
    n_persons : complete rows used.
    """

    alpha: float
    alpha_if_deleted: np.ndarray
    sem: float
    total_mean: float
    total_sd: float
    n_persons: int


@dataclass(frozen=True)
class ItemStatistics:
    """Classical statistics of each item.

    Attributes
    ----------
    n : (J,) persons who took the item.
    mean : (J,) mean item score.
    sd : (J,) item score SD (n - 1 denominator).
    p_value : (J,) mean score divided by the maximum score (proportion correct
        for 0/1 items).
    max_score : (J,) maximum score used for ``p_value``.
    item_total_r : (J,) correlation of the item with the total score.
    item_rest_r : (J,) corrected item–total correlation: the item against the
        total of the other items (complete rows).
    reliability : AlphaResult for the whole test.
    """

    n: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    p_value: np.ndarray
    max_score: np.ndarray
    item_total_r: np.ndarray
    item_rest_r: np.ndarray
    reliability: AlphaResult


def item_statistics(responses, max_scores=None) -> ItemStatistics:
    """p-values, item–total and item–rest correlations, and alpha.

    Parameters
    ----------
    responses : (n, J) item scores, NaN = not administered.
    max_scores : optional (J,) maximum possible score per item; by default the
        highest observed score (1 for right/wrong items).

    Returns
    -------
    ItemStatistics
    """
    x = as_responses(responses)
    n_items = x.shape[1]
    seen = ~np.isnan(x)
    n = seen.sum(axis=0)
    if (n == 0).any():
        j = int(np.flatnonzero(n == 0)[0])
        raise ValueError(f"item {j} was not administered to anyone")
    mean = np.nanmean(x, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.nanstd(x, axis=0, ddof=1)
    if max_scores is None:
        top = np.nanmax(x, axis=0)
        max_scores = np.where(top > 0, top, 1.0)
    else:
        max_scores = np.broadcast_to(np.asarray(max_scores, dtype=float), (n_items,)).copy()
        bad = (max_scores <= 0) | (np.nanmax(x, axis=0) > max_scores)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"max_scores[{j}] = {max_scores[j]:g} is not positive or is below an observed score"
            )
    complete = _complete(x)
    total = complete.sum(axis=1)
    rest = total[:, None] - complete
    return ItemStatistics(
        n=n,
        mean=mean,
        sd=sd,
        p_value=mean / max_scores,
        max_score=max_scores,
        item_total_r=_column_correlations(complete, np.broadcast_to(total[:, None], complete.shape)),
        item_rest_r=_column_correlations(complete, rest),
        reliability=cronbach_alpha(x),
    )


def cronbach_alpha(responses) -> AlphaResult:
    """Cronbach's alpha, alpha if each item is deleted, and the SEM.

    alpha = J/(J-1) · (1 - Σ var(X_j) / var(T)); deleting item j removes its
    variance from the sum and var(T_-j) = var(T) - 2 cov(X_j, T) + var(X_j).

    Parameters
    ----------
    responses : (n, J) item scores; rows with NaN are left out.

    Returns
    -------
    AlphaResult
    """
    x = as_responses(responses, integer=False)
    complete = _complete(x)
    n_persons, n_items = complete.shape
    if n_items < 2:
        raise ValueError(f"alpha needs at least 2 items; got {n_items}")
    total = complete.sum(axis=1)
    centred = complete - complete.mean(axis=0)
    t_centred = total - total.mean()
    item_var = (centred**2).sum(axis=0) / (n_persons - 1)
    total_var = (t_centred**2).sum() / (n_persons - 1)
    cov_with_total = centred.T @ t_centred / (n_persons - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = n_items / (n_items - 1) * (1.0 - item_var.sum() / total_var)
        rest_var = total_var - 2.0 * cov_with_total + item_var
        alpha_drop = (
            (n_items - 1) / (n_items - 2) * (1.0 - (item_var.sum() - item_var) / rest_var)
            if n_items > 2
            else np.full(n_items, np.nan)
        )
    total_sd = float(np.sqrt(total_var))
    sem = total_sd * float(np.sqrt(max(1.0 - alpha, 0.0)))
    return AlphaResult(float(alpha), alpha_drop, sem, float(total.mean()), total_sd, n_persons)


def _complete(x: np.ndarray) -> np.ndarray:
    rows = ~np.isnan(x).any(axis=1)
    if rows.sum() < 2:
        raise ValueError(
            f"total-score statistics need at least 2 complete response rows; got {int(rows.sum())}"
        )
    return x[rows]


def _column_correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(J,) Pearson correlation of column j of ``a`` with column j of ``b``."""
    ac = a - a.mean(axis=0)
    bc = b - b.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (ac * bc).sum(axis=0) / np.sqrt((ac**2).sum(axis=0) * (bc**2).sum(axis=0))


# ------------------------------------------------------------- distractors
@dataclass(frozen=True)
class DistractorAnalysis:
    """How each response option of each item behaves.

    Options are the distinct codes found in the data (an omit code such as
    SAT12's 8 is simply one more option), listed in ``options``.

    Attributes
    ----------
    options : (K,) option codes, sorted.
    key : (J,) keyed (correct) option of each item.
    count : (J, K) persons choosing each option.
    proportion : (J, K) share of the persons who took the item.
    mean_total : (J, K) mean number-correct total score of those choosing it
        (NaN if nobody did).
    point_biserial : (J, K) correlation between choosing the option (0/1) and
        the number-correct score on the other items; the keyed option should
        be positive and distractors negative.
    upper, lower : (J, K) proportion choosing each option in the upper and
        lower groups (top and bottom ``group_fraction`` by total score).
    discrimination : (J, K) upper minus lower.
    n_persons : complete rows used.
    """

    options: np.ndarray
    key: np.ndarray
    count: np.ndarray
    proportion: np.ndarray
    mean_total: np.ndarray
    point_biserial: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    discrimination: np.ndarray
    n_persons: int


def score_key(choices, key) -> np.ndarray:
    """Score raw option choices against a key: 1 if the keyed option, else 0.

    Parameters
    ----------
    choices : (n, J) option codes, NaN = not administered (kept as NaN).
    key : (J,) keyed option per item.

    Returns
    -------
    (n, J) float 0/1 scores.
    """
    c = np.asarray(choices, dtype=float)
    k = np.asarray(key, dtype=float)
    if c.ndim != 2 or k.shape != (c.shape[1],):
        raise ValueError(f"key must have one entry per item ({c.shape[-1]}); got shape {k.shape}")
    return np.where(np.isnan(c), np.nan, (c == k[None, :]).astype(float))


def distractor_analysis(choices, key, group_fraction: float = 0.27) -> DistractorAnalysis:
    """Option-level statistics for multiple-choice items.

    Parameters
    ----------
    choices : (n, J) raw option codes (e.g. 1-5, with an omit code), NaN = not
        administered; rows with NaN are left out because the upper/lower groups
        and point-biserials need a comparable total score.
    key : (J,) keyed option of each item.
    group_fraction : share of persons in each of the upper and lower groups
        (Kelley's 27 % by default); ties at the boundary are broken by row order.

    Returns
    -------
    DistractorAnalysis
    """
    if not 0.0 < group_fraction <= 0.5:
        raise ValueError(f"group_fraction must be in (0, 0.5], got {group_fraction!r}")
    raw = np.asarray(choices, dtype=float)
    if raw.ndim != 2:
        raise ValueError(f"choices must be 2-D (n_persons, n_items); got shape {raw.shape}")
    scored = score_key(raw, key)
    rows = ~np.isnan(raw).any(axis=1)
    if rows.sum() < 2:
        raise ValueError("distractor analysis needs at least 2 complete response rows")
    raw, scored = raw[rows], scored[rows]
    n_persons = raw.shape[0]
    options = np.unique(raw)
    chosen = (raw[:, :, None] == options[None, None, :]).astype(float)  # (n, J, K)
    count = chosen.sum(axis=0)
    total = scored.sum(axis=1)
    rest = total[:, None] - scored  # (n, J)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_total = np.einsum("njk,n->jk", chosen, total) / count
    pbis = _option_rest_correlation(chosen, rest)
    order = np.argsort(total, kind="stable")
    size = max(int(np.floor(group_fraction * n_persons)), 1)
    lower = chosen[order[:size]].mean(axis=0)
    upper = chosen[order[n_persons - size:]].mean(axis=0)
    return DistractorAnalysis(
        options=options,
        key=np.asarray(key, dtype=float),
        count=count,
        proportion=count / n_persons,
        mean_total=mean_total,
        point_biserial=pbis,
        upper=upper,
        lower=lower,
        discrimination=upper - lower,
        n_persons=n_persons,
    )


def _option_rest_correlation(chosen: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """(J, K) Pearson correlation of option indicators with the item's rest score."""
    c = chosen - chosen.mean(axis=0)
    r = rest - rest.mean(axis=0)
    cov = np.einsum("njk,nj->jk", c, r)
    with np.errstate(invalid="ignore", divide="ignore"):
        return cov / np.sqrt((c**2).sum(axis=0) * (r**2).sum(axis=0)[:, None])
