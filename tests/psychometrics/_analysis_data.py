"""Shared helpers for the item-analysis tests: reference JSON and LSAT6 from its patterns.

The public data sets are read through :mod:`.data` (the ``public_csv`` and
``lsat7_responses`` fixtures of conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

REFERENCE = Path(__file__).resolve().parent / "reference"


def reference(name: str) -> dict:
    """A reference JSON from tests/psychometrics/reference/."""
    return json.loads((REFERENCE / name).read_text())


def lsat6_from_patterns(patterns: dict) -> np.ndarray:
    rows = [[int(c) for c in pattern] for pattern, freq in patterns.items() for _ in range(freq)]
    return np.array(rows, dtype=float)
