"""Simulate examinees through an adaptive test to judge a bank and a policy.

Before a CAT goes live a psychometrician needs to know, for the bank and the
rules chosen (selection criterion, exposure control, blueprint, stopping
rule): how accurate the final θ is (bias, RMSE), how long tests run, and how
often the busiest item is seen. :func:`simulate_cat` answers that by running
many simulees with known θ through the test.

All simulees advance in lockstep: each step selects one item for every
simulee still testing (one vectorized selection call), draws their responses,
adds the items' log-probabilities to each simulee's log posterior on the
quadrature grid and updates the EAP and posterior SD. Simulees leave the
loop as their stopping rule fires.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..estimation import METHODS, estimate_ability
from .classification import check_cuts, classification_summary, level_probabilities
from .content import ContentBlueprint
from .exposure import SympsonHetter
from .selection import (CRITERIA, CUT_CRITERIA, POSTERIOR_CRITERIA, ItemBank,
                        normalise_log_posterior, posterior_mean_sd, select_items)
from .start import FixedStart, PriorStart, RandomStart
from .stopping import StoppingRule

__all__ = ["CatPolicy", "CatSimulation", "simulate_cat"]

# Simulees whose true-θ response probabilities are computed together for
# polytomous banks (the category-probability call is all-pairs, so memory
# grows with the square of this).
_POLY_CHUNK = 256


@dataclass(frozen=True)
class CatPolicy:
    """The rules of one adaptive test.

    Parameters
    ----------
    stopping : StoppingRule.
    start : FixedStart, RandomStart or PriorStart (θ for the first item).
    criterion : "mfi", "pwi", "nearest_cut" or "cut_doubt" (see :mod:`.selection`).
    randomesque : choose among the top-k items (1 = off).
    exposure : SympsonHetter parameters or None.
    blueprint : ContentBlueprint or None.
    prior_mean, prior_sd : normal prior of the interim EAP estimates (one
        prior for all simulees; use PriorStart for per-examinee starts).
    final_method : "eap" (the interim estimate), "map" or "mle" for the
        reported θ.
    cuts : ascending cut scores of the proficiency levels; needed by the
        cut criteria and by a stopping rule with a confidence, and used to
        report each simulee's level and its posterior probability.
    """

    stopping: StoppingRule
    start: FixedStart | RandomStart | PriorStart = FixedStart(0.0)
    criterion: str = "mfi"
    randomesque: int = 1
    exposure: SympsonHetter | None = None
    blueprint: ContentBlueprint | None = None
    prior_mean: float = 0.0
    prior_sd: float = 1.0
    final_method: str = "eap"
    cuts: tuple | None = None

    def __post_init__(self):
        if self.cuts is not None:
            object.__setattr__(self, "cuts", tuple(float(c) for c in check_cuts(self.cuts)))
        elif self.criterion in CUT_CRITERIA or self.stopping.confidence is not None:
            raise ValueError(f"criterion {self.criterion!r} with confidence "
                             f"{self.stopping.confidence!r} needs the cut scores (cuts)")
        if self.criterion not in CRITERIA:
            raise ValueError(f"criterion must be one of {CRITERIA}, got {self.criterion!r}")
        if self.final_method not in METHODS:
            raise ValueError(f"final_method must be one of {METHODS}, got {self.final_method!r}")
        if not np.isfinite(self.prior_mean):
            raise ValueError(f"prior_mean must be a finite number, got {self.prior_mean!r}")
        if not (np.isfinite(self.prior_sd) and self.prior_sd > 0):
            raise ValueError(f"prior_sd must be a positive number, got {self.prior_sd!r}")


@dataclass(frozen=True)
class CatSimulation:
    """Outcome of :func:`simulate_cat`.

    Per simulee (n,): ``true_theta``, ``theta`` (final estimate), ``se``,
    ``n_items``. ``items`` (n, L) administered item indices in order, -1
    padded. ``responses`` (n, J) scores, NaN where not administered.
    Per item (J,): ``exposure_rate`` (share of simulees who took it) and
    ``selection_rate`` (share for whom it entered a Sympson–Hetter lottery;
    equal to the exposure rate without that control).
    """

    true_theta: np.ndarray
    theta: np.ndarray
    se: np.ndarray
    n_items: np.ndarray
    items: np.ndarray = field(repr=False)
    responses: np.ndarray = field(repr=False)
    exposure_rate: np.ndarray = field(repr=False)
    selection_rate: np.ndarray = field(repr=False)
    cuts: tuple | None = None
    level_confidence: np.ndarray | None = field(default=None, repr=False)

    @property
    def bias(self) -> float:
        """Mean of θ̂ - θ."""
        return float(np.mean(self.theta - self.true_theta))

    @property
    def rmse(self) -> float:
        """Root mean squared error of θ̂."""
        return float(np.sqrt(np.mean((self.theta - self.true_theta) ** 2)))

    @property
    def mean_length(self) -> float:
        """Average number of items per simulee."""
        return float(np.mean(self.n_items))

    @property
    def max_exposure(self) -> float:
        """Highest item exposure rate."""
        return float(self.exposure_rate.max())

    @property
    def reliability(self) -> float:
        """1 - mean SE² / variance of the estimates (marginal reliability)."""
        var = float(np.var(self.theta))
        return 1.0 - float(np.mean(self.se ** 2)) / var if var > 0 else float("nan")

    def classification(self, cuts=None) -> dict:
        """Accuracy at each cut, exact-level accuracy and reliability (see
        :func:`.classification.classification_summary`), at ``cuts`` or the policy's."""
        cuts = self.cuts if cuts is None else cuts
        if cuts is None:
            raise ValueError("classification needs cut scores")
        return classification_summary(self.true_theta, self.theta, self.se, cuts)

    def summary(self) -> dict:
        """The headline figures as plain floats."""
        return {
            "n_simulees": int(self.true_theta.shape[0]),
            "bias": self.bias,
            "rmse": self.rmse,
            "mean_length": self.mean_length,
            "max_exposure": self.max_exposure,
            "mean_se": float(np.mean(self.se)),
            "unused_items": int(np.sum(self.exposure_rate == 0)),
        }


