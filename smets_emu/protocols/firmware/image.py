"""The GBCS Upgrade Image: ZigBee OTA file header, Manufacturer Image and supplier signature.

Layout (digest 7.1, verified on the DUIS 11.1 sample image; GBCS 11.2 / ZigBee OTA 11.4.2):
the OTA header (little-endian) with its optional fields, the opaque Manufacturer Image, then a
signature block ``length (2, big-endian) || r || s`` by the supplier's digital signing key over
the Manufacturer Image. The Manufacturer Image Hash a device reports (FDRA) and an Activate
Firmware command carries (CS06) is SHA-256 over the Manufacturer Image (digest 7.2).
"""

from __future__ import annotations

import enum
import functools
import hashlib
from dataclasses import dataclass, replace
from typing import Any

from construct import (
    Bytes,
    Const,
    ConstructError,
    Default,
    GreedyBytes,
    If,
    Int8ul,
    Int16ub,
    Int16ul,
    Int32ul,
    Prefixed,
    Rebuild,
    Struct,
    this,
)
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from smets_emu.errors import CryptoError, FrameError
from smets_emu.protocols import crypto
from smets_emu.protocols.firmware.recent import ContentMemo

OTA_FILE_IDENTIFIER = 0x0BEEF11E
"""ZigBee OTA upgrade file identifier (first four bytes, little-endian ``1E F1 EE 0B``)."""

OTA_HEADER_VERSION = 0x0100
BASE_HEADER_LENGTH = 56
HEADER_STRING_LENGTH = 32
SIGNATURE_LENGTH = 64
SIGNATURE_BLOCK_LENGTH = 2 + SIGNATURE_LENGTH


class FieldControl(enum.IntFlag):
    """OTA header field control bits (ZigBee OTA 11.4.2.5)."""

    SECURITY_CREDENTIAL_VERSION = 0x0001
    DEVICE_SPECIFIC = 0x0002  # upgrade file destination present
    HARDWARE_VERSIONS = 0x0004  # minimum and maximum hardware version present


_OPTIONAL_FIELD_LENGTHS = {
    FieldControl.SECURITY_CREDENTIAL_VERSION: 1,
    FieldControl.DEVICE_SPECIFIC: 8,
    FieldControl.HARDWARE_VERSIONS: 4,
}
"""Bytes each optional header field (group) adds to the base header (ZigBee OTA 11.4.2)."""


def field_control_for(security_credential_version: Any, upgrade_file_destination: Any,
                      hardware_versions: Any) -> FieldControl:
    """The field control bits of a header whose optional fields are these (None: absent)."""
    flags = FieldControl(0)
    present = (security_credential_version, upgrade_file_destination, hardware_versions)
    for flag, value in zip(_OPTIONAL_FIELD_LENGTHS, present, strict=True):
        if value is not None:
            flags |= flag
    return flags


def header_length_for(flags: FieldControl) -> int:
    """The OTA header length with the optional fields *flags* announce."""
    return BASE_HEADER_LENGTH + sum(n for flag, n in _OPTIONAL_FIELD_LENGTHS.items() if flag in flags)


def _context_flags(ctx: Any) -> FieldControl:
    return field_control_for(ctx.security_credential_version, ctx.upgrade_file_destination,
                             ctx.minimum_hardware_version)


def _total_size(ctx: Any) -> int:
    signature = ctx._.signature
    return ctx.header_length + len(ctx._.manufacturer_image) + (
        0 if signature is None else 2 + len(signature)
    )


