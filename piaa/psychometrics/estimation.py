"""Ability (θ) estimation from scored responses under calibrated item parameters.

This is what turns an attempt's answers into a score on the competency's θ
scale: after a fixed form, during a CAT (after every answer) and in batch
rescoring. Three estimators are offered, all vectorized over persons:

* ``"eap"``: expected a posteriori, the posterior mean over a rectangular
  quadrature grid (mirt's default: 61 nodes on [-6, 6], normal prior), with
  the posterior standard deviation as its standard error.
* ``"map"``: maximum a posteriori, Fisher-scoring steps for all persons at
  once from the EAP, SE from the posterior information I(θ) + 1/σ².
* ``"mle"``: maximum likelihood, the same steps without the prior and SE
  1/sqrt(I(θ)). A pattern with every administered answer in the lowest (or
  highest) category has no finite maximum; its estimate is *bounded* at
  ``theta_bounds[0]`` (or ``[1]``), flagged in ``extreme`` and ``at_bound``, and
  its SE is evaluated at the bound (large, so it reads as imprecise). mirt
  returns -Inf / Inf there; a bounded number keeps results storable.

Responses are ``(n_persons, n_items)`` floats, NaN = not administered (CAT and
LOFT patterns are sparse by design). Dichotomous items use ``(J, 4)`` rows
a, b, c, d; graded-response ("grm") and generalized-partial-credit ("gpcm")
items use ``(J, 1 + max_K - 1)`` rows a, b1..b_{K-1}, NaN-padded.

Also here: the EAP-for-sum-scores table (Lord & Wingersky, 1984; Thissen et
al., 1995), marginal reliability from the prior (mirt's ``marginal_rxx``) and
empirical reliability from a set of estimates (mirt's ``empirical_rxx``).

References
----------
Bock, R. D., & Mislevy, R. J. (1982). Adaptive EAP estimation of ability in a
microcomputer environment. Applied Psychological Measurement, 6, 431-444.
Lord, F. M., & Wingersky, M. S. (1984). Comparison of IRT true-score and
equipercentile observed-score "equatings". APM, 8, 453-461.
Thissen, D., Pommerich, M., Billeaud, K., & Williams, V. S. L. (1995). Item
response theory for scores on tests including polytomous items with ordered
responses. APM, 19, 39-49.
Chalmers, R. P. (2012). mirt: A multidimensional item response theory package
for the R environment. Journal of Statistical Software, 48(6).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ._blas import one_blas_thread
from ._checks import (
    check_at_least,
    check_choice,
    check_finite,
    check_interval,
    check_positive,
)
from ._item_models import DICHOTOMOUS_MODELS, POLYTOMOUS_MODELS, check_model
from ._sumscore import lord_wingersky
from .irt import log_prob_pair, validate_params
from .quadrature import normal_quadrature

__all__ = [
    "AbilityEstimates",
    "SumScoreTable",
    "estimate_ability",
    "eap_sum_score_table",
    "marginal_reliability",
    "empirical_reliability",
    "total_information",
    "DICHOTOMOUS_MODELS",
    "POLYTOMOUS_MODELS",
    "METHODS",
]

METHODS = ("eap", "map", "mle")

# Newton steps longer than this are cut back: far from the mode the quadratic
# model of the log-likelihood is poor (e.g. a 3PL item near its asymptote).
_MAX_STEP = 1.0
# Probabilities are floored here before division or log; far below anything a
# calibrated item produces inside theta_bounds.
_TINY = 1e-300


@dataclass(frozen=True)
class AbilityEstimates:
    """Ability estimates for a set of persons (all arrays have shape ``(n,)``).

    Attributes
    ----------
    theta : estimate per person (NaN only for MLE of a person with no
        administered item).
    se : standard error (EAP: posterior SD; MAP: 1/sqrt(I + 1/σ²);
        MLE: 1/sqrt(I)).
    method : "eap", "map" or "mle".
    model : the item model the responses were scored under.
    n_administered : number of non-NaN responses per person.
    extreme : -1 if every administered answer is in the item's lowest
        category, +1 if every one is in the highest, else 0 (0 also when
        nothing was administered).
    at_bound : True where the estimate sits on ``theta_bounds`` (MLE of an
        extreme pattern, or a likelihood that rises towards the edge).
    converged : False where the MAP/MLE iterations stopped at ``max_iter``
        (always True for EAP, which is not iterative).
    n_iter : iterations run (0 for EAP).
    """

    theta: np.ndarray
    se: np.ndarray
    method: str
    model: str
    n_administered: np.ndarray
    extreme: np.ndarray
    at_bound: np.ndarray
    converged: np.ndarray
    n_iter: int = 0

    def __len__(self) -> int:
        return int(self.theta.shape[0])


@dataclass(frozen=True)
class SumScoreTable:
    """EAP ability for each possible sum score (fixed forms scored by total).

    Attributes
    ----------
    sum_score : (S + 1,) 0 .. maximum possible score.
    theta : (S + 1,) posterior mean of θ given the sum score.
    se : (S + 1,) posterior SD of θ given the sum score.
    probability : (S + 1,) model-implied marginal probability of each score.
    observed, expected, std_residual : (S + 1,) present when observed counts
        were given: counts, n * probability and |observed - expected| /
        sqrt(expected) (mirt's EAPsum fit columns).
    reliability : var(θ̂) / (var(θ̂) + E[SE²]) over the model-implied score
        distribution: the reliability of the sum-score EAPs.
    observed_reliability : the same ratio over the persons counted in
        ``observed`` (var with n - 1), which is what mirt reports as the
        EAPsum ``rxx``.
    """

    sum_score: np.ndarray
    theta: np.ndarray
    se: np.ndarray
    probability: np.ndarray
    reliability: float
    observed: np.ndarray | None = None
    expected: np.ndarray | None = None
    std_residual: np.ndarray | None = None
    observed_reliability: float | None = None

    def lookup(self, sum_scores) -> tuple[np.ndarray, np.ndarray]:
        """θ and SE for an array of integer sum scores (any shape)."""
        s = np.asarray(sum_scores)
        if s.size and (not np.issubdtype(s.dtype, np.number) or np.any(s != np.round(s))
                       or s.min() < 0 or s.max() > self.sum_score[-1]):
            raise ValueError(
                f"sum scores must be integers in 0..{int(self.sum_score[-1])}; got {s!r}"
            )
        idx = s.astype(int)
        return self.theta[idx], self.se[idx]


def _rowdot(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(n,) m @ v for a tall (n, k) matrix.

    numpy's einsum loop instead of BLAS gemv: multithreaded gemv on a
    product this small is dominated by thread start-up and, on a busy
    machine, runs 10-100x slower than one core does it.
    """
    return np.einsum("ij,j->i", m, v)


# --------------------------------------------------------------------------
# Item models: the few pieces each estimator needs, per model family.
# --------------------------------------------------------------------------


def _reject_first(bad: np.ndarray, x: np.ndarray, rule) -> None:
    """Raise naming the first (person, item) cell flagged in ``bad`` and the ``rule(item)`` it breaks."""
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f"{rule(j)}; person row {i}, item column {j} has {x[i, j]!r}")


