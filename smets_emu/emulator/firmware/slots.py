"""Firmware slots of a SMETS2 device: running, pending and previous image (digest 7.3, 7.4).

Kept in ``DeviceState.firmware`` (JSON)::

    version        the running firmware version, 4 bytes hex (what ECS52 / GCS38 report)
    running        slot of the running image (version, manufacturer, image type, hash ...)
    pending        slot of a distributed image awaiting Activate Firmware (CS06), or absent
    previous       slot of the image that ran before the last activation, or absent
    download       a HAN transfer in progress on the receiving device (offset and bytes so far)
    distribution   the CHF's images and its transfers to HAN devices
    identity       manufacturer code, image type and hardware version the device checks images against

An image up to :data:`INLINE_LIMIT` bytes is kept in the slot itself; a larger one goes to an
:class:`ImageStore` (content-addressed by the SHA-256 of the whole file) and the slot names it.
A slot without bytes or reference stands for an image whose content is not modelled; only its
hash and version are known.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from smets_emu.emulator.state import DeviceState
from smets_emu.errors import SmetsError
from smets_emu.protocols.firmware import UpgradeImage

INLINE_LIMIT = 64 * 1024
"""Images up to this size live in the device state; larger ones in an :class:`ImageStore`."""

DEFAULT_MANUFACTURER = 0x121D
DEFAULT_IMAGE_TYPES = {"ESME": 0x0000, "GSME": 0x0001, "CHF": 0x0002, "GPF": 0x0003}
DEFAULT_HARDWARE_VERSION = 0x1200
DEFAULT_VERSIONS = {"GSME": "0123ABCD", "GPF": "0123ABCD"}
DLMS_DEFAULT_VERSION = "01000000"


class ImageStore(Protocol):
    """Content-addressed storage of large image files."""

    def put(self, data: bytes | bytearray) -> str:
        """Store (a copy of) *data*; returns its reference (hex SHA-256)."""
        ...

    def get(self, ref: str) -> bytes | None:
        """The bytes stored under *ref*, or None."""
        ...


class MemoryImageStore:
    """An in-process :class:`ImageStore`."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    def put(self, data: bytes | bytearray) -> str:
        ref = hashlib.sha256(data).hexdigest().upper()
        self._data[ref] = bytes(data)
        return ref

    def get(self, ref: str) -> bytes | None:
        return self._data.get(ref)


@dataclass(frozen=True)
class FirmwareSlot:
    """One firmware slot."""

    version: str  # 8 hex digits
    manufacturer: int | None = None
    image_type: int | None = None
    image_hash: bytes | None = None  # Manufacturer Image Hash
    size: int = 0
    image: bytes | None = None  # the Upgrade Image file, when kept inline
    image_ref: str | None = None  # reference into the image store
    received_at: str = ""

    @classmethod
    def from_image(
        cls, image: UpgradeImage, data: bytes, *, store: ImageStore | None, received_at: str
    ) -> FirmwareSlot:
        """A slot holding *image* (file bytes *data*), inline or by reference."""
        ref = None
        inline: bytes | None = data
        if store is not None and len(data) > INLINE_LIMIT:
            ref, inline = store.put(data), None
        return cls(image.version, image.manufacturer_code, image.image_type, image.image_hash, len(data),
                   inline, ref, received_at)

    def file_bytes(self, store: ImageStore | None) -> bytes | None:
        """The image file, or None when the slot does not model its content (or the store lost it)."""
        if self.image is not None:
            return self.image
        if self.image_ref is not None and store is not None:
            return store.get(self.image_ref)
        return None

    @property
    def content_modelled(self) -> bool:
        """True when the slot names image bytes (inline or by reference)."""
        return self.image is not None or self.image_ref is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "manufacturer": self.manufacturer,
            "image_type": self.image_type,
            "hash": None if self.image_hash is None else self.image_hash.hex().upper(),
            "size": self.size,
            "image": None if self.image is None else self.image.hex().upper(),
            "image_ref": self.image_ref,
            "received_at": self.received_at,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> FirmwareSlot:
        return cls(
            version=str(obj.get("version", "00000000")).upper(),
            manufacturer=obj.get("manufacturer"),
            image_type=obj.get("image_type"),
            image_hash=None if obj.get("hash") is None else bytes.fromhex(obj["hash"]),
            size=int(obj.get("size", 0)),
            image=None if obj.get("image") is None else bytes.fromhex(obj["image"]),
            image_ref=obj.get("image_ref"),
            received_at=str(obj.get("received_at", "")),
        )


