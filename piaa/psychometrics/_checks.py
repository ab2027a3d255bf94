"""Input and option checks shared across the package (one declared place).

Every estimator validates its options here, so one kind of bad value gets
one message wherever it is passed, and the message names the option and the
value (``f"tol must be a positive number, got {tol!r}"``). Response arrays
get the same treatment: the message names the first bad row and column.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "as_responses",
    "as_theta",
    "first_bad",
    "check_choice",
    "check_at_least",
    "check_positive",
    "check_finite",
    "check_interval",
    "check_rng",
]


# --------------------------------------------------------------------- options
def check_choice(name: str, value, allowed: tuple):
    """Return ``value`` if it is one of ``allowed``, else raise naming both."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def check_at_least(name: str, value, minimum: int) -> int:
    """Return ``int(value)``; raise if it is below ``minimum``."""
    if int(value) < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return int(value)


def check_positive(name: str, value) -> float:
    """Return ``float(value)``; raise unless it is a finite number > 0."""
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def check_finite(name: str, value) -> float:
    """Return ``float(value)``; raise unless it is finite."""
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


def check_interval(name: str, bounds) -> tuple[float, float]:
    """Return ``(low, high)`` as floats; raise unless both are finite and low < high."""
    low, high = (float(v) for v in bounds)
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"{name} must be finite with low < high, got {bounds!r}")
    return low, high


def check_rng(rng) -> np.random.Generator:
    """Return ``rng`` if it is a numpy Generator (randomness is always passed in)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


# ------------------------------------------------------------------- responses
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
