"""The LTI tool's own RSA key: platforms check the tool's signed requests (the client
assertion that buys a grade-service token) against its public half, published as a JWKS.

LTI 1.3 signs with RS256, so this is an RSA key, apart from the service's Ed25519 and P-256
keys (``piaa.certificates.keys``). It lives in ``<instance>/keys/lti-tool-rsa.pem`` unless
``PIAA_LTI_KEY_FILE`` names another file (a secrets mount). ``piaa lti keys init`` makes it.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

TOOL_KEY_NAME = "lti-tool-rsa.pem"
KEY_BITS = 2048


class ToolKeyError(RuntimeError):
    """The tool key is missing, unreadable or not an RSA key."""


@dataclass(frozen=True)
class ToolKey:
    private_pem: str
    public_pem: str
    kid: str
    jwk: dict

    def jwks(self) -> dict:
        return {"keys": [self.jwk]}


def key_path(instance_path: str | os.PathLike, config: dict | None = None) -> Path:
    """``PIAA_LTI_KEY_FILE`` from the config or the environment, else under ``<instance>/keys``."""
    value = (config or {}).get("PIAA_LTI_KEY_FILE") or os.environ.get("PIAA_LTI_KEY_FILE")
    return Path(value) if value else Path(instance_path) / "keys" / TOOL_KEY_NAME


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(public_key: rsa.RSAPublicKey) -> dict:
    """The public key as a JWK whose ``kid`` is its RFC 7638 thumbprint, so the same key
    always has the same id on every worker."""
    numbers = public_key.public_numbers()
    members = {"e": _b64(numbers.e), "kty": "RSA", "n": _b64(numbers.n)}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
    return {**members, "kid": kid, "alg": "RS256", "use": "sig"}


def init_tool_key(path: Path, *, force: bool = False) -> ToolKey:
    """Create the tool's RSA key at ``path``, readable by its owner only.

    :raise ToolKeyError: if the file exists already and ``force`` is false.
    """
    if path.exists() and not force:
        raise ToolKeyError(f"the LTI tool key exists already: {path} (use --force to replace it; "
                           "every platform must then fetch the new JWKS)")
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    load_tool_key.cache_clear()
    return load_tool_key(path)


@lru_cache(maxsize=4)
def load_tool_key(path: Path) -> ToolKey:
    """Read the tool key.

    :raise ToolKeyError: if the file is missing (run ``piaa lti keys init``) or not RSA.
    """
    if not path.exists():
        raise ToolKeyError(f"the LTI tool key is missing: {path}; run `piaa lti keys init`")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ToolKeyError(f"{path} is not an RSA private key (LTI 1.3 signs with RS256)")
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    jwk = public_jwk(key.public_key())
    return ToolKey(private_pem, public_pem, jwk["kid"], jwk)


def tool_key(app) -> ToolKey:
    """The tool key of ``app`` (its instance folder or ``PIAA_LTI_KEY_FILE``)."""
    return load_tool_key(key_path(app.instance_path, app.config))