OtaHeaderStruct = Struct(
    "file_identifier" / Const(OTA_FILE_IDENTIFIER, Int32ul),
    "header_version" / Default(Int16ul, OTA_HEADER_VERSION),
    "header_length" / Rebuild(Int16ul, lambda ctx: header_length_for(_context_flags(ctx))),
    "field_control" / Rebuild(Int16ul, lambda ctx: int(_context_flags(ctx))),
    "manufacturer_code" / Int16ul,
    "image_type" / Int16ul,
    "file_version" / Int32ul,
    "zigbee_stack_version" / Default(Int16ul, 0x0002),
    "header_string" / Bytes(HEADER_STRING_LENGTH),
    "total_image_size" / Rebuild(Int32ul, _total_size),
    "security_credential_version" / If(this.field_control & FieldControl.SECURITY_CREDENTIAL_VERSION, Int8ul),
    "upgrade_file_destination" / If(this.field_control & FieldControl.DEVICE_SPECIFIC, Bytes(8)),
    "minimum_hardware_version" / If(this.field_control & FieldControl.HARDWARE_VERSIONS, Int16ul),
    "maximum_hardware_version" / If(this.field_control & FieldControl.HARDWARE_VERSIONS, Int16ul),
)
"""ZigBee OTA upgrade file header as GBCS Upgrade Images carry it (digest 7.1 table; ZigBee OTA 11.4.2)."""

OtaHeaderLeadStruct = Struct("file_identifier" / Int32ul, *OtaHeaderStruct.subcons[1:7])
"""The fixed leading fields of :data:`OtaHeaderStruct` up to the file version, identifier unchecked:
what a device still reads from a received file that does not decode (ZigBee OTA 11.4.2)."""

SignatureBlockStruct = Prefixed(Int16ub, GreedyBytes)
"""Trailing supplier signature: big-endian length, then ECDSA P-256 r||s (digest 7.1)."""

def _signature_block_length(ctx: Any) -> int:
    return 0 if ctx.get("signature") is None else SIGNATURE_BLOCK_LENGTH


UpgradeImageStruct = Struct(
    "header" / OtaHeaderStruct,
    "manufacturer_image" / Bytes(
        lambda c: c.header.total_image_size - c.header.header_length - _signature_block_length(c)
    ),
    "signature" / If(lambda c: c.get("signature") is not None, SignatureBlockStruct),
)
"""A whole Upgrade Image file for building (parsing finds the signature block with :func:`decode_image`)."""