class _Dichotomous:
    """Right/wrong items under the 4PL family (rows a, b, c, d)."""

    def __init__(self, params):
        self.params = validate_params(params)
        self.n_items = self.params.shape[0]
        self.n_categories = np.full(self.n_items, 2)
        self.is_2pl = bool(np.all(self.params[:, 2] == 0) and np.all(self.params[:, 3] == 1))

    def check_responses(self, x: np.ndarray, filled: np.ndarray) -> None:
        bad = (filled != 0) & (filled != 1)      # NaN cells are 0 in filled
        _reject_first(bad, x, lambda j: "dichotomous responses must be 0, 1 or NaN")

    def highest_count(self, filled, administered, row_sum):
        """(n,) number of administered items answered in the top category."""
        return row_sum

    def loglik_at_nodes(self, resp: "_Responses", nodes: np.ndarray) -> np.ndarray:
        """(n, Q) log-likelihood of each pattern at each node (NaN skipped)."""
        log_p, log_q = log_prob_pair(nodes, self.params)      # (Q, J)
        ll = resp.filled @ (log_p - log_q).T
        if resp.complete:
            ll += log_q.sum(axis=1)
        else:
            ll += resp.seen @ log_q.T
        return ll

    def _tanh_half_logit(self, theta):
        """(n, J) tanh(a (θ - b) / 2), i.e. 2 F - 1 for the logistic F.

        Working with t = 2F - 1 lets the 2PL score and information be written
        as a few matrix-vector products, and np.tanh is ~3x faster than
        scipy.special.expit; its absolute accuracy (1e-16) is all scores need.
        """
        a, b = self.params[:, 0], self.params[:, 1]
        return np.tanh((theta[:, None] - b) * (0.5 * a))

    def _prob_and_slope(self, theta):
        """(n, J) P(θ) and dP/dθ."""
        a, _, c, d = self.params.T
        f = 0.5 + 0.5 * self._tanh_half_logit(theta)
        return c + (d - c) * f, a * (d - c) * f * (1.0 - f)

    def score_and_information(self, x_filled, seen, theta):
        """(n,) d logL / dθ and (n,) Fisher test information at θ.

        ``x_filled`` has 0 where ``seen`` (a 0/1 float mask) is 0.
        """
        if self.is_2pl:
            # Canonical link: score Σ a (x - F), information Σ a² F (1 - F),
            # with F = (1 + t) / 2 and F (1 - F) = (1 - t²) / 4.
            a = self.params[:, 0]
            t = self._tanh_half_logit(theta)
            st = seen * t
            score = _rowdot(x_filled - 0.5 * seen - 0.5 * st, a)
            info = 0.25 * _rowdot(seen - st * t, a * a)
            return score, info
        p, dp = self._prob_and_slope(theta)
        w = dp / np.maximum(p * (1.0 - p), _TINY)
        score = ((x_filled - seen * p) * w).sum(axis=1)
        info = (seen * dp * w).sum(axis=1)
        return score, info

    def information(self, theta, seen):
        """(n,) test information over each person's administered items."""
        seen = np.asarray(seen, dtype=float)
        if self.is_2pl:
            a2 = self.params[:, 0] ** 2
            t = self._tanh_half_logit(theta)
            return 0.25 * _rowdot(seen * (1.0 - t * t), a2)
        p, dp = self._prob_and_slope(theta)
        pq = np.maximum(p * (1.0 - p), _TINY)
        return (seen * (dp * dp / pq)).sum(axis=1)

    def category_probs(self, nodes):
        """(Q, J, 2) probabilities of scores 0 and 1 at the nodes."""
        log_p, log_q = log_prob_pair(nodes, self.params)
        return np.stack([np.exp(log_q), np.exp(log_p)], axis=2)


