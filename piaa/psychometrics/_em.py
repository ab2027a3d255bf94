"""Bock–Aitkin EM machinery for dichotomous IRT calibration (internal).

The calibration splits into two pieces that scale very differently:

* The E-step touches every response. Per chunk of persons it forms the
  log-likelihood of each response pattern at each quadrature node as one
  matrix product, ``L = Y @ T`` with ``Y`` the ``(n, 2J)`` indicator matrix
  of [correct | incorrect] responses and ``T`` the ``(2J, Q)`` table of
  ``log P`` / ``log(1 - P)`` at the nodes (for complete data the cheaper
  ``X @ (log P - log Q) + sum(log Q)`` is used). A soft-max over nodes gives
  posteriors and one more product ``Y.T @ posterior`` gives the expected
  counts. These counts add across chunks (and across machines).
* The M-step sees only the tiny ``(J, Q)`` expected counts and solves all
  items at once by batched Fisher scoring.

Internally an item is ``eta = (a, d, logit c, logit u)`` with the logit
``a θ + d``; the public metric is ``(a, b = -d / a, c, u)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, logit, ndtri

from .irt import log_prob_pair_from_logit

# Bounds that keep Fisher scoring inside the region where the model is defined;
# an item pressed against them is reported in the fit warnings.
SLOPE_MIN, SLOPE_MAX = 1e-3, 50.0
LOGIT_ASYMPTOTE_BOUNDS = (-20.0, 20.0)
INTERCEPT_BOUND = 60.0


# --------------------------------------------------------------------------- data
@dataclass
class ResponseDesign:
    """Responses prepared for repeated E-steps.

    ``chunks`` hold either complete dense 0/1 matrices (kind "complete") or
    (dense or CSR) indicator matrices ``[correct | incorrect]`` (kind
    "indicator"). ``dtype`` is the floating type of the E-step products.
    """

    n_persons: int
    n_items: int
    kind: str
    chunks: list
    dtype: type
    n_administered: np.ndarray  # (J,) persons who saw each item
    n_correct: np.ndarray  # (J,)
    person_score: np.ndarray = field(repr=False, default=None)  # (n,) proportion correct

    def map_sum(self, func, *args):
        """``func(self, *args)``: a sum over persons of this design.

        Every statistic the calibration takes from the persons (expected
        counts, score sums, score cross-products) adds over persons, so a
        design split over machines (:mod:`piaa.psychometrics.distributed`)
        answers the same call by summing ``func`` over its partitions.
        """
        return func(self, *args)

    def single_precision(self) -> "ResponseDesign":
        """The float32 twin for cheap early E-steps (see ``in_single_precision``)."""
        return in_single_precision(self)


def in_single_precision(design: ResponseDesign) -> ResponseDesign:
    """A float32 twin of ``design`` for cheap early E-steps (0/1 data are exact in float32).

    Sparse chunks share their index arrays with the original, so the twin
    costs only the halved data arrays.
    """
    chunks = [
        sp.csr_matrix((c.data.astype(np.float32), c.indices, c.indptr), shape=c.shape)
        if sp.issparse(c) else c.astype(np.float32)
        for c in design.chunks
    ]
    return ResponseDesign(
        design.n_persons, design.n_items, design.kind, chunks, np.float32,
        design.n_administered, design.n_correct, design.person_score,
    )


def _check_binary(values: np.ndarray, where: str) -> None:
    bad = ~((values == 0) | (values == 1))
    if bad.any():
        raise ValueError(f"responses must be 0, 1 or NaN; {where} holds {values[bad][0]:g}")


def prepare_dense(x: np.ndarray, chunk_size: int, dtype) -> ResponseDesign:
    """Prepare an (n, J) float array with NaN for items not administered."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"responses must be 2-D (n_persons, n_items); got shape {x.shape}")
    seen = ~np.isnan(x)
    vals = x[seen]
    bad = ~((vals == 0) | (vals == 1))
    if bad.any():
        rows, cols = np.nonzero(seen)
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"responses must be 0, 1 or NaN; row {rows[k]}, item column {cols[k]} holds {vals[k]:g}"
        )
    n, J = x.shape
    correct = np.where(seen, x, 0.0)
    n_adm = seen.sum(axis=0).astype(float)
    n_cor = correct.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = correct.sum(axis=1) / seen.sum(axis=1)
    complete = bool(seen.all())
    chunks = []
    if complete:
        for s in range(0, n, chunk_size):
            chunks.append(np.ascontiguousarray(correct[s : s + chunk_size], dtype=dtype))
        kind = "complete"
    else:
        density = seen.mean()
        for s in range(0, n, chunk_size):
            c = correct[s : s + chunk_size]
            m = seen[s : s + chunk_size]
            y = np.hstack([c, m - c]).astype(dtype)
            # Sparse products pay off once most cells are empty (LOFT/CAT designs).
            chunks.append(sp.csr_matrix(y) if density < 0.25 else y)
        kind = "indicator"
    return ResponseDesign(n, J, kind, chunks, dtype, n_adm, n_cor, score)


