"""When an adaptive test ends.

A CAT stops once the examinee's standard error reaches a target precision, or once the
proficiency level is decided: the posterior probability of the most probable level
reaches a chosen confidence (see :mod:`.classification`). It never stops before a minimum
length (so a lucky start cannot end a test after two items) and always at a maximum length
(so seat time is bounded). The rule is evaluated for many examinees at once.

Stopping on the level's posterior probability is the Bayesian counterpart of the
sequential probability ratio test at the cuts (Spray & Reckase, 1996): both end the test
when the evidence places θ on one side of every cut; the posterior form needs no
indifference region and reads directly as the decision confidence the service reports.

References
----------
Spray, J. A., & Reckase, M. D. (1996). Comparison of SPRT and sequential Bayes procedures
for classifying examinees into two categories using a computerized test. Journal of
Educational and Behavioral Statistics, 21, 405-414.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["StoppingRule"]


@dataclass(frozen=True)
class StoppingRule:
    """Stop at ``se <= se_target`` or when the level is decided with ``confidence``, once
    ``min_items`` are given, and always at ``max_items``.

    Parameters
    ----------
    se_target : standard error that counts as precise enough (None: not used).
    confidence : posterior probability of the most probable level that counts as a
        decision, in (0, 1) (None: not used; the policy's cuts give the levels).
    min_items : no stop before this many items.
    max_items : always stop here (None: no cap; then se_target is required).
    """

    se_target: float | None = None
    min_items: int = 1
    max_items: int | None = None
    confidence: float | None = None

    def __post_init__(self):
        if self.se_target is None and self.max_items is None:
            raise ValueError("give se_target, max_items or both; otherwise the test never ends")
        if self.se_target is not None and not (np.isfinite(self.se_target) and self.se_target > 0):
            raise ValueError(f"se_target must be a positive number, got {self.se_target!r}")
        if self.confidence is not None and not (np.isfinite(self.confidence)
                                                and 0 < self.confidence < 1):
            raise ValueError(f"confidence must be between 0 and 1, got {self.confidence!r}")
        if int(self.min_items) < 0:
            raise ValueError(f"min_items must be >= 0, got {self.min_items!r}")
        if self.max_items is not None and int(self.max_items) < max(1, int(self.min_items)):
            raise ValueError(
                f"max_items must be >= max(1, min_items={self.min_items}), got {self.max_items!r}"
            )

    def should_stop(self, n_administered, se, level_confidence=None) -> np.ndarray:
        """(n,) True where the test is over.

        Parameters
        ----------
        n_administered : (n,) items given so far.
        se : (n,) current standard errors.
        level_confidence : (n,) posterior probability of each examinee's most probable
            level; required when the rule has a ``confidence``.
        """
        n_adm = np.asarray(n_administered)
        stop = np.zeros(n_adm.shape, dtype=bool)
        long_enough = n_adm >= self.min_items
        if self.se_target is not None:
            stop |= long_enough & (np.asarray(se) <= self.se_target)
        if self.confidence is not None:
            if level_confidence is None:
                raise ValueError("a rule with a confidence needs each examinee's level_confidence")
            stop |= long_enough & (np.asarray(level_confidence) >= self.confidence)
        if self.max_items is not None:
            stop |= n_adm >= self.max_items
        return stop
