"""Firmware on SMETS2 devices: receipt of distributed images, Activate Firmware (CS06), CHF distribution.

Receiving device (ESME, GSME, CHF for its own image; digest 7.3, 5.10):

- :meth:`FirmwareUseCases.check_image` compares the OTA header with the device's manufacturer
  code, image type and hardware version (the ZigBee OTA Query Next Image exchange);
- :meth:`~FirmwareUseCases.ota_begin`, :meth:`~FirmwareUseCases.ota_block` and
  :meth:`~FirmwareUseCases.ota_end` receive an image block by block (a transfer resumes at the
  device's committed offset); at the end the device checks the signature over the
  Manufacturer Image with the signing anchor of the party responsible for the device (supplier;
  WAN provider for the CHF), keeps the image as the pending
  slot and raises the Firmware Distribution Receipt Alert with the hash it calculated:
  0x8F72 on success, 0x8F1C on failure (image discarded); DLMS form 0x00CE (ESME, CHF), GBZ
  form 0x00CF (GSME).

Activate Firmware (CS06, 0x0012, digest 5.6 / 7.4): immediate, future-dated (0x00CA alert with
0x8F66 / 0x8F67 when due) or cancelled (``executionDateTime`` 9999-12-31T23:59:59Z). The
outcome codes: noImageHeld (1) without a pending image, hashMismatch (2) when the hash the
device calculates over the held image differs from the command's, activationFailure (3) for a
downgrade or same-version image (the model's version rule; GBCS leaves it to manufacturers) or
an image for another manufacturer or image type; success (0) switches slots. The firmware
version in every outcome is the one running afterwards, and ECS52 / GCS38 read the same key.

CHF (digest 5.7, 7.3): :meth:`FirmwareDistributor.update_firmware` receives an image for its
HAN devices (SRV 11.1) and queues one transfer per target; :mod:`.han` moves the blocks. Each
transfer ends with CCS08 (0x0128): 0x8F8A success, or 0x8F89 with imageDiscarded (1: malformed
or truncated image, wrong manufacturer or image type), hardwareVersionMismatch (2) or
fileTransferFailure (3: blocks lost beyond the retry budget, link down, or the device failed to
verify the image).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from smets_emu.emulator.anchors import CellKeyUsage, Role
from smets_emu.emulator.device import (
    ALERT_INTEGRITY_FAILURE,
    AlertSpec,
    CommandContext,
    CommandRejected,
    HandlerResult,
    Outbound,
    Outcome,
    handles,
)
from smets_emu.emulator.firmware.slots import INLINE_LIMIT, FirmwareSlot, FirmwareSlots, ImageStore
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import FrameError, SmetsError
from smets_emu.protocols.firmware import UpgradeImage, decode_image, manufacturer_image_hash, verify_image
from smets_emu.protocols.payloads import Payload
from smets_emu.protocols.payloads.asn1 import Asn1Payload

log = logging.getLogger(__name__)

ACTIVATE_FIRMWARE = 0x0012
ACTIVATION_ALERT = 0x00CA
FDRA_DLMS, FDRA_GBZ = 0x00CE, 0x00CF
FIRMWARE_TRANSFER_ALERT = 0x0128
VERIFICATION_SUCCESSFUL, VERIFICATION_FAILED = 0x8F72, 0x8F1C
FUTURE_DATED_SUCCESS, FUTURE_DATED_FAILURE = 0x8F66, 0x8F67
TRANSFER_SUCCESS, TRANSFER_FAILURE = 0x8F8A, 0x8F89
PENDING_KIND = "activate-firmware"
TIME_FORMAT = "%Y%m%d%H%M%SZ"
CANCELLATION_TIME = "99991231235959Z"


class ActivationCode(enum.IntEnum):
    """activateImageResponseCode (digest 5.6)."""

    SUCCESS = 0
    NO_IMAGE_HELD = 1
    HASH_MISMATCH = 2
    ACTIVATION_FAILURE = 3


class TransferCode(enum.IntEnum):
    """CCS08 responseCode (digest 5.7)."""

    SUCCESS = 0
    IMAGE_DISCARDED = 1
    HARDWARE_VERSION_MISMATCH = 2
    FILE_TRANSFER_FAILURE = 3


class ImageCheck(enum.Enum):
    """What a device answers when offered an image (ZigBee OTA Query Next Image)."""

    ACCEPTED = "accepted"
    WRONG_MANUFACTURER = "wrong manufacturer code"
    WRONG_IMAGE_TYPE = "wrong image type"
    HARDWARE_MISMATCH = "hardware version out of range"

    @property
    def transfer_code(self) -> TransferCode:
        """The CCS08 response code the CHF reports for this answer."""
        if self is ImageCheck.ACCEPTED:
            return TransferCode.SUCCESS
        if self is ImageCheck.HARDWARE_MISMATCH:
            return TransferCode.HARDWARE_VERSION_MISMATCH
        return TransferCode.IMAGE_DISCARDED


_ACTIVATION_NAMES = {ActivationCode.SUCCESS: "success", ActivationCode.NO_IMAGE_HELD: "noImageHeld",
                     ActivationCode.HASH_MISMATCH: "hashMismatch",
                     ActivationCode.ACTIVATION_FAILURE: "activationFailure"}
_TRANSFER_NAMES = {TransferCode.SUCCESS: "success", TransferCode.IMAGE_DISCARDED: "imageDiscarded",
                   TransferCode.HARDWARE_VERSION_MISMATCH: "hardwareVersionMismatch",
                   TransferCode.FILE_TRANSFER_FAILURE: "fileTransferFailure"}


def file_reference(data: bytes) -> str:
    """The content address of an image file (hex SHA-256 of the whole file)."""
    return hashlib.sha256(data).hexdigest().upper()


def _asn1(schema: str, value: Any, code: int, cra: int) -> Asn1Payload:
    return Asn1Payload.from_json({"family": "asn1", "schema": schema, "message_code": code, "cra_flag": cra,
                                  "length_style": "der", "value": value})


def _gtime(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime(TIME_FORMAT)


def _parse_gtime(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=dt.UTC)


def _version_number(version: str) -> int:
    try:
        return int(version, 16)
    except ValueError:
        return -1


def calculated_hash(data: bytes) -> bytes:
    """The Manufacturer Image Hash a device calculates over received bytes, decodable or not."""
    try:
        return decode_image(data).image_hash
    except FrameError:
        return manufacturer_image_hash(data[60:])


@dataclass
class _Download:
    """A download's bytes in memory: appended block by block, committed at checkpoints."""

    file: str
    size: int
    data: bytearray
    committed: int  # the offset the committed state records
    rewrite: bool = False  # the next checkpoint replaces the committed bytes instead of appending