def prepare_sparse(administered, correct, chunk_size: int, dtype) -> ResponseDesign:
    """Prepare sparse (n, J) administered / correct flag matrices."""
    adm = sp.csr_matrix(administered, dtype=dtype)
    cor = sp.csr_matrix(correct, dtype=dtype)
    if adm.shape != cor.shape:
        raise ValueError(
            f"administered {adm.shape} and correct {cor.shape} flag matrices differ in shape"
        )
    adm.eliminate_zeros()
    cor.eliminate_zeros()
    _check_binary(adm.data, "the administered matrix")
    _check_binary(cor.data, "the correct matrix")
    wrong = adm - cor
    wrong.eliminate_zeros()
    if wrong.nnz and wrong.data.min() < 0:
        r, c = (wrong < 0).nonzero()
        raise ValueError(
            f"row {r[0]}, item column {c[0]} is marked correct but not administered"
        )
    n, J = adm.shape
    y = sp.hstack([cor, wrong], format="csr", dtype=dtype)
    chunks = [y[s : s + chunk_size] for s in range(0, n, chunk_size)]
    n_adm = np.asarray(adm.sum(axis=0), dtype=float).ravel()
    n_cor = np.asarray(cor.sum(axis=0), dtype=float).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.asarray(cor.sum(axis=1)).ravel() / np.asarray(adm.sum(axis=1)).ravel()
    return ResponseDesign(n, J, "indicator", chunks, dtype, n_adm, n_cor, score)


# --------------------------------------------------------------------------- E-step
@dataclass
class ExpectedCounts:
    """Sufficient statistics of one E-step; they add across chunks and partitions.

    Attributes
    ----------
    correct : (J, Q) expected number of correct responses to item j at node q.
    incorrect : (J, Q) expected number of incorrect responses.
    node_mass : (Q,) expected number of persons at each node.
    loglik : marginal log-likelihood of the data that produced the counts.
    n_persons : number of persons that produced the counts.
    """

    correct: np.ndarray
    incorrect: np.ndarray
    node_mass: np.ndarray
    loglik: float
    n_persons: int

    def __add__(self, other: "ExpectedCounts") -> "ExpectedCounts":
        return ExpectedCounts(
            self.correct + other.correct,
            self.incorrect + other.incorrect,
            self.node_mass + other.node_mass,
            self.loglik + other.loglik,
            self.n_persons + other.n_persons,
        )


def log_tables(eta: np.ndarray, nodes: np.ndarray):
    """(Q, J) log P and log(1 - P) at the (Q,) nodes for (J, 4) internal parameters eta."""
    z = nodes[:, None] * eta[:, 0] + eta[:, 1]
    return log_prob_pair_from_logit(z, expit(eta[:, 2]), expit(eta[:, 3]))


