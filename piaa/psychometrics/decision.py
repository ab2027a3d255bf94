"""Decision confidence: how sure a reported proficiency level is.

A result is a proficiency level, and a level read off an estimate can be wrong. This module
gives, for each candidate, the probability that the true level is each level, hence the
probability that the reported level is right and that the true level is at or above a
certifying level; and, for a group, the expected accuracy and consistency of the levels.

IRT scores
    The probability of each level is the mass of the candidate's posterior of θ between
    the cuts (:func:`ability_posterior`, :func:`posterior_level_confidence`). When only θ̂
    and its standard error are known, the posterior is taken as N(θ̂, SE²)
    (:func:`normal_level_confidence`; Rudner, 2001).

Classical (number-correct) scores
    The true proportion-correct τ is given a beta distribution whose mean and variance come
    from a pilot's score mean, variance and reliability, and the observed score given τ is
    binomial over the *effective test length* of Livingston & Lewis (1995). The candidate's
    posterior of τ is then again beta (:func:`classical_level_confidence`); its mean is
    Kelley's regressed true score. For a group: the Livingston–Lewis expected accuracy and
    consistency (:func:`livingston_lewis`) and Subkoviak's (1976) single-administration
    agreement coefficient (:func:`subkoviak_agreement`).

Levels are numbered 0..L for L cuts: 0 is below the first cut; a score equal to a cut is in
the level above it.

References
----------
Livingston, S. A., & Lewis, C. (1995). Estimating the consistency and accuracy of
classifications based on test scores. Journal of Educational Measurement, 32(2), 179–197.
Lord, F. M., & Novick, M. R. (1968). Statistical theories of mental test scores, ch. 23
(the beta-binomial model). Addison-Wesley.
Rudner, L. M. (2001). Computing the expected proportions of misclassified examinees.
Practical Assessment, Research & Evaluation, 7(14).
Subkoviak, M. J. (1976). Estimating reliability from a single administration of a
criterion-referenced test. Journal of Educational Measurement, 13(4), 265–276.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import check_at_least, check_finite, check_interval, check_positive
from .quadrature import normal_quadrature

__all__ = [
    "AbilityPosterior",
    "LevelConfidence",
    "ClassicalDecisionQuality",
    "ability_posterior",
    "posterior_level_confidence",
    "normal_level_confidence",
    "effective_test_length",
    "beta_true_score",
    "classical_level_confidence",
    "livingston_lewis",
    "subkoviak_agreement",
]


def _check_cuts(cuts, low: float = -np.inf, high: float = np.inf) -> np.ndarray:
    c = np.atleast_1d(np.asarray(cuts, dtype=float))
    if c.ndim != 1 or c.size == 0 or not np.isfinite(c).all() or np.any(np.diff(c) <= 0):
        raise ValueError(f"cuts must be finite and strictly increasing; got {np.asarray(cuts).tolist()}")
    if c[0] < low or c[-1] > high:
        raise ValueError(f"cuts must lie between {low:g} and {high:g}; got {c.tolist()}")
    return c


def _level_of(values: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Level 0..L of each value; a value equal to a cut is in the level above it."""
    return np.searchsorted(cuts, values, side="right")


@dataclass(frozen=True)
class LevelConfidence:
    """Level probabilities of each candidate and the level reported.

    Attributes
    ----------
    probabilities : (n, L + 1) probability that the true level is 0..L.
    level : (n,) reported level 0..L (0 = below the first cut).
    """

    probabilities: np.ndarray
    level: np.ndarray

    @property
    def confidence(self) -> np.ndarray:
        """(n,) probability that the reported level is the true level."""
        return self.probabilities[np.arange(self.level.size), self.level]

    def at_or_above(self, level: int) -> np.ndarray:
        """(n,) probability that the true level is ``level`` (0..L) or higher."""
        n_levels = self.probabilities.shape[1]
        if not 0 <= int(level) < n_levels:
            raise ValueError(f"level must be between 0 and {n_levels - 1}, got {level}")
        return self.probabilities[:, int(level):].sum(axis=1)


