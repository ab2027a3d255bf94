"""Bitstring Status List encoding, against the specification's example."""
from __future__ import annotations

import base64
import gzip

import pytest

from piaa.certificates import status_list

# W3C "Bitstring Status List v1.0", example "Example BitstringStatusListCredential": the
# encodedList of a 16 KB list with no bit set.
SPEC_EMPTY_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def test_specification_example_decodes_to_an_empty_16kb_list():
    bits = status_list.decode(SPEC_EMPTY_LIST)
    assert len(bits) == 16384 and not any(bits)


def test_index_zero_is_the_most_significant_bit_of_the_first_byte():
    # Bitstring Status List v1.0, section 3.2: "the first index, with a value of zero, is
    # located at the left-most bit in the bitstring".
    bits = status_list.decode(status_list.encode([0, 9]))
    assert bits[0] == 0x80 and bits[1] == 0x40 and not any(bits[2:])


def test_round_trip_of_random_indices():
    import random

    chosen = set(random.Random(7).sample(range(status_list.LIST_SIZE), 200))
    bits = status_list.decode(status_list.encode(chosen))
    assert {i for i in range(status_list.LIST_SIZE) if status_list.is_set(bits, i)} == chosen


def test_encoding_is_deterministic():
    assert status_list.encode([5, 6]) == status_list.encode([6, 5])


def test_bad_values_are_named():
    with pytest.raises(status_list.StatusListError, match="131072"):
        status_list.encode([status_list.LIST_SIZE])
    with pytest.raises(status_list.StatusListError, match="starting with 'u'"):
        status_list.decode("zabc")
    bomb = gzip.compress(bytes(20 * 1024 * 1024))
    with pytest.raises(status_list.StatusListError, match="16 MiB"):
        status_list.decode("u" + base64.urlsafe_b64encode(bomb).decode().rstrip("="))
    with pytest.raises(status_list.StatusListError, match="outside"):
        status_list.is_set(bytes(2), 16)
