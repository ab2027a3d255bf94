"""Bitstring Status List v1.0: the revocation bits of issued credentials.

Each credential gets a fixed index in one list; revoking it sets that bit. A list holds
131,072 entries (16 KiB), the minimum the specification asks for so that fetching a list does
not reveal which credential a verifier is checking. The bit order is the specification's:
index 0 is the most significant bit of the first byte. The encoded form is multibase
base64url ('u', no padding) of the GZIP-compressed bitstring.
"""

from __future__ import annotations

import base64
import gzip
import zlib
from collections.abc import Iterable
from datetime import datetime

from .data_integrity import sign, xsd_datetime
from .linked_data import CREDENTIALS_V2

LIST_SIZE = 131_072
MAX_DECOMPRESSED = 16 * 1024 * 1024
REVOCATION = "revocation"


class StatusListError(ValueError):
    """An encoded list or index that cannot be used."""


def encode(revoked_indices: Iterable[int], size: int = LIST_SIZE) -> str:
    """``encodedList`` with the bits at ``revoked_indices`` set.

    :raise StatusListError: if an index lies outside ``0 <= index < size``.
    """
    bits = bytearray(size // 8)
    for index in revoked_indices:
        if not 0 <= index < size:
            raise StatusListError(f"status list index {index} outside 0..{size - 1}")
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0 keeps the encoding a pure function of the bits, so equal lists compare equal.
    compressed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def decode(encoded_list: str) -> bytes:
    """The raw bitstring of an ``encodedList`` value.

    :raise StatusListError: if the value is not multibase base64url GZIP data or inflates past
        16 MiB (a compressed bomb).
    """
    if not isinstance(encoded_list, str) or not encoded_list.startswith("u"):
        raise StatusListError("encodedList must be a multibase base64url string starting with 'u'")
    body = encoded_list[1:]
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        raw = inflater.decompress(compressed, MAX_DECOMPRESSED)
    except (ValueError, zlib.error) as exc:
        raise StatusListError(f"encodedList is not base64url GZIP data: {exc}") from exc
    if inflater.unconsumed_tail:
        raise StatusListError("encodedList inflates to more than 16 MiB")
    return raw


def is_set(bitstring: bytes, index: int) -> bool:
    """Whether bit ``index`` is set.

    :raise StatusListError: if the index lies beyond the list.
    """
    if not 0 <= index < len(bitstring) * 8:
        raise StatusListError(f"status list index {index} outside a list of {len(bitstring) * 8} entries")
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))


def status_entry(list_url: str, index: int) -> dict:
    """The ``credentialStatus`` of a credential at ``index`` of the list at ``list_url``."""
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": REVOCATION,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def status_list_credential(
    *,
    list_url: str,
    issuer_id: str,
    verification_method: str,
    revoked_indices: Iterable[int],
    valid_from: datetime,
    key,
) -> dict:
    """A signed ``BitstringStatusListCredential`` with the given bits set."""
    unsigned = {
        "@context": [CREDENTIALS_V2],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": xsd_datetime(valid_from),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": REVOCATION,
            "encodedList": encode(revoked_indices),
        },
    }
    return sign(unsigned, key, verification_method=verification_method, created=valid_from)
