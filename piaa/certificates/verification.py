"""Checking a copy of a certificate someone holds: a signed PDF or the credential JSON.

Everything is checked offline against material the verifier already trusts: the issuer
profile (with the service's public Multikey), the document-signing certificate (for PDFs) and
a status list credential. The result lists every check with its outcome, so the web page, the
JSON endpoint and the command line all give the same reasons.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import data_integrity, status_list
from .multikey import MultikeyError, public_key_from_multibase
from .pdf_signing import PdfSignatureError, attached_credential, validate_pdf

VALID, REVOKED, INVALID = "valid", "revoked", "invalid"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class VerificationReport:
    """Outcome of all checks; ``status`` is valid, revoked or invalid."""

    checks: list[Check] = field(default_factory=list)
    credential: dict | None = None
    revoked: bool = False

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        return ok

    @property
    def intact(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def status(self) -> str:
        if not self.intact:
            return INVALID
        return REVOKED if self.revoked else VALID

    @property
    def reasons(self) -> list[str]:
        return [check.detail for check in self.checks if not check.ok]

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
            "reasons": self.reasons,
        }


def profile_key_resolver(profile: dict):
    """Verification-method id -> public key, for methods the profile lists under assertionMethod."""
    methods = {m.get("id"): m for m in profile.get("verificationMethod", []) if isinstance(m, dict)}
    allowed = set(profile.get("assertionMethod", []))

    def resolve(method_id: str) -> Ed25519PublicKey:
        if method_id not in allowed or method_id not in methods:
            raise KeyError(method_id)
        try:
            return public_key_from_multibase(methods[method_id]["publicKeyMultibase"])
        except (MultikeyError, KeyError) as exc:
            raise data_integrity.ProofError(f"issuer profile key {method_id!r} is unusable: {exc}") from exc

    return resolve


def _issuer_id(document: dict) -> str | None:
    issuer = document.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def check_credential(
    report: VerificationReport,
    credential: dict,
    *,
    profile: dict,
    status_list_credential: dict | None,
    now: datetime,
) -> VerificationReport:
    """Add the credential checks (type, issuer, proof, validity, status) to ``report``."""
    report.credential = credential
    types = credential.get("type", [])
    if not report.add("type", "OpenBadgeCredential" in types, f"credential type {types!r}"):
        return report
    issuer_id = _issuer_id(credential)
    if not report.add(
        "issuer", issuer_id == profile.get("id"), f"issued by {issuer_id!r}; trusted issuer is {profile.get('id')!r}"
    ):
        return report
    resolve = profile_key_resolver(profile)
    try:
        data_integrity.verify(credential, resolve)
        report.add("proof", True, "eddsa-rdfc-2022 proof verifies against the issuer's key")
    except data_integrity.ProofError as exc:
        report.add("proof", False, f"credential proof: {exc}")
        return report
    valid_from = _parse_time(credential.get("validFrom"))
    report.add(
        "validity",
        valid_from is not None and valid_from <= now,
        f"valid from {credential.get('validFrom')}",
    )
    _check_status(report, credential, status_list_credential, resolve, issuer_id)
    return report


def _check_status(report, credential, status_list_credential, resolve, issuer_id) -> None:
    entry = credential.get("credentialStatus")
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
        report.add("status", False, "credential has no BitstringStatusListEntry")
        return
    if status_list_credential is None:
        report.add("status", False, f"no status list given for {entry.get('statusListCredential')}")
        return
    if status_list_credential.get("id") != entry.get("statusListCredential"):
        report.add(
            "status",
            False,
            f"status list {status_list_credential.get('id')!r} is not the credential's list "
            f"{entry.get('statusListCredential')!r}",
        )
        return
    if _issuer_id(status_list_credential) != issuer_id:
        report.add("status", False, "status list was issued by someone else than the credential")
        return
    try:
        data_integrity.verify(status_list_credential, resolve)
        subject = status_list_credential["credentialSubject"]
        if subject.get("statusPurpose") != entry.get("statusPurpose"):
            raise status_list.StatusListError(
                f"list purpose {subject.get('statusPurpose')!r} differs from entry purpose {entry.get('statusPurpose')!r}"
            )
        bits = status_list.decode(subject["encodedList"])
        report.revoked = status_list.is_set(bits, int(entry["statusListIndex"]))
    except (data_integrity.ProofError, status_list.StatusListError, KeyError, TypeError, ValueError) as exc:
        report.add("status", False, f"status list: {exc}")
        return
    report.add(
        "status",
        True,
        "revoked by the issuer" if report.revoked else "not revoked",
    )


def verify_copy(
    data: bytes,
    *,
    profile: dict,
    status_list_credential: dict | None,
    document_cert_pem: bytes | None,
    now: datetime,
) -> VerificationReport:
    """Verify a PDF certificate or a credential JSON file given as bytes."""
    report = VerificationReport()
    if data.lstrip()[:5] == b"%PDF-":
        if document_cert_pem is None:
            report.add("pdf-signature", False, "no document-signing certificate to check the PDF against")
            return report
        try:
            signature = validate_pdf(data, document_cert_pem)
            report.add("pdf-signature", True, f"PDF signed by {signature.signer}, unaltered since")
            credential = attached_credential(data)
            report.add("attachment", True, "credential attached in the PDF")
        except PdfSignatureError as exc:
            report.add("pdf-signature", False, str(exc))
            return report
    else:
        try:
            credential = json.loads(data.decode("utf-8"))
            if not isinstance(credential, dict):
                raise ValueError("top level is not an object")
            report.add("format", True, "credential JSON")
        except (UnicodeDecodeError, ValueError) as exc:
            report.add("format", False, f"neither a PDF nor credential JSON: {exc}")
            return report
    return check_credential(
        report, credential, profile=profile, status_list_credential=status_list_credential, now=now
    )


def _parse_time(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
