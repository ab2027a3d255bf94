"""eddsa-rdfc-2022 signing and verification, checked against the W3C test vector."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from piaa.certificates import data_integrity, multikey
from piaa.certificates.linked_data import ContextLoader, LinkedDataError, canonize, vendored_contexts

VECTORS = Path(__file__).parent / "vectors" / "vc-di-eddsa"
EXAMPLES_CONTEXT = "https://www.w3.org/ns/credentials/examples/v2"


def _json(name):
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def vector():
    signed = _json("signedDataInt.json")
    return {
        "key": multikey.private_key_from_multibase(_json("keyPair.json")["privateKeyMultibase"]),
        "public": _json("keyPair.json")["publicKeyMultibase"],
        "signed": signed,
        "unsigned": {k: v for k, v in signed.items() if k != "proof"},
        "loader": ContextLoader(extra={EXAMPLES_CONTEXT: _json("examples-v2-context.jsonld")}),
    }


def test_key_pair_of_the_vector_round_trips(vector):
    assert multikey.public_key_multibase(vector["key"].public_key()) == vector["public"]


def test_signer_reproduces_the_w3c_proof_value_exactly(vector):
    # Ed25519 is deterministic, so equal bytes prove equal canonicalization, hashing and order.
    proof = vector["signed"]["proof"]
    secured = data_integrity.sign(
        vector["unsigned"], vector["key"], verification_method=proof["verificationMethod"],
        created=datetime(2023, 2, 24, 23, 36, 38, tzinfo=timezone.utc), loader=vector["loader"])
    assert secured == vector["signed"]
    assert secured["proof"]["proofValue"] == (VECTORS / "sigBTC58DataInt.txt").read_text().strip()


def test_intermediate_values_match_the_vector(vector):
    proof_config = _json("proofConfigDataInt.json")
    assert canonize(proof_config, vector["loader"]) == (VECTORS / "proofCanonDataInt.txt").read_text()
    combined = data_integrity.hash_data(vector["unsigned"], proof_config, vector["loader"])
    assert combined.hex() == (VECTORS / "combinedHashDataInt.txt").read_text().strip()


def test_the_vector_verifies_and_a_changed_copy_does_not(vector):
    public = multikey.public_key_from_multibase(vector["public"])
    data_integrity.verify(vector["signed"], lambda _: public, loader=vector["loader"])
    altered = copy.deepcopy(vector["signed"])
    altered["credentialSubject"]["alumniOf"] = "Another School"
    with pytest.raises(data_integrity.ProofError, match="altered"):
        data_integrity.verify(altered, lambda _: public, loader=vector["loader"])


def test_unvendored_context_is_never_fetched(vector):
    with pytest.raises(LinkedDataError, match="not vendored"):
        canonize(vector["unsigned"])  # the examples context is not part of the product


def test_undefined_term_is_refused_instead_of_signed():
    document = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                "issuer": "https://piaa.example", "favouriteColour": "blue"}
    with pytest.raises(LinkedDataError, match="favouriteColour"):
        canonize(document)


def test_an_extra_document_may_not_replace_a_vendored_context():
    # pyld keeps vendored contexts processed for the life of the process, keyed by URL.
    with pytest.raises(LinkedDataError, match="may not replace"):
        ContextLoader(extra={"https://www.w3.org/ns/credentials/v2": {"@context": {}}})


def test_canonical_form_does_not_depend_on_what_was_processed_before(signed_credential):
    unsigned = {k: v for k, v in signed_credential.items() if k != "proof"}
    first = canonize(unsigned)
    canonize({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
              "issuer": "https://piaa.example"})
    assert canonize(copy.deepcopy(unsigned)) == first and "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#" in first


def test_vendored_contexts_match_their_recorded_hashes():
    contexts = vendored_contexts()
    assert "https://www.w3.org/ns/credentials/v2" in contexts
    assert "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json" in contexts


@pytest.mark.parametrize("data", [b"", b"\0\0\x01", b"hello world", bytes(range(40))])
def test_base58_round_trip(data):
    assert multikey.base58btc_decode(multikey.base58btc_encode(data)) == data


def test_base58_reference_value():
    # Bitcoin's base58 of "Hello World!" (draft-msporny-base58-03, section 5): 2NEpo7TZRRrLZSi2U
    assert multikey.base58btc_encode(b"Hello World!") == "2NEpo7TZRRrLZSi2U"
    with pytest.raises(multikey.MultikeyError, match="'0'"):
        multikey.base58btc_decode("10OIl")
