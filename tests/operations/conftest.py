"""Fixtures: the delivery fixtures (a bank, assessments, windows, a candidate), for tests that
sit an assessment through the API, and signing keys in a temporary folder."""
from __future__ import annotations

import pytest

from tests.delivery.conftest import *  # noqa: F401,F403  (fixtures)


@pytest.fixture
def key_settings(tmp_path) -> dict:
    keys = tmp_path / "keys"
    return {"PIAA_SIGNING_KEY_FILE": str(keys / "credential.pem"),
            "PIAA_SIGNING_CERT_KEY_FILE": str(keys / "document-key.pem"),
            "PIAA_SIGNING_CERT_FILE": str(keys / "document-cert.pem")}