@dataclass(frozen=True)
class DeviceIdentity:
    """What a device checks an image's OTA header against."""

    manufacturer: int
    image_type: int
    hardware_version: int


@dataclass
class FirmwareSlots:
    """A view over ``state.firmware`` with the slot operations (changes go into that dict)."""

    state: DeviceState
    _fw: dict[str, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._fw = self.state.firmware

    # -- identity --------------------------------------------------------------------------

    @property
    def identity(self) -> DeviceIdentity:
        ident = self._fw.get("identity", {})
        return DeviceIdentity(
            int(ident.get("manufacturer", DEFAULT_MANUFACTURER)),
            int(ident.get("image_type", DEFAULT_IMAGE_TYPES.get(self.state.device_type, 0))),
            int(ident.get("hardware_version", DEFAULT_HARDWARE_VERSION)),
        )

    def set_identity(self, *, manufacturer: int | None = None, image_type: int | None = None,
                     hardware_version: int | None = None) -> None:
        """Set the device's manufacturer code, image type or hardware version."""
        ident = self._fw.setdefault("identity", {})
        for name, value in (("manufacturer", manufacturer), ("image_type", image_type),
                            ("hardware_version", hardware_version)):
            if value is not None:
                ident[name] = value

    # -- slots -----------------------------------------------------------------------------

    @property
    def version(self) -> str:
        """The running version (the key the COSEM and ZCL models read)."""
        default = DEFAULT_VERSIONS.get(self.state.device_type, DLMS_DEFAULT_VERSION)
        return str(self._fw.get("version") or default).upper()

    @property
    def running(self) -> FirmwareSlot:
        obj = self._fw.get("running")
        if obj is None:
            ident = self.identity
            return FirmwareSlot(self.version, ident.manufacturer, ident.image_type)
        return FirmwareSlot.from_json(obj)

    @property
    def pending(self) -> FirmwareSlot | None:
        obj = self._fw.get("pending")
        return None if obj is None else FirmwareSlot.from_json(obj)

    @property
    def previous(self) -> FirmwareSlot | None:
        obj = self._fw.get("previous")
        return None if obj is None else FirmwareSlot.from_json(obj)

    def hold(self, slot: FirmwareSlot) -> None:
        """Keep *slot* as the pending image (replacing any earlier one)."""
        self._fw["pending"] = slot.to_json()

    def discard_pending(self) -> None:
        """Forget the pending image."""
        self._fw.pop("pending", None)

    def switch(self) -> FirmwareSlot:
        """Make the pending image the running one; the running one becomes the previous one."""
        pending = self.pending
        if pending is None:
            raise SmetsError("no pending image to switch to")
        self._fw["previous"] = self.running.to_json()
        self._fw["running"] = pending.to_json()
        self._fw["version"] = pending.version
        self._fw.pop("pending", None)
        return pending

    # -- receiving-side transfer -----------------------------------------------------------

    @property
    def download(self) -> dict[str, Any] | None:
        return self._fw.get("download")

    def start_download(self, file_ref: str, size: int, now: str) -> dict[str, Any]:
        """Begin a download or keep the one in progress for the same file (resume)."""
        current = self._fw.get("download")
        if current is not None and current.get("file") == file_ref:
            return current
        self._fw["download"] = {"file": file_ref, "size": size, "data": "", "started": now}
        return self._fw["download"]

    def end_download(self) -> None:
        self._fw.pop("download", None)

    def to_json(self) -> dict[str, Any]:
        """The three slots and the identity (for inspection and reports)."""
        return {
            "version": self.version,
            "running": self.running.to_json(),
            "pending": None if self.pending is None else self.pending.to_json(),
            "previous": None if self.previous is None else self.previous.to_json(),
            "identity": self.identity.__dict__,
        }


def held_image_slot(image_hash: bytes, version: str, *, manufacturer: int | None = None,
                    image_type: int | None = None) -> FirmwareSlot:
    """A pending slot for an image known by hash and version only (content not modelled)."""
    return FirmwareSlot(version.upper(), manufacturer, image_type, image_hash)
