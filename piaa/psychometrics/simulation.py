"""Simulated item parameters, abilities and responses for every IRT model we fit.

Simulation is how calibration code is checked (seeded parameter recovery),
how a planned test design is tried before real data exist, and how the
command line's ``simulate`` produces example files. All randomness comes from
the ``rng: np.random.Generator`` passed in.

Models: "rasch", "1pl", "2pl", "3pl", "4pl" (parameters ``(J, 4)`` = a, b,
c, d) and "grm", "gpcm" (parameters ``(J, Kmax)`` = a, b_1..b_{K-1},
NaN-padded).
"""

from __future__ import annotations

import numpy as np

from ._checks import check_at_least, check_positive, check_rng
from ._item_models import DICHOTOMOUS_MODELS, POLYTOMOUS_MODELS, check_model
from .irt import prob, validate_params
from .polytomous import category_prob, validate_poly_params

__all__ = [
    "SIMULATION_MODELS",
    "simulate_theta",
    "simulate_params",
    "simulate_responses",
]

SIMULATION_MODELS = DICHOTOMOUS_MODELS + POLYTOMOUS_MODELS


def simulate_theta(n_persons: int, rng: np.random.Generator, mean: float = 0.0,
                   sd: float = 1.0) -> np.ndarray:
    """(n,) abilities drawn from N(mean, sd²)."""
    n = check_at_least("n_persons", n_persons, 1)
    check_positive("sd", sd)
    return check_rng(rng).normal(mean, sd, n)


def simulate_params(
    model: str,
    n_items: int,
    rng: np.random.Generator,
    *,
    n_categories=4,
    slope_logsd: float = 0.25,
    difficulty_sd: float = 1.0,
    guessing: tuple[float, float] = (0.05, 0.25),
    upper: tuple[float, float] = (0.90, 0.99),
) -> np.ndarray:
    """Draw plausible item parameters.

    Slopes are log-normal (median 1, log-sd ``slope_logsd``); difficulties
    and threshold locations N(0, ``difficulty_sd``²). The Rasch model fixes
    a = 1; the 1PL draws one slope shared by all items. 3PL/4PL lower
    asymptotes are uniform on ``guessing``, 4PL upper asymptotes on ``upper``.
    Polytomous thresholds are an item location plus sorted, centred offsets
    at least 0.3 apart, so every category is reachable.

    Parameters
    ----------
    n_categories : int or (J,) ints >= 2, categories per polytomous item;
        items with fewer than the maximum are NaN-padded.

    Returns
    -------
    (J, 4) for dichotomous models, (J, max K) for "grm" / "gpcm".
    """
    model = check_model(model)
    rng = check_rng(rng)
    n_items = check_at_least("n_items", n_items, 1)
    slopes = np.exp(rng.normal(0.0, slope_logsd, n_items))
    if model in POLYTOMOUS_MODELS:
        return _polytomous_params(n_items, slopes, n_categories, difficulty_sd, rng)
    params = np.zeros((n_items, 4))
    params[:, 0] = {"rasch": np.ones(n_items), "1pl": np.full(n_items, slopes[0])}.get(model, slopes)
    params[:, 1] = rng.normal(0.0, difficulty_sd, n_items)
    params[:, 3] = 1.0
    if model in ("3pl", "4pl"):
        params[:, 2] = rng.uniform(*guessing, n_items)
    if model == "4pl":
        params[:, 3] = rng.uniform(*upper, n_items)
    return params


def _polytomous_params(n_items, slopes, n_categories, difficulty_sd, rng):
    counts = np.broadcast_to(np.asarray(n_categories, dtype=int), (n_items,)).copy()
    if np.any(counts < 2):
        raise ValueError(f"every item needs at least 2 categories, got {counts.min()}")
    k_max = int(counts.max())
    location = rng.normal(0.0, difficulty_sd, n_items)
    gaps = 0.3 + rng.gamma(2.0, 0.35, (n_items, k_max - 1))
    present = np.arange(1, k_max)[None, :] < counts[:, None]
    gaps = np.where(present, gaps, 0.0)
    offsets = np.cumsum(gaps, axis=1)
    # centre each item's own thresholds on its location
    centre = np.where(present, offsets, 0.0).sum(axis=1) / (counts - 1)
    thresholds = location[:, None] + offsets - centre[:, None]
    params = np.column_stack([slopes, np.where(present, thresholds, np.nan)])
    return params


def simulate_responses(theta, params, model: str, rng: np.random.Generator,
                       missing: float = 0.0) -> np.ndarray:
    """Draw responses for persons at ``theta`` to items with ``params``.

    Parameters
    ----------
    theta : (n,) abilities.
    params : (J, 4) or (J, Kmax) item parameters for ``model``.
    missing : probability that a cell is not administered (NaN), drawn
        independently per cell (missing completely at random).

    Returns
    -------
    (n, J) float array of 0/1 (dichotomous) or 0..K_j-1 (polytomous), NaN
    where not administered.
    """
    model = check_model(model)
    rng = check_rng(rng)
    if not (0.0 <= float(missing) < 1.0):
        raise ValueError(f"missing must be in [0, 1), got {missing!r}")
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    if model in POLYTOMOUS_MODELS:
        p = validate_poly_params(params, model)
        cum = np.cumsum(category_prob(theta, p, model), axis=2)
        u = rng.random(cum.shape[:2])
        # category = how many cumulative probabilities lie below the uniform draw
        x = np.minimum((cum[:, :, :-1] < u[:, :, None]).sum(axis=2),
                       (~np.isnan(p[:, 1:])).sum(axis=1)[None, :]).astype(float)
    else:
        p = validate_params(params)
        x = (rng.random((theta.size, p.shape[0])) < prob(theta, p)).astype(float)
    if missing > 0:
        x[rng.random(x.shape) < missing] = np.nan
    return x
