"""PAdES baseline B signatures on certificate PDFs (pyHanko), their validation, and reading
the credential attached inside a PDF.

The signature is an incremental update, so the PDF/A-3 file WeasyPrint wrote stays intact
underneath it and any byte changed afterwards breaks the digest.
"""

from __future__ import annotations

import asyncio
import io
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from .keys import SigningKeys
from .rendering import CREDENTIAL_ATTACHMENT

SIGNATURE_FIELD = "PIAACertificateSignature"


class PdfSignatureError(ValueError):
    """A PDF that is unsigned, altered after signing, or signed by another certificate."""


@lru_cache(maxsize=4)
def _signer(keys: SigningKeys) -> signers.SimpleSigner:
    key_der = keys.document_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert_der = keys.document_cert.public_bytes(serialization.Encoding.DER)
    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(cert_der),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=None,
    )


def sign_pdf(pdf: bytes, keys: SigningKeys, *, reason: str = "Proficiency certificate issued") -> bytes:
    """``pdf`` with a PAdES B-B signature by the service's document-signing certificate."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        md_algorithm="sha256",
    )
    output = io.BytesIO()
    _run(lambda: signers.async_sign_pdf(writer, metadata, signer=_signer(keys), output=output))
    return output.getvalue()


def _run(make_coroutine):
    """Run a pyHanko coroutine to completion, also from code that already has a running event
    loop (pyHanko's synchronous wrappers call asyncio.run and fail there)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coroutine())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


@dataclass(frozen=True)
class PdfSignatureReport:
    signer: str
    intact: bool
    valid: bool
    trusted: bool
    coverage: str


def validate_pdf(pdf: bytes, trusted_cert_pem: bytes) -> PdfSignatureReport:
    """Check the certificate signature of ``pdf`` against the service's certificate.

    :raise PdfSignatureError: if the PDF is unreadable, unsigned, altered after signing, or
        signed by a certificate other than ``trusted_cert_pem``.
    """
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except (PdfReadError, ValueError, KeyError) as exc:
        raise PdfSignatureError(f"not a readable PDF: {exc}") from exc
    if not signatures:
        raise PdfSignatureError("the PDF carries no signature")
    trusted = asn1_x509.Certificate.load(_pem_to_der(trusted_cert_pem))
    context = ValidationContext(trust_roots=[trusted], allow_fetching=False)
    signature = signatures[-1]
    try:
        status = _run(lambda: async_validate_pdf_signature(signature, context))
    except Exception as exc:  # pyHanko raises several unrelated types for corrupt input
        raise PdfSignatureError(f"the PDF signature could not be validated: {exc}") from exc
    report = PdfSignatureReport(
        signer=status.signing_cert.subject.human_friendly,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        coverage=status.coverage.name,
    )
    if not report.intact:
        raise PdfSignatureError("the PDF was altered after it was signed (digest mismatch)")
    if not report.valid:
        raise PdfSignatureError("the PDF signature does not verify")
    if not report.trusted or status.signing_cert.dump() != trusted.dump():
        raise PdfSignatureError(f"the PDF was signed by {report.signer!r}, not by the service's certificate")
    if report.coverage != "ENTIRE_FILE":
        raise PdfSignatureError(f"content was added after the signature (coverage {report.coverage})")
    return report


def _pem_to_der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


def attached_credential(pdf: bytes) -> dict:
    """The credential embedded as ``credential.json`` in ``pdf``.

    :raise PdfSignatureError: if the PDF has no such attachment or it is not JSON.
    """
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    except (KeyError, PdfReadError, ValueError) as exc:
        raise PdfSignatureError("the PDF has no attached credential") from exc
    for position in range(0, len(names), 2):
        if str(names[position]) == CREDENTIAL_ATTACHMENT:
            spec = names[position + 1].get_object()
            data = spec["/EF"]["/F"].get_object().data
            try:
                return json.loads(data)
            except ValueError as exc:
                raise PdfSignatureError(f"the attached {CREDENTIAL_ATTACHMENT} is not JSON: {exc}") from exc
    raise PdfSignatureError(f"the PDF has no attachment named {CREDENTIAL_ATTACHMENT}")