def _underflow_floor(dtype, n_nodes: int) -> float:
    """Log of the smallest posterior kept: below it a node's posterior is set to exactly 0.

    Posteriors are ``exp(L - max L)``, later divided by a row sum of at most
    ``n_nodes``. A value that would land below the smallest normal float
    (1.2e-38 in float32, 2.2e-308 in float64) would be subnormal, and BLAS
    kernels on many processors take a microcode assist for every subnormal
    operand: with about 5% of float32 posteriors subnormal, ``chunk.T @ post``
    ran about 19 times slower. Such a value is below the rounding of any count
    it adds to (the row's largest entry is 1), so zero changes no sum.
    """
    return float(np.log(np.finfo(dtype).tiny) + np.log(n_nodes) + 1.0)


def posterior_inplace(L: np.ndarray) -> np.ndarray:
    """Turn node log-joint rows into posteriors in place; return row log-marginals.

    No entry of the result is subnormal (see ``_underflow_floor``).
    """
    mx = L.max(axis=1, keepdims=True)
    L -= mx
    np.copyto(L, -np.inf, where=L < _underflow_floor(L.dtype, L.shape[1]))
    np.exp(L, out=L)
    s = L.sum(axis=1, keepdims=True)
    L *= 1.0 / s
    return np.log(s.astype(np.float64)).ravel() + mx.astype(np.float64).ravel()


def chunk_posterior(chunk, kind: str, logp, logq, log_w, dtype):
    """Posterior over nodes (n_c, Q) and per-person log-marginals (n_c,)."""
    if kind == "complete":
        L = chunk @ (logp - logq).T.astype(dtype)
        L += (logq.sum(axis=1) + log_w).astype(dtype)
    else:
        table = np.concatenate([logp, logq], axis=1).T.astype(dtype)  # (2J, Q)
        L = np.asarray(chunk @ table)
        L += log_w.astype(dtype)
    ll = posterior_inplace(L)
    return L, ll


def expected_counts(design: ResponseDesign, eta, nodes, weights) -> ExpectedCounts:
    """One E-step over all chunks of ``design``."""
    J, Q = design.n_items, nodes.shape[0]
    logp, logq = log_tables(eta, nodes)
    with np.errstate(divide="ignore"):
        log_w = np.log(weights)
    correct = np.zeros((J, Q))
    incorrect = np.zeros((J, Q))
    mass = np.zeros(Q)
    ll = 0.0
    for chunk in design.chunks:
        post, ll_rows = chunk_posterior(chunk, design.kind, logp, logq, log_w, design.dtype)
        ll += float(ll_rows.sum())
        m = post.sum(axis=0, dtype=np.float64)
        mass += m
        if design.kind == "complete":
            r = np.asarray(chunk.T @ post, dtype=np.float64)
            correct += r
            incorrect += m[None, :] - r
        else:
            s = np.asarray(chunk.T @ post, dtype=np.float64)
            correct += s[:J]
            incorrect += s[J:]
    return ExpectedCounts(correct, incorrect, mass, ll, design.n_persons)


# --------------------------------------------------------------------------- model spec
@dataclass
class ModelSpec:
    """Which parameters are free and how they are tied or penalised."""

    free: np.ndarray  # (J, 4) bool over (a, d, logit c, logit u)
    common_slope: bool  # one slope shared by all non-anchored items
    estimate_mean: bool
    estimate_var: bool
    slope_prior: tuple | None  # (meanlog, sdlog) lognormal on a
    guessing_prior: tuple | None  # (alpha, beta) beta on c

    @property
    def n_free(self) -> int:
        n = int(self.free.sum()) + int(self.common_slope) + int(self.estimate_mean)
        return n + int(self.estimate_var)