class _Polytomous:
    """Ordered-category items under the GRM or GPCM (rows a, b1..b_{K-1})."""

    def __init__(self, params, model):
        from . import polytomous  # the module that owns these response functions

        self.params = polytomous.validate_poly_params(params, model)
        self.model = model
        self.n_items = self.params.shape[0]
        self.n_categories = polytomous.n_categories(self.params)
        if model == "grm":
            self._prob = polytomous.prob_grm
            self._log_prob = polytomous.log_prob_grm
            self._info = polytomous.information_grm
        else:
            self._prob = polytomous.prob_gpcm
            self._log_prob = polytomous.log_prob_gpcm
            self._info = polytomous.information_gpcm

    def check_responses(self, x: np.ndarray, filled: np.ndarray) -> None:
        top = (self.n_categories - 1)[None, :]
        bad = (filled < 0) | (filled != np.round(filled)) | (filled > top)
        _reject_first(bad, x, lambda j: (
            f"{self.model} responses must be integers 0..{self.n_categories[j] - 1} or NaN"
        ))

    def highest_count(self, filled, administered, row_sum):
        return (administered & (filled == (self.n_categories - 1)[None, :])).sum(axis=1)

    def _one_hot(self, resp):
        k_max = int(self.n_categories.max())
        hot = (resp.filled.astype(int)[:, :, None] == np.arange(k_max)) & resp.administered[:, :, None]
        return hot.reshape(resp.filled.shape[0], -1).astype(float)

    def category_probs(self, nodes):
        return np.asarray(self._prob(np.asarray(nodes, dtype=float), self.params), dtype=float)

    def loglik_at_nodes(self, resp, nodes):
        log_p = np.asarray(self._log_prob(np.asarray(nodes, dtype=float), self.params))
        # Absent categories are -inf; nobody can respond in them, so any
        # finite stand-in keeps the product 0 * value well defined.
        log_p = np.maximum(log_p, np.log(_TINY)).reshape(log_p.shape[0], -1)   # (Q, J*K)
        return self._one_hot(resp) @ log_p.T

    def score_and_information(self, x_filled, seen, theta):
        probs = self.category_probs(theta)                    # (n, J, K)
        a = self.params[:, 0]
        x = x_filled
        seen = seen.astype(bool)
        k = np.arange(probs.shape[2])
        if self.model == "gpcm":
            # d log P(X=k)/dθ = a (k - E[X | θ]) for the partial-credit family.
            expected = (probs * k).sum(axis=2)
            resid = np.where(seen, x - expected, 0.0)
            score = (a * resid).sum(axis=1)
        else:
            # GRM: P_k = P*_k - P*_{k+1}, dP*_k/dθ = a P*_k (1 - P*_k).
            upper = np.flip(np.cumsum(np.flip(probs, axis=2), axis=2), axis=2)
            upper = np.concatenate([upper, np.zeros(probs.shape[:2] + (1,))], axis=2)
            upper = np.clip(upper, 0.0, 1.0)
            w = upper * (1.0 - upper)
            dprob = a[:, None] * (w[..., :-1] - w[..., 1:])
            cat = x.astype(int)[..., None]
            num = np.take_along_axis(dprob, cat, axis=2)[..., 0]
            den = np.maximum(np.take_along_axis(probs, cat, axis=2)[..., 0], _TINY)
            score = np.where(seen, num / den, 0.0).sum(axis=1)
        return score, self.information(theta, seen)

    def information(self, theta, seen):
        info = np.asarray(self._info(np.asarray(theta, dtype=float), self.params), dtype=float)
        return np.where(seen, info, 0.0).sum(axis=1)


