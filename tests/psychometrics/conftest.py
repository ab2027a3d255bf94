"""Fixtures for the psychometrics tests: the public reference data sets.

Every test that reads LSAT7, Science or SAT12 goes through these fixtures
(or, outside this folder, through :mod:`tests.psychometrics.data`), so the
data are found in one way and a missing file fails with one clear message.
"""

from __future__ import annotations

import pytest

from . import data


def _read_only(x):
    # Shared by every test of the session: a test (or a library call) that
    # wrote into it would change what later tests see, so writing raises.
    x.setflags(write=False)
    return x


@pytest.fixture(scope="session")
def lsat7_responses():
    """LSAT7, (1000, 5) 0/1 responses; fails (never skips) if the file is missing."""
    return _read_only(data.lsat7())


@pytest.fixture(scope="session")
def science_responses():
    """Science, (392, 4) categories 0..3; fails (never skips) if the file is missing."""
    return _read_only(data.science())


@pytest.fixture(scope="session")
def public_csv():
    """``load(name) -> (column names, matrix)`` for any public data set."""
    return data.load_public_csv
