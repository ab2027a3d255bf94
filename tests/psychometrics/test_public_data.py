"""The public reference data live in the checkout, are found in one way, and their absence fails loudly."""

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from . import data

REPOSITORY = Path(__file__).resolve().parents[2]


def test_missing_public_data_fails_with_the_place_it_looked(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "PUBLIC_DATA", tmp_path / "reference" / "data")
    with pytest.raises(pytest.fail.Exception, match="LSAT7.csv not found at .*reference.data") as err:
        data.public_data_path("LSAT7.csv")
    assert "not skipped" in str(err.value)


def test_public_data_are_read_from_inside_the_checkout():
    # A fresh clone must run every reference test: nothing may be looked up beside it.
    for name in data.PUBLIC_FILES:
        path = data.public_data_path(name).resolve()
        assert path.is_relative_to(REPOSITORY), f"{path} lies outside {REPOSITORY}"


def test_public_data_files_match_the_checksums_their_readme_records():
    # The README names source and terms of each file; the checksums tie those words to
    # these bytes, so replacing a file without updating its note fails here.
    readme = (data.PUBLIC_DATA / "README.md").read_text()
    recorded = dict((name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, re.M))
    assert sorted(recorded) == sorted(data.PUBLIC_FILES)
    for name, digest in recorded.items():
        assert hashlib.sha256(data.public_data_path(name).read_bytes()).hexdigest() == digest, name


def test_public_data_sets_have_their_documented_shapes(lsat7_responses, science_responses, public_csv):
    # Sizes from reference/data/README.md.
    assert lsat7_responses.shape == (1000, 5) and set(np.unique(lsat7_responses)) == {0.0, 1.0}
    assert science_responses.shape == (392, 4) and set(np.unique(science_responses)) == {0, 1, 2, 3}
    items, raw = public_csv("SAT12_raw.csv")
    assert raw.shape == (600, 32) and items[0] == "Item.1"
    assert int((raw == 8).sum()) == 69  # omissions, as the README counts them
    _, key = public_csv("SAT12_key.csv")
    assert key.shape == (32, 1) and set(np.unique(key)) <= {1, 2, 3, 4, 5}
    # Shared across the session, so nobody may write into them.
    with pytest.raises(ValueError, match="read-only"):
        lsat7_responses[0, 0] = 1.0
