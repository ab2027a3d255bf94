"""Summed-score distributions at fixed ability points (Lord–Wingersky recursion).

Sum-score based statistics (the S-X² item fit in :mod:`.fit`, the summed-score
EAP table in :mod:`.estimation`) need, at each quadrature node, the
probability of every possible summed score. The Lord & Wingersky (1984)
recursion builds it by adding one item at a time; it is exact and avoids
enumerating the response patterns. This module is the package's one
implementation of it.

Items are described by their category probabilities at the nodes, so the same
code serves dichotomous (two categories) and polytomous items. The recursion
must add items one after another, so it loops over items (and over an item's
few categories); every step is vectorized over the quadrature nodes.

References
----------
Lord, F. M., & Wingersky, M. S. (1984). Comparison of IRT true-score and
equipercentile observed-score "equatings". Applied Psychological
Measurement, 8, 453-461.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lord_wingersky", "leave_one_out_distributions"]


def lord_wingersky(category_probs: np.ndarray, max_scores=None) -> np.ndarray:
    """Distribution of the summed score at each node.

    Parameters
    ----------
    category_probs : (Q, J, K) probability of scoring 0..K-1 on item j at
        node q; categories an item lacks carry probability 0.
    max_scores : optional (J,) highest score of each item (its number of
        categories - 1). By default the highest category with non-zero
        probability at some node; pass it when a far-off category could
        underflow to 0 at every node.

    Returns
    -------
    (Q, S + 1) array, S = sum of the items' maximum scores; row q sums to 1.
    """
    probs = np.asarray(category_probs, dtype=float)
    tops = _max_scores(probs, max_scores)
    dist = np.ones((probs.shape[0], 1))
    for j in range(probs.shape[1]):
        dist = _add_item(dist, probs[:, j, :], int(tops[j]))
    return dist


def leave_one_out_distributions(category_probs: np.ndarray, max_scores=None) -> np.ndarray:
    """Summed-score distribution of the other items, for each item left out.

    Built from prefix and suffix recursions (items before j convolved with
    items after j), so the cost is two passes plus one convolution per item
    rather than J full recursions.

    Parameters
    ----------
    category_probs : (Q, J, K) category probabilities at the nodes.
    max_scores : optional (J,) highest score of each item, as for
        :func:`lord_wingersky`.

    Returns
    -------
    (J, Q, S + 1) array: entry [j, q, s] is P(sum of items other than j = s | θ_q).
    Scores above S - max_score_j have probability 0.
    """
    probs = np.asarray(category_probs, dtype=float)
    n_nodes, n_items, _ = probs.shape
    tops = _max_scores(probs, max_scores)
    prefix = [np.ones((n_nodes, 1))]
    for j in range(n_items - 1):
        prefix.append(_add_item(prefix[-1], probs[:, j, :], int(tops[j])))
    suffix = [np.ones((n_nodes, 1))]
    for j in range(n_items - 1, 0, -1):
        suffix.append(_add_item(suffix[-1], probs[:, j, :], int(tops[j])))
    suffix = suffix[::-1]
    out = np.zeros((n_items, n_nodes, int(tops.sum()) + 1))
    for j in range(n_items):
        conv = _convolve_rows(prefix[j], suffix[j])
        out[j, :, : conv.shape[1]] = conv
    return out


def _max_scores(probs: np.ndarray, max_scores=None) -> np.ndarray:
    """(J,) highest score of each item: given, or the highest category with probability."""
    if max_scores is not None:
        tops = np.asarray(max_scores, dtype=int)
        if tops.shape != (probs.shape[1],) or np.any(tops < 0) or np.any(tops >= probs.shape[2]):
            raise ValueError(
                f"max_scores must be ({probs.shape[1]},) integers in 0..{probs.shape[2] - 1}; "
                f"got {max_scores!r}"
            )
        return tops
    present = (probs > 0).any(axis=0)  # (J, K)
    return np.where(present, np.arange(probs.shape[2]), 0).max(axis=1)


def _add_item(dist: np.ndarray, item_probs: np.ndarray, max_score: int) -> np.ndarray:
    """Convolve a (Q, S+1) score distribution with one item's (Q, K) categories."""
    width = dist.shape[1]
    new = np.zeros((dist.shape[0], width + max_score))
    for k in range(max_score + 1):
        new[:, k:k + width] += dist * item_probs[:, k][:, None]
    return new


def _convolve_rows(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Row-wise convolution of two (Q, ·) distributions."""
    width = left.shape[1] + right.shape[1] - 1
    out = np.zeros((left.shape[0], width))
    for s in range(right.shape[1]):
        out[:, s:s + left.shape[1]] += left * right[:, s][:, None]
    return out
