"""Quadrature grids for integrating over the latent ability distribution.

Marginal maximum likelihood integrates each person's likelihood over a normal
latent density. Like R's mirt (its default for unidimensional models), we use
equally spaced nodes on a fixed interval with weights proportional to the
normal density at each node, normalised to sum to one. Matching that grid
exactly is what makes our log-likelihoods comparable with mirt's.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_at_least, check_finite, check_interval, check_positive

__all__ = ["normal_quadrature", "normal_weights"]


def normal_weights(nodes, mean: float = 0.0, sd: float = 1.0) -> np.ndarray:
    """Normal-density weights at fixed ``nodes``, normalised to sum to one.

    Parameters
    ----------
    nodes : (Q,) quadrature nodes.
    mean, sd : the latent normal distribution.

    Returns
    -------
    (Q,) weights.
    """
    check_positive("sd", sd)
    check_finite("mean", mean)
    z = (np.asarray(nodes, dtype=float) - mean) / sd
    # Subtracting the max keeps exp() from underflowing to an all-zero vector
    # when the mean sits far from the grid.
    log_w = -0.5 * z**2
    w = np.exp(log_w - log_w.max())
    return w / w.sum()


def normal_quadrature(
    n_points: int = 61,
    bounds: tuple[float, float] = (-6.0, 6.0),
    mean: float = 0.0,
    sd: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Rectangular quadrature for a normal latent distribution (mirt's default).

    Parameters
    ----------
    n_points : number of equally spaced nodes Q (at least 2).
    bounds : (low, high) end points of the grid, both included.
    mean, sd : the latent normal distribution the weights represent.

    Returns
    -------
    nodes : (Q,) equally spaced points from low to high.
    weights : (Q,) normal density at the nodes, normalised to sum to one.
    """
    n_points = check_at_least("n_points", n_points, 2)
    low, high = check_interval("bounds", bounds)
    nodes = np.linspace(low, high, n_points)
    return nodes, normal_weights(nodes, mean, sd)
