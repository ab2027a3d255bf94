"""Shared loaders for the item-analysis tests: reference JSON and the public data sets."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

REFERENCE = Path(__file__).resolve().parent / "reference"
# The public data sets live in shared/data beside the repository checkout.
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def reference(name: str) -> dict:
    return json.loads((REFERENCE / name).read_text())


def load_csv(name: str) -> tuple[list[str], np.ndarray]:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"public data set {name} is not available beside the checkout")
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    return header[1:], np.array([[float(v) for v in r[1:]] for r in body])


def lsat6_from_patterns(patterns: dict) -> np.ndarray:
    rows = [[int(c) for c in pattern] for pattern, freq in patterns.items() for _ in range(freq)]
    return np.array(rows, dtype=float)
