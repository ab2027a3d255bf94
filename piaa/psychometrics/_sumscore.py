"""Summed-score distributions at fixed ability points (Lord–Wingersky recursion).

Sum-score based statistics (the S-X² item fit, summed-score EAP tables) need,
at each quadrature node, the probability of every possible summed score. The
Lord & Wingersky (1984) recursion builds it by adding one item at a time; it is
exact and avoids enumerating the 2^J response patterns.

Items are described by their category probabilities at the nodes, so the same
code serves dichotomous (two categories) and polytomous items.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lord_wingersky", "leave_one_out_distributions"]


def lord_wingersky(category_probs: np.ndarray) -> np.ndarray:
    """Distribution of the summed score at each node.

    Parameters
    ----------
    category_probs : (Q, J, K) probability of scoring 0..K-1 on item j at
        node q; categories an item lacks carry probability 0.

    Returns
    -------
    (Q, S + 1) array, S = sum of the items' maximum scores; row q sums to 1.
    """
    probs = np.asarray(category_probs, dtype=float)
    n_nodes, n_items, n_cats = probs.shape
    max_scores = _max_scores(probs)
    dist = np.zeros((n_nodes, int(max_scores.sum()) + 1))
    dist[:, 0] = 1.0
    reach = 0
    # The recursion adds one item per step; each step is vectorized over
    # nodes and categories.
    for j in range(n_items):
        new = np.zeros_like(dist)
        for k in range(int(max_scores[j]) + 1):
            new[:, k:reach + k + 1] += dist[:, :reach + 1] * probs[:, j, k][:, None]
        dist = new
        reach += int(max_scores[j])
    return dist


def leave_one_out_distributions(category_probs: np.ndarray) -> np.ndarray:
    """Summed-score distribution of the other items, for each item left out.

    Built from prefix and suffix recursions (items before j convolved with
    items after j), so the cost is two passes plus one convolution per item
    rather than J full recursions.

    Parameters
    ----------
    category_probs : (Q, J, K) category probabilities at the nodes.

    Returns
    -------
    (J, Q, S + 1) array: entry [j, q, s] is P(sum of items other than j = s | θ_q).
    Scores above S - max_score_j have probability 0.
    """
    probs = np.asarray(category_probs, dtype=float)
    n_nodes, n_items, _ = probs.shape
    max_scores = _max_scores(probs)
    total = int(max_scores.sum())
    prefix = [np.ones((n_nodes, 1))]
    for j in range(n_items - 1):
        prefix.append(_add_item(prefix[-1], probs[:, j, :], int(max_scores[j])))
    suffix = [np.ones((n_nodes, 1))]
    for j in range(n_items - 1, 0, -1):
        suffix.append(_add_item(suffix[-1], probs[:, j, :], int(max_scores[j])))
    suffix = suffix[::-1]
    out = np.zeros((n_items, n_nodes, total + 1))
    for j in range(n_items):
        conv = _convolve_rows(prefix[j], suffix[j])
        out[j, :, : conv.shape[1]] = conv
    return out


def _max_scores(probs: np.ndarray) -> np.ndarray:
    """(J,) highest category with non-zero probability anywhere."""
    present = (probs > 0).any(axis=0)  # (J, K)
    k = probs.shape[2]
    return np.where(present, np.arange(k), 0).max(axis=1)


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
