"""Bock–Aitkin EM machinery for the polytomous models (internal).

The E-step is two matrix products per chunk of persons. Each person's
responses become a one-hot row over (item, category) pairs, stored sparse,
so with ``Y`` (n, J·K) and the node-by-category log-probabilities
``L`` (J·K, Q):

    log L_i(θ_q) = (Y @ L)[i, q]          (a NaN response is an all-zero block)
    r = Yᵀ @ posterior                    expected counts per item, category, node

``r`` and the node totals are sufficient statistics: they add over any
partition of the persons, which is what lets a large calibration run the
E-step per partition and sum (DESIGN.md, "map-reduce").
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from . import _poly_models as pm
from ._em import posterior_inplace
from ._squarem import run_squarem
from .quadrature import normal_weights

# Log-probabilities below this are clamped so that 0 · log P stays finite.
_LOG_FLOOR = -700.0
# Posterior mass below which a (person, node) pair is left out of the Louis
# score covariance; its share of any entry is below this relative size.
_POSTERIOR_FLOOR = 1e-12
# (person, node) pairs per block in the Louis products (block x parameters floats).
_PAIR_BLOCK = 16384


class CategoryIndicators:
    """One-hot (person, item·category) matrices, one sparse block per chunk of persons.

    Each row has one 1 per administered item, so the matrices are stored in
    compressed sparse row form (and their transposes likewise): the E-step
    products then cost O(responses × nodes) instead of
    O(persons × items × categories × nodes), and sparse designs (CAT, LOFT)
    cost only what was administered.

    Parameters
    ----------
    codes : (n, J) int category of each response, -1 where not administered.
    k_max : categories per item block (the widest item).
    chunk_size : persons per chunk; bounds the (chunk, Q) posterior in memory.
    """

    def __init__(self, codes: np.ndarray, k_max: int, chunk_size: int):
        self.codes = codes
        self.k_max = int(k_max)
        self.n_persons, self.n_items = codes.shape
        self.chunk_size = max(1, int(chunk_size))
        self.bounds = [
            (s, min(s + self.chunk_size, self.n_persons))
            for s in range(0, self.n_persons, self.chunk_size)
        ]
        self._blocks = [self._build(s, e) for s, e in self.bounds]

    def _build(self, start: int, stop: int):
        block = self.codes[start:stop]
        rows, items = np.nonzero(block >= 0)
        cols = items * self.k_max + block[rows, items]
        shape = (stop - start, self.n_items * self.k_max)
        y = sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=shape)
        return y, y.T.tocsr()

    def chunks(self):
        """Yield (start, stop, Y, Yᵀ) for every chunk of persons."""
        for (s, e), (y, yt) in zip(self.bounds, self._blocks):
            yield s, e, y, yt


def node_log_prob_matrix(logp: np.ndarray, present: np.ndarray) -> np.ndarray:
    """(Q, J, K) log-probabilities -> (J·K, Q) matrix for the E-step product.

    ``present`` (J, K) marks the categories each item has. The others are
    never indicated, so their entries are set to 0 (not -inf) to keep
    0 · entry out of NaN; present ones are floored so an underflowed
    probability cannot do the same.
    """
    q = logp.shape[0]
    mat = np.where(present[None, :, :], np.maximum(logp, _LOG_FLOOR), 0.0)
    return np.ascontiguousarray(mat.reshape(q, -1).T)


def posterior_chunk(y: np.ndarray, log_lik_nodes: np.ndarray, log_weights: np.ndarray):
    """Normalised posterior over nodes for one chunk, and each person's marginal log-lik.

    Returns
    -------
    post : (n_c, Q); marginal : (n_c,)
    """
    joint = y @ log_lik_nodes + log_weights[None, :]
    # The dichotomous E-step's soft-max, which keeps subnormals out of ``yt @ post``.
    marginal = posterior_inplace(joint)
    return joint, marginal


def e_step(indicators: CategoryIndicators, logp: np.ndarray, present: np.ndarray,
           log_weights: np.ndarray):
    """Expected counts and marginal log-likelihood at the current parameters.

    Returns
    -------
    counts : (J, K, Q) expected number of persons in category k of item j at node q.
    node_totals : (Q,) expected number of persons at each node.
    loglik : float, Σ_i log ∫ L_i(θ) g(θ) dθ.
    """
    mat = node_log_prob_matrix(logp, present)
    counts = np.zeros_like(mat)
    node_totals = np.zeros(mat.shape[1])
    loglik = 0.0
    for _, _, y, yt in indicators.chunks():
        post, marginal = posterior_chunk(y, mat, log_weights)
        counts += yt @ post
        node_totals += post.sum(axis=0)
        loglik += float(marginal.sum())
    n_items, k_max = logp.shape[1], logp.shape[2]
    return counts.reshape(n_items, k_max, -1), node_totals, loglik


def expected_loglik(counts, logp):
    """(J,) expected complete-data log-likelihood Σ_kq r_jkq log P_jk(θ_q)."""
    safe = np.where(counts.transpose(2, 0, 1) > 0, logp, 0.0)
    return np.einsum("jkq,qjk->j", counts, safe)


def m_step(rows, counts, nodes, n_categories, model, free, n_newton=3, tol=1e-10):
    """Maximise each item's expected complete-data log-likelihood.

    A few Fisher-scoring steps, batched over items: the (p, p) systems of all
    items are solved at once. For the GPCM (an exponential family in its
    slope-intercept parameters) Fisher scoring is Newton's method; for the
    GRM it avoids the indefinite observed Hessian far from the optimum. Each
    step is halved until the objective does not fall and, for the GRM, the
    intercepts stay ordered.

    Parameters
    ----------
    rows : (J, p) slope-intercept parameters; counts : (J, K, Q) expected counts;
    free : (J, p) bool, which entries are estimated.

    Returns
    -------
    (J, p) updated rows.
    """
    rows = rows.copy()
    if not np.any(free):
        return rows
    fill = np.where(free, 0.0, 1.0)
    node_counts = counts.sum(axis=1).T                     # (Q, J)
    for _ in range(n_newton):
        logp, g, _ = pm.derivatives(nodes, rows, n_categories, model)
        prob = np.exp(logp)
        grad = np.einsum("jkq,qjkp->jp", counts, g) * free
        weighted = g * (node_counts[:, :, None] * prob)[..., None]
        fisher = np.einsum("qjkp,qjkr->jpr", weighted, g, optimize=True)
        fisher = fisher * free[:, :, None] * free[:, None, :]
        fisher[:, np.arange(rows.shape[1]), np.arange(rows.shape[1])] += fill + 1e-10
        step = np.linalg.solve(fisher, grad[..., None])[..., 0]
        step = np.where(free, step, 0.0)
        current = expected_loglik(counts, logp)
        scale = np.ones(rows.shape[0])
        pending = np.ones(rows.shape[0], dtype=bool)
        for _ in range(30):
            trial = rows + scale[:, None] * step
            ok = pm.rows_valid(trial, n_categories, model)
            value = np.full(rows.shape[0], -np.inf)
            if ok.any():
                value[ok] = expected_loglik(
                    counts[ok], pm.log_prob(nodes, trial[ok], n_categories[ok], model)
                )
            good = ok & (value >= current - 1e-12 * np.abs(current))
            accept = pending & good
            rows[accept] = trial[accept]
            pending &= ~good
            if not pending.any():
                break
            scale = np.where(pending, scale * 0.5, scale)
        if np.max(np.abs(step)) < tol:
            break
    return rows


def louis_information(indicators, rows, nodes, log_weights, n_categories, model, free,
                      kind="louis"):
    """Information matrix of the marginal log-likelihood.

    ``kind="louis"``: the observed information by Louis' (1982) formula,
    I = Σ_i E[-∂² log f(x_i, θ)] - Σ_i Cov[∂ log f(x_i, θ)], with both
    moments taken over person i's posterior on the quadrature nodes. The
    first term is block-diagonal over items; the second couples every pair
    of items through the shared θ, and costs O(n · nodes · P²).

    ``kind="xpd"``: the cross-product of each person's marginal score
    s_i = E[∂ log f(x_i, θ)] (Fisher's identity), Σ_i s_i s_iᵀ, which
    estimates the same information at O(n · P²) and is the choice for large
    calibrations.

    Returns
    -------
    (P, P) information for the entries of ``rows`` flagged in ``free``
    (row-major order).
    """
    logp, g, h = pm.derivatives(nodes, rows, n_categories, model, second=True)
    present = pm.category_mask(n_categories, rows.shape[1])
    mat = node_log_prob_matrix(logp, present)
    n_items, p = rows.shape
    n_par = n_items * p
    flat_free = np.flatnonzero(free.ravel())
    # a trailing all-zero "category" stands for a response not administered,
    # so the gather below needs no mask
    g_ext = np.concatenate([g, np.zeros(g.shape[:2] + (1, p))], axis=2)
    second_moment = np.zeros((n_par, n_par))
    first_moment_sq = np.zeros((n_par, n_par))
    counts = np.zeros_like(mat)
    item_index = np.arange(n_items)[None, :]
    for start, stop, y, yt in indicators.chunks():
        post, _ = posterior_chunk(y, mat, log_weights)
        counts += yt @ post
        codes = indicators.codes[start:stop]
        codes = np.where(codes >= 0, codes, p)
        # Only (person, node) pairs with posterior mass contribute; taking
        # them in blocks makes each product one large matrix multiply.
        person, node = np.nonzero(post > _POSTERIOR_FLOOR)
        weight = post[person, node]
        mean_score = np.zeros((stop - start, n_par))
        for b0 in range(0, person.size, _PAIR_BLOCK):
            pi, qi, w = person[b0:b0 + _PAIR_BLOCK], node[b0:b0 + _PAIR_BLOCK], weight[b0:b0 + _PAIR_BLOCK]
            s = g_ext[qi[:, None], item_index, codes[pi]].reshape(pi.size, n_par)
            if kind == "louis":
                weighted = s * np.sqrt(w)[:, None]
                second_moment += weighted.T @ weighted
            spread = sparse.csr_matrix((w, (pi, np.arange(pi.size))), shape=(stop - start, pi.size))
            mean_score += spread @ s
        first_moment_sq += mean_score.T @ mean_score
    if kind == "xpd":
        return first_moment_sq[np.ix_(flat_free, flat_free)]
    counts = counts.reshape(n_items, p, -1)
    blocks = -np.einsum("jkq,qjkab->jab", counts,
                        np.where(present[None, :, :, None, None], h, 0.0))
    complete = np.zeros((n_items * p, n_items * p))
    idx = np.arange(n_items)[:, None] * p + np.arange(p)[None, :]
    complete[idx[:, :, None], idx[:, None, :]] = blocks
    info = complete - (second_moment - first_moment_sq)
    return info[np.ix_(flat_free, flat_free)]


class EMMap:
    """One Bock–Aitkin cycle as a map on a packed parameter vector.

    The vector holds the free slope-intercept entries (row-major) and, when
    estimated, the latent mean and log standard deviation. Packing lets the
    SQUAREM extrapolation (:mod:`._squarem`) treat every parameter alike.
    """

    def __init__(self, indicators, nodes, weights, n_categories, model, free,
                 estimate_mean=False, estimate_var=False, m_tol=1e-10):
        self.indicators = indicators
        self.nodes = nodes
        self.weights = weights
        self.n_categories = n_categories
        self.model = model
        self.free = free
        self.present = pm.category_mask(n_categories, free.shape[1])
        self.estimate_mean = estimate_mean
        self.estimate_var = estimate_var
        self.m_tol = m_tol
        self.template = None

    def pack(self, rows, mean=0.0, sd=1.0):
        self.template = rows.copy()
        extra = ([mean] if self.estimate_mean else []) + ([np.log(sd)] if self.estimate_var else [])
        return np.concatenate([rows[self.free], np.asarray(extra, dtype=float)])

    def unpack(self, vec):
        rows = self.template.copy()
        n = int(self.free.sum())
        rows[self.free] = vec[:n]
        rest = list(vec[n:])
        mean = rest.pop(0) if self.estimate_mean else 0.0
        sd = float(np.exp(rest.pop(0))) if self.estimate_var else 1.0
        return rows, mean, sd

    def log_weights(self, mean, sd):
        w = normal_weights(self.nodes, mean, sd) if (self.estimate_mean or self.estimate_var) else self.weights
        return np.log(np.maximum(w, 1e-300))

    def valid(self, vec) -> bool:
        rows, _, sd = self.unpack(vec)
        return bool(np.all(pm.rows_valid(rows, self.n_categories, self.model))
                    and np.all(np.isfinite(vec)) and 1e-3 < sd < 1e3)

    def e_step(self, vec):
        rows, mean, sd = self.unpack(vec)
        logp = pm.log_prob(self.nodes, rows, self.n_categories, self.model)
        return e_step(self.indicators, logp, self.present, self.log_weights(mean, sd))

    def __call__(self, vec):
        """Return (next vector, marginal log-likelihood at ``vec``)."""
        rows, mean, sd = self.unpack(vec)
        counts, node_totals, loglik = self.e_step(vec)
        rows = m_step(rows, counts, self.nodes, self.n_categories, self.model, self.free,
                      tol=self.m_tol)
        share = node_totals / node_totals.sum()
        if self.estimate_mean:
            mean = float(share @ self.nodes)
        if self.estimate_var:
            sd = float(np.sqrt(share @ (self.nodes - mean) ** 2))
        return self.pack(rows, mean, sd), loglik


def run_em(em_map: EMMap, start, max_iter, tol, accelerate=True, callback=None):
    """Iterate the EM map to convergence with SQUAREM (see :mod:`._squarem`).

    Returns
    -------
    (vector (P,), n_cycles, converged): n_cycles counts E-steps.
    """
    return run_squarem(em_map, start, max_iter, tol, accelerate, callback,
                       admissible=em_map.valid)
