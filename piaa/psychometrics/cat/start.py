"""Where an adaptive test starts: the θ used to choose the first item.

* :class:`FixedStart`: everyone starts at the same θ (usually 0). Simple, but
  it gives everyone the same first item.
* :class:`RandomStart`: θ drawn uniformly from a range, which spreads the
  first items over the bank (Kingsbury & Zara's recommendation).
* :class:`PriorStart`: start at the prior mean, which may be the examinee's
  own, e.g. their pre-course θ when sitting the post-course assessment.

Each rule returns ``(n,)`` starting values for n examinees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FixedStart", "RandomStart", "PriorStart"]


@dataclass(frozen=True)
class FixedStart:
    """Start every examinee at ``theta``."""

    theta: float = 0.0

    def __post_init__(self):
        if not np.isfinite(self.theta):
            raise ValueError(f"theta must be finite, got {self.theta!r}")

    def initial_theta(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """(n,) starting θ: ``theta`` for every examinee."""
        return np.full(int(n), float(self.theta))


@dataclass(frozen=True)
class RandomStart:
    """Start at θ drawn uniformly from [low, high]."""

    low: float = -1.0
    high: float = 1.0

    def __post_init__(self):
        if not (np.isfinite(self.low) and np.isfinite(self.high) and self.low <= self.high):
            raise ValueError(f"need finite low <= high, got low={self.low!r}, high={self.high!r}")

    def initial_theta(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """(n,) starting θ drawn uniformly on [low, high] with ``rng``."""
        if rng is None:
            raise ValueError("RandomStart needs rng (a numpy Generator)")
        return rng.uniform(self.low, self.high, int(n))


@dataclass(frozen=True)
class PriorStart:
    """Start at the prior mean: a scalar, or one value per examinee."""

    mean: float | np.ndarray = 0.0

    def initial_theta(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """(n,) starting θ: each examinee's prior mean (a scalar or (n,) array)."""
        mean = np.asarray(self.mean, dtype=float)
        if not np.all(np.isfinite(mean)):
            raise ValueError("prior means must be finite")
        if mean.ndim == 0:
            return np.full(int(n), float(mean))
        if mean.shape != (int(n),):
            raise ValueError(f"need one prior mean per examinee ({n}), got shape {mean.shape}")
        return mean.copy()
