"""Fixtures for the administration pages: the delivery fixtures (a competency with a bank of
operational and pretest items, a calibration, a cohort, assessments and windows) and a
signed-in administrator."""
from __future__ import annotations

import pytest

from tests.conftest import login
from tests.delivery.conftest import (_fresh_pool_cache, agency, bank, calibration, candidate,  # noqa: F401
                                     cohort, competency, make_assessment, make_window, operational,
                                     proctor)


@pytest.fixture
def admin(make_user):
    return make_user(role="admin", organisation="PIAA Secretariat")


@pytest.fixture
def admin_client(app, admin):
    client = app.test_client()
    login(client, admin)
    return client


from tests.certificates.conftest import key_paths  # noqa: E402,F401


@pytest.fixture
def app_config(app_config, key_paths):  # noqa: F811
    """Certificates issued in these tests are signed with the session's keys."""
    return app_config | {
        "PIAA_SIGNING_KEY_FILE": str(key_paths.credential_key),
        "PIAA_SIGNING_CERT_FILE": str(key_paths.document_cert),
        "PIAA_SIGNING_CERT_KEY_FILE": str(key_paths.document_key),
    }
