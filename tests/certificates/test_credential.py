"""The Open Badges 3.0 credential: content, privacy, proof and issuer profile."""
from __future__ import annotations

import copy
import hashlib
import json

import pytest

from piaa.certificates import credential, data_integrity
from piaa.certificates.verification import profile_key_resolver


def test_credential_states_the_facts(signed_credential, facts, issuer):
    subject = signed_credential["credentialSubject"]
    achievement = subject["achievement"]
    assert signed_credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert signed_credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert signed_credential["id"] == "urn:uuid:5f0c6a3e-9b2d-4c71-8e0a-1b2c3d4e5f60"
    assert signed_credential["issuer"]["id"] == issuer.profile_url
    assert signed_credential["validFrom"] == "2026-01-05T09:00:00Z"
    assert achievement["humanCode"] == "FN-DA-01"
    assert achievement["resultDescription"][0]["rubricCriterionLevel"][0]["level"] == "3"
    assert subject["result"][0]["achievedLevel"] == achievement["resultDescription"][0]["rubricCriterionLevel"][0]["id"]
    assert "narrative" in achievement["criteria"]
    # The decision confidence: a Percent result (terms of the OB 3.0 context only).
    confidence = achievement["resultDescription"][1]
    assert (confidence["resultType"], confidence["valueMin"], confidence["valueMax"]) == ("Percent", "0", "100")
    assert subject["result"][1] == {"type": ["Result"], "resultDescription": confidence["id"], "value": "93"}
    assert "We are 93% confident that the holder's level is level 3 (Proficient) or higher." in \
        achievement["criteria"]["narrative"]
    assert subject["activityEndDate"] == "2026-01-05T09:00:00Z"  # the date of the assessment
    status = signed_credential["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusListIndex"] == "7"
    assert signed_credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"


def test_no_plain_email_and_the_hash_is_reproducible(signed_credential, facts):
    text = json.dumps(signed_credential).lower()
    assert facts.email.lower() not in text and "asha.verma@" not in text
    identifier = signed_credential["credentialSubject"]["identifier"][0]
    # OB 3.0 identityHash: "sha256$" + hex SHA-256 of the address followed by the salt.
    expected = hashlib.sha256(("asha.verma@example.gov.in" + facts.identity_salt).encode()).hexdigest()
    assert identifier == {"type": "IdentityObject", "identityHash": "sha256$" + expected,
                          "identityType": "emailAddress", "hashed": True, "salt": facts.identity_salt}


def test_proof_verifies_against_the_issuer_profile(signed_credential, issuer_profile):
    data_integrity.verify(signed_credential, profile_key_resolver(issuer_profile))


@pytest.mark.parametrize("path, value", [
    (("credentialSubject", "achievement", "name"), "Data analysis: proficiency level 5 (Expert)"),
    (("validFrom",), "2020-01-01T00:00:00Z"),
    (("credentialStatus", "statusListIndex"), "8"),
    (("credentialSubject", "result", 1, "value"), "99"),
])
def test_any_change_breaks_the_proof(signed_credential, issuer_profile, path, value):
    altered = copy.deepcopy(signed_credential)
    target = altered
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(data_integrity.ProofError, match="altered"):
        data_integrity.verify(altered, profile_key_resolver(issuer_profile))


def test_a_key_the_profile_does_not_list_is_refused(signed_credential, issuer):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = credential.issuer_profile(issuer, Ed25519PrivateKey.generate().public_key())
    with pytest.raises(data_integrity.ProofError, match="unknown verification method"):
        data_integrity.verify(signed_credential, profile_key_resolver(other))


def test_issuer_profile_publishes_the_multikey(issuer_profile, signing_keys):
    from piaa.certificates.multikey import public_key_multibase

    method = issuer_profile["verificationMethod"][0]
    assert method["type"] == "Multikey"
    assert method["publicKeyMultibase"] == public_key_multibase(signing_keys.credential_key.public_key())
    assert issuer_profile["assertionMethod"] == [method["id"]]


def test_bad_facts_are_refused(facts):
    import dataclasses

    with pytest.raises(ValueError, match="level must be 1..5, got 6"):
        dataclasses.replace(facts, level=6)
    with pytest.raises(ValueError, match="32 lowercase hex"):
        dataclasses.replace(facts, public_id="1234")
