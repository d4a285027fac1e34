"""A-XDR Data values as frozen dataclasses (DLMS Green Book 9.5 "Data"; GBCS 5.11) and their JSON forms.

Every value derives from :class:`DlmsData`; :meth:`DlmsData.encode` writes it directly (:mod:`.dlms_write`)
and leaves what is off that plain path to the :data:`~.dlms_axdr.dlms_data` construct.
"""

from __future__ import annotations

import abc
import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from smets_emu.errors import EncodeError
from smets_emu.protocols.payloads.dlms_data_types import (
    FIXED_OCTETS,
    FLOAT_FORMATS,
    INTEGER_CODECS,
    PROTECTED_PREFIX,
    PROTECTION_OVERHEAD,
    STRING_TAGS,
    DataTag,
    TypeDescription,
    build_checked,
    describe_fixed,
    json_tag,
    obis_text,
    printable,
)
from smets_emu.protocols.payloads.json_fields import json_hex, json_int, json_list

# --------------------------------------------------------------------------- values


class DlmsData(abc.ABC):
    """One A-XDR ``Data`` value."""

    tag: DataTag

    def encode(self) -> bytes:
        """The tagged A-XDR bytes of this value."""
        from smets_emu.protocols.payloads import dlms_axdr, dlms_write

        out: list[bytes] = []
        try:
            dlms_write.write_data(self, out)
            return b"".join(out)
        except dlms_write.OffPath:
            pass
        return build_checked(dlms_axdr.dlms_data, self, "DLMS data")

    @abc.abstractmethod
    def to_json(self) -> dict[str, Any]:
        """``{"type": <name>, ...}``; informative keys are ignored by :meth:`from_json`."""

    @staticmethod
    def from_json(obj: Any) -> DlmsData:
        """Rebuild any value from its JSON form."""
        return _from_json(obj, 0)

    def walk(self) -> Iterator[DlmsData]:
        """This value and every value nested in it, depth first."""
        yield self


@dataclass(frozen=True)
class NullData(DlmsData):
    """``null-data`` (tag 0)."""

    tag: ClassVar[DataTag] = DataTag.NULL_DATA

    def to_json(self) -> dict[str, Any]:
        return {"type": self.tag.json_name}


@dataclass(frozen=True)
class ItemsData(DlmsData):
    items: tuple[DlmsData, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"type": self.tag.json_name, "value": [item.to_json() for item in self.items]}

    def walk(self) -> Iterator[DlmsData]:
        yield self
        for item in self.items:
            yield from item.walk()


@dataclass(frozen=True)
class ArrayData(ItemsData):
    """``array`` (tag 1): BER count, then that many tagged values."""

    tag: ClassVar[DataTag] = DataTag.ARRAY


@dataclass(frozen=True)
class StructureData(ItemsData):
    """``structure`` (tag 2): BER count, then that many tagged values."""

    tag: ClassVar[DataTag] = DataTag.STRUCTURE


@dataclass(frozen=True)
class BooleanData(DlmsData):
    """``boolean`` (tag 3). ``raw`` is the byte on the wire (any non-zero byte is true)."""

    tag: ClassVar[DataTag] = DataTag.BOOLEAN
    raw: int = 0xFF

    @property
    def value(self) -> bool:
        return self.raw != 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.tag.json_name, "value": self.value}
        if self.raw not in (0x00, 0xFF):
            out["raw"] = self.raw
        return out


@dataclass(frozen=True)
class BitStringData(DlmsData):
    """``bit-string`` (tag 4): BER bit count, then the bits packed MSB first."""

    tag: ClassVar[DataTag] = DataTag.BIT_STRING
    bit_count: int = 0
    data: bytes = b""

    def to_json(self) -> dict[str, Any]:
        bits = "".join(f"{b:08b}" for b in self.data)[: self.bit_count]
        return {"type": self.tag.json_name, "bit_count": self.bit_count, "value": self.data.hex().upper(), "bits": bits}


@dataclass(frozen=True)
class IntegerData(DlmsData):
    """A fixed-size integer type (integer, long, unsigned, long-unsigned, enum, double-long, long64, bcd, delta-*)."""

    tag: DataTag = DataTag.UNSIGNED  # type: ignore[misc]
    value: int = 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.tag.json_name, "value": self.value}
        if self.tag in (DataTag.LONG_UNSIGNED, DataTag.DOUBLE_LONG_UNSIGNED) and self.value >= 0:
            out["hex"] = f"{self.value:0{INTEGER_CODECS[self.tag].sizeof() * 2}X}"
        return out


@dataclass(frozen=True)
class OctetStringData(DlmsData):
    """``octet-string`` (tag 9): BER length, then the bytes.

    ``decrypted`` is informative: the plaintext of a GBCS protected blob when a
    decryptor was supplied (GBCS 7.3.3); it never takes part in encoding.
    """

    tag: ClassVar[DataTag] = DataTag.OCTET_STRING
    value: bytes = b""
    decrypted: DlmsData | None = field(default=None, compare=False)

    @property
    def is_protected(self) -> bool:
        """True when the content has the shape of a GBCS protected blob."""
        return len(self.value) >= PROTECTION_OVERHEAD and self.value.startswith(PROTECTED_PREFIX)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.tag.json_name, "value": self.value.hex().upper()}
        size = len(self.value)
        if size == 6:
            out["obis"] = obis_text(self.value)
        reading = describe_fixed(self.value)
        if reading is not None:
            out[reading[0]] = reading[1]
        text = printable(self.value)
        if text is not None:
            out["text"] = text
        if self.decrypted is not None:
            out["decrypted"] = self.decrypted.to_json()
        return out

    def walk(self) -> Iterator[DlmsData]:
        yield self
        if self.decrypted is not None:
            yield from self.decrypted.walk()


