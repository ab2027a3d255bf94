"""Input checks shared by the item-analysis modules (one declared place)."""

from __future__ import annotations

import numpy as np

__all__ = ["as_responses", "as_theta", "first_bad"]


def first_bad(mask: np.ndarray) -> tuple[int, ...]:
    """Index of the first True entry of ``mask`` (row, column, ...)."""
    return tuple(int(v) for v in np.argwhere(mask)[0])


def as_responses(responses, name: str = "responses", integer: bool = True) -> np.ndarray:
    """Return a float (n, J) array; NaN marks items not administered.

    Raises
    ------
    ValueError
        If the array is not 2-D, holds infinities or negative scores, or (with
        ``integer``) a score that is not a whole number; the message names the
        first offending row and column.
    """
    x = np.asarray(responses, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_persons, n_items); got shape {x.shape}")
    seen = ~np.isnan(x)
    bad = seen & ~np.isfinite(x)
    if bad.any():
        r, c = first_bad(bad)
        raise ValueError(f"{name} has a non-finite value at row {r}, column {c}")
    bad = seen & (x < 0)
    if bad.any():
        r, c = first_bad(bad)
        raise ValueError(f"{name} has a negative score {x[r, c]:g} at row {r}, column {c}")
    if integer:
        bad = seen & (x != np.round(x))
        if bad.any():
            r, c = first_bad(bad)
            raise ValueError(
                f"{name} must hold whole-number scores; got {x[r, c]:g} at row {r}, column {c}"
            )
    return x


def as_theta(theta, n_persons: int, name: str = "theta") -> np.ndarray:
    """Return a finite (n,) float array matching ``n_persons``."""
    t = np.atleast_1d(np.asarray(theta, dtype=float))
    if t.ndim != 1 or t.shape[0] != n_persons:
        raise ValueError(f"{name} must have shape ({n_persons},); got {t.shape}")
    bad = ~np.isfinite(t)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}[{i}] is not finite ({t[i]:g})")
    return t