def _item_model(params, model: str):
    model = check_model(model)
    if model in DICHOTOMOUS_MODELS:
        return _Dichotomous(params)
    return _Polytomous(params, model)


# --------------------------------------------------------------------------
# Validation shared by the public functions.
# --------------------------------------------------------------------------


def _check_prior(prior_mean, prior_sd):
    check_finite("prior_mean", prior_mean)
    check_positive("prior_sd", prior_sd)


def _check_bounds(theta_bounds):
    return check_interval("theta_bounds", theta_bounds)


class _Responses:
    """Validated responses in the forms the estimators use, each built once.

    ``filled`` is the caller's array itself when nothing is missing (it is
    never written to), else a copy with NaN replaced by 0.
    """

    def __init__(self, filled, administered, n_administered, extreme, complete):
        self.filled = filled                  # (n, J) scores, 0 where not administered
        self.administered = administered      # (n, J) bool
        self.n_administered = n_administered  # (n,)
        self.extreme = extreme                # (n,) -1 all lowest, +1 all highest, else 0
        self.complete = complete              # no NaN at all

    @functools.cached_property
    def seen(self) -> np.ndarray:
        """(n, J) 1.0 where administered, else 0.0 (for products)."""
        return self.administered.astype(float)


def _as_responses(responses, items) -> _Responses:
    x = np.asarray(responses, dtype=float)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError(f"responses must be 2-D (n_persons, n_items); got shape {x.shape}")
    if x.shape[1] != items.n_items:
        raise ValueError(
            f"responses have {x.shape[1]} item columns but params have {items.n_items} items"
        )
    administered = x == x                     # False exactly at NaN
    complete = bool(administered.all())
    filled = x if complete else np.where(administered, x, 0.0)
    items.check_responses(x, filled)
    if complete:
        n_adm = np.full(x.shape[0], x.shape[1])
    else:
        n_adm = administered.sum(axis=1)
    any_seen = n_adm > 0
    row_sum = filled.sum(axis=1)
    # Lowest category is 0 and scores are >= 0, so "all lowest" is a zero sum.
    lowest = (row_sum == 0) & any_seen
    highest = (items.highest_count(filled, administered, row_sum) == n_adm) & any_seen
    return _Responses(
        filled=filled, administered=administered, n_administered=n_adm,
        extreme=highest.astype(np.int8) - lowest.astype(np.int8), complete=complete,
    )


