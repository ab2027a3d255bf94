"""Content balancing: keep an adaptive test on its blueprint.

A blueprint gives the share of a test each content cell (sub-area of a
competency, item format, proficiency level) should have. Left alone, maximum
information selection would draw from whichever cell happens to hold the
most discriminating items. The Kingsbury–Zara (1989) procedure fixes that:
before each selection, find the cell whose administered share falls furthest
below its target and choose the item from that cell only.

References
----------
Kingsbury, G. G., & Zara, A. R. (1989). Procedures for selecting items for
computerized adaptive tests. Applied Measurement in Education, 2, 359-375.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ContentBlueprint"]


def _cell_counts(mask: np.ndarray, bank) -> np.ndarray:
    """(n, C) number of True items per content cell in each row of ``mask``."""
    # einsum keeps the one-examinee case off multithreaded BLAS.
    return np.einsum("nj,jc->nc", mask.astype(float), bank.cell_indicator)


@dataclass(frozen=True)
class ContentBlueprint:
    """Target proportion of the test for each content cell.

    Parameters
    ----------
    targets : mapping of cell label (as in the bank's ``content``) to its
        target share; shares are non-negative and sum to one.
    """

    targets: dict

    def __post_init__(self):
        if not self.targets:
            raise ValueError("targets must name at least one content cell")
        shares = np.array(list(self.targets.values()), dtype=float)
        bad = ~np.isfinite(shares) | (shares < 0)
        if bad.any():
            label = list(self.targets)[int(np.flatnonzero(bad)[0])]
            raise ValueError(f"target share of cell {label!r} must be >= 0, got "
                             f"{self.targets[label]!r}")
        if not np.isclose(shares.sum(), 1.0, atol=1e-6):
            raise ValueError(f"target shares must sum to 1, got {shares.sum():.6g}")

    def target_vector(self, bank) -> np.ndarray:
        """(C,) targets aligned with ``bank.cells`` (0 for cells not named)."""
        labels = bank.cells.tolist()
        unknown = [label for label in self.targets if label not in labels]
        if unknown:
            raise ValueError(f"blueprint cell {unknown[0]!r} has no items in the bank")
        return np.array([float(self.targets.get(label, 0.0)) for label in labels])

    def next_cells(self, bank, administered: np.ndarray, available: np.ndarray) -> np.ndarray:
        """Most under-represented cell with an available item, per examinee.

        Parameters
        ----------
        bank : ItemBank with ``cell_indicator`` (J, C).
        administered : (n, J) bool, items taken so far.
        available : (n, J) bool, items that may still be given.

        Returns
        -------
        (n,) index into ``bank.cells``. Ties go to the cell listed first in
        ``bank.cells``; rows with nothing available get cell 0 (the caller
        sees no available item in it).
        """
        target = self.target_vector(bank)
        counts = _cell_counts(administered, bank)                            # (n, C)
        total = np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
        deficit = target - counts / total
        # Cells the blueprint does not name are used only when every named
        # cell is exhausted (their deficit is at most 0, so lower it by 2).
        deficit = np.where(target > 0, deficit, deficit - 2.0)
        open_cells = _cell_counts(available, bank) > 0
        deficit = np.where(open_cells, deficit, -np.inf)
        return deficit.argmax(axis=1)

    def shares(self, bank, administered: np.ndarray) -> np.ndarray:
        """(n, C) administered share of each cell, for reporting."""
        counts = _cell_counts(np.atleast_2d(administered), bank)
        return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
