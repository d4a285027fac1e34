"""DLMS A-XDR ``Data`` values (DLMS Green Book 9.5 "Data", Blue Book 4.1.5 data types; GBCS 5.11).

A ``Data`` value is a one-byte type tag followed by its contents; arrays and structures
carry a BER element count and nest further values, strings carry a BER length. A
``compact-array`` (tag ``0x13``) carries a type description and then its elements
without tags, back to back, inside one length-prefixed block.

Every value is a frozen dataclass deriving from :class:`DlmsData`; the
:data:`dlms_data` construct parses and builds them so APDU structs can embed it.

The parts: :mod:`.dlms_data_types` (type tags, renderings, type descriptions), :mod:`.dlms_values`
(the value classes and their JSON), :mod:`.dlms_data_read` (direct reader), :mod:`.dlms_axdr` (the
construct). This module attaches the plaintext of protected blobs (GBCS 7.3.3) and gives the public
names of all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from smets_emu.errors import FrameError
from smets_emu.protocols.payloads.dlms_axdr import decode_data, dlms_data
from smets_emu.protocols.payloads.dlms_data_read import read_data
from smets_emu.protocols.payloads.dlms_data_types import (
    MAX_DEPTH,
    PROTECTED_PREFIX,
    DataTag,
    TypeDescription,
    build_checked,
    describe_date,
    describe_date_time,
    describe_time,
    obis_text,
)
from smets_emu.protocols.payloads.dlms_values import (
    ArrayData,
    BitStringData,
    BooleanData,
    CompactArrayData,
    DateTimeData,
    DlmsData,
    FloatData,
    IntegerData,
    NullData,
    OctetStringData,
    StringData,
    StructureData,
)

__all__ = [
    "MAX_DEPTH",
    "PROTECTED_PREFIX",
    "ArrayData",
    "BitStringData",
    "BooleanData",
    "CompactArrayData",
    "DataTag",
    "DateTimeData",
    "DlmsData",
    "FloatData",
    "IntegerData",
    "NullData",
    "OctetStringData",
    "StringData",
    "StructureData",
    "TypeDescription",
    "attach_decrypted",
    "build_checked",
    "decode_data",
    "describe_date",
    "describe_date_time",
    "describe_time",
    "dlms_data",
    "obis_text",
    "read_data",
]

# --------------------------------------------------------------------------- protected blobs


def _is_protection_parameters(value: DlmsData) -> bool:
    """An array of (protection-type enum, protection-options structure) pairs (Blue Book class 30)."""
    return (
        isinstance(value, ArrayData)
        and bool(value.items)
        and all(
            isinstance(item, StructureData) and len(item.items) == 2 and isinstance(item.items[0], IntegerData)
            and item.items[0].tag == DataTag.ENUM
            for item in value.items
        )
    )


def attach_decrypted(value: DlmsData, decrypt: Callable[[bytes], bytes], depth: int = 0) -> DlmsData:
    """Return *value* with every protected blob decrypted into its ``decrypted`` field.

    A blob is an octet string starting ``31 00 00 00 00`` that follows protection
    parameters in the same structure (GBCS 5.11 "Data protection", GBCS 3.6 of the digest).
    Errors from *decrypt* propagate unchanged; a plaintext that is not one DLMS Data
    value is a FrameError.
    """
    if depth > MAX_DEPTH or not isinstance(value, (ArrayData, StructureData)):
        return value
    items = list(value.items)
    changed = False
    for index, item in enumerate(items):
        if (
            isinstance(value, StructureData)
            and isinstance(item, OctetStringData)
            and item.is_protected
            and index > 0
            and _is_protection_parameters(items[index - 1])
        ):
            plaintext = decrypt(item.value)
            try:
                inner = decode_data(plaintext)
            except FrameError as exc:
                raise FrameError(f"decrypted protected data is not DLMS data: {exc}") from exc
            items[index] = replace(item, decrypted=inner)
            changed = True
        else:
            new = attach_decrypted(item, decrypt, depth + 1)
            if new is not item:
                items[index] = new
                changed = True
    return replace(value, items=tuple(items)) if changed else value