# --------------------------------------------------------------------------
# Estimators.
# --------------------------------------------------------------------------


def _grid_mode(log_f, nodes):
    """(n,) maximiser of each row of log_f (n, Q), refined by a parabola
    through the best node and its neighbours (a start for Fisher scoring
    that is usually within 0.01 of the mode)."""
    q = log_f.argmax(axis=1)
    inner = np.clip(q, 1, nodes.shape[0] - 2)
    rows = np.arange(log_f.shape[0])
    y0, y1, y2 = log_f[rows, inner - 1], log_f[rows, inner], log_f[rows, inner + 1]
    curv = y0 - 2.0 * y1 + y2
    with np.errstate(divide="ignore", invalid="ignore"):
        offset = np.where(curv < 0, 0.5 * (y0 - y2) / curv, 0.0)
    step = nodes[1] - nodes[0]
    start = nodes[inner] + np.clip(offset, -1.0, 1.0) * step
    return np.where(q == inner, start, nodes[q])


def _eap(items, resp, nodes, weights, mode=None):
    """(n,) posterior mean and SD on the quadrature grid.

    With ``mode`` "map" or "mle" also returns a grid estimate of the
    posterior or likelihood mode, from the same log-likelihood evaluation.
    """
    post = items.loglik_at_nodes(resp, nodes)
    start = None
    if mode == "mle":
        start = _grid_mode(post, nodes)
    elif mode == "map":
        start = _grid_mode(post + np.log(np.maximum(weights, _TINY)), nodes)
    post -= post.max(axis=1, keepdims=True)    # avoid underflow of long patterns
    np.exp(post, out=post)
    post *= weights
    total = post.sum(axis=1)
    theta = _rowdot(post, nodes) / total
    var = _rowdot(post, nodes * nodes) / total - theta * theta
    return theta, np.sqrt(np.maximum(var, 0.0)), start


