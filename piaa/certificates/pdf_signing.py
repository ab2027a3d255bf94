"""PAdES baseline B signatures on certificate PDFs (pyHanko), their validation, and reading
the credential attached inside a PDF.

The signature is an incremental update, so the PDF/A-3 file WeasyPrint wrote stays intact
underneath it and any byte changed afterwards breaks the digest.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.attributes import SignedAttributeProviderSpec, SigningCertificateV2Provider
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from .keys import SigningKeys
from .rendering import CREDENTIAL_ATTACHMENT

SIGNATURE_FIELD = "PIAACertificateSignature"


class PdfSignatureError(ValueError):
    """A PDF that is unsigned, altered after signing, or signed by another certificate."""


class _FixedSigningCertificate(SigningCertificateV2Provider):
    """pyHanko's signing-certificate-v2 provider, with the value built once."""

    def __init__(self, signing_cert: asn1_x509.Certificate):
        super().__init__(signing_cert)
        self._value = tsp.SigningCertificateV2.load(as_signing_certificate_v2(signing_cert).dump())

    async def build_attr_value(self, dry_run=False) -> tsp.SigningCertificateV2:
        return self._value


class _PadesSignedAttributes(SignedAttributeProviderSpec):
    """The signed attributes pyHanko gives a PAdES signature without CAdES extras (which we
    do not use): signing-certificate-v2, with content-type and message-digest added by
    pyHanko itself. The signing time of PAdES is in the signature dictionary, not here.

    The signing-certificate-v2 value is the same for every signature under one certificate,
    so it is built once and kept in its parsed DER form. Left to pyHanko it is built from
    Python values per signature, and asn1crypto serialises such a structure again on every
    ``dump()`` (pyHanko dumps the signed attributes several times per signature): that was
    most of the time of a signature, several times the ECDSA signing itself.
    """

    def __init__(self, signing_cert: asn1_x509.Certificate):
        self._signing_certificate = _FixedSigningCertificate(signing_cert)

    def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str):
        yield self._signing_certificate


@dataclass(frozen=True)
class _DocumentSigner:
    signer: signers.SimpleSigner
    bytes_reserved: int
    """Room for the CMS signature in the PDF (hex digits)."""


@lru_cache(maxsize=4)
def _document_signer(keys: SigningKeys) -> _DocumentSigner:
    key_der = keys.document_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert_der = keys.document_cert.public_bytes(serialization.Encoding.DER)
    signing_cert = asn1_x509.Certificate.load(cert_der)
    signer = signers.SimpleSigner(
        signing_cert=signing_cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=None,
    )
    signer.signed_attr_prov_spec = _PadesSignedAttributes(signing_cert)
    return _DocumentSigner(signer, _run(lambda: _estimate_reserved_bytes(signer)))


async def _estimate_reserved_bytes(signer: signers.SimpleSigner) -> int:
    """pyHanko's own estimate of the signature's size, made once per certificate.

    Left to itself pyHanko builds a throw-away CMS signature for every PDF to size the
    placeholder, which doubles the cost of signing. Our B-B signature holds the same
    certificate and the same attributes every time (no time stamp, no revocation data), so
    the size is known after the first one; the 50% margin is the one pyHanko adds.
    """
    dummy = await signer.async_sign(
        hashlib.sha256().digest(), "sha256", use_pades=True, dry_run=True,
        signed_attr_settings=PdfCMSSignedAttributes(signing_time=datetime.now(timezone.utc)),
    )
    hex_length = len(dummy.dump()) * 2
    return hex_length + 2 * (hex_length // 4)


def sign_pdf(pdf: bytes, keys: SigningKeys, *, reason: str = "Proficiency certificate issued") -> bytes:
    """``pdf`` with a PAdES B-B signature by the service's document-signing certificate."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        md_algorithm="sha256",
    )
    document_signer = _document_signer(keys)
    output = io.BytesIO()
    _run(lambda: signers.async_sign_pdf(writer, metadata, signer=document_signer.signer, output=output,
                                        bytes_reserved=document_signer.bytes_reserved))
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
