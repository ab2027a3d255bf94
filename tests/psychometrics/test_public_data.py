"""The public reference data are found in one way, and their absence fails loudly."""

import numpy as np
import pytest

from . import data


def test_missing_public_data_fails_with_the_place_it_looked(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "PUBLIC_DATA", tmp_path / "shared" / "data")
    with pytest.raises(pytest.fail.Exception, match="LSAT7.csv not found at .*shared.data") as err:
        data.public_data_path("LSAT7.csv")
    assert "not skipped" in str(err.value)


def test_public_data_sets_have_their_documented_shapes(lsat7_responses, science_responses, public_csv):
    # Sizes from shared/data/README.md.
    assert lsat7_responses.shape == (1000, 5) and set(np.unique(lsat7_responses)) == {0.0, 1.0}
    assert science_responses.shape == (392, 4) and set(np.unique(science_responses)) == {0, 1, 2, 3}
    items, raw = public_csv("SAT12_raw.csv")
    assert raw.shape == (600, 32) and items[0] == "Item.1"
    _, key = public_csv("SAT12_key.csv")
    assert key.shape == (32, 1) and set(np.unique(key)) <= {1, 2, 3, 4, 5}
    # Shared across the session, so nobody may write into them.
    with pytest.raises(ValueError, match="read-only"):
        lsat7_responses[0, 0] = 1.0
