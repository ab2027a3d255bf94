"""Fixtures for certificate tests: one set of signing keys per test session, sample facts,
and a rendered, signed certificate shared by the read-only PDF tests."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from piaa.certificates import credential, keys as keys_module, pdf_signing, rendering, status_list

ASSESSED = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def key_paths(tmp_path_factory):
    paths = keys_module.KeyPaths.resolve(tmp_path_factory.mktemp("instance"))
    keys_module.init_keys(paths, organisation="PIAA Test", now=ASSESSED)
    return paths


@pytest.fixture(scope="session")
def signing_keys(key_paths):
    return keys_module.load_keys(key_paths)


@pytest.fixture(scope="session")
def issuer():
    return credential.IssuerIdentity("https://piaa.example.gov.in", "PIAA Test Service")


@pytest.fixture(scope="session")
def facts():
    return credential.CertificateFacts(
        public_id="5f0c6a3e9b2d4c718e0a1b2c3d4e5f60",
        serial="PIAA-2026-0000001",
        official_name="Asha Verma",
        official_name_hi="आशा वर्मा",
        email="Asha.Verma@example.gov.in",
        identity_salt="9d1f0c2b7a6e5d4c",
        competency_code="FN-DA-01",
        competency_name="Data analysis",
        level=3,
        level_label="Proficient",
        level_descriptor="Analyses routine data sets independently and explains the findings.",
        agency_name="National Assessment Agency",
        assessed_at=ASSESSED,
        issued_at=ASSESSED,
        status_list_number=1,
        status_list_index=7,
        decision_confidence=0.93,
    )


@pytest.fixture(scope="session")
def signed_credential(facts, issuer, signing_keys):
    return credential.signed_credential(facts, issuer, signing_keys.credential_key)


@pytest.fixture(scope="session")
def issuer_profile(issuer, signing_keys):
    return credential.issuer_profile(issuer, signing_keys.credential_key.public_key())


def make_status_list(issuer, signing_keys, revoked):
    return status_list.status_list_credential(
        list_url=issuer.status_list_url(1),
        issuer_id=issuer.profile_url,
        verification_method=issuer.verification_method(signing_keys.credential_key.public_key()),
        revoked_indices=revoked,
        valid_from=ASSESSED,
        key=signing_keys.credential_key,
    )


@pytest.fixture(scope="session")
def open_status_list(issuer, signing_keys):
    return make_status_list(issuer, signing_keys, [3])


@pytest.fixture(scope="session")
def revoking_status_list(issuer, signing_keys, facts):
    return make_status_list(issuer, signing_keys, [3, facts.status_list_index])


@pytest.fixture(scope="session")
def signed_pdf(facts, issuer, signed_credential, signing_keys):
    html = rendering.certificate_html(facts, issuer)
    return pdf_signing.sign_pdf(rendering.render_pdf(html, signed_credential), signing_keys)


@pytest.fixture(scope="session")
def cert_pem(signing_keys):
    return signing_keys.paths.document_cert.read_bytes()


@pytest.fixture
def app_config(app_config, key_paths):
    """The web tests sign with the session's keys."""
    return app_config | {
        "PIAA_SIGNING_KEY_FILE": str(key_paths.credential_key),
        "PIAA_SIGNING_CERT_FILE": str(key_paths.document_cert),
        "PIAA_SIGNING_CERT_KEY_FILE": str(key_paths.document_key),
    }
