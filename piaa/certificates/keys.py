"""The service's signing keys: where they live, how they are created and loaded.

Two keys, because the two signatures are checked by different worlds:

* an Ed25519 key signs Open Badges credentials and status lists (eddsa-rdfc-2022); its public
  half is published as a Multikey in the issuer profile;
* an ECDSA P-256 key with a self-signed X.509 certificate signs the PDF (PAdES). Ed25519 would
  do for pyHanko, but Poppler's ``pdfsig`` (NSS) in Debian 12 reports Ed25519 CMS signatures
  as corrupt, and a certificate that common PDF readers cannot check is no use to a holder.

Defaults live under ``<instance>/keys/``; ``PIAA_SIGNING_KEY_FILE`` (Ed25519 PEM),
``PIAA_SIGNING_CERT_FILE`` (PDF certificate PEM) and ``PIAA_SIGNING_CERT_KEY_FILE`` (its key)
point elsewhere, e.g. at a secrets mount.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

CREDENTIAL_KEY_NAME = "credential-ed25519.pem"
DOCUMENT_KEY_NAME = "document-signing-key.pem"
DOCUMENT_CERT_NAME = "document-signing-cert.pem"
CERT_VALIDITY = timedelta(days=10 * 365)


class SigningKeyError(RuntimeError):
    """Keys that are missing, unreadable or of the wrong type."""


@dataclass(frozen=True)
class KeyPaths:
    credential_key: Path
    document_key: Path
    document_cert: Path

    @classmethod
    def resolve(cls, instance_path: str | os.PathLike, config: dict | None = None) -> "KeyPaths":
        """Paths from config / environment (``PIAA_SIGNING_*``), else under ``<instance>/keys``."""
        config = config or {}

        def setting(name: str, default: Path) -> Path:
            value = config.get(name) or os.environ.get(name)
            return Path(value) if value else default

        base = Path(instance_path) / "keys"
        return cls(
            credential_key=setting("PIAA_SIGNING_KEY_FILE", base / CREDENTIAL_KEY_NAME),
            document_key=setting("PIAA_SIGNING_CERT_KEY_FILE", base / DOCUMENT_KEY_NAME),
            document_cert=setting("PIAA_SIGNING_CERT_FILE", base / DOCUMENT_CERT_NAME),
        )

    def all(self) -> tuple[Path, Path, Path]:
        return (self.credential_key, self.document_key, self.document_cert)


@dataclass(frozen=True)
class SigningKeys:
    credential_key: Ed25519PrivateKey
    document_key: ec.EllipticCurvePrivateKey
    document_cert: x509.Certificate
    paths: KeyPaths


def _private_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def self_signed_certificate(
    key: ec.EllipticCurvePrivateKey, *, common_name: str, organisation: str, now: datetime
) -> x509.Certificate:
    """A certificate for PDF signing: digital signature + non-repudiation, ten years."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "IN"),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + CERT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def init_keys(paths: KeyPaths, *, organisation: str, now: datetime, force: bool = False) -> SigningKeys:
    """Create the Ed25519 credential key and the PDF signing key + self-signed certificate.

    :raise SigningKeyError: if a key file exists already and ``force`` is false.
    """
    existing = [str(p) for p in paths.all() if p.exists()]
    if existing and not force:
        raise SigningKeyError(f"key files exist already: {', '.join(existing)} (use --force to replace them)")
    credential_key = Ed25519PrivateKey.generate()
    document_key = ec.generate_private_key(ec.SECP256R1())
    cert = self_signed_certificate(
        document_key, common_name=f"{organisation} certificate signing", organisation=organisation, now=now
    )
    for path, data in (
        (paths.credential_key, _private_pem(credential_key)),
        (paths.document_key, _private_pem(document_key)),
        (paths.document_cert, cert.public_bytes(serialization.Encoding.PEM)),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        # Private keys are written owner-only from the start, never chmod-ed afterwards.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    load_keys.cache_clear()
    return load_keys(paths)


@lru_cache(maxsize=8)
def load_keys(paths: KeyPaths) -> SigningKeys:
    """Read the three key files.

    :raise SigningKeyError: if a file is missing (run ``piaa keys init``) or of the wrong type.
    """
    missing = [str(p) for p in paths.all() if not p.exists()]
    if missing:
        raise SigningKeyError(f"signing key files missing: {', '.join(missing)}; run `piaa keys init`")
    credential_key = serialization.load_pem_private_key(paths.credential_key.read_bytes(), password=None)
    if not isinstance(credential_key, Ed25519PrivateKey):
        raise SigningKeyError(f"{paths.credential_key} is not an Ed25519 private key")
    document_key = serialization.load_pem_private_key(paths.document_key.read_bytes(), password=None)
    document_cert = x509.load_pem_x509_certificate(paths.document_cert.read_bytes())
    if document_cert.public_key().public_numbers() != document_key.public_key().public_numbers():
        raise SigningKeyError(f"{paths.document_cert} does not belong to the key in {paths.document_key}")
    return SigningKeys(credential_key, document_key, document_cert, paths)