def pack(eta, mean, sd, spec: ModelSpec) -> np.ndarray:
    parts = [eta[spec.free]]
    if spec.common_slope:
        parts.append([eta[_common_rows(spec)][0, 0]])
    if spec.estimate_mean:
        parts.append([mean])
    if spec.estimate_var:
        parts.append([np.log(sd)])
    return np.concatenate([np.atleast_1d(np.asarray(p, float)) for p in parts])


def unpack(vec, eta_template, mean, sd, spec: ModelSpec):
    eta = eta_template.copy()
    k = int(spec.free.sum())
    eta[spec.free] = vec[:k]
    if spec.common_slope:
        eta[_common_rows(spec), 0] = vec[k]
        k += 1
    if spec.estimate_mean:
        mean = float(vec[k])
        k += 1
    if spec.estimate_var:
        sd = float(np.exp(vec[k]))
    return eta, mean, sd


def _common_rows(spec: ModelSpec) -> np.ndarray:
    # Items whose intercept is free share the common slope; anchors keep theirs.
    return spec.free[:, 1]


def project(eta: np.ndarray) -> np.ndarray:
    """Clamp parameters into the region the model is defined on."""
    eta[:, 0] = np.clip(eta[:, 0], SLOPE_MIN, SLOPE_MAX)
    eta[:, 1] = np.clip(eta[:, 1], -INTERCEPT_BOUND, INTERCEPT_BOUND)
    # Infinite logits are exact asymptotes of 0 and 1 (2PL items); keep them.
    asym = eta[:, 2:]
    eta[:, 2:] = np.where(np.isinf(asym), asym, np.clip(asym, *LOGIT_ASYMPTOTE_BOUNDS))
    return eta


# --------------------------------------------------------------------------- M-step
def item_derivatives(eta, r, w, nodes, spec: ModelSpec, kinds=None):
    """Objective, gradient and Fisher information of each item's expected complete-data loglik.

    Returns obj (J,), grad (J, 4), info (J, 4, 4) over (a, d, logit c, logit u),
    priors included. Only the parameter kinds listed in ``kinds`` (default:
    those free for some item) are filled; the rest stay zero.
    """
    if kinds is None:
        kinds = tuple(int(k) for k in np.flatnonzero(spec.free.any(axis=0) | [spec.common_slope, 0, 0, 0]))
    a, d = eta[:, 0:1], eta[:, 1:2]
    c, u = expit(eta[:, 2:3]), expit(eta[:, 3:4])
    f, dp = prob_gradient(eta, nodes, kinds)
    two_pl = not (np.any(c > 0) or np.any(u < 1))
    if two_pl:
        p = f
    else:
        p = np.clip(c + (u - c) * f, 1e-300, 1 - 1e-16)
    q = 1.0 - p
    n = r + w
    fq = f * (1.0 - f)
    J = eta.shape[0]
    grad = np.zeros((J, 4))
    info = np.zeros((J, 4, 4))
    if two_pl:
        # canonical link: the P(1-P) factors cancel exactly
        resid = r - n * p
        weight = n * fq
        base = {0: nodes, 1: 1.0}
        for i, k in enumerate(kinds):
            grad[:, k] = (resid * base[k]).sum(axis=1)
            for l in kinds[i:]:
                info[:, k, l] = info[:, l, k] = (weight * (base[k] * base[l])).sum(axis=1)
        with np.errstate(divide="ignore"):
            obj = (r * -np.logaddexp(0.0, -(a * nodes + d)) + w * -np.logaddexp(0.0, a * nodes + d)).sum(axis=1)
    else:
        pq = p * q
        resid = (r - n * p) / pq
        weight = n / pq
        for i, k in enumerate(kinds):
            grad[:, k] = (resid * dp[k]).sum(axis=1)
            wk = weight * dp[k]
            for l in kinds[i:]:
                info[:, k, l] = info[:, l, k] = (wk * dp[l]).sum(axis=1)
        obj = (r * np.log(p) + w * np.log(q)).sum(axis=1)
    obj, grad, info = _add_priors(eta, obj, grad, info, spec)
    return obj, grad, info