def _committed_offset(download: dict[str, Any]) -> int:
    if "offset" in download:
        return int(download["offset"])
    return len(download.get("data", "")) // 2


def _committed_bytes(download: dict[str, Any], store: ImageStore | None) -> bytes:
    """The bytes a committed download holds (inline hex, or chunks in the image store)."""
    parts = [bytes.fromhex(download.get("data", ""))]
    for ref in download.get("chunks", []):
        chunk = None if store is None else store.get(ref)
        if chunk is None:
            break  # the chunk is lost: the device holds what precedes it
        parts.append(chunk)
    return b"".join(parts)


class FirmwareUseCases:
    """Mixin for every SMETS2 device model: firmware slots, image receipt and CS06 (before ``Device``)."""

    image_store: ImageStore | None = None
    image_signer: Role = Role.SUPPLIER  # whose digital signing anchor checks the image signature

    def attach_image_store(self, store: ImageStore) -> None:
        """Keep images larger than the inline limit in *store*."""
        self.image_store = store

    def firmware(self, state: DeviceState | None = None) -> FirmwareSlots:
        """The firmware slots of *state* (default: the committed state)."""
        return FirmwareSlots(state if state is not None else self.state)  # type: ignore[attr-defined]

    # -- alerts ----------------------------------------------------------------------------

    def receipt_alert(self, alert_code: int, image_hash: bytes, now: dt.datetime) -> AlertSpec:
        """Firmware Distribution Receipt Alert in the device's payload family (digest 5.10)."""
        if getattr(self, "payload_family", "dlms") == "gbz":
            from smets_emu.protocols.payloads.gbz import AlertBody, GbzAlert, GbzPayload
            from smets_emu.protocols.timestamps import datetime_to_gbz_seconds

            alert = GbzAlert(alert_code, datetime_to_gbz_seconds(now), AlertBody.FIRMWARE_RECEIPT,
                             image_hash=image_hash)
            return AlertSpec(FDRA_GBZ, GbzPayload(alert=alert, form="alert"), critical=True)
        from smets_emu.protocols.payloads.dlms import DataNotification, InvokeIdAndPriority
        from smets_emu.protocols.payloads.dlms_data import DataTag, IntegerData, OctetStringData, StructureData
        from smets_emu.protocols.timestamps import DlmsDateTime

        body = StructureData((IntegerData(DataTag.LONG_UNSIGNED, alert_code),
                              OctetStringData(DlmsDateTime.from_datetime(now).to_bytes()),
                              OctetStringData(image_hash)))
        return AlertSpec(FDRA_DLMS, DataNotification(InvokeIdAndPriority(0), body), critical=True)

    # -- receiving an image ----------------------------------------------------------------

    def check_image(self, image: UpgradeImage, state: DeviceState | None = None) -> ImageCheck:
        """Compare an image's OTA header with the device (manufacturer, image type, hardware version)."""
        ident = self.firmware(state).identity
        if image.manufacturer_code != ident.manufacturer:
            return ImageCheck.WRONG_MANUFACTURER
        if image.image_type != ident.image_type:
            return ImageCheck.WRONG_IMAGE_TYPE
        if not image.hardware_supported(ident.hardware_version):
            return ImageCheck.HARDWARE_MISMATCH
        return ImageCheck.ACCEPTED

    def _ota_live(self, file_ref: str | None = None) -> _Download | None:
        """The in-memory download buffer, when it still continues the committed download."""
        buffer: _Download | None = self.__dict__.get("_ota_buffer")
        if buffer is None:
            return None
        download = self.firmware().download
        if (download is None or download.get("file") != buffer.file
                or (file_ref is not None and buffer.file != file_ref)
                or _committed_offset(download) != buffer.committed):
            self.__dict__.pop("_ota_buffer", None)  # the state moved on without it (reload, new file)
            return None
        return buffer

    def _ota_buffer_for(self, download: dict[str, Any]) -> _Download:
        buffer = self._ota_live(download["file"])
        if buffer is None:
            held = _committed_bytes(download, self.image_store)
            committed = _committed_offset(download)
            if len(held) != committed:  # a chunk was lost: start the download again
                log.warning("device %s lost part of its download; starting again", self.state.eui.hex().upper())  # type: ignore[attr-defined]
                buffer = _Download(download["file"], int(download["size"]), bytearray(), committed, rewrite=True)
            else:
                buffer = _Download(download["file"], int(download["size"]), bytearray(held), committed)
            self.__dict__["_ota_buffer"] = buffer
        return buffer

    def ota_offset(self, file_ref: str) -> int:
        """How many bytes of file *file_ref* the device holds (0 when it is not downloading it)."""
        buffer = self._ota_live(file_ref)
        if buffer is not None:
            return len(buffer.data)
        download = self.firmware().download
        if download is None or download.get("file") != file_ref:
            return 0
        return _committed_offset(download)

    def ota_begin(self, file_ref: str, size: int, now: dt.datetime) -> Outcome:
        """Start receiving file *file_ref* of *size* bytes, or resume the download in progress."""
        work: DeviceState = self.state.clone()  # type: ignore[attr-defined]
        self.firmware(work).start_download(file_ref, size, now.isoformat())
        return self._adopt(work, [], True, "download started")

    def ota_receive(self, offset: int, data: bytes | memoryview) -> bool:
        """Take one block (or a run of consecutive blocks) into the download buffer: O(len(data)).

        Nothing is committed: :meth:`ota_checkpoint` persists what arrived. A block not at the
        device's offset, or past the announced size, is ignored (duplicate or gap).
        """
        download = self.firmware().download
        if download is None:
            return False
        buffer = self._ota_buffer_for(download)
        if offset != len(buffer.data) or offset + len(data) > buffer.size:
            return False
        buffer.data += data
        return True

    def ota_checkpoint(self, now: dt.datetime) -> Outcome:
        """Commit the bytes received since the last checkpoint (the download offset survives a restart).

        Large downloads keep their bytes as content-addressed chunks in the image store (each
        checkpoint writes only the new bytes); small ones, or without a store, as hex in the state.
        """
        download = self.firmware().download
        buffer = None if download is None else self._ota_live(download["file"])
        if download is None or buffer is None or (len(buffer.data) == buffer.committed and not buffer.rewrite):
            return Outcome(self.state, reason="nothing to checkpoint")  # type: ignore[attr-defined]
        work: DeviceState = self.state.clone()  # type: ignore[attr-defined]
        target = self.firmware(work).download
        assert target is not None
        start = buffer.committed
        if buffer.rewrite:
            target["data"], target["chunks"], start = "", [], 0
        if self.image_store is not None and buffer.size > INLINE_LIMIT:
            if target.get("data"):  # an earlier inline checkpoint becomes the first chunk
                target["chunks"] = [self.image_store.put(bytes.fromhex(target["data"]))]
                target["data"] = ""
            chunk = bytes(buffer.data[start:])
            target.setdefault("chunks", []).append(self.image_store.put(chunk))
        else:
            target["data"] = buffer.data.hex().upper()
        target["offset"] = len(buffer.data)
        outcome = self._adopt(work, [], True, f"download at {len(buffer.data)} bytes")
        buffer.committed, buffer.rewrite = len(buffer.data), False
        return outcome

    def ota_block(self, offset: int, block: bytes, now: dt.datetime) -> Outcome:
        """Receive one image block and commit it at once (:meth:`ota_receive` plus :meth:`ota_checkpoint`)."""
        if not self.ota_receive(offset, block):
            held = self.ota_offset(str((self.firmware().download or {}).get("file", "")))
            return Outcome(self.state, reason=f"block at {offset} ignored, expecting {held}")  # type: ignore[attr-defined]
        return self.ota_checkpoint(now)

    def ota_end(self, now: dt.datetime) -> Outcome:
        """Verify the received image, keep it as the pending image and raise the FDRA (digest 5.10)."""
        download = self.firmware().download
        if download is None:
            return Outcome(self.state, reason="no download in progress")  # type: ignore[attr-defined]
        buffer = self._ota_live(download["file"])
        data = bytes(buffer.data) if buffer is not None else _committed_bytes(download, self.image_store)
        self.__dict__.pop("_ota_buffer", None)
        work: DeviceState = self.state.clone()  # type: ignore[attr-defined]
        slots = self.firmware(work)
        slots.end_download()
        if len(data) != int(download["size"]):
            return self._adopt(work, [], False, f"incomplete image: {len(data)} of {download['size']} bytes")
        return self._verify_and_hold(work, data, now)

    def receive_image(self, data: bytes, now: dt.datetime) -> Outcome:
        """Receive a whole image file in one step (no HAN transfer): verify, hold, FDRA."""
        work: DeviceState = self.state.clone()  # type: ignore[attr-defined]
        self.firmware(work).end_download()
        return self._verify_and_hold(work, data, now)

    def _verify_and_hold(self, work: DeviceState, data: bytes, now: dt.datetime) -> Outcome:
        reason = ""
        image: UpgradeImage | None = None
        try:
            image = decode_image(data)
        except FrameError as exc:
            reason = f"image does not decode: {exc}"
        if image is not None:
            check = self.check_image(image, work)
            if check is not ImageCheck.ACCEPTED:
                reason = check.value
            elif not self._signature_valid(work, image):
                reason = "supplier signature over the Manufacturer Image does not verify"
        image_hash = image.image_hash if image is not None else calculated_hash(data)
        if reason or image is None:
            log.info("device %s discards firmware image: %s", work.eui.hex().upper(), reason)
            alert = self.receipt_alert(VERIFICATION_FAILED, image_hash, now)
            return self._adopt(work, [alert], False, reason, now)
        slot = FirmwareSlot.from_image(image, data, store=self.image_store, received_at=now.isoformat())
        self.firmware(work).hold(slot)
        alert = self.receipt_alert(VERIFICATION_SUCCESSFUL, image_hash, now)
        return self._adopt(work, [alert], True, f"image {image.version} held", now)

    def _signature_valid(self, state: DeviceState, image: UpgradeImage) -> bool:
        cell = self.find_cell(state, self.image_signer, CellKeyUsage.DIGITAL_SIGNATURE)  # type: ignore[attr-defined]
        if cell is None:
            return False
        return verify_image(image, self.cell_public_key(cell))  # type: ignore[attr-defined]

    def _adopt(self, work: DeviceState, alerts: Sequence[AlertSpec], accepted: bool, reason: str,
               now: dt.datetime | None = None) -> Outcome:
        outbound: list[Outbound] = []
        for alert in alerts:
            try:
                outbound.append(self.build_alert(work, alert, now or dt.datetime.now(dt.UTC)))  # type: ignore[attr-defined]
            except SmetsError as exc:
                log.warning("device %s cannot raise 0x%04X: %s", work.eui.hex().upper(), alert.message_code, exc)
        self.state = work  # type: ignore[attr-defined]
        return Outcome(work, outbound, accepted=accepted, reason=reason)

    # -- activation ------------------------------------------------------------------------

    def activate(self, state: DeviceState, image_hash: bytes) -> ActivationCode:
        """Activate the pending image if its calculated hash is *image_hash* (GBCS CS06 steps 3-5)."""
        slots = self.firmware(state)
        pending = slots.pending
        if pending is None:
            return ActivationCode.NO_IMAGE_HELD
        calculated = pending.image_hash
        if pending.content_modelled:
            data = pending.file_bytes(self.image_store)
            calculated = None if data is None else calculated_hash(data)
        if calculated is None or calculated != image_hash:
            return ActivationCode.HASH_MISMATCH
        ident = slots.identity
        if (pending.manufacturer not in (None, ident.manufacturer)
                or pending.image_type not in (None, ident.image_type)):
            return ActivationCode.ACTIVATION_FAILURE
        policy = state.firmware.get("policy", {})
        if not policy.get("allow_downgrade") and _version_number(pending.version) <= _version_number(slots.version):
            return ActivationCode.ACTIVATION_FAILURE
        if state.firmware.get("faults", {}).get("activation"):
            return ActivationCode.ACTIVATION_FAILURE
        slots.switch()
        return ActivationCode.SUCCESS

    @staticmethod
    def execution_outcome(state: DeviceState, code: ActivationCode) -> dict[str, Any]:
        """The CS06 ExecutionOutcome: the code and the version running now."""
        return {"activateImageResponseCode": _ACTIVATION_NAMES[code], "firmwareVersion": FirmwareSlots(state).version}

    @handles(ACTIVATE_FIRMWARE)
    def activate_firmware(self, ctx: CommandContext) -> HandlerResult:
        """CS06 Activate Firmware: immediate, future-dated or cancellation (digest 5.6, 7.4)."""
        value = ctx.payload.value if isinstance(ctx.payload, Asn1Payload) else None
        try:
            image_hash = bytes.fromhex(value["manufacturerImageHash"])  # type: ignore[index]
            counter = int(value["originatorCounter"])  # type: ignore[index]
            when = value.get("executionDateTime")  # type: ignore[union-attr]
            execution = None if when is None or when == CANCELLATION_TIME else _parse_gtime(str(when))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CommandRejected(ALERT_INTEGRITY_FAILURE, f"unusable Activate Firmware command: {exc}") from exc
        if len(image_hash) != 32 or counter != ctx.header.originator_counter:
            raise CommandRejected(ALERT_INTEGRITY_FAILURE, "hash length or originator counter inconsistent")
        accepted = _asn1("CS06Response", {"commandAccepted": None}, ACTIVATE_FIRMWARE, 2)
        if when == CANCELLATION_TIME:
            ctx.state.pending = [p for p in ctx.state.pending if p.get("kind") != PENDING_KIND]
            return HandlerResult(accepted)
        if execution is not None:
            ctx.state.pending = [p for p in ctx.state.pending if p.get("kind") != PENDING_KIND]
            ctx.state.pending.append({
                "kind": PENDING_KIND, "message_code": ACTIVATE_FIRMWARE, "originator_counter": counter,
                "originator": ctx.header.originator.hex().upper(), "execution_date_time": _gtime(execution),
                "hash": image_hash.hex().upper(),
            })
            return HandlerResult(accepted)
        code = self.activate(ctx.state, image_hash)
        log.info("device %s CS06: %s", ctx.state.eui.hex().upper(), code.name)
        response = _asn1("CS06Response", {"executionOutcome": self.execution_outcome(ctx.state, code)},
                         ACTIVATE_FIRMWARE, 2)
        return HandlerResult(response)

    def due(self, now: dt.datetime) -> Outcome:
        """Run the other timers, then future-dated activations whose time has come (0x00CA alerts)."""
        base: Outcome = super().due(now)  # type: ignore[misc]
        ready = [p for p in base.state.pending
                 if p.get("kind") == PENDING_KIND and _parse_gtime(p["execution_date_time"]) <= now]
        if not ready:
            return base
        work = base.state.clone()
        outbound = list(base.outbound)
        for entry in ready:
            work.pending = [p for p in work.pending if p is not entry and p != entry]
            code = self.activate(work, bytes.fromhex(entry["hash"]))
            value = {
                "alertCode": "futureDatedCommandActioned" if code is ActivationCode.SUCCESS
                else "futureDatedCommandNotActioned",
                "executionDateTime": entry["execution_date_time"],
                "originatorCounter": int(entry["originator_counter"]),
                "executionOutcome": self.execution_outcome(work, code),
            }
            spec = AlertSpec(ACTIVATION_ALERT, _asn1("CS06Alert", value, ACTIVATION_ALERT, 3), critical=True,
                             recipient=bytes.fromhex(entry["originator"]) if entry.get("originator") else None)
            try:
                outbound.append(self.build_alert(work, spec, now))  # type: ignore[attr-defined]
            except SmetsError as exc:
                log.warning("device %s cannot raise 0x00CA: %s", work.eui.hex().upper(), exc)
        self.state = work  # type: ignore[attr-defined]
        return Outcome(work, outbound, accepted=True, reason="future-dated firmware activation")