def _draw_responses(bank: ItemBank, theta, items, rng) -> np.ndarray:
    """One simulated score per (simulee, item) pair."""
    if bank.dichotomous:
        a, b, c, d = (col[items] for col in bank.params.T)
        p = c + (d - c) / (1.0 + np.exp(-a * (theta - b)))
        return (rng.random(theta.shape[0]) < p).astype(int)
    out = np.empty(theta.shape[0], dtype=int)
    for start in range(0, theta.shape[0], _POLY_CHUNK):
        sl = slice(start, start + _POLY_CHUNK)
        th, it = theta[sl], items[sl]
        probs = bank._prob_fn(th, bank.params[it])                    # (m, m, K)
        probs = probs[np.arange(th.shape[0]), np.arange(th.shape[0])]  # each simulee's own item
        cum = np.cumsum(probs, axis=1)
        u = rng.random(th.shape[0])[:, None]
        out[sl] = np.minimum((u > cum).sum(axis=1), bank.n_categories[it] - 1)
    return out


def _log_prior(bank: ItemBank, mean, sd, n) -> np.ndarray:
    """(n, Q) log normal prior density (up to a constant) on the bank grid."""
    z = (bank.nodes - float(mean)) / sd
    return np.tile(-0.5 * z * z, (n, 1))