def _newton(items, resp, theta, bounds, prior, max_iter, tol, rows=None):
    """Fisher scoring on the log-likelihood (or log-posterior) of every person.

    All persons (or only ``rows``) step together. A person stops once its step
    is below ``tol``; the step is still applied, so with Newton's quadratic
    convergence the remaining error is far below ``tol``. Converged rows are
    dropped from the working arrays once they are half of them, so copying
    costs no more than the iterations it saves. For the 2PL, GRM and GPCM the
    log-likelihood is concave and Fisher scoring reaches the unique mode; for
    the 3PL/4PL it finds the mode nearest the starting grid mode.
    """
    lo, hi = bounds
    theta = np.clip(theta.astype(float), lo, hi)
    converged = np.zeros(theta.shape[0], dtype=bool)
    if rows is None:
        work, x_w, seen_w = np.arange(theta.shape[0]), resp.filled, resp.seen
    else:
        work = np.asarray(rows)
        x_w, seen_w = resp.filled[work], resp.seen[work]
    moving = np.ones(work.shape[0], dtype=bool)     # over the working rows
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        th = theta[work]
        score, info = items.score_and_information(x_w, seen_w, th)
        if prior is not None:
            mean, sd = prior
            score = score - (th - mean) / sd**2
            info = info + 1.0 / sd**2
        step = np.clip(score / np.maximum(info, _TINY), -_MAX_STEP, _MAX_STEP)
        new = np.clip(th + step, lo, hi)
        settled = moving & (np.abs(new - th) < tol)
        theta[work[moving]] = new[moving]
        converged[work[settled]] = True
        moving &= ~settled
        if not moving.any():
            break
        if moving.sum() * 2 < moving.shape[0]:
            work, x_w, seen_w = work[moving], x_w[moving], seen_w[moving]
            moving = np.ones(work.shape[0], dtype=bool)
    return theta, converged, n_iter


def estimate_ability(
    responses,
    params,
    model: str = "2pl",
    method: str = "eap",
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    n_quadrature: int = 61,
    theta_bounds: tuple[float, float] = (-6.0, 6.0),
    max_iter: int = 100,
    tol: float = 1e-6,
) -> AbilityEstimates:
    """Estimate θ for every person from their (possibly sparse) responses.

    Parameters
    ----------
    responses : (n, J) scores, NaN where an item was not administered.
        A 1-D array is read as one person.
    params : (J, 4) a, b, c, d for dichotomous models, or (J, 1 + K - 1)
        a, b1.. for "grm" / "gpcm".
    model : "rasch", "1pl", "2pl", "3pl", "4pl" (all read the 4-column rows),
        "grm" or "gpcm".
    method : "eap", "map" or "mle".
    prior_mean, prior_sd : normal prior for EAP and MAP (ignored by MLE).
    n_quadrature, theta_bounds : the EAP grid (equally spaced, bounds
        included, as mirt's); also the range MAP/MLE estimates are kept in.
    max_iter, tol : Fisher-scoring limits for MAP/MLE (a person stops when
        its θ step is below tol; that last step is applied, so the error left
        is of order tol² for the 2PL / GRM / GPCM).

    Returns
    -------
    AbilityEstimates with (n,) arrays theta, se, n_administered, extreme,
    at_bound, converged.
    """
    method = check_choice("method", str(method).lower(), METHODS)
    _check_prior(prior_mean, prior_sd)
    lo, hi = _check_bounds(theta_bounds)
    check_at_least("max_iter", max_iter, 1)
    check_positive("tol", tol)
    with one_blas_thread():
        return _estimate(responses, params, str(model).lower(), method, prior_mean, prior_sd,
                         n_quadrature, lo, hi, int(max_iter), tol)