@dataclass(frozen=True)
class StringData(DlmsData):
    """``visible-string`` (tag 10) or ``utf8-string`` (tag 12); ``value`` keeps the exact bytes."""

    tag: DataTag = DataTag.VISIBLE_STRING  # type: ignore[misc]
    value: bytes = b""

    @property
    def text(self) -> str | None:
        """The characters, or None when the bytes are not valid for the type."""
        if self.tag == DataTag.UTF8_STRING:
            try:
                return self.value.decode("utf-8")
            except UnicodeDecodeError:
                return None
        return printable(self.value) if self.value else ""

    def to_json(self) -> dict[str, Any]:
        text = self.text
        if text is None:
            return {"type": self.tag.json_name, "hex": self.value.hex().upper()}
        return {"type": self.tag.json_name, "value": text}


@dataclass(frozen=True)
class FloatData(DlmsData):
    """``float32``/``float64`` (tags 23/24) or the legacy ``floating-point`` (tag 7); ``raw`` is IEEE 754 BE."""

    tag: DataTag = DataTag.FLOAT32  # type: ignore[misc]
    raw: bytes = b"\x00\x00\x00\x00"

    @classmethod
    def of(cls, tag: DataTag, value: float) -> FloatData:
        """Build from a number."""
        try:
            return cls(tag, struct.pack(FLOAT_FORMATS[tag], value))
        except (KeyError, struct.error, OverflowError) as exc:
            raise EncodeError(f"cannot encode {value!r} as {tag.json_name}") from exc

    @property
    def value(self) -> float:
        return struct.unpack(FLOAT_FORMATS[self.tag], self.raw)[0]

    def to_json(self) -> dict[str, Any]:
        number = self.value
        out: dict[str, Any] = {"type": self.tag.json_name, "hex": self.raw.hex().upper()}
        if math.isfinite(number):
            out["value"] = number
        return out


@dataclass(frozen=True)
class DateTimeData(DlmsData):
    """``date-time``/``date``/``time`` (tags 25/26/27): 12, 5 or 4 fixed bytes (Blue Book 4.1.6.1)."""

    tag: DataTag = DataTag.DATE_TIME  # type: ignore[misc]
    raw: bytes = b""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.tag.json_name, "value": self.raw.hex().upper()}
        reading = describe_fixed(self.raw) if len(self.raw) == FIXED_OCTETS[self.tag] else None
        if reading is not None:
            out["text"] = reading[1]
        return out


@dataclass(frozen=True)
class CompactArrayData(DlmsData):
    """``compact-array`` (tag 19): a type description, then elements of that type without tags."""

    tag: ClassVar[DataTag] = DataTag.COMPACT_ARRAY
    description: TypeDescription = TypeDescription(DataTag.UNSIGNED)
    items: tuple[DlmsData, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.tag.json_name,
            "description": self.description.to_json(),
            "value": [item.to_json() for item in self.items],
        }

    def walk(self) -> Iterator[DlmsData]:
        yield self
        for item in self.items:
            yield from item.walk()




# --------------------------------------------------------------------------- JSON


def _from_json(obj: Any, depth: int) -> DlmsData:
    tag = json_tag(obj, depth, "DLMS data")
    if tag == DataTag.NULL_DATA:
        return NullData()
    if tag in (DataTag.ARRAY, DataTag.STRUCTURE):
        items = tuple(_from_json(item, depth + 1) for item in json_list(obj, "value"))
        return ArrayData(items) if tag == DataTag.ARRAY else StructureData(items)
    if tag == DataTag.COMPACT_ARRAY:
        desc = TypeDescription.from_json(obj.get("description"))
        return CompactArrayData(desc, tuple(_from_json(item, depth + 1) for item in json_list(obj, "value")))
    if tag in INTEGER_CODECS:
        return IntegerData(tag, json_int(obj, "value"))
    if tag == DataTag.BOOLEAN:
        value = obj.get("value")
        if not isinstance(value, bool):
            raise EncodeError(f"boolean value must be true or false, got {value!r}")
        raw = obj.get("raw")
        if isinstance(raw, int) and not isinstance(raw, bool) and (raw != 0) == value:
            return BooleanData(raw)
        return BooleanData(0xFF if value else 0x00)
    if tag == DataTag.BIT_STRING:
        return BitStringData(json_int(obj, "bit_count"), json_hex(obj, "value"))
    if tag == DataTag.OCTET_STRING:
        return OctetStringData(json_hex(obj, "value"))
    if tag in STRING_TAGS:
        if "hex" in obj:
            return StringData(tag, json_hex(obj, "hex"))
        text = obj.get("value")
        if not isinstance(text, str):
            raise EncodeError(f"string value must be text, got {text!r}")
        try:
            return StringData(tag, text.encode("utf-8" if tag == DataTag.UTF8_STRING else "ascii"))
        except UnicodeEncodeError:
            raise EncodeError(f"{text!r} is not a valid {tag.json_name}") from None
    if tag in FLOAT_FORMATS:
        number = obj.get("value")
        if isinstance(number, (int, float)) and not isinstance(number, bool):
            return FloatData.of(tag, float(number))
        return FloatData(tag, json_hex(obj, "hex"))
    if tag in FIXED_OCTETS:
        return DateTimeData(tag, json_hex(obj, "value"))
    raise EncodeError(f"cannot rebuild DLMS data type {tag.json_name}")
