"""Firmware on a receiving SMETS2 device (ESME, GSME, CHF for its own image): the :class:`FirmwareUseCases` component.

Receipt of a distributed image (digest 7.3, 5.10):

- :meth:`FirmwareUseCases.check_image` compares the OTA header with the device's manufacturer
  code, image type and hardware version (the ZigBee OTA Query Next Image exchange);
- :meth:`~FirmwareUseCases.ota_begin`, :meth:`~FirmwareUseCases.ota_receive`,
  :meth:`~FirmwareUseCases.ota_checkpoint` and :meth:`~FirmwareUseCases.ota_end` receive an image
  block by block (a transfer resumes at the device's committed offset); at the end the device
  checks the signature over the Manufacturer Image with the signing anchor of the party
  responsible for the device (supplier; WAN provider for the CHF), keeps the image as the pending
  slot and raises the Firmware Distribution Receipt Alert with the hash it calculated: 0x8F72 on
  success, 0x8F1C on failure (image discarded); DLMS form 0x00CE (ESME, CHF), GBZ form 0x00CF (GSME).

Activate Firmware (CS06, 0x0012, digest 5.6 / 7.4): immediate, future-dated (0x00CA alert with
0x8F66 / 0x8F67 when due, see :mod:`.activation`) or cancelled (``executionDateTime``
9999-12-31T23:59:59Z).

Every step takes the state it works on and returns an :class:`~smets_emu.emulator.device.Outcome`
with the new state; the caller adopts it. Only the download bytes between checkpoints live in the
component (:class:`~smets_emu.emulator.firmware.download.DownloadBuffer`).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import ClassVar

from smets_emu.emulator.anchors import CellKeyUsage, Role
from smets_emu.emulator.component import Component
from smets_emu.emulator.device import (
    ALERT_INTEGRITY_FAILURE,
    AlertSpec,
    CommandContext,
    CommandRejected,
    Device,
    HandlerResult,
    Outcome,
    handles,
)
from smets_emu.emulator.firmware import activation
from smets_emu.emulator.firmware.codes import (
    ACTIVATE_FIRMWARE,
    FDRA_DLMS,
    FDRA_GBZ,
    VERIFICATION_FAILED,
    VERIFICATION_SUCCESSFUL,
    ActivationCode,
    ImageCheck,
    alerts_outcome,
    calculated_hash,
    gtime,
)
from smets_emu.emulator.firmware.download import DownloadBuffer, committed_bytes, committed_offset, write_checkpoint
from smets_emu.emulator.firmware.slots import FirmwareSlot, FirmwareSlots, ImageStore
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import FrameError
from smets_emu.protocols.firmware import UpgradeImage, decode_image_file, verify_image
from smets_emu.protocols.payloads.asn1_firmware_models import ActivateFirmwareCommand, ActivateFirmwareResponse
from smets_emu.protocols.payloads.asn1_models import read, to_payload

log = logging.getLogger(__name__)


class FirmwareUseCases(Component):
    """Firmware slots, image receipt and CS06 of one device (digest 5.6, 5.10, 7.3, 7.4)."""

    image_signer: ClassVar[Role] = Role.SUPPLIER  # whose digital signing anchor checks the image signature

    def __init__(self, device: Device) -> None:
        super().__init__(device)
        self.image_store: ImageStore | None = None
        self.download = DownloadBuffer()

    def attach_image_store(self, store: ImageStore) -> None:
        """Keep images larger than the inline limit in *store*."""
        self.image_store = store

    # -- alerts ----------------------------------------------------------------------------

    def receipt_alert(self, alert_code: int, image_hash: bytes, now: dt.datetime) -> AlertSpec:
        """Firmware Distribution Receipt Alert in the device's payload family (digest 5.10)."""
        if self.device.payload_family == "gbz":
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

    @staticmethod
    def check_image(image: UpgradeImage, state: DeviceState) -> ImageCheck:
        """Compare an image's OTA header with the device (manufacturer, image type, hardware version)."""
        ident = FirmwareSlots(state).identity
        if image.manufacturer_code != ident.manufacturer:
            return ImageCheck.WRONG_MANUFACTURER
        if image.image_type != ident.image_type:
            return ImageCheck.WRONG_IMAGE_TYPE
        if not image.hardware_supported(ident.hardware_version):
            return ImageCheck.HARDWARE_MISMATCH
        return ImageCheck.ACCEPTED

    def ota_offset(self, state: DeviceState, file_ref: str) -> int:
        """How many bytes of file *file_ref* the device holds (0 when it is not downloading it)."""
        buffer = self.download.live(state, file_ref)
        if buffer is not None:
            return len(buffer.data)
        download = FirmwareSlots(state).download
        if download is None or download.get("file") != file_ref:
            return 0
        return committed_offset(download)

    def ota_begin(self, state: DeviceState, file_ref: str, size: int, now: dt.datetime) -> Outcome:
        """Start receiving file *file_ref* of *size* bytes, or resume the download in progress."""
        work = state.clone()
        FirmwareSlots(work).start_download(file_ref, size, now.isoformat())
        return Outcome(work, accepted=True, reason="download started")

    def ota_receive(self, state: DeviceState, offset: int, data: bytes | memoryview) -> bool:
        """Take one block (or a run of consecutive blocks) into the download buffer: O(len(data)).

        Nothing is committed: :meth:`ota_checkpoint` persists what arrived. A block not at the
        device's offset, or past the announced size, is ignored (duplicate or gap).
        """
        download = FirmwareSlots(state).download
        if download is None:
            return False
        buffer = self.download.for_download(state, download, self.image_store)
        if offset != len(buffer.data) or offset + len(data) > buffer.size:
            return False
        buffer.data += data
        return True

    def ota_checkpoint(self, state: DeviceState, now: dt.datetime) -> Outcome:
        """Commit the bytes received since the last checkpoint (the download offset survives a restart).

        The caller adopts the returned state; until it does, the buffer no longer continues the
        state it holds and is reloaded from it.
        """
        download = FirmwareSlots(state).download
        buffer = None if download is None else self.download.live(state, download["file"])
        if download is None or buffer is None or (len(buffer.data) == buffer.committed and not buffer.rewrite):
            return Outcome(state, reason="nothing to checkpoint")
        work = state.clone()
        target = FirmwareSlots(work).download
        assert target is not None
        write_checkpoint(target, buffer, self.image_store)
        buffer.committed, buffer.rewrite = len(buffer.data), False
        return Outcome(work, accepted=True, reason=f"download at {len(buffer.data)} bytes")

    def ota_block(self, state: DeviceState, offset: int, block: bytes, now: dt.datetime) -> Outcome:
        """Receive one image block and commit it at once (:meth:`ota_receive` plus :meth:`ota_checkpoint`)."""
        if not self.ota_receive(state, offset, block):
            held = self.ota_offset(state, str((FirmwareSlots(state).download or {}).get("file", "")))
            return Outcome(state, reason=f"block at {offset} ignored, expecting {held}")
        return self.ota_checkpoint(state, now)

    def ota_end(self, state: DeviceState, now: dt.datetime) -> Outcome:
        """Verify the received image, keep it as the pending image and raise the FDRA (digest 5.10)."""
        download = FirmwareSlots(state).download
        if download is None:
            return Outcome(state, reason="no download in progress")
        buffer = self.download.live(state, download["file"])
        data = buffer.data if buffer is not None else committed_bytes(download, self.image_store)
        self.download.drop()
        work = state.clone()
        FirmwareSlots(work).end_download()
        if len(data) != int(download["size"]):
            return Outcome(work, reason=f"incomplete image: {len(data)} of {download['size']} bytes")
        return self._verify_and_hold(work, data, now)

    def receive_image(self, state: DeviceState, data: bytes | bytearray, now: dt.datetime) -> Outcome:
        """Receive a whole image file in one step (no HAN transfer): verify, hold, FDRA."""
        work = state.clone()
        FirmwareSlots(work).end_download()
        return self._verify_and_hold(work, data, now)

    def _verify_and_hold(self, work: DeviceState, received: bytes | bytearray, now: dt.datetime) -> Outcome:
        reason = ""
        image: UpgradeImage | None = None
        data: bytes | None = None
        try:
            data, image = decode_image_file(received)  # the file as bytes, shared with devices holding the same
        except FrameError as exc:
            reason = f"image does not decode: {exc}"
        if image is not None:
            check = self.check_image(image, work)
            if check is not ImageCheck.ACCEPTED:
                reason = check.value
            elif not self._signature_valid(work, image):
                reason = "supplier signature over the Manufacturer Image does not verify"
        image_hash = image.image_hash if image is not None else calculated_hash(bytes(received))
        if reason or image is None or data is None:
            log.info("device %s discards firmware image: %s", work.eui.hex().upper(), reason)
            alert = self.receipt_alert(VERIFICATION_FAILED, image_hash, now)
            return alerts_outcome(self.device, work, [alert], False, reason, now)
        slot = FirmwareSlot.from_image(image, data, store=self.image_store, received_at=now.isoformat())
        FirmwareSlots(work).hold(slot)
        alert = self.receipt_alert(VERIFICATION_SUCCESSFUL, image_hash, now)
        return alerts_outcome(self.device, work, [alert], True, f"image {image.version} held", now)

    def _signature_valid(self, state: DeviceState, image: UpgradeImage) -> bool:
        cell = self.device.find_cell(state, self.image_signer, CellKeyUsage.DIGITAL_SIGNATURE)
        if cell is None:
            return False
        return verify_image(image, self.device.cell_public_key(cell))

    # -- activation ------------------------------------------------------------------------

    def activate(self, state: DeviceState, image_hash: bytes) -> ActivationCode:
        """Activate the pending image of *state* if its calculated hash is *image_hash* (GBCS CS06 steps 3-5)."""
        return activation.activate(state, image_hash, self.image_store)

    @handles(ACTIVATE_FIRMWARE)
    def activate_firmware(self, ctx: CommandContext) -> HandlerResult:
        """CS06 Activate Firmware: immediate, future-dated or cancellation (digest 5.6, 7.4)."""
        try:
            command = read(ctx.payload, ActivateFirmwareCommand)
        except FrameError as exc:
            raise CommandRejected(ALERT_INTEGRITY_FAILURE, f"unusable Activate Firmware command: {exc}") from exc
        if len(command.image_hash) != 32 or command.originator_counter != ctx.header.originator_counter:
            raise CommandRejected(ALERT_INTEGRITY_FAILURE, "hash length or originator counter inconsistent")
        accepted = to_payload(ActivateFirmwareResponse(), ACTIVATE_FIRMWARE, 2)
        if command.cancels:
            activation.schedule(ctx.state, None)
            return HandlerResult(accepted)
        if command.execution_time is not None:
            activation.schedule(ctx.state, {
                "message_code": ACTIVATE_FIRMWARE, "originator_counter": command.originator_counter,
                "originator": ctx.header.originator.hex().upper(),
                "execution_date_time": gtime(command.execution_time), "hash": command.image_hash.hex().upper(),
            })
            return HandlerResult(accepted)
        code = self.activate(ctx.state, command.image_hash)
        log.info("device %s CS06: %s", ctx.state.eui.hex().upper(), code.name)
        outcome = ActivateFirmwareResponse(activation.execution_outcome(ctx.state, code))
        return HandlerResult(to_payload(outcome, ACTIVATE_FIRMWARE, 2))

    def due(self, state: DeviceState, now: dt.datetime) -> Outcome | None:
        """Future-dated activations whose time has come, one 0x00CA alert each (digest 5.9)."""
        ready = activation.due_activations(state, now)
        if not ready:
            return None
        work = state.clone()
        alerts: list[AlertSpec] = []
        for entry in ready:
            work.pending = [p for p in work.pending if p is not entry and p != entry]
            code = self.activate(work, bytes.fromhex(entry["hash"]))
            alerts.append(activation.activation_alert(work, entry, code))
        return alerts_outcome(self.device, work, alerts, True, "future-dated firmware activation", now)

    def next_due(self, state: DeviceState) -> dt.datetime | None:
        """When the future-dated activation of *state* comes due."""
        return activation.next_activation(state)
