"""Firmware distribution at the Communications Hub (digest 5.7, 7.3): the :class:`FirmwareDistributor` component.

The CHF receives an image for its HAN devices (SRV 11.1) and queues one transfer per target;
:mod:`smets_emu.hosting.han_network` moves the blocks. Each transfer ends with CCS08 (0x0128):
0x8F8A success, or 0x8F89 with imageDiscarded (1: malformed or truncated image, wrong
manufacturer or image type), hardwareVersionMismatch (2) or fileTransferFailure (3: blocks lost
beyond the retry budget, link down, or the device failed to verify the image).

The CHF's own images are signed by the party responsible for it, the WAN provider (digest 7.3):
:class:`HubFirmware` is its receiving side. Every step takes the CHF state it works on and
returns an :class:`~smets_emu.emulator.device.Outcome`; the caller adopts it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any, ClassVar

from smets_emu.emulator.anchors import CellKeyUsage, Role
from smets_emu.emulator.component import Component
from smets_emu.emulator.device import AlertSpec, Outcome
from smets_emu.emulator.firmware.codes import (
    FIRMWARE_TRANSFER_ALERT,
    TransferCode,
    alerts_outcome,
    file_reference,
)
from smets_emu.emulator.firmware.slots import ImageStore
from smets_emu.emulator.firmware.use_cases import FirmwareUseCases
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import FrameError
from smets_emu.protocols.firmware import decode_image
from smets_emu.protocols.firmware.image import announced_file_version
from smets_emu.protocols.payloads.asn1_firmware_models import FirmwareTransferAlert, version_octets
from smets_emu.protocols.payloads.asn1_models import to_payload

log = logging.getLogger(__name__)

DISTRIBUTION_INLINE_LIMIT = 64 * 1024
"""Distribution images above this size live in the image store, not in the CHF state."""


class HubFirmware(FirmwareUseCases):
    """The CHF's own firmware: images signed by the WAN provider (digest 7.3)."""

    image_signer: ClassVar[Role] = Role.WAN_PROVIDER


def transfers(state: DeviceState) -> dict[str, dict[str, Any]]:
    """Transfers of a CHF *state* by target EUI (hex): file, version, status, virtual clock, retry and block counts."""
    found: dict[str, dict[str, Any]] = state.firmware.get("distribution", {}).get("transfers", {})
    return found