def prob_gradient(eta, nodes, kinds=(0, 1, 2, 3)):
    """Logistic F (J, Q) and {kind: (J, Q) ∂P/∂η_kind} for the listed parameter kinds.

    With P = c + (u - c) F(a θ + d), c = expit(η_2), u = expit(η_3):
    ∂P/∂a = (u - c) F (1 - F) θ, ∂P/∂d = (u - c) F (1 - F),
    ∂P/∂η_2 = (1 - F) c (1 - c), ∂P/∂η_3 = F u (1 - u).
    """
    a, d = eta[:, 0:1], eta[:, 1:2]
    c, u = expit(eta[:, 2:3]), expit(eta[:, 3:4])
    f = expit(a * nodes + d)
    slope = (u - c) * f * (1.0 - f)
    derivs = {
        0: lambda: slope * nodes,
        1: lambda: slope,
        2: lambda: (1.0 - f) * c * (1.0 - c),
        3: lambda: f * u * (1.0 - u),
    }
    return f, {k: derivs[k]() for k in kinds}


def _add_priors(eta, obj, grad, info, spec: ModelSpec):
    if spec.slope_prior is not None:
        m, s = spec.slope_prior
        a = eta[:, 0]
        la = np.log(a)
        obj = obj - la - (la - m) ** 2 / (2 * s**2)
        grad[:, 0] += -1.0 / a - (la - m) / (s**2 * a)
        info[:, 0, 0] += 1.0 / (s**2 * a**2)
    if spec.guessing_prior is not None:
        # Only estimated lower asymptotes carry the prior: a fixed c = 0 (a 2PL
        # item in a mixed form, an anchor) would add log 0 = -inf to the
        # objective and disable the step-halving comparisons.
        al, be = spec.guessing_prior
        rows = spec.free[:, 2]
        c = expit(eta[rows, 2])
        obj = obj.copy()
        obj[rows] += (al - 1) * np.log(c) + (be - 1) * np.log1p(-c)
        grad[rows, 2] += (al - 1) * (1 - c) - (be - 1) * c
        info[rows, 2, 2] += max(al + be - 2, 0.0) * c * (1 - c)
    return obj, grad, info


def _solve_free(grad, info, free):
    """Fisher-scoring steps restricted to each item's free parameters."""
    g = np.where(free, grad, 0.0)
    mask = free[:, :, None] & free[:, None, :]
    eye = np.broadcast_to(np.eye(4), info.shape)
    A = np.where(mask, info, 0.0) + np.where(free[:, :, None], 0.0, eye)
    # A tiny ridge keeps near-singular 3PL/4PL systems solvable.
    A = A + 1e-10 * eye
    return np.linalg.solve(A, g[..., None])[..., 0]


def mstep_items(eta, counts: ExpectedCounts, nodes, spec: ModelSpec, max_newton=25, tol=1e-9):
    """Maximise every item's expected complete-data loglik (vectorised over items).

    Batched Fisher scoring with a trust region and step halving for the items
    whose objective would fall.
    """
    if spec.common_slope:
        return _mstep_common_slope(eta.copy(), counts, nodes, spec, max_newton, tol)
    free = spec.free
    active = free.any(axis=1)
    r, w = counts.correct, counts.incorrect
    eta = eta.copy()
    obj, grad, info = item_derivatives(eta, r, w, nodes, spec)
    for _ in range(max_newton):
        step = _solve_free(grad, info, free)
        # Trust region: shrink the whole step (keeping its ascent direction) so
        # no coordinate moves by more than 1 on the logit scale.
        big = np.abs(step).max(axis=1, keepdims=True)
        step = step / np.maximum(big, 1.0)
        step[~active] = 0.0
        scale = np.ones((eta.shape[0], 1))
        for _half in range(12):
            new = project(eta + scale * step)
            new_obj, new_grad, new_info = item_derivatives(new, r, w, nodes, spec)
            worse = new_obj < obj - 1e-12 * np.abs(obj)
            if not worse.any():
                break
            scale[worse] *= 0.5
        else:
            new[worse] = eta[worse]
            new_obj, new_grad, new_info = item_derivatives(new, r, w, nodes, spec)
        moved = np.abs(new[free] - eta[free]).max(initial=0.0)
        eta, obj, grad, info = new, new_obj, new_grad, new_info
        if moved < tol:
            break
    return eta