@dataclass(frozen=True)
class UpgradeImage:
    """A GBCS Upgrade Image (digest 7.1): OTA header fields, Manufacturer Image and optional signature."""

    manufacturer_code: int
    image_type: int
    file_version: int
    manufacturer_image: bytes
    header_string: str = ""
    hardware_versions: tuple[int, int] | None = None  # (minimum, maximum)
    signature: bytes | None = None  # raw r||s by the supplier's DS key over the Manufacturer Image
    header_version: int = OTA_HEADER_VERSION
    zigbee_stack_version: int = 0x0002
    security_credential_version: int | None = None
    upgrade_file_destination: bytes | None = None

    # -- derived ---------------------------------------------------------------------------

    @property
    def header_length(self) -> int:
        """Length of the OTA header including its optional fields."""
        return header_length_for(self.field_control)

    @property
    def field_control(self) -> FieldControl:
        """Header field control bits implied by the optional fields."""
        return field_control_for(self.security_credential_version, self.upgrade_file_destination,
                                 self.hardware_versions)

    @property
    def total_size(self) -> int:
        """Total image size as the header states it (the whole file)."""
        sig = 0 if self.signature is None else 2 + len(self.signature)
        return self.header_length + len(self.manufacturer_image) + sig

    @functools.cached_property
    def image_hash(self) -> bytes:
        """The Manufacturer Image Hash: SHA-256 over the Manufacturer Image (digest 7.2), worked out once."""
        return manufacturer_image_hash(self.manufacturer_image)

    @property
    def version(self) -> str:
        """The file version as the 4-byte firmware version devices report (hex, upper case)."""
        return f"{self.file_version:08X}"

    def hardware_supported(self, hardware_version: int) -> bool:
        """True when *hardware_version* lies in the header's range (or the header sets none)."""
        if self.hardware_versions is None:
            return True
        low, high = self.hardware_versions
        return low <= hardware_version <= high

    # -- codec -----------------------------------------------------------------------------

    def encode(self) -> bytes:
        """The image file bytes, built from the fields (lengths and sizes computed)."""
        if self.signature is not None and len(self.signature) != SIGNATURE_LENGTH:
            raise FrameError("signature must be 64 bytes (r||s)")
        header_string = self.header_string.encode("latin-1")
        if len(header_string) > HEADER_STRING_LENGTH:
            raise FrameError("header string longer than 32 bytes")
        low, high = self.hardware_versions if self.hardware_versions is not None else (None, None)
        try:
            return UpgradeImageStruct.build(
                {
                    "header": {
                        "header_version": self.header_version,
                        "manufacturer_code": self.manufacturer_code,
                        "image_type": self.image_type,
                        "file_version": self.file_version,
                        "zigbee_stack_version": self.zigbee_stack_version,
                        "header_string": header_string.ljust(HEADER_STRING_LENGTH, b"\x00"),
                        "security_credential_version": self.security_credential_version,
                        "upgrade_file_destination": self.upgrade_file_destination,
                        "minimum_hardware_version": low,
                        "maximum_hardware_version": high,
                    },
                    "manufacturer_image": self.manufacturer_image,
                    "signature": self.signature,
                }
            )
        except ConstructError as exc:
            raise FrameError(f"cannot build upgrade image: {exc}") from exc

    def to_json(self) -> dict[str, Any]:
        """Every header field, the sizes and the hash (for ``firmware inspect``)."""
        hw = self.hardware_versions
        return {
            "file_identifier": f"0x{OTA_FILE_IDENTIFIER:08X}",
            "header_version": f"0x{self.header_version:04X}",
            "header_length": self.header_length,
            "field_control": f"0x{int(self.field_control):04X}",
            "manufacturer_code": f"0x{self.manufacturer_code:04X}",
            "image_type": f"0x{self.image_type:04X}",
            "file_version": f"0x{self.file_version:08X}",
            "zigbee_stack_version": f"0x{self.zigbee_stack_version:04X}",
            "header_string": self.header_string,
            "total_image_size": self.total_size,
            "security_credential_version": self.security_credential_version,
            "upgrade_file_destination": (None if self.upgrade_file_destination is None
                                         else self.upgrade_file_destination.hex().upper()),
            "minimum_hardware_version": None if hw is None else f"0x{hw[0]:04X}",
            "maximum_hardware_version": None if hw is None else f"0x{hw[1]:04X}",
            "manufacturer_image_size": len(self.manufacturer_image),
            "signature": None if self.signature is None else self.signature.hex().upper(),
            "manufacturer_image_hash": self.image_hash.hex().upper(),
        }


def manufacturer_image_hash(manufacturer_image: bytes) -> bytes:
    """SHA-256 over the Manufacturer Image (digest 7.2)."""
    return hashlib.sha256(manufacturer_image).digest()


def announced_file_version(data: bytes) -> str:
    """The file version the OTA header of *data* announces (8 hex digits), read through
    :data:`OtaHeaderLeadStruct` even when the file does not decode; ``00000000`` when too short."""
    try:
        return f"{OtaHeaderLeadStruct.parse(data).file_version:08X}"
    except ConstructError:
        return "00000000"


RECEIVED_HEADER_LENGTH = BASE_HEADER_LENGTH + 4
"""The header of a GBCS Upgrade Image with hardware versions (the length assumed when unreadable)."""


def received_image_hash(data: bytes) -> bytes:
    """The Manufacturer Image Hash a device calculates over received bytes, decodable or not (digest 7.2).

    A file that does not decode is hashed from the end of the header its OTA header announces
    (read through :data:`OtaHeaderLeadStruct`).
    """
    try:
        return decode_image(data).image_hash
    except FrameError:
        pass
    try:
        start = OtaHeaderLeadStruct.parse(data).header_length
    except ConstructError:
        start = RECEIVED_HEADER_LENGTH
    return manufacturer_image_hash(bytes(data[start:]))


