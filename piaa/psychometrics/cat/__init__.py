"""Computerized adaptive testing (CAT): one module per role.

* :mod:`.selection`: the bank object (precomputed arrays) and next-item
  selection by maximum Fisher information or posterior-weighted information.
* :mod:`.exposure`: randomesque and Sympson–Hetter exposure control, and the
  simulation that calibrates Sympson–Hetter parameters.
* :mod:`.content`: content balancing across blueprint cells (Kingsbury–Zara).
* :mod:`.stopping`: when a CAT ends (level decided with a confidence, SE
  target, minimum and maximum length).
* :mod:`.start`: where θ starts (fixed, random in a range, from a prior).
* :mod:`.classification`: level probabilities from the posterior, and how
  well estimates classify (accuracy at each cut, exact level, reliability).
* :mod:`.simulation`: many simulated examinees through a CAT policy, with
  bias, RMSE, test length and exposure rates.
* :mod:`.readiness`: the bank-readiness check (exposure calibration, then a
  simulation of the controlled test).

The delivery service calls :func:`select_next_item` after every answer with
the examinee's current θ (or responses) and administered mask; nothing about
the examinee is kept here between calls.
"""

from .classification import classification_summary, level_probabilities, levels_of
from .content import ContentBlueprint
from .exposure import SympsonHetter, calibrate_sympson_hetter
from .selection import (
    ItemBank,
    NoItemAvailableError,
    Selection,
    SelectionBatch,
    select_items,
    select_next_item,
)
from .readiness import ReadinessCheck, check_readiness
from .simulation import CatPolicy, CatSimulation, simulate_cat
from .start import FixedStart, PriorStart, RandomStart
from .stopping import StoppingRule

__all__ = [
    "ItemBank",
    "NoItemAvailableError",
    "Selection",
    "SelectionBatch",
    "select_items",
    "select_next_item",
    "ContentBlueprint",
    "SympsonHetter",
    "calibrate_sympson_hetter",
    "StoppingRule",
    "FixedStart",
    "RandomStart",
    "PriorStart",
    "CatPolicy",
    "CatSimulation",
    "simulate_cat",
    "classification_summary",
    "level_probabilities",
    "levels_of",
    "ReadinessCheck",
    "check_readiness",
]