def _mstep_common_slope(eta, counts, nodes, spec, max_newton, tol):
    """Joint Fisher scoring for one shared slope plus free intercepts (1PL)."""
    rows = _common_rows(spec)
    r, w = counts.correct[rows], counts.incorrect[rows]
    sub = ModelSpec(spec.free[rows], False, False, False, spec.slope_prior, None)
    e = eta[rows].copy()
    for _ in range(max_newton):
        obj, grad, info = item_derivatives(e, r, w, nodes, sub, kinds=(0, 1))
        if spec.slope_prior is not None:
            # the prior on the common slope counts once, not once per item
            n_items = e.shape[0]
            m, s = spec.slope_prior
            a = e[0, 0]
            g_prior = -1.0 / a - (np.log(a) - m) / (s**2 * a)
            grad[:, 0] -= g_prior * (n_items - 1) / n_items
            info[:, 0, 0] -= (n_items - 1) / n_items / (s**2 * a**2)
        g_a, g_d = grad[:, 0].sum(), grad[:, 1]
        i_aa, i_ad, i_dd = info[:, 0, 0].sum(), info[:, 0, 1], info[:, 1, 1]
        schur = i_aa - np.sum(i_ad**2 / i_dd)
        da = (g_a - np.sum(i_ad * g_d / i_dd)) / schur
        dd = (g_d - i_ad * da) / i_dd
        big = max(abs(da), np.abs(dd).max(), 1.0)
        step_a, step_d = da / big, dd / big
        total = obj.sum()
        scale = 1.0
        for _half in range(30):
            cand = e.copy()
            cand[:, 0] += scale * step_a
            cand[:, 1] += scale * step_d
            cand = project(cand)
            if item_derivatives(cand, r, w, nodes, sub, kinds=(0, 1))[0].sum() >= total - 1e-12 * abs(total):
                break
            scale *= 0.5
        else:
            cand = e
        moved = np.abs(cand[:, :2] - e[:, :2]).max()
        e = cand
        if moved < tol:
            break
    eta = eta.copy()
    eta[rows] = e
    return eta


def mstep_latent(counts: ExpectedCounts, nodes, mean, sd, spec: ModelSpec):
    """Latent mean / sd from the posterior node masses (normal moments).

    On a grid as fine and wide as the default (61 points on ±6) the discrete
    normal's moments equal the continuous ones to far below the tolerance, so
    the moment estimator is the maximiser of the discretised likelihood.
    """
    m = counts.node_mass / counts.node_mass.sum()
    if spec.estimate_mean:
        mean = float(m @ nodes)
    if spec.estimate_var:
        sd = float(np.sqrt(m @ (nodes - mean) ** 2))
    return mean, sd