class FirmwareDistributor(Component):
    """CHF: receives images for its HAN devices and reports each transfer with CCS08 (digest 5.7)."""

    @property
    def image_store(self) -> ImageStore | None:
        """The store of the CHF's firmware component (shared with its own images)."""
        return self.device.component(FirmwareUseCases).image_store

    @staticmethod
    def transfers(state: DeviceState) -> dict[str, dict[str, Any]]:
        """Transfers by target EUI (hex) in *state*."""
        return transfers(state)

    def distribution_image(self, state: DeviceState, file_ref: str) -> bytes | None:
        """The bytes of an image the CHF holds for distribution."""
        entry = state.firmware.get("distribution", {}).get("images", {}).get(file_ref)
        if entry is None:
            return None
        if entry.get("image") is not None:
            return bytes.fromhex(entry["image"])
        store = self.image_store
        return None if store is None else store.get(entry["image_ref"])

    def transfer_alert(self, state: DeviceState, target: bytes, version: str, code: TransferCode,
                       now: dt.datetime) -> AlertSpec:
        """CCS08 Firmware Transfer Alert about *target*, to the ACB (digest 5.7)."""
        alert = FirmwareTransferAlert.of(now, target, version_octets(version), code)
        acb = self.device.find_cell(state, Role.ACCESS_CONTROL_BROKER, CellKeyUsage.KEY_AGREEMENT)
        recipient = acb.subject_id if acb is not None else None
        return AlertSpec(FIRMWARE_TRANSFER_ALERT, to_payload(alert, FIRMWARE_TRANSFER_ALERT, 3),
                         critical=True, recipient=recipient)

    def update_firmware(self, state: DeviceState, data: bytes, targets: Sequence[bytes],
                        now: dt.datetime) -> Outcome:
        """SRV 11.1 at the CHF: keep the image and queue a HAN transfer to every target.

        A malformed or truncated image is discarded with CCS08 imageDiscarded for each target.
        The CHF's own EUI among the targets means an image for the CHF itself (received at once).
        """
        work = state.clone()
        try:
            image = decode_image(data)
        except FrameError as exc:
            log.info("CHF %s discards an image: %s", work.eui.hex().upper(), exc)
            version = announced_file_version(data)
            alerts = [self.transfer_alert(work, t, version, TransferCode.IMAGE_DISCARDED, now) for t in targets]
            return alerts_outcome(self.device, work, alerts, False, f"image discarded: {exc}", now)
        ref = file_reference(data)
        dist = work.firmware.setdefault("distribution", {"images": {}, "transfers": {}})
        entry: dict[str, Any] = {"version": image.version, "size": len(data), "image": None, "image_ref": None}
        store = self.image_store
        if store is not None and len(data) > DISTRIBUTION_INLINE_LIMIT:
            entry["image_ref"] = store.put(data)
        else:
            entry["image"] = data.hex().upper()
        dist["images"][ref] = entry
        for target in targets:
            if target == work.eui:
                continue
            dist["transfers"][target.hex().upper()] = {
                "file": ref, "version": image.version, "size": len(data), "status": "queued",
                "clock": now.isoformat(), "attempt": 0, "delivered": 0, "lost": 0, "response_code": None,
            }
        reason = f"image {image.version} queued for {len(targets)} device(s)"
        if work.eui in targets:
            return self.device.component(FirmwareUseCases).receive_image(work, data, now)
        return Outcome(work, accepted=True, reason=reason)

    def record_transfer(self, state: DeviceState, target: bytes, changes: dict[str, Any], now: dt.datetime,
                        finish: TransferCode | None = None) -> Outcome:
        """Update a transfer's progress; *finish* ends it with the CCS08 alert carrying that code."""
        work = state.clone()
        entry = transfers(work).get(target.hex().upper())
        if entry is None:
            return Outcome(state, reason="no such transfer")
        entry.update(changes)
        alerts: list[AlertSpec] = []
        if finish is not None:
            entry["status"] = "done" if finish is TransferCode.SUCCESS else "failed"
            entry["response_code"] = int(finish)
            alerts.append(self.transfer_alert(work, target, entry["version"], finish, now))
            _drop_unused_images(work)
        return alerts_outcome(self.device, work, alerts, True, entry["status"], now)

    def resume_transfer(self, state: DeviceState, target: bytes, now: dt.datetime) -> Outcome:
        """Restart a failed transfer; the device continues from the bytes it already holds."""
        work = state.clone()
        entry = transfers(work).get(target.hex().upper())
        if entry is None or entry["status"] not in ("failed", "transferring", "queued"):
            return Outcome(state, reason="nothing to resume")
        if entry["file"] not in work.firmware.get("distribution", {}).get("images", {}):
            return Outcome(state, reason="image no longer held")
        entry.update({"status": "transferring" if entry["status"] != "queued" else "queued",
                      "clock": now.isoformat(), "attempt": 0, "response_code": None})
        return Outcome(work, accepted=True, reason="transfer resumed")


def _drop_unused_images(state: DeviceState) -> None:
    """Forget distribution images no transfer still needs (queued, transferring or resumable)."""
    dist = state.firmware.get("distribution", {})
    wanted = {t["file"] for t in dist.get("transfers", {}).values()
              if t["status"] in ("queued", "transferring")
              or t.get("response_code") == int(TransferCode.FILE_TRANSFER_FAILURE)}
    for ref in list(dist.get("images", {})):
        if ref not in wanted:
            del dist["images"][ref]