def simulate_cat(
    bank: ItemBank,
    true_theta,
    policy: CatPolicy,
    rng: np.random.Generator,
    excluded=None,
    progress=None,
) -> CatSimulation:
    """Run simulees with abilities ``true_theta`` through the CAT ``policy``.

    Parameters
    ----------
    bank : ItemBank.
    true_theta : (n,) abilities of the simulees.
    policy : CatPolicy.
    rng : random generator (responses, random starts, exposure draws).
    excluded : optional (J,) bool, items nobody may get (e.g. retired).
    progress : optional callable ``progress(step, max_steps)`` after each step.

    Returns
    -------
    CatSimulation with per-simulee results, item exposure rates and the
    bias / rmse / mean_length / max_exposure properties.
    """
    if not isinstance(bank, ItemBank):
        raise TypeError(f"bank must be an ItemBank, got {type(bank).__name__}")
    true_theta = np.atleast_1d(np.asarray(true_theta, dtype=float))
    if not np.all(np.isfinite(true_theta)):
        raise ValueError("true_theta must be finite")
    n, n_items = true_theta.shape[0], bank.n_items
    stop_rule = policy.stopping
    max_len = n_items if stop_rule.max_items is None else min(int(stop_rule.max_items), n_items)

    administered = np.zeros((n, n_items), dtype=bool)
    blocked = np.zeros((n, n_items), dtype=bool)
    if excluded is not None:
        blocked |= np.asarray(excluded, dtype=bool)[None, :]
    responses = np.full((n, n_items), np.nan)
    log_post = _log_prior(bank, policy.prior_mean, policy.prior_sd, n)
    theta = policy.start.initial_theta(n, rng)
    se = np.full(n, float(policy.prior_sd))
    n_taken = np.zeros(n, dtype=int)
    sequence = np.full((n, max_len), -1)
    considered = np.zeros(n_items)
    active = np.arange(n)
    needs_posterior = policy.criterion in POSTERIOR_CRITERIA
    above = None if policy.cuts is None else bank.cut_arrays(policy.cuts)[1]
    confidence = None if above is None else np.full(n, np.nan)

    for step in range(max_len):
        if active.size == 0:
            break
        posterior = normalise_log_posterior(log_post[active]) if needs_posterior else None
        batch = select_items(
            theta[active], bank, administered[active], excluded=blocked[active],
            criterion=policy.criterion, posterior=posterior,
            randomesque=policy.randomesque, exposure=policy.exposure,
            blueprint=policy.blueprint, rng=rng, cuts=policy.cuts,
        )
        blocked[active] |= batch.rejected
        considered += batch.considered.sum(axis=0)
        got = batch.items >= 0
        rows, items = active[got], batch.items[got]
        scores = _draw_responses(bank, true_theta[rows], items, rng)
        responses[rows, items] = scores
        administered[rows, items] = True
        sequence[rows, n_taken[rows]] = items
        n_taken[rows] += 1
        log_post[rows] += bank.log_prob_at_nodes[:, items, scores].T
        post = normalise_log_posterior(log_post[rows])
        theta[rows], se[rows] = posterior_mean_sd(post, bank.nodes)
        if above is not None:
            confidence[rows] = level_probabilities(post, above).max(axis=1)
        done = stop_rule.should_stop(n_taken[rows], se[rows],
                                     None if above is None else confidence[rows])
        active = rows[~done]
        if progress is not None:
            progress(step + 1, max_len)

    if policy.final_method != "eap":
        final = estimate_ability(
            responses, bank.params, model=bank.model, method=policy.final_method,
            prior_mean=policy.prior_mean, prior_sd=policy.prior_sd,
            n_quadrature=bank.nodes.shape[0], theta_bounds=bank.theta_bounds,
        )
        theta, se = final.theta, final.se
    exposure_rate = administered.sum(axis=0) / n
    selection_rate = considered / n if policy.exposure is not None else exposure_rate
    return CatSimulation(
        true_theta=true_theta, theta=theta, se=se, n_items=n_taken,
        items=sequence[:, : max(int(n_taken.max(initial=0)), 1)],
        responses=responses, exposure_rate=exposure_rate, selection_rate=selection_rate,
        cuts=policy.cuts, level_confidence=confidence,
    )
