"""When an adaptive test ends.

A CAT stops once the examinee's standard error reaches a target precision,
but never before a minimum length (so a lucky start cannot end a test after
two items) and always at a maximum length (so seat time is bounded). The
rule is evaluated for many examinees at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["StoppingRule"]


@dataclass(frozen=True)
class StoppingRule:
    """Stop at ``se <= se_target`` once ``min_items`` are given, or at ``max_items``.

    Parameters
    ----------
    se_target : standard error that counts as precise enough (None: length
        alone decides).
    min_items : no stop before this many items.
    max_items : always stop here (None: no cap; then se_target is required).
    """

    se_target: float | None = None
    min_items: int = 1
    max_items: int | None = None

    def __post_init__(self):
        if self.se_target is None and self.max_items is None:
            raise ValueError("give se_target, max_items or both; otherwise the test never ends")
        if self.se_target is not None and not (np.isfinite(self.se_target) and self.se_target > 0):
            raise ValueError(f"se_target must be a positive number, got {self.se_target!r}")
        if int(self.min_items) < 0:
            raise ValueError(f"min_items must be >= 0, got {self.min_items!r}")
        if self.max_items is not None and int(self.max_items) < max(1, int(self.min_items)):
            raise ValueError(
                f"max_items must be >= max(1, min_items={self.min_items}), got {self.max_items!r}"
            )

    def should_stop(self, n_administered, se) -> np.ndarray:
        """(n,) True where the test is over.

        Parameters
        ----------
        n_administered : (n,) items given so far.
        se : (n,) current standard errors.
        """
        n_adm = np.asarray(n_administered)
        stop = np.zeros(n_adm.shape, dtype=bool)
        if self.se_target is not None:
            stop |= (n_adm >= self.min_items) & (np.asarray(se) <= self.se_target)
        if self.max_items is not None:
            stop |= n_adm >= self.max_items
        return stop