# --------------------------------------------------------------------------
# IRT: the posterior of θ.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class AbilityPosterior:
    """Posteriors of θ on a grid.

    Attributes
    ----------
    nodes : (Q,) equally spaced θ nodes.
    weights : (n, Q) posterior mass at each node (rows sum to one).
    theta, se : (n,) posterior mean (EAP) and standard deviation.
    """

    nodes: np.ndarray
    weights: np.ndarray
    theta: np.ndarray
    se: np.ndarray


def ability_posterior(responses, params, model: str = "2pl", prior_mean: float = 0.0,
                      prior_sd: float = 1.0, n_quadrature: int = 121,
                      theta_bounds: tuple[float, float] = (-6.0, 6.0)) -> AbilityPosterior:
    """Each person's posterior of θ on an equally spaced grid with a normal prior.

    Parameters
    ----------
    responses : (n, J) scores, NaN where not administered (1-D: one person).
    params : (J, 4) dichotomous or (J, 1 + K - 1) polytomous item parameters.
    model : item model, as for :func:`piaa.psychometrics.estimate_ability`.
    prior_mean, prior_sd : the normal prior.
    n_quadrature, theta_bounds : the grid (bounds included). 61 nodes on ±6 is mirt's
        grid; the default 121 halves the node spacing, which the level masses need more
        than the posterior mean does.

    Returns
    -------
    AbilityPosterior
    """
    from .estimation import _as_responses, _item_model  # one likelihood for scoring and here

    check_finite("prior_mean", prior_mean)
    check_positive("prior_sd", prior_sd)
    check_at_least("n_quadrature", n_quadrature, 3)
    lo, hi = check_interval("theta_bounds", theta_bounds)
    items = _item_model(params, model)
    resp = _as_responses(responses, items)
    nodes, prior = normal_quadrature(n_quadrature, (lo, hi), prior_mean, prior_sd)
    log_post = items.loglik_at_nodes(resp, nodes) + np.log(prior)[None, :]
    log_post -= log_post.max(axis=1, keepdims=True)
    post = np.exp(log_post)
    post /= post.sum(axis=1, keepdims=True)
    theta = post @ nodes
    var = post @ (nodes * nodes) - theta * theta
    return AbilityPosterior(nodes, post, theta, np.sqrt(np.maximum(var, 0.0)))