def _estimate(responses, params, model, method, prior_mean, prior_sd, n_quadrature,
              lo, hi, max_iter, tol) -> AbilityEstimates:
    items = _item_model(params, model)
    resp = _as_responses(responses, items)
    n_adm, extreme = resp.n_administered, resp.extreme
    nodes, weights = normal_quadrature(n_quadrature, (lo, hi), prior_mean, prior_sd)

    theta, se, start = _eap(items, resp, nodes, weights, mode=method)
    converged = np.ones(n_adm.shape[0], dtype=bool)
    n_iter = 0
    if method == "map":
        theta, converged, n_iter = _newton(
            items, resp, start, (lo, hi), (prior_mean, prior_sd), max_iter, tol
        )
        se = 1.0 / np.sqrt(items.information(theta, resp.seen) + 1.0 / prior_sd**2)
    elif method == "mle":
        mixed = (extreme == 0) & (n_adm > 0)
        theta = np.where(extreme < 0, lo, np.where(extreme > 0, hi, start))
        if mixed.any():
            rows = None if mixed.all() else np.flatnonzero(mixed)
            theta, conv, n_iter = _newton(
                items, resp, theta, (lo, hi), None, max_iter, tol, rows=rows
            )
            rows = mixed
            converged[rows] = conv[rows]
        theta[n_adm == 0] = np.nan
        with np.errstate(divide="ignore"):
            se = 1.0 / np.sqrt(items.information(np.nan_to_num(theta), resp.seen))
        se[n_adm == 0] = np.nan
    at_bound = np.isfinite(theta) & ((theta <= lo) | (theta >= hi)) & (method != "eap")
    return AbilityEstimates(
        theta=theta,
        se=se,
        method=method,
        model=model,
        n_administered=n_adm,
        extreme=extreme,
        at_bound=at_bound,
        converged=converged,
        n_iter=n_iter,
    )


def total_information(theta, params, model: str = "2pl", administered=None) -> np.ndarray:
    """Test information at θ over the items each person took.

    Parameters
    ----------
    theta : (n,) abilities.
    params : (J, 4) dichotomous or (J, 1 + K - 1) polytomous item parameters.
    administered : (n, J) boolean mask, default every item.

    Returns
    -------
    (n,) sum of item information over administered items.
    """
    items = _item_model(params, model)
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    if administered is None:
        administered = np.ones((theta.shape[0], items.n_items), dtype=bool)
    administered = np.asarray(administered, dtype=bool)
    if administered.shape != (theta.shape[0], items.n_items):
        raise ValueError(
            f"administered must have shape {(theta.shape[0], items.n_items)}, "
            f"got {administered.shape}"
        )
    return items.information(theta, administered)


# --------------------------------------------------------------------------
# Sum scores and reliability.
# --------------------------------------------------------------------------


def _prior_grid(params, model, prior_mean, prior_sd, n_quadrature, theta_bounds):
    """Checked item model plus the (Q,) nodes and prior weights of the latent grid."""
    _check_prior(prior_mean, prior_sd)
    lo, hi = _check_bounds(theta_bounds)
    items = _item_model(params, model)
    nodes, weights = normal_quadrature(n_quadrature, (lo, hi), prior_mean, prior_sd)
    return items, nodes, weights


def eap_sum_score_table(
    params,
    model: str = "2pl",
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    n_quadrature: int = 61,
    theta_bounds: tuple[float, float] = (-6.0, 6.0),
    observed=None,
) -> SumScoreTable:
    """EAP θ and posterior SD for each sum score of a fixed form.

    The likelihood of each sum score at each quadrature node comes from the
    Lord–Wingersky recursion, so no response pattern is enumerated. This is
    mirt's ``fscores(method = "EAPsum", full.scores = FALSE)``.

    Parameters
    ----------
    params : (J, 4) a, b, c, d for dichotomous models, or (J, 1 + K - 1)
        a, b1.. for "grm" / "gpcm": the form's items.
    model : item model, as for :func:`estimate_ability`.
    prior_mean, prior_sd, n_quadrature, theta_bounds : the latent grid.
    observed : optional (S + 1,) counts of persons per sum score, or an
        (n, J) complete response matrix to count; adds the observed,
        expected and standardized-residual columns.

    Returns
    -------
    SumScoreTable.
    """
    items, nodes, weights = _prior_grid(params, model, prior_mean, prior_sd, n_quadrature,
                                        theta_bounds)
    like = lord_wingersky(items.category_probs(nodes), items.n_categories - 1)  # (Q, S+1)
    joint = like * weights[:, None]
    prob = joint.sum(axis=0)
    post = joint / np.maximum(prob, _TINY)
    theta = nodes @ post
    se = np.sqrt(np.maximum((nodes**2) @ post - theta**2, 0.0))
    scores = np.arange(prob.shape[0])
    mean = prob @ theta
    var_theta = prob @ (theta - mean) ** 2
    reliability = float(var_theta / (var_theta + prob @ se**2))
    obs = exp = resid = obs_rel = None
    if observed is not None:
        obs = _sum_score_counts(observed, items, prob.shape[0])
        exp = obs.sum() * prob
        with np.errstate(divide="ignore", invalid="ignore"):
            resid = np.abs(obs - exp) / np.sqrt(exp)
        obs_rel = _weighted_reliability(theta, se, obs)
    return SumScoreTable(
        sum_score=scores, theta=theta, se=se, probability=prob, reliability=reliability,
        observed=obs, expected=exp, std_residual=resid, observed_reliability=obs_rel,
    )