_DECODED: ContentMemo[UpgradeImage] = ContentMemo(64 * 1024 * 1024)
_VERIFIED: ContentMemo[bool] = ContentMemo(1024 * 1024)


def decode_image(data: bytes) -> UpgradeImage:
    """Decode an Upgrade Image file; :class:`FrameError` when malformed or truncated.

    The signature block is recognised by its length prefix ``00 40`` at ``total_size - 66``
    (the OTA header carries no flag for it; the PPMID sample has none). A file decoded before (the
    same bytes, compared in full) gives the same immutable :class:`UpgradeImage`, its hash worked out once.
    """
    return decode_image_file(data)[1]


def decode_image_file(data: bytes | bytearray | memoryview) -> tuple[bytes, UpgradeImage]:
    """(the file as immutable bytes, its decoding): :func:`decode_image` for a receiver's own buffer.

    When the same content was decoded before, the bytes are the object held then (found by a full
    comparison, not copied), so every device holding the file shares one object and a store that
    knows it finds it by identity.
    """
    known = _DECODED.find(data)
    if known is not None:
        return known
    file = bytes(data)
    return file, _DECODED.put(file, _decode_image(file))


def _decode_image(data: bytes) -> UpgradeImage:
    try:
        header = OtaHeaderStruct.parse(data)
    except ConstructError as exc:
        raise FrameError(f"not an OTA upgrade image: {exc}") from exc
    total = header.total_image_size
    start = header.header_length
    if start < header_length_for(_context_flags(header)):
        raise FrameError(f"header length {start} shorter than its fields")
    if len(data) < total:
        raise FrameError(f"truncated image: {len(data)} of {total} bytes")
    if len(data) > total:
        raise FrameError(f"{len(data) - total} bytes after the end of the image")
    if total < start:
        raise FrameError("total image size smaller than the header")
    signature: bytes | None = None
    end = total
    if total - start >= SIGNATURE_BLOCK_LENGTH and data[total - SIGNATURE_BLOCK_LENGTH:][:2] == b"\x00\x40":
        signature = data[total - SIGNATURE_LENGTH:total]
        end = total - SIGNATURE_BLOCK_LENGTH
    hw = None
    if header.minimum_hardware_version is not None:
        hw = (header.minimum_hardware_version, header.maximum_hardware_version)
    return UpgradeImage(
        manufacturer_code=header.manufacturer_code,
        image_type=header.image_type,
        file_version=header.file_version,
        manufacturer_image=bytes(data[start:end]),
        header_string=bytes(header.header_string).rstrip(b"\x00").decode("latin-1"),
        hardware_versions=hw,
        signature=signature,
        header_version=header.header_version,
        zigbee_stack_version=header.zigbee_stack_version,
        security_credential_version=header.security_credential_version,
        upgrade_file_destination=None if header.upgrade_file_destination is None
        else bytes(header.upgrade_file_destination),
    )


def sign_image(image: UpgradeImage, private_key: ec.EllipticCurvePrivateKey) -> UpgradeImage:
    """The image with a supplier signature over its Manufacturer Image (ECDSA P-256/SHA-256)."""
    return replace(image, signature=crypto.sign(private_key=private_key, data=image.manufacturer_image))


def verify_image(image: UpgradeImage, public_key: ec.EllipticCurvePublicKey) -> bool:
    """True when the image carries a valid supplier signature over its Manufacturer Image."""
    if image.signature is None:
        return False
    point = public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    check = image.image_hash + point + image.signature  # the signature's outcome depends on nothing else
    known = _VERIFIED.get(check)
    if known is not None:
        return known
    try:
        crypto.verify_signature(public_key=public_key, data=image.manufacturer_image, signature=image.signature)
    except CryptoError:
        return _VERIFIED.put(check, False)
    return _VERIFIED.put(check, True)