def _mass_below(nodes: np.ndarray, weights: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """(n, L) posterior mass below each cut.

    Each node stands for the cell from halfway to its left neighbour to halfway to its right
    one, with its mass spread evenly over the cell; a cut inside a cell takes the share of
    the cell below it. Counting whole nodes instead would move a level's probability by up
    to one node's mass (several per cent on a 0.2-wide grid).
    """
    mid = 0.5 * (nodes[1:] + nodes[:-1])
    lower = np.concatenate([[nodes[0] - (mid[0] - nodes[0])], mid])
    upper = np.concatenate([mid, [nodes[-1] + (nodes[-1] - mid[-1])]])
    share = np.clip((cuts[:, None] - lower[None, :]) / (upper - lower)[None, :], 0.0, 1.0)  # (L, Q)
    return weights @ share.T


def _levels_from_below(below: np.ndarray) -> np.ndarray:
    n = below.shape[0]
    edges = np.column_stack([np.zeros(n), np.clip(below, 0.0, 1.0), np.ones(n)])
    # Monotone by construction; the maximum guards against rounding between cuts.
    edges = np.maximum.accumulate(edges, axis=1)
    return np.diff(edges, axis=1)


def posterior_level_confidence(posterior: AbilityPosterior, cuts, reported=None) -> LevelConfidence:
    """Level probabilities from θ posteriors.

    Parameters
    ----------
    posterior : from :func:`ability_posterior`.
    cuts : (L,) strictly increasing θ cut scores.
    reported : (n,) θ the reported level is read from; default the posterior mean.

    Returns
    -------
    LevelConfidence
    """
    c = _check_cuts(cuts)
    nodes = np.asarray(posterior.nodes, dtype=float)
    weights = np.atleast_2d(np.asarray(posterior.weights, dtype=float))
    if weights.shape[1] != nodes.size:
        raise ValueError(f"posterior weights have {weights.shape[1]} columns for {nodes.size} nodes")
    theta = np.asarray(posterior.theta if reported is None else reported, dtype=float).reshape(-1)
    if theta.size != weights.shape[0]:
        raise ValueError(f"{theta.size} reported values for {weights.shape[0]} posteriors")
    probs = _levels_from_below(_mass_below(nodes, weights, c))
    return LevelConfidence(probs, _level_of(theta, c))


def normal_level_probabilities(theta: np.ndarray, se: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """(n, L + 1) level probabilities with the true θ taken as N(θ̂, SE²) (Rudner, 2001)."""
    from scipy.special import ndtr

    return _levels_from_below(ndtr((cuts[None, :] - theta[:, None]) / se[:, None]))


def normal_level_confidence(theta, se, cuts) -> LevelConfidence:
    """Level probabilities from θ̂ and its standard error alone (normal approximation).

    Prefer :func:`posterior_level_confidence` where the responses are at hand: the normal
    approximation ignores the skew of a posterior near the ends of the scale.

    Parameters
    ----------
    theta, se : (n,) estimates and standard errors (finite, se > 0).
    cuts : (L,) strictly increasing cut scores.
    """
    t = np.atleast_1d(np.asarray(theta, dtype=float))
    s = np.atleast_1d(np.asarray(se, dtype=float))
    if t.ndim != 1 or s.shape != t.shape:
        raise ValueError(f"theta and se must be 1-D of one length; got {t.shape} and {s.shape}")
    bad = ~np.isfinite(t) | ~np.isfinite(s) | (s <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"person {i} has theta={t[i]:g}, se={s[i]:g}; need finite theta and se > 0")
    c = _check_cuts(cuts)
    return LevelConfidence(normal_level_probabilities(t, s, c), _level_of(t, c))


# --------------------------------------------------------------------------
# Classical scores: the beta-binomial model with an effective test length.
# --------------------------------------------------------------------------


def effective_test_length(mean: float, variance: float, reliability: float,
                          minimum: float = 0.0, maximum: float = 1.0) -> float:
    """Livingston & Lewis's (1995) effective test length.

    n' = ((μ - min)(max - μ) - r σ²) / (σ² (1 - r)): the number of binomial trials whose
    error variance gives the observed reliability. For a test of n 0/1 items whose
    reliability is KR-21, n' = n exactly.

    Parameters
    ----------
    mean, variance : observed score mean and variance (on the min..max scale).
    reliability : 0 < r < 1 (KR-20 / alpha from a pilot).
    minimum, maximum : the score scale.

    Returns
    -------
    n' (not rounded).
    """
    lo, hi = check_interval("score range", (minimum, maximum))
    check_positive("variance", variance)
    if not 0.0 < reliability < 1.0:
        raise ValueError(f"reliability must be between 0 and 1, got {reliability!r}")
    if not lo < mean < hi:
        raise ValueError(f"mean must lie inside the score range {lo:g}..{hi:g}, got {mean!r}")
    length = ((mean - lo) * (hi - mean) - reliability * variance) / (variance * (1.0 - reliability))
    if length <= 0:
        raise ValueError(f"a variance of {variance:g} is too large for a mean of {mean:g} on "
                         f"{lo:g}..{hi:g} with reliability {reliability:g}")
    return float(length)


def beta_true_score(mean: float, variance: float, reliability: float, minimum: float = 0.0,
                    maximum: float = 1.0) -> tuple[float, float]:
    """Shape parameters (α, β) of the beta distribution of the true proportion.

    Its mean is (μ - min)/(max - min) and its variance the true-score variance r σ²,
    rescaled to 0..1 (the two-parameter true-score model of Lord & Novick, 1968, ch. 23).
    """
    lo, hi = check_interval("score range", (minimum, maximum))
    m = (mean - lo) / (hi - lo)
    v = reliability * variance / (hi - lo) ** 2
    effective_test_length(mean, variance, reliability, lo, hi)  # validates the moments
    spread = m * (1.0 - m) / v - 1.0
    if spread <= 0:
        raise ValueError(f"a true-score variance of {v:g} is too large for a beta with mean {m:g}")
    return float(m * spread), float((1.0 - m) * spread)


@dataclass(frozen=True)
class _Pilot:
    alpha: float
    beta: float
    length: int


def _pilot(mean: float, sd: float, reliability: float, max_score: float) -> _Pilot:
    variance = float(sd) ** 2
    length = max(1, int(round(effective_test_length(mean, variance, reliability, 0.0, max_score))))
    a, b = beta_true_score(mean, variance, reliability, 0.0, max_score)
    return _Pilot(a, b, length)


def classical_level_confidence(scores, max_score: float, percent_cuts, *, mean: float, sd: float,
                               reliability: float) -> LevelConfidence:
    """Level probabilities of number-correct scores read against per-cent cut scores.

    The pilot's mean, standard deviation and reliability give the beta distribution of the
    true proportion τ and the effective test length n' (Livingston & Lewis, 1995). A
    candidate with observed proportion p has x' = p n' successes in n' trials, and the
    posterior of τ is Beta(α + x', β + n' - x'); its mean is Kelley's regressed true score.
    The true level is the level of 100 τ against the cuts.

    Parameters
    ----------
    scores : (n,) raw scores 0..max_score.
    max_score : the form's maximum score.
    percent_cuts : (L,) strictly increasing cuts in per cent of the maximum, in (0, 100].
    mean, sd, reliability : the pilot's raw-score mean and standard deviation and the form's
        reliability (KR-20 / alpha).

    Returns
    -------
    LevelConfidence
    """
    from scipy.special import betainc

    check_positive("max_score", max_score)
    x = np.atleast_1d(np.asarray(scores, dtype=float))
    bad = ~np.isfinite(x) | (x < 0) | (x > max_score)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"score {i} is {x[i]:g}; scores run from 0 to {max_score:g}")
    c = _check_cuts(percent_cuts, 0.0, 100.0)
    pilot = _pilot(mean, sd, reliability, max_score)
    successes = x / max_score * pilot.length
    a = pilot.alpha + successes
    b = pilot.beta + pilot.length - successes
    below = betainc(a[:, None], b[:, None], c[None, :] / 100.0)
    return LevelConfidence(_levels_from_below(below), _level_of(100.0 * x / max_score, c))


@dataclass(frozen=True)
class ClassicalDecisionQuality:
    """Expected quality of levels read off number-correct scores.

    Attributes
    ----------
    accuracy : expected share whose observed level is their true level.
    consistency : expected share given the same level by two parallel forms.
    kappa : Cohen's kappa of that agreement.
    accuracy_by_cut, consistency_by_cut : (L,) the same for the decision at each cut.
    effective_length : n' used (rounded).
    alpha, beta : the true-score beta distribution.
    """

    accuracy: float
    consistency: float
    kappa: float
    accuracy_by_cut: np.ndarray
    consistency_by_cut: np.ndarray
    effective_length: int
    alpha: float
    beta: float


def livingston_lewis(mean: float, sd: float, reliability: float, max_score: float, percent_cuts,
                     n_grid: int = 2000) -> ClassicalDecisionQuality:
    """Livingston & Lewis's (1995) decision accuracy and consistency from a score distribution.

    True proportions follow the beta of :func:`beta_true_score`; observed scores given τ
    follow the binomial over the effective test length n'. Integrals over τ use ``n_grid``
    equal cells, each weighted by its exact beta mass and evaluated at its midpoint.

    Parameters
    ----------
    mean, sd : observed raw-score mean and standard deviation (0..max_score).
    reliability : the form's reliability (KR-20 / alpha).
    max_score : the form's maximum score.
    percent_cuts : (L,) strictly increasing cuts in per cent of the maximum.
    n_grid : cells of the τ grid.

    Returns
    -------
    ClassicalDecisionQuality
    """
    from scipy.special import betainc
    from scipy.stats import binom

    check_positive("max_score", max_score)
    c = _check_cuts(percent_cuts, 0.0, 100.0) / 100.0
    pilot = _pilot(mean, sd, reliability, max_score)
    n = pilot.length
    edges = np.linspace(0.0, 1.0, check_at_least("n_grid", n_grid, 10) + 1)
    mass = np.diff(betainc(pilot.alpha, pilot.beta, edges))  # (G,)
    tau = 0.5 * (edges[1:] + edges[:-1])
    true_level = _level_of(tau, c)  # (G,)
    # First observed score of each level: the smallest x with x/n >= cut (rounding-safe).
    first = np.ceil(c * n - 1e-9).astype(int)
    at_least = binom.sf(first[None, :] - 1, n, tau[:, None])  # (G, L) P(X >= first_k | τ)
    below = 1.0 - at_least
    observed = _levels_from_below(below)  # (G, L + 1)
    hit = observed[np.arange(tau.size), true_level]
    accuracy = float(mass @ hit)
    consistency = float(mass @ (observed**2).sum(axis=1))
    marginal = mass @ observed
    chance = float((marginal**2).sum())
    kappa = (consistency - chance) / (1.0 - chance) if chance < 1 else float("nan")
    truly_above = (tau[:, None] >= c[None, :])  # (G, L)
    accuracy_by_cut = mass @ np.where(truly_above, at_least, below)
    consistency_by_cut = mass @ (at_least**2 + below**2)
    return ClassicalDecisionQuality(accuracy, consistency, float(kappa), accuracy_by_cut,
                                    consistency_by_cut, n, pilot.alpha, pilot.beta)


def subkoviak_agreement(scores, n_items: int, percent_cuts, reliability: float) -> tuple[float, float]:
    """Subkoviak's (1976) single-administration agreement coefficient and kappa.

    Each candidate's true proportion is estimated by Kelley's regressed score
    τ̂ = r x/n + (1 - r) x̄/n; the chance of each level on a parallel form is binomial(n, τ̂);
    the agreement coefficient is the mean over candidates of Σ_k P_k², and kappa corrects
    it for the agreement expected from the mean level shares. Several cuts generalise
    Subkoviak's pass/fail case level by level.

    Parameters
    ----------
    scores : (n,) number-correct scores on a form of ``n_items`` 0/1 items.
    n_items : items on the form.
    percent_cuts : (L,) strictly increasing cuts in per cent of n_items.
    reliability : the form's reliability (Subkoviak used KR-21; KR-20 is the usual choice now).

    Returns
    -------
    (agreement, kappa)
    """
    from scipy.stats import binom

    n = check_at_least("n_items", n_items, 1)
    x = np.atleast_1d(np.asarray(scores, dtype=float))
    bad = ~np.isfinite(x) | (x < 0) | (x > n) | (x != np.round(x))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"score {i} is {x[i]:g}; scores are whole numbers from 0 to {n}")
    if not 0.0 <= reliability <= 1.0:
        raise ValueError(f"reliability must be between 0 and 1, got {reliability!r}")
    c = _check_cuts(percent_cuts, 0.0, 100.0) / 100.0
    tau = reliability * x / n + (1.0 - reliability) * x.mean() / n
    first = np.ceil(c * n - 1e-9).astype(int)
    below = binom.cdf(first[None, :] - 1, n, tau[:, None])
    probs = _levels_from_below(below)
    agreement = float(np.mean((probs**2).sum(axis=1)))
    chance = float((probs.mean(axis=0) ** 2).sum())
    kappa = (agreement - chance) / (1.0 - chance) if chance < 1 else float("nan")
    return agreement, float(kappa)