def score_vector(eta, counts: ExpectedCounts, nodes, mean, sd, spec: ModelSpec) -> np.ndarray:
    """Gradient of the marginal loglik (Fisher's identity) in packed coordinates."""
    _, grad, _ = item_derivatives(eta, counts.correct, counts.incorrect, nodes, spec)
    parts = [grad[spec.free]]
    if spec.common_slope:
        rows = _common_rows(spec)
        g = grad[rows, 0].sum()
        if spec.slope_prior is not None:
            m_, s_ = spec.slope_prior
            a = eta[rows][0, 0]
            g -= (rows.sum() - 1) * (-1.0 / a - (np.log(a) - m_) / (s_**2 * a))
        parts.append([g])
    if spec.estimate_mean or spec.estimate_var:
        # d/dμ, d/dlogσ of Σ_q m_q log w_q(μ, σ) with w normalised over the grid.
        N = counts.node_mass.sum()
        zq = (nodes - mean) / sd
        w = np.exp(-0.5 * zq**2)
        w /= w.sum()
        if spec.estimate_mean:
            parts.append([(counts.node_mass @ zq - N * (w @ zq)) / sd])
        if spec.estimate_var:
            parts.append([counts.node_mass @ zq**2 - N * (w @ zq**2)])
    return np.concatenate([np.atleast_1d(np.asarray(p, float)) for p in parts])


# --------------------------------------------------------------------------- start values
def start_values(design: ResponseDesign, spec: ModelSpec, eta_fixed: np.ndarray) -> np.ndarray:
    """Classical starting values: biserial correlation with the proportion score.

    Uses the normal-ogive relations a = 1.702 ρ / sqrt(1 - ρ²) and
    threshold = Φ⁻¹(1 - p) / ρ, which start EM close to the optimum.
    """
    p = np.clip(design.n_correct / np.maximum(design.n_administered, 1), 0.02, 0.98)
    rho = _item_score_correlation(design.map_sum(score_sums), design)
    phi = np.exp(-0.5 * ndtri(p) ** 2) / np.sqrt(2 * np.pi)
    rho_bis = np.clip(rho * np.sqrt(p * (1 - p)) / phi, 0.15, 0.85)
    a = 1.702 * rho_bis / np.sqrt(1 - rho_bis**2)
    b = ndtri(1 - p) / rho_bis
    eta = eta_fixed.copy()
    fr = spec.free
    if spec.common_slope:
        rows = _common_rows(spec)
        eta[rows, 0] = np.median(a[rows]) if rows.any() else 1.0
        a = eta[:, 0]
    eta[fr[:, 0], 0] = a[fr[:, 0]]
    slope = eta[:, 0]
    eta[fr[:, 1], 1] = (-slope * b)[fr[:, 1]]
    eta[fr[:, 2], 2] = logit(0.1)
    eta[fr[:, 3], 3] = logit(0.98)
    return project(eta)


def score_sums(design: ResponseDesign) -> np.ndarray:
    """(3, J) sums over the persons who saw item j of: score if correct, score, score².

    ``score`` is the person's proportion correct; the sums add over persons.
    """
    J = design.n_items
    s = np.nan_to_num(design.person_score, nan=0.5)
    sx = np.zeros(J)
    s1 = np.zeros(J)
    s2 = np.zeros(J)
    start = 0
    for chunk in design.chunks:
        n_c = chunk.shape[0]
        sc = s[start : start + n_c]
        start += n_c
        if design.kind == "complete":
            sx += chunk.T @ sc
            s1 += sc.sum()
            s2 += (sc**2).sum()
        else:
            cor = chunk.T @ sc
            sx += cor[:J]
            s1 += cor[:J] + cor[J:]
            sq = chunk.T @ sc**2
            s2 += sq[:J] + sq[J:]
    return np.stack([sx, s1, s2])


def _item_score_correlation(sums: np.ndarray, design: ResponseDesign) -> np.ndarray:
    """Point-biserial correlation of each item with the person proportion score."""
    sx, s1, s2 = sums
    n = np.maximum(design.n_administered, 1)
    p = design.n_correct / n
    mean_s = s1 / n
    var_s = np.maximum(s2 / n - mean_s**2, 1e-12)
    cov = sx / n - p * mean_s
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = cov / np.sqrt(var_s * np.maximum(p * (1 - p), 1e-12))
    return np.nan_to_num(rho, nan=0.3)