class FirmwareDistributor(FirmwareUseCases):
    """CHF mixin: receives images for its HAN devices and reports each transfer with CCS08 (digest 5.7).

    The CHF's own images are signed by the party responsible for it, the WAN provider (digest 7.3).
    """

    image_signer: Role = Role.WAN_PROVIDER

    def transfers(self, state: DeviceState | None = None) -> dict[str, dict[str, Any]]:
        """Transfers by target EUI (hex): file, version, status, virtual clock, retry and block counts."""
        st: DeviceState = state if state is not None else self.state  # type: ignore[attr-defined]
        return st.firmware.get("distribution", {}).get("transfers", {})

    def distribution_image(self, file_ref: str) -> bytes | None:
        """The bytes of an image the CHF holds for distribution."""
        entry = self.state.firmware.get("distribution", {}).get("images", {}).get(file_ref)  # type: ignore[attr-defined]
        if entry is None:
            return None
        if entry.get("image") is not None:
            return bytes.fromhex(entry["image"])
        return None if self.image_store is None else self.image_store.get(entry["image_ref"])

    def transfer_alert(self, state: DeviceState, target: bytes, version: str, code: TransferCode,
                       now: dt.datetime) -> AlertSpec:
        """CCS08 Firmware Transfer Alert about *target*, to the ACB (digest 5.7)."""
        value = {
            "alertCode": "firmwareTransferSuccess" if code is TransferCode.SUCCESS else "firmwareTransferFailure",
            "executionDateTime": _gtime(now), "entityId": target.hex().upper(), "firmwareVersion": version,
            "responseCode": _TRANSFER_NAMES[code],
        }
        acb = self.find_cell(state, Role.ACCESS_CONTROL_BROKER, CellKeyUsage.KEY_AGREEMENT)  # type: ignore[attr-defined]
        recipient = acb.subject_id if acb is not None else None
        return AlertSpec(FIRMWARE_TRANSFER_ALERT, _asn1("CCS08Alert", value, FIRMWARE_TRANSFER_ALERT, 3),
                         critical=True, recipient=recipient)

    def update_firmware(self, data: bytes, targets: Sequence[bytes], now: dt.datetime) -> Outcome:
        """SRV 11.1 at the CHF: keep the image and queue a HAN transfer to every target.

        A malformed or truncated image is discarded with CCS08 imageDiscarded for each target.
        The CHF's own EUI among the targets means an image for the CHF itself (received at once).
        """
        work: DeviceState = self.state.clone()  # type: ignore[attr-defined]
        try:
            image = decode_image(data)
        except FrameError as exc:
            log.info("CHF %s discards an image: %s", work.eui.hex().upper(), exc)
            version = f"{int.from_bytes(data[14:18], 'little'):08X}" if len(data) >= 18 else "00000000"
            alerts = [self.transfer_alert(work, t, version, TransferCode.IMAGE_DISCARDED, now) for t in targets]
            return self._adopt(work, alerts, False, f"image discarded: {exc}", now)
        ref = file_reference(data)
        dist = work.firmware.setdefault("distribution", {"images": {}, "transfers": {}})
        entry: dict[str, Any] = {"version": image.version, "size": len(data), "image": None, "image_ref": None}
        if self.image_store is not None and len(data) > 64 * 1024:
            entry["image_ref"] = self.image_store.put(data)
        else:
            entry["image"] = data.hex().upper()
        dist["images"][ref] = entry
        alerts: list[AlertSpec] = []
        for target in targets:
            if target == work.eui:
                continue
            dist["transfers"][target.hex().upper()] = {
                "file": ref, "version": image.version, "size": len(data), "status": "queued",
                "clock": now.isoformat(), "attempt": 0, "delivered": 0, "lost": 0, "response_code": None,
            }
        outcome = self._adopt(work, alerts, True, f"image {image.version} queued for {len(targets)} device(s)", now)
        if work.eui in targets:
            own = self.receive_image(data, now)
            return Outcome(own.state, [*outcome.outbound, *own.outbound], accepted=own.accepted, reason=own.reason)
        return outcome

    def record_transfer(self, target: bytes, changes: dict[str, Any], now: dt.datetime,
                        finish: TransferCode | None = None) -> Outcome:
        """Update a transfer's progress; *finish* ends it with the CCS08 alert carrying that code."""
        work: DeviceState = self.state.clone()  # type: ignore[attr-defined]
        transfers = self.transfers(work)
        entry = transfers.get(target.hex().upper())
        if entry is None:
            return Outcome(self.state, reason="no such transfer")  # type: ignore[attr-defined]
        entry.update(changes)
        alerts: list[AlertSpec] = []
        if finish is not None:
            entry["status"] = "done" if finish is TransferCode.SUCCESS else "failed"
            entry["response_code"] = int(finish)
            alerts.append(self.transfer_alert(work, target, entry["version"], finish, now))
            self._drop_unused_images(work)
        return self._adopt(work, alerts, True, entry["status"], now)

    def resume_transfer(self, target: bytes, now: dt.datetime) -> Outcome:
        """Restart a failed transfer; the device continues from the bytes it already holds."""
        work: DeviceState = self.state.clone()  # type: ignore[attr-defined]
        entry = self.transfers(work).get(target.hex().upper())
        if entry is None or entry["status"] not in ("failed", "transferring", "queued"):
            return Outcome(self.state, reason="nothing to resume")  # type: ignore[attr-defined]
        if entry["file"] not in work.firmware.get("distribution", {}).get("images", {}):
            return Outcome(self.state, reason="image no longer held")  # type: ignore[attr-defined]
        entry.update({"status": "transferring" if entry["status"] != "queued" else "queued",
                      "clock": now.isoformat(), "attempt": 0, "response_code": None})
        return self._adopt(work, [], True, "transfer resumed", now)

    @staticmethod
    def _drop_unused_images(state: DeviceState) -> None:
        dist = state.firmware.get("distribution", {})
        wanted = {t["file"] for t in dist.get("transfers", {}).values()
                  if t["status"] in ("queued", "transferring")
                  or t.get("response_code") == int(TransferCode.FILE_TRANSFER_FAILURE)}  # resumable
        for ref in list(dist.get("images", {})):
            if ref not in wanted:
                del dist["images"][ref]


def payload_of(outbound: Outbound) -> Payload:
    """Decode the payload of a device message without keys (FDRA, CCS08 and CS06 are not encrypted)."""
    from smets_emu.protocols.message import decode_message

    return decode_message(outbound.message).payload
