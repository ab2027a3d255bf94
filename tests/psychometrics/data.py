"""The public reference data sets the psychometrics tests read (one place finds them).

LSAT7.csv, Science.csv, SAT12_raw.csv and SAT12_key.csv (R mirt's classic
data sets; reference/data/README.md names the source and terms of each)
live in the repository, in ``tests/psychometrics/reference/data``, so a
fresh checkout runs every reference test. A missing file fails the test
that needs it, with a message saying where it was looked for: a silent skip
would hide every reference test against mirt's published numbers.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

PUBLIC_DATA = Path(__file__).resolve().parent / "reference" / "data"
PUBLIC_FILES = ("LSAT7.csv", "Science.csv", "SAT12_raw.csv", "SAT12_key.csv")


def public_data_path(name: str) -> Path:
    """Path of a public data set; fails the calling test if the file is missing."""
    path = PUBLIC_DATA / name
    if not path.is_file():
        pytest.fail(
            f"public data set {name} not found at {path}. The psychometrics reference "
            f"tests need {', '.join(PUBLIC_FILES)} in tests/psychometrics/reference/data "
            "(see the README.md there); they are failed, not skipped, so that a missing "
            "file cannot hide them.",
            pytrace=False,
        )
    return path


def load_public_csv(name: str) -> tuple[list[str], np.ndarray]:
    """(column names, (n, J) float matrix) of a public CSV without its first (id) column."""
    with public_data_path(name).open(newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    return header[1:], np.array([[float(v) for v in r[1:]] for r in body])


def lsat7() -> np.ndarray:
    """LSAT7: (1000, 5) 0/1 responses."""
    return load_public_csv("LSAT7.csv")[1]


def science() -> np.ndarray:
    """Science: (392, 4) categories 0..3 (the file's 1..4 shifted to count from 0)."""
    return load_public_csv("Science.csv")[1] - 1.0
