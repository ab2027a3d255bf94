"""The switch of ``interleaved_ab.py``: which variant serves now, by the wall clock."""
from __future__ import annotations

import os
import time

WINDOW_ENV = "PIAA_AB_WINDOW_S"


def variant_on(at: float | None = None) -> bool:
    """True in every other window of ``PIAA_AB_WINDOW_S`` seconds (5 by default)."""
    window = float(os.environ.get(WINDOW_ENV) or 5.0)
    return int((time.time() if at is None else at) / window) % 2 == 0
