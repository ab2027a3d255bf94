"""Item exposure control for adaptive tests.

Maximum-information selection gives the same few highly discriminating items
to almost everyone near the middle of the scale; those items leak. Two
standard remedies:

* **Randomesque** (Kingsbury & Zara, 1989): choose at random among the k most
  informative available items (``select_items(..., randomesque=k)``).
* **Sympson–Hetter** (Sympson & Hetter, 1985): every item j carries an
  exposure parameter K_j. Items are considered in order of information; the
  item in turn is administered with probability K_j, otherwise it is passed
  over and not offered to that examinee again. With K calibrated by
  simulation (:func:`calibrate_sympson_hetter`), no item is administered to
  more than a chosen share r_max of examinees from the target population.

References
----------
Sympson, J. B., & Hetter, R. D. (1985). Controlling item-exposure rates in
computerized adaptive testing. Proceedings of the 27th annual meeting of the
Military Testing Association, 973-977.
Kingsbury, G. G., & Zara, A. R. (1989). Procedures for selecting items for
computerized adaptive tests. Applied Measurement in Education, 2, 359-375.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

__all__ = ["SympsonHetter", "SympsonHetterCalibration", "calibrate_sympson_hetter", "SH_UPDATES"]

SH_UPDATES = ("sympson-hetter", "ratio")

# Candidates examined per round of the lottery. With calibrated parameters an
# item is nearly always accepted within the first few; more rounds run only
# for the rare examinee who loses every draw.
_LOTTERY_DEPTH = 16


@dataclass(frozen=True)
class SympsonHetter:
    """Sympson–Hetter exposure parameters.

    Parameters
    ----------
    k : (J,) probability that an item, once it is the best available for an
        examinee, is actually administered. 1 means no control.
    """

    k: np.ndarray

    def __post_init__(self):
        k = np.asarray(self.k, dtype=float)
        if k.ndim != 1:
            raise ValueError(f"k must be one value per item, got shape {k.shape}")
        bad = ~np.isfinite(k) | (k < 0) | (k > 1)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise ValueError(f"exposure parameter of item {j} must be in [0, 1], got {k[j]!r}")
        object.__setattr__(self, "k", k)

    @classmethod
    def uncontrolled(cls, n_items: int) -> "SympsonHetter":
        return cls(np.ones(int(n_items)))

    def choose(self, value: np.ndarray, rng: np.random.Generator):
        """Run the lottery down each row's items in decreasing ``value``.

        Parameters
        ----------
        value : (n, J) selection criterion, -inf where an item is unavailable.
        rng : random generator.

        Returns
        -------
        items : (n,) chosen item (-1 when a row has nothing available).
        rejected : (n, J) items passed over by the lottery.
        considered : (n, J) items that entered the lottery (passed over or
            administered): the "selected" events of Sympson & Hetter.

        If an examinee loses every draw, the most informative available item
        is given anyway (the test must go on); it counts as considered.
        """
        n, n_items = value.shape
        if self.k.shape[0] != n_items:
            raise ValueError(f"k has {self.k.shape[0]} items, the bank has {n_items}")
        items = np.full(n, -1)
        rejected = np.zeros((n, n_items), dtype=bool)
        considered = np.zeros((n, n_items), dtype=bool)
        remaining = value.copy()
        rows = np.flatnonzero(np.isfinite(value).any(axis=1))
        depth = min(_LOTTERY_DEPTH, n_items)
        while rows.size:
            sub = remaining[rows]
            top = np.argpartition(-sub, depth - 1, axis=1)[:, :depth]
            top_value = np.take_along_axis(sub, top, axis=1)
            order = np.argsort(-top_value, axis=1, kind="stable")
            top = np.take_along_axis(top, order, axis=1)
            finite = np.isfinite(np.take_along_axis(top_value, order, axis=1))
            accept = (rng.random(top.shape) < self.k[top]) & finite
            won = accept.any(axis=1)
            first = accept.argmax(axis=1)
            pos = np.arange(depth)
            entered = finite & np.where(won[:, None], pos <= first[:, None], True)
            passed = entered & ~(won[:, None] & (pos == first[:, None]))
            r = rows[:, None]
            considered[r, top] |= entered
            rejected[r, top] |= passed
            items[rows[won]] = top[won, first[won]]
            lost = ~won
            remaining[rows[lost][:, None], top[lost]] = -np.inf
            left = np.isfinite(remaining[rows[lost]]).any(axis=1)
            exhausted = rows[lost][~left]
            if exhausted.size:
                best = value[exhausted].argmax(axis=1)
                items[exhausted] = best
                rejected[exhausted, best] = False
            rows = rows[lost][left]
        return items, rejected, considered


@dataclass(frozen=True)
class SympsonHetterCalibration:
    """Result of :func:`calibrate_sympson_hetter`.

    Attributes
    ----------
    exposure : the calibrated parameters (those used in the last round).
    max_exposure : (rounds,) highest administration rate in each round.
    converged : True if the last round kept every rate <= r_max + tol.
    exposure_rate, selection_rate : (J,) rates in the last round.
    """

    exposure: SympsonHetter
    max_exposure: np.ndarray
    converged: bool
    exposure_rate: np.ndarray = field(repr=False)
    selection_rate: np.ndarray = field(repr=False)


def updated_k(k, selection_rate, exposure_rate, r_max: float, update: str) -> np.ndarray:
    """(J,) exposure parameters after one calibration round (see
    :func:`calibrate_sympson_hetter` for the two rules)."""
    if update == "ratio":
        return np.minimum(1.0, k * r_max / np.maximum(exposure_rate, 1e-12))
    return np.where(selection_rate > r_max, r_max / np.maximum(selection_rate, 1e-12), 1.0)


def calibrate_sympson_hetter(
    bank,
    theta,
    policy,
    r_max: float,
    rng: np.random.Generator,
    n_rounds: int = 30,
    tol: float = 0.01,
    progress=None,
    update: str = "sympson-hetter",
) -> SympsonHetterCalibration:
    """Find Sympson–Hetter parameters keeping exposure at or below ``r_max``.

    Each round simulates the examinees ``theta`` (drawn from the population
    the test will meet) through the CAT ``policy`` with the current
    parameters, then updates K. With ``update="sympson-hetter"`` (the
    paper's rule) K_j = r_max / P(S_j) for every item whose selection rate
    P(S_j) exceeds r_max and K_j = 1 otherwise (Sympson & Hetter, 1985).
    With ``update="ratio"`` K_j ← min(1, K_j · r_max / P(A_j)), P(A_j) the
    administration rate: for an over-exposed item that is the same value
    (P(A_j) = K_j P(S_j)), but an item under the cap climbs back toward 1
    gradually instead of at once, which stops the paper's rule from
    swinging the next tier of items over the cap round after round. Rounds
    stop once every administration rate is within ``tol`` of r_max; if none
    does, the round with the lowest maximum is returned.

    Parameters
    ----------
    bank : ItemBank.
    theta : (n,) simulee abilities.
    policy : CatPolicy (its ``exposure`` is replaced round by round).
    r_max : target maximum exposure rate, in (0, 1].
    rng : random generator.
    n_rounds, tol : iteration limits.
    update : "sympson-hetter" or "ratio" (above).
    progress : optional ``progress(step, max_steps)``, passed to each round's simulation.

    Returns
    -------
    SympsonHetterCalibration.
    """
    from .simulation import simulate_cat  # the calibration is a simulation

    if not (0 < r_max <= 1):
        raise ValueError(f"r_max must be between 0 and 1, got {r_max}")
    if int(n_rounds) < 1:
        raise ValueError(f"n_rounds must be at least 1, got {n_rounds}")
    if policy.randomesque > 1:
        raise ValueError("calibrate Sympson-Hetter parameters on a policy without randomesque")
    if update not in SH_UPDATES:
        raise ValueError(f"update must be one of {SH_UPDATES}, got {update!r}")
    k = np.ones(bank.n_items)
    history = []
    best = None
    for _ in range(int(n_rounds)):
        control = SympsonHetter(k)
        result = simulate_cat(bank, theta, replace(policy, exposure=control), rng,
                              progress=progress)
        history.append(result.max_exposure)
        if best is None or result.max_exposure < best[1].max_exposure:
            best = (control, result)
        if result.max_exposure <= r_max + tol:
            return SympsonHetterCalibration(
                control, np.array(history), True, result.exposure_rate, result.selection_rate
            )
        k = updated_k(k, result.selection_rate, result.exposure_rate, r_max, update)
    control, result = best
    return SympsonHetterCalibration(
        control, np.array(history), False, result.exposure_rate, result.selection_rate
    )
