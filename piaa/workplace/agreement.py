"""Agreement among raters of one official: the within-group agreement index r_wg.

Pure numpy, like ``piaa.psychometrics``: arrays in, arrays out.

References
----------
James, L. R., Demaree, R. G. & Wolf, G. (1984). Estimating within-group interrater reliability
with and without response bias. Journal of Applied Psychology, 69(1), 85-98 (r_wg and the
uniform null variance (A^2 - 1) / 12 of an A-point scale).
LeBreton, J. M. & Senter, J. L. (2008). Answers to 20 questions about interrater reliability and
interrater agreement. Organizational Research Methods, 11(4), 815-852 (negative values truncated
to 0; below .50 read as a lack of agreement).
"""
from __future__ import annotations

import numpy as np

LOW_AGREEMENT = 0.5


def r_wg(ratings: np.ndarray, n_options: int = 5, *, truncate: bool = True) -> np.ndarray:
    """r_wg of each column: 1 - s^2 / sigma^2_EU, sigma^2_EU = (A^2 - 1) / 12.

    Parameters
    ----------
    ratings : (n_raters, n_targets) float array; NaN where a rater gave no rating ("not
        observed"). One target per column (here: one competency of one official).
    n_options : A, the number of points of the rating scale.
    truncate : clip to [0, 1], as LeBreton & Senter (2008) advise; False gives the raw index.

    Returns
    -------
    (n_targets,) array; NaN where fewer than two raters rated.
    """
    ratings = np.asarray(ratings, dtype=float)
    if ratings.ndim != 2:
        raise ValueError(f"ratings must be (n_raters, n_targets), got shape {ratings.shape}")
    if n_options < 2:
        raise ValueError(f"n_options must be at least 2, got {n_options}")
    observed = ~np.isnan(ratings)
    n = observed.sum(axis=0)
    filled = np.where(observed, ratings, 0.0)
    mean = np.divide(filled.sum(axis=0), n, out=np.zeros(ratings.shape[1]), where=n > 0)
    squares = np.where(observed, (ratings - mean[None, :]) ** 2, 0.0).sum(axis=0)
    variance = np.divide(squares, n - 1, out=np.full(ratings.shape[1], np.nan), where=n > 1)
    index = 1.0 - variance / ((n_options ** 2 - 1) / 12.0)
    return np.clip(index, 0.0, 1.0) if truncate else index