def _weighted_reliability(theta, se, counts) -> float | None:
    """var / (var + mean SE²) over persons given as counts per distinct θ."""
    n = counts.sum()
    if n < 2:
        return None
    mean = counts @ theta / n
    var = counts @ (theta - mean) ** 2 / (n - 1)
    return float(var / (var + counts @ se**2 / n))


def _sum_score_counts(observed, items, n_scores) -> np.ndarray:
    obs = np.asarray(observed, dtype=float)
    if obs.ndim == 2:
        resp = _as_responses(obs, items)
        if not resp.complete:
            i, j = np.argwhere(~resp.administered)[0]
            raise ValueError(
                f"sum-score counts need complete responses; person row {i}, item column {j} is NaN"
            )
        return np.bincount(resp.filled.sum(axis=1).astype(int), minlength=n_scores).astype(float)
    if obs.shape != (n_scores,):
        raise ValueError(f"observed counts must have shape ({n_scores},), got {obs.shape}")
    return obs


def marginal_reliability(
    params,
    model: str = "2pl",
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    n_quadrature: int = 61,
    theta_bounds: tuple[float, float] = (-6.0, 6.0),
) -> float:
    """Marginal reliability of the whole item set, integrated over the prior.

    ∫ I(θ) σ² / (I(θ) σ² + 1) g(θ) dθ with I the test information and g the
    N(prior_mean, prior_sd²) density: mirt's ``marginal_rxx`` (which assumes
    σ = 1), integrated on the quadrature grid instead of adaptively.

    Parameters
    ----------
    params : (J, 4) dichotomous or (J, 1 + K - 1) polytomous item parameters.
    model : item model, as for :func:`estimate_ability`.
    prior_mean, prior_sd, n_quadrature, theta_bounds : the latent grid.

    Returns
    -------
    float in [0, 1).
    """
    items, nodes, weights = _prior_grid(params, model, prior_mean, prior_sd, n_quadrature,
                                        theta_bounds)
    info = items.information(nodes, np.ones((nodes.shape[0], items.n_items), dtype=bool))
    scaled = info * prior_sd**2
    return float(weights @ (scaled / (scaled + 1.0)))


def empirical_reliability(estimates: AbilityEstimates) -> float:
    """Empirical reliability var(θ̂) / (var(θ̂) + mean(SE²)) (mirt's ``empirical_rxx``).

    Persons without a usable estimate are left out: nothing administered, a
    non-finite θ or SE, or (for MAP/MLE) an estimate on ``theta_bounds``,
    which mirt reports as ±Inf and drops the same way. ``var`` uses n - 1.
    """
    keep = (
        np.isfinite(estimates.theta) & np.isfinite(estimates.se)
        & (estimates.n_administered > 0) & ~estimates.at_bound
    )
    if keep.sum() < 2:
        raise ValueError(
            f"empirical reliability needs at least two usable estimates, got {int(keep.sum())}"
        )
    var = float(np.var(estimates.theta[keep], ddof=1))
    return var / (var + float(np.mean(estimates.se[keep] ** 2)))
