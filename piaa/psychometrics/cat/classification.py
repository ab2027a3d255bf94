"""Proficiency levels from an examinee's posterior: which side of each cut, and how sure.

A PIAA result is a proficiency level: θ cut at ascending cut scores c_1 < ... < c_K into
K + 1 levels (0 below c_1, k from c_k up to c_{k+1}). An adaptive test that serves that
decision needs, after every answer, the posterior probability of each level, so it can aim
its next item at a cut still in doubt and stop once one level is probable enough.

The posterior lives on an equally spaced quadrature grid (the bank's ``nodes``). Each node
stands for the cell between the midpoints to its neighbours; a cut inside a cell splits the
node's mass in proportion (the posterior CDF interpolated linearly between midpoints), so a
level probability moves smoothly as θ̂ crosses a cut instead of jumping a whole node.

References
----------
Rudner, L. M. (2001). Computing the expected proportions of misclassified examinees.
Practical Assessment, Research & Evaluation, 7(14). (Level probabilities from the
posterior, and accuracy at a cut as the share put on the right side of it.)
Eggen, T. J. H. M., & Straetmans, G. J. J. M. (2000). Computerized adaptive testing for
classifying examinees into three categories. Educational and Psychological Measurement,
60, 713-734.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_cuts", "above_cut_weights", "cut_side_probabilities", "level_probabilities",
           "levels_of", "classification_summary"]


def check_cuts(cuts) -> np.ndarray:
    """(K,) cut scores as floats: finite, strictly ascending, at least one.

    :raise ValueError: naming the first bad cut.
    """
    c = np.atleast_1d(np.asarray(cuts, dtype=float))
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"cuts must be a non-empty list of numbers, got {cuts!r}")
    bad = ~np.isfinite(c)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(f"cut {k + 1} must be a finite number, got {c[k]!r}")
    if c.size > 1 and np.any(np.diff(c) <= 0):
        k = int(np.flatnonzero(np.diff(c) <= 0)[0])
        raise ValueError(f"cuts must ascend: cut {k + 2} ({c[k + 1]:g}) is not above "
                         f"cut {k + 1} ({c[k]:g})")
    return c


def above_cut_weights(nodes, cuts) -> np.ndarray:
    """(Q, K) share of each node's cell at or above each cut.

    The cell of node q runs between the midpoints to its neighbours (half a spacing beyond
    the end nodes), so ``posterior @ above_cut_weights(nodes, cuts)`` is the posterior
    probability of θ >= c_k with the CDF interpolated linearly inside a cell.
    """
    x = np.asarray(nodes, dtype=float)
    c = check_cuts(cuts)
    mid = 0.5 * (x[1:] + x[:-1])
    lower = np.concatenate([[x[0] - (mid[0] - x[0])], mid])
    upper = np.concatenate([mid, [x[-1] + (x[-1] - mid[-1])]])
    width = upper - lower
    return np.clip((upper[:, None] - c[None, :]) / width[:, None], 0.0, 1.0)


def cut_side_probabilities(posterior, above) -> np.ndarray:
    """(n, K) posterior probability that θ is at or above each cut.

    Parameters
    ----------
    posterior : (n, Q) posterior weights on the nodes (rows sum to one).
    above : (Q, K) from :func:`above_cut_weights`.
    """
    post = np.atleast_2d(np.asarray(posterior, dtype=float))
    # einsum keeps the one-examinee case (delivery) off multithreaded BLAS.
    p = np.einsum("nq,qk->nk", post, above) if post.shape[0] == 1 else post @ above
    return np.clip(p, 0.0, 1.0)


def level_probabilities(posterior, above) -> np.ndarray:
    """(n, K + 1) posterior probability of each level 0..K (rows sum to one).

    Parameters
    ----------
    posterior : (n, Q) posterior weights on the nodes.
    above : (Q, K) from :func:`above_cut_weights`.
    """
    p = cut_side_probabilities(posterior, above)
    n = p.shape[0]
    upper = np.concatenate([np.ones((n, 1)), p], axis=1)
    lower = np.concatenate([p, np.zeros((n, 1))], axis=1)
    # Cuts ascend, so P(θ >= c_k) falls with k; clip the rounding noise.
    return np.maximum(upper - lower, 0.0)


def levels_of(theta, cuts) -> np.ndarray:
    """(n,) level 0..K of each θ: the number of cuts it reaches (θ >= c counts as reached),
    the rule ``piaa.delivery.scoring.level_from_cuts`` applies to a reported θ."""
    return np.searchsorted(check_cuts(cuts), np.asarray(theta, dtype=float), side="right")


def classification_summary(true_theta, theta, se, cuts) -> dict:
    """How well estimates ``theta`` (with standard errors ``se``) classify ``true_theta``.

    Returns
    -------
    dict with ``accuracy_at_cuts`` (one per cut: share put on the right side of it),
    ``exact_level_accuracy`` (share given their true level) and ``reliability``
    (1 - mean SE² / variance of the estimates; the marginal reliability of the scores).
    """
    true_theta = np.asarray(true_theta, dtype=float)
    theta = np.asarray(theta, dtype=float)
    se = np.asarray(se, dtype=float)
    c = check_cuts(cuts)
    if not (true_theta.shape == theta.shape == se.shape) or theta.ndim != 1:
        raise ValueError(f"true_theta, theta and se must be three equal 1-d arrays, got "
                         f"{true_theta.shape}, {theta.shape}, {se.shape}")
    right_side = (theta[:, None] >= c) == (true_theta[:, None] >= c)
    var = float(np.var(theta))
    return {
        "accuracy_at_cuts": right_side.mean(axis=0).tolist(),
        "exact_level_accuracy": float(np.mean(levels_of(theta, c) == levels_of(true_theta, c))),
        "reliability": 1.0 - float(np.mean(se * se)) / var if var > 0 else float("nan"),
    }
