"""Computerized adaptive testing (CAT): one module per role.

* :mod:`.selection`: the bank object (precomputed arrays) and next-item
  selection by maximum Fisher information or posterior-weighted information.
* :mod:`.exposure`: randomesque and Sympson–Hetter exposure control, and the
  simulation that calibrates Sympson–Hetter parameters.
* :mod:`.content`: content balancing across blueprint cells (Kingsbury–Zara).
* :mod:`.stopping`: when a CAT ends (SE target, minimum and maximum length).
* :mod:`.start`: where θ starts (fixed, random in a range, from a prior).
* :mod:`.simulation`: many simulated examinees through a CAT policy, with
  bias, RMSE, test length and exposure rates.

The delivery service calls :func:`select_next_item` after every answer with
the examinee's current θ (or responses) and administered mask; nothing about
the examinee is kept here between calls.
"""

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
]
