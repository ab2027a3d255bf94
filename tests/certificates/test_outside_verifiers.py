"""Verifiers we did not write accept our credential and reject a tampered and a revoked one:
Digital Bazaar's @digitalbazaar/vc with the eddsa-rdfc-2022 cryptosuite (npm), and the
openbadgeslib OB 3.0 Data Integrity verifier (PyPI)."""
from __future__ import annotations

import copy
import json
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization

from .tools import CONTEXTS_DIR, node_verifier


def _tampered(credential):
    altered = copy.deepcopy(credential)
    altered["credentialSubject"]["achievement"]["resultDescription"][0]["rubricCriterionLevel"][0]["level"] = "5"
    return altered


def _run_node(tmp_path, credential, profile, status):
    script = node_verifier()
    files = {}
    for name, document in (("credential", credential), ("profile", profile), ("status", status)):
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(json.dumps(document), encoding="utf-8")
    result = subprocess.run(
        ["node", str(script), "--credential", str(files["credential"]), "--profile", str(files["profile"]),
         "--status-list", str(files["status"]), "--contexts", str(CONTEXTS_DIR)],
        capture_output=True, text=True, timeout=120)
    return result.returncode, json.loads(result.stdout)


def test_digital_bazaar_accepts_our_credential(tmp_path, signed_credential, issuer_profile, open_status_list):
    code, report = _run_node(tmp_path, signed_credential, issuer_profile, open_status_list)
    assert (code, report) == (0, {"verified": True, "revoked": False, "errors": []})


def test_digital_bazaar_rejects_a_tampered_credential(tmp_path, signed_credential, issuer_profile, open_status_list):
    code, report = _run_node(tmp_path, _tampered(signed_credential), issuer_profile, open_status_list)
    assert code == 1 and not report["verified"]
    assert any("signature" in error.lower() for error in report["errors"]), report


def test_digital_bazaar_reports_a_revoked_credential(tmp_path, signed_credential, issuer_profile, revoking_status_list):
    code, report = _run_node(tmp_path, signed_credential, issuer_profile, revoking_status_list)
    assert code == 2 and report["revoked"] is True


def _ob_verifier(signing_keys):
    from openbadgeslib.ob3.ldp import OB3LdpVerifier

    pem = signing_keys.credential_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return OB3LdpVerifier(pubkey_pem=pem)


def _download(status):
    body = json.dumps(status).encode()
    return lambda url: body


# openbadgeslib verifies the status list's own signature only for JWT-VC lists, so the list is
# read with verify_status_list=False (our own verifier and Digital Bazaar check its proof).
def test_openbadgeslib_accepts_our_credential(signed_credential, signing_keys, open_status_list):
    badge = _ob_verifier(signing_keys).verify(signed_credential, check_status=True,
                                              download=_download(open_status_list), verify_status_list=False)
    assert badge.id == signed_credential["id"]


def test_openbadgeslib_rejects_a_tampered_credential(signed_credential, signing_keys):
    from openbadgeslib.ob3.verifier import OB3VerificationError

    with pytest.raises(OB3VerificationError, match="(?i)signature|proof"):
        _ob_verifier(signing_keys).verify(_tampered(signed_credential))


def test_openbadgeslib_rejects_a_revoked_credential(signed_credential, signing_keys, revoking_status_list, facts):
    from openbadgeslib.ob3.verifier import OB3VerificationError

    with pytest.raises(OB3VerificationError, match=f"set at index {facts.status_list_index}"):
        _ob_verifier(signing_keys).verify(signed_credential, check_status=True,
                                          download=_download(revoking_status_list), verify_status_list=False)
