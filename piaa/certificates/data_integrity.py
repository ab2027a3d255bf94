"""Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite (W3C vc-di-eddsa v1.0, section 3.3).

Signing: canonicalize the document without its proof and the proof options (with the
document's ``@context``) by RDFC-1.0, hash each with SHA-256, sign
``hash(proof options) || hash(document)`` with Ed25519, and attach the signature as a
base58-btc multibase ``proofValue``. Verification repeats the transformation and checks the
signature against the key the ``verificationMethod`` resolves to.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from datetime import datetime, timezone

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from .linked_data import DEFAULT_LOADER, ContextLoader, LinkedDataError, canonize
from .multikey import MultikeyError, multibase_decode, multibase_encode

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
ASSERTION_METHOD = "assertionMethod"


class ProofError(ValueError):
    """A proof that is missing, malformed or does not verify; the message says which."""


def xsd_datetime(moment: datetime) -> str:
    """UTC timestamp in the second-precision form the W3C examples use ("2023-02-24T23:36:38Z")."""
    if moment.tzinfo is None:
        raise ValueError(f"timestamp must be timezone-aware, got {moment!r}")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def hash_data(document: dict, proof_config: dict, loader: ContextLoader) -> bytes:
    """The 64 bytes that are signed: SHA-256 of the canonical proof options, then of the document."""
    proof_hash = hashlib.sha256(canonize(proof_config, loader).encode("utf-8")).digest()
    document_hash = hashlib.sha256(canonize(document, loader).encode("utf-8")).digest()
    return proof_hash + document_hash


def sign(
    document: dict,
    key: Ed25519PrivateKey,
    *,
    verification_method: str,
    created: datetime,
    loader: ContextLoader = DEFAULT_LOADER,
) -> dict:
    """Return a copy of ``document`` with an ``eddsa-rdfc-2022`` DataIntegrityProof attached.

    :raise LinkedDataError: if the document uses a context that is not vendored or a term
        its contexts do not define.
    """
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proof = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": xsd_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": ASSERTION_METHOD,
    }
    proof_config = proof | {"@context": unsecured["@context"]}
    signature = key.sign(hash_data(unsecured, proof_config, loader))
    secured = copy.deepcopy(unsecured)
    secured["proof"] = proof | {"proofValue": multibase_encode(signature)}
    return secured


def verify(
    secured: dict,
    resolve_key: Callable[[str], Ed25519PublicKey],
    *,
    loader: ContextLoader = DEFAULT_LOADER,
) -> dict:
    """Check the single eddsa-rdfc-2022 proof of ``secured``; return the proof on success.

    ``resolve_key`` maps a verification method id to its public key and raises ``ProofError``
    (or ``KeyError``) for one it does not know.

    :raise ProofError: naming what failed (structure, key, canonicalization, signature).
    """
    proof = secured.get("proof")
    if not isinstance(proof, dict):
        raise ProofError("the credential has no single proof object")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(
            f"unsupported proof {proof.get('type')!r} / {proof.get('cryptosuite')!r}; "
            f"expected {PROOF_TYPE} / {CRYPTOSUITE}"
        )
    if proof.get("proofPurpose") != ASSERTION_METHOD:
        raise ProofError(f"proof purpose is {proof.get('proofPurpose')!r}, expected {ASSERTION_METHOD!r}")
    for name in ("created", "verificationMethod", "proofValue"):
        if not isinstance(proof.get(name), str):
            raise ProofError(f"proof has no {name}")
    try:
        public_key = resolve_key(proof["verificationMethod"])
    except KeyError as exc:
        raise ProofError(f"unknown verification method {proof['verificationMethod']!r}") from exc
    try:
        signature = multibase_decode(proof["proofValue"])
    except MultikeyError as exc:
        raise ProofError(f"proofValue is not base58-btc: {exc}") from exc
    unsecured = {k: v for k, v in secured.items() if k != "proof"}
    proof_config = {k: v for k, v in proof.items() if k != "proofValue"}
    proof_config["@context"] = unsecured.get("@context")
    try:
        data = hash_data(unsecured, proof_config, loader)
    except LinkedDataError as exc:
        raise ProofError(str(exc)) from exc
    try:
        public_key.verify(signature, data)
    except InvalidSignature as exc:
        raise ProofError("signature does not match the credential: it was altered or signed by another key") from exc
    return proof
