"""Multibase / Multikey encoding of Ed25519 keys and signatures.

Data Integrity proofs carry signatures as base58-btc multibase strings ("z..."), and a
verification method publishes its Ed25519 public key as a Multikey: multibase of the
multicodec prefix 0xed01 followed by the 32 key bytes (W3C Controlled Identifiers v1.0,
section 2.2.2). The secret-key form (prefix 0x8026) is what the W3C test vectors use.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX = {c: i for i, c in enumerate(BASE58_ALPHABET)}

ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_PRIV_PREFIX = b"\x80\x26"


class MultikeyError(ValueError):
    """A multibase or Multikey string that cannot be decoded."""


def base58btc_encode(data: bytes) -> str:
    """Bitcoin-alphabet base58 of ``data`` (leading zero bytes become '1')."""
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(BASE58_ALPHABET[rest])
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading_zeros + "".join(reversed(digits))


def base58btc_decode(text: str) -> bytes:
    """Inverse of :func:`base58btc_encode`.

    :raise MultikeyError: if ``text`` has a character outside the alphabet.
    """
    number = 0
    for position, char in enumerate(text):
        if char not in _BASE58_INDEX:
            raise MultikeyError(f"invalid base58 character {char!r} at position {position}")
        number = number * 58 + _BASE58_INDEX[char]
    leading_ones = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * leading_ones + body


def multibase_encode(data: bytes) -> str:
    """Multibase base58-btc form ('z' + base58)."""
    return "z" + base58btc_encode(data)


def multibase_decode(text: str) -> bytes:
    """Decode a base58-btc multibase string.

    :raise MultikeyError: if the string does not start with 'z'.
    """
    if not isinstance(text, str) or not text.startswith("z"):
        raise MultikeyError(f"expected a base58-btc multibase string starting with 'z', got {text!r}")
    return base58btc_decode(text[1:])


def public_key_multibase(key: Ed25519PublicKey) -> str:
    """Multikey ``publicKeyMultibase`` value of an Ed25519 public key ("z6Mk...")."""
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return multibase_encode(ED25519_PUB_PREFIX + raw)


def public_key_from_multibase(text: str) -> Ed25519PublicKey:
    """Ed25519 public key of a Multikey ``publicKeyMultibase`` value.

    :raise MultikeyError: if the value is not an Ed25519 Multikey.
    """
    data = multibase_decode(text)
    if data[:2] != ED25519_PUB_PREFIX or len(data) != 34:
        raise MultikeyError(f"not an Ed25519 public Multikey: {text!r}")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def private_key_from_multibase(text: str) -> Ed25519PrivateKey:
    """Ed25519 private key of a ``secretKeyMultibase`` value (prefix 0x8026 + 32-byte seed).

    :raise MultikeyError: if the value is not an Ed25519 secret Multikey.
    """
    data = multibase_decode(text)
    if data[:2] != ED25519_PRIV_PREFIX or len(data) != 34:
        raise MultikeyError(f"not an Ed25519 secret Multikey: {text!r}")
    return Ed25519PrivateKey.from_private_bytes(data[2:])
