"""Standard setting and decision quality for proficiency levels.

An assessment maps ability θ to proficiency levels through cut scores. This
module supports two steps of that work:

- The **bookmark method** (Mitzel, Lewis, Patz & Green, 2001): items are laid
  out in an ordered item booklet by the θ at which a candidate has probability
  RP (default 0.67) of answering correctly — for polytomous items each score
  category k ≥ 1 is a page, located where P(X ≥ k) = RP. Panellists place a
  bookmark on the first page a borderline candidate would *not* master; the
  cut score is read off the page locations.
- **Classification accuracy and consistency** (Rudner, 2001, 2005): with θ̂
  and its standard error for every candidate, and the true θ taken as
  N(θ̂, SE²), the probability that each candidate truly belongs to each level
  gives the expected proportion classified correctly (accuracy) and the
  expected agreement of two independent parallel administrations
  (consistency), overall and for each cut.

References
----------
Mitzel, H. C., Lewis, D. M., Patz, R. J., & Green, D. R. (2001). The bookmark
procedure: Psychological perspectives. In G. J. Cizek (Ed.), Setting
performance standards (pp. 249–281). Erlbaum.
Rudner, L. M. (2001). Computing the expected proportions of misclassified
examinees. Practical Assessment, Research & Evaluation, 7(14).
Rudner, L. M. (2005). Expected classification accuracy. Practical Assessment,
Research & Evaluation, 10(13).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logit

from ._item_models import DICHOTOMOUS_MODELS, category_probs, check_model
from .decision import normal_level_confidence

__all__ = [
    "OrderedItemBooklet",
    "ClassificationQuality",
    "ordered_item_booklet",
    "bookmark_cut_scores",
    "classification_accuracy",
]

CUT_RULES = ("previous", "bookmark", "midpoint")


@dataclass(frozen=True)
class OrderedItemBooklet:
    """Pages of an ordered item booklet, easiest first.

    Attributes
    ----------
    item : (P,) item index of each page.
    category : (P,) score category the page stands for (1 for 0/1 items).
    location : (P,) θ at which P(X >= category) = rp, ascending.
    rp : response probability used.
    """

    item: np.ndarray
    category: np.ndarray
    location: np.ndarray
    rp: float


def ordered_item_booklet(params, model: str = "2pl", rp: float = 0.67) -> OrderedItemBooklet:
    """Order items (and polytomous score categories) by their RP location.

    Parameters
    ----------
    params : (J, 4) dichotomous or (J, 1 + K - 1) polytomous parameters.
    model : item model.
    rp : response probability criterion, 0 < rp < 1; for a 3PL/4PL item it
        must lie strictly between c and d.

    Returns
    -------
    OrderedItemBooklet (ties keep item order).
    """
    name = check_model(model)
    if not 0.0 < rp < 1.0:
        raise ValueError(f"rp must be between 0 and 1, got {rp!r}")
    p = np.asarray(params, dtype=float)
    if name in DICHOTOMOUS_MODELS:
        a, b, c, d = p.T
        bad = ~((c < rp) & (rp < d))
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise ValueError(f"rp={rp} is outside item {j}'s asymptotes c={c[j]:g}, d={d[j]:g}")
        loc = b + logit((rp - c) / (d - c)) / a
        item = np.arange(p.shape[0])
        category = np.ones(p.shape[0], dtype=int)
    elif name == "grm":
        # The GRM boundary curve P(X >= k) is itself logistic: closed form.
        thresholds = p[:, 1:]
        loc_all = thresholds + logit(rp) / p[:, [0]]
        item, k = np.nonzero(~np.isnan(thresholds))
        loc, category = loc_all[item, k], k + 1
    else:
        item, category, loc = _gpcm_locations(p, rp)
    order = np.argsort(loc, kind="stable")
    return OrderedItemBooklet(item[order], category[order], loc[order], float(rp))


def _gpcm_locations(p: np.ndarray, rp: float, lo: float = -20.0, hi: float = 20.0):
    """θ where P(X >= k) = rp for each GPCM category, by vectorized bisection.

    P(X >= k | θ) increases with θ for the GPCM, so bisection on a wide bracket
    converges for every page at once.
    """
    item, k = np.nonzero(~np.isnan(p[:, 1:]))
    category = k + 1
    low = np.full(item.size, lo)
    high = np.full(item.size, hi)
    for _ in range(80):  # halves the bracket 80 times: far below 1e-9
        mid = 0.5 * (low + high)
        probs = category_probs(mid, p, "gpcm")  # (pages, J, K)
        cum = np.flip(np.cumsum(np.flip(probs, axis=2), axis=2), axis=2)
        at = cum[np.arange(item.size), item, category]
        below = at < rp
        low = np.where(below, mid, low)
        high = np.where(below, high, mid)
    return item, category, 0.5 * (low + high)


def bookmark_cut_scores(booklet: OrderedItemBooklet, bookmarks, rule: str = "previous") -> np.ndarray:
    """Cut scores on θ from bookmark placements.

    Parameters
    ----------
    booklet : from :func:`ordered_item_booklet`.
    bookmarks : (L,) page numbers, 1-based, on which each bookmark is placed:
        the first page a borderline candidate of that level would not master.
        Must be increasing and between 2 and P.
    rule : "previous" (default) — the location of the last mastered page,
        the page before the bookmark; "bookmark" — the location of the
        bookmarked page; "midpoint" — halfway between the two.

    Returns
    -------
    (L,) cut scores, ascending.
    """
    if rule not in CUT_RULES:
        raise ValueError(f"rule must be one of {', '.join(CUT_RULES)}; got {rule!r}")
    pages = np.atleast_1d(np.asarray(bookmarks))
    n_pages = booklet.location.size
    if pages.ndim != 1 or pages.size == 0:
        raise ValueError(f"bookmarks must be a non-empty 1-D list of pages; got {bookmarks!r}")
    bad = (pages != np.round(pages)) | (pages < 2) | (pages > n_pages)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"bookmark {i} is on page {pages[i]:g}; pages run from 2 to {n_pages}")
    if np.any(np.diff(pages) <= 0):
        raise ValueError(f"bookmarks must be strictly increasing; got {pages.tolist()}")
    pages = pages.astype(int)
    before = booklet.location[pages - 2]
    on = booklet.location[pages - 1]
    if rule == "previous":
        return before
    if rule == "bookmark":
        return on
    return 0.5 * (before + on)


@dataclass(frozen=True)
class ClassificationQuality:
    """Expected decision accuracy and consistency (Rudner's method).

    Attributes
    ----------
    accuracy : expected proportion of candidates whose observed level equals
        their true level.
    consistency : expected proportion classified into the same level by two
        independent parallel measurements.
    kappa : Cohen's kappa of that parallel-forms agreement.
    accuracy_by_cut, consistency_by_cut : (L,) the same for the pass/fail
        decision at each cut.
    false_positive_by_cut, false_negative_by_cut : (L,) expected proportions
        placed above a cut while truly below it, and the reverse.
    level_probabilities : (n, L + 1) probability each candidate's true θ lies
        in each level.
    observed_level : (n,) level of θ̂ (0 = below the first cut).
    confusion : (L + 1, L + 1) expected proportions, rows = observed level,
        columns = true level.
    """

    accuracy: float
    consistency: float
    kappa: float
    accuracy_by_cut: np.ndarray
    consistency_by_cut: np.ndarray
    false_positive_by_cut: np.ndarray
    false_negative_by_cut: np.ndarray
    level_probabilities: np.ndarray
    observed_level: np.ndarray
    confusion: np.ndarray


def classification_accuracy(theta, se, cuts) -> ClassificationQuality:
    """Rudner's classification accuracy and consistency.

    Parameters
    ----------
    theta : (n,) ability estimates.
    se : (n,) their standard errors (positive).
    cuts : (L,) strictly increasing cut scores on θ; a θ equal to a cut is in
        the level above it.

    Returns
    -------
    ClassificationQuality
    """
    levels = normal_level_confidence(theta, se, cuts)  # validates; one source of the formula
    t = np.asarray(theta, dtype=float)
    c = np.asarray(cuts, dtype=float)
    level_prob = levels.probabilities  # (n, L + 1)
    below = np.cumsum(level_prob[:, :-1], axis=1)  # P(true θ < cut_k)
    observed = levels.level
    n_levels = c.size + 1
    rows = np.eye(n_levels)[observed]  # (n, L + 1) one-hot of the observed level
    confusion = rows.T @ level_prob / t.size
    accuracy = float(np.trace(confusion))
    consistency = float(np.mean((level_prob**2).sum(axis=1)))
    chance = float((level_prob.mean(axis=0) ** 2).sum())
    kappa = (consistency - chance) / (1.0 - chance) if chance < 1 else float("nan")
    above_obs = t[:, None] >= c[None, :]
    p_true_above = 1.0 - below
    false_pos = np.mean(np.where(above_obs, below, 0.0), axis=0)
    false_neg = np.mean(np.where(above_obs, 0.0, p_true_above), axis=0)
    return ClassificationQuality(
        accuracy=accuracy,
        consistency=consistency,
        kappa=float(kappa),
        accuracy_by_cut=1.0 - false_pos - false_neg,
        consistency_by_cut=np.mean(below**2 + p_true_above**2, axis=0),
        false_positive_by_cut=false_pos,
        false_negative_by_cut=false_neg,
        level_probabilities=level_prob,
        observed_level=observed,
        confusion=confusion,
    )
