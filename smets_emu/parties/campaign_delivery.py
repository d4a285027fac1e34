"""The device-facing steps of a campaign stage: the image to a CHF group over the HAN, then CS06 (digest 7.3).

A CHF group is the stage's targets behind one Communications Hub. The CHF gets the image (SRV 11.1
at the CHF; GBCS 11.2 firmware distribution) and :class:`~smets_emu.hosting.han_network.HanNetwork`
moves the blocks until the stage timeout; transfers still open then end as file transfer
failures. The Firmware Distribution Receipt Alerts and CCS08 outcomes are counted on the way.
Activation sends Activate Firmware (CS06, GBCS 13.3.3.x) to each device holding the image.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from smets_emu.emulator.anchors import Role
from smets_emu.emulator.device import Device, Outbound
from smets_emu.emulator.firmware import FirmwareDistributor, FirmwareUseCases
from smets_emu.emulator.firmware.codes import (
    FDRA_DLMS,
    FDRA_GBZ,
    FIRMWARE_TRANSFER_ALERT,
    VERIFICATION_FAILED,
    VERIFICATION_SUCCESSFUL,
    TransferCode,
    payload_of,
)
from smets_emu.emulator.firmware.slots import ImageStore
from smets_emu.hosting.han_network import HanNetwork
from smets_emu.parties.device_replies import alert_code_of
from smets_emu.parties.firmware_commands import activation_command
from smets_emu.protocols.payloads import Payload
from smets_emu.protocols.payloads.asn1_firmware_models import ActivateFirmwareResponse, FirmwareTransferAlert
from smets_emu.protocols.payloads.asn1_models import read

if TYPE_CHECKING:
    from smets_emu.parties.campaign import Campaign


def _attach_store(device: Device, store: ImageStore) -> None:
    """Give a device's firmware component *store* unless it keeps images elsewhere already."""
    firmware = device.find(FirmwareUseCases)
    if firmware is not None and firmware.image_store is None:
        firmware.attach_image_store(store)


def distribute_group(campaign: Campaign, chf_eui: bytes | None, members: list[bytes], start: dt.datetime,
                     deadline: dt.datetime, *, retry_failed: bool) -> dt.datetime:
    """Hand the image to one CHF for *members* (or continue its transfers); the virtual time it ended."""
    chf = None if chf_eui is None else campaign.fleet.devices.get(chf_eui)
    if chf is None or chf.find(FirmwareDistributor) is None:
        return start
    store = campaign.fleet.image_store
    devices: list[Device] = []
    for eui in members:
        device = campaign.fleet.devices.get(eui)
        if device is None:
            continue
        _attach_store(device, store)
        devices.append(device)
    _attach_store(chf, store)
    net = HanNetwork.of(chf, devices, link=campaign.link, links=campaign.links, commit=campaign.fleet.commit)
    fresh, continuing = [], []
    for eui in members:
        state, _ = campaign.device_result(eui)
        if state == "waiting":
            fresh.append(eui)
        elif state == "transferring" or (retry_failed and state == "failed"):
            continuing.append(eui)
    sent: list[Outbound] = []
    for eui in continuing:
        sent += net.resume(eui, start)
    if fresh:  # queued at the stage's start, the transfers (and any resumed) run on to the deadline
        sent += net.update_firmware(campaign.image(), fresh, start, until=deadline)
    else:
        sent += net.run(deadline)
    count_alerts(campaign.alerts, sent)
    end = start
    for eui in members:
        entry = net.status(eui)
        if entry is None or entry.get("file") != campaign.record["file"]:
            continue
        if entry["status"] in ("queued", "transferring"):  # did not finish within the stage timeout
            _fail_transfer(campaign, net, eui, deadline)
        end = max(end, dt.datetime.fromisoformat(entry["clock"]))
    return end


def _fail_transfer(campaign: Campaign, net: HanNetwork, target: bytes, now: dt.datetime) -> None:
    """End a transfer that did not finish within the stage timeout as a file transfer failure (CCS08)."""
    outcome = net.distributor.record_transfer(net.chf.state, target, {"clock": now.isoformat()}, now,
                                              TransferCode.FILE_TRANSFER_FAILURE)
    campaign.fleet.commit(net.chf, outcome, now)
    count_alerts(campaign.alerts, outcome.outbound)


def _built(item: Outbound) -> Payload:
    """The payload a device message carries: the one it was built from (the fleet runs in this process)."""
    return item.payload if item.payload is not None else payload_of(item)


def count_alerts(alerts: Counter[str], sent: Iterable[Outbound]) -> None:
    """Count the receipt alerts (FDRA 0x8F72 / 0x8F1C) and CCS08 transfer outcomes among *sent*."""
    for item in sent:
        if item.message_code in (FDRA_DLMS, FDRA_GBZ):
            code = alert_code_of(_built(item))
            key = {VERIFICATION_SUCCESSFUL: "8F72", VERIFICATION_FAILED: "8F1C"}.get(code, f"{code or 0:04X}")
            alerts[f"fdra_{key}"] += 1
        elif item.message_code == FIRMWARE_TRANSFER_ALERT:
            alerts[f"ccs08_{read(_built(item), FirmwareTransferAlert).code_name}"] += 1


def activate_stage(campaign: Campaign, stage: int) -> None:
    """CS06 to every device of the stage that holds the image (immediate or future-dated)."""
    assert campaign.headend is not None
    when = campaign.record["activate"]
    execution = None if when == "now" else dt.datetime.fromisoformat(when)
    failures = campaign.record.setdefault("activation_failures", {})
    now = campaign.clock
    for eui in campaign.stage_targets(stage):
        if campaign.device_result(eui)[0] != "held":
            continue
        device = campaign.fleet.devices[eui]
        counter = int(device.state.counters.get(int(Role.SUPPLIER), 0)) + 1
        command = activation_command(campaign.headend, eui, campaign.image_hash, counter, execution=execution)
        sent = campaign.fleet.deliver(command, now)
        code = "noResponse"
        for item in sent:
            if item.kind == "response":
                outcome = read(_built(item), ActivateFirmwareResponse).outcome
                code = "success" if outcome is None else outcome.code_name
        campaign.alerts[f"cs06_{code}"] += 1
        if code != "success":
            failures[eui.hex().upper()] = f"activation {code}"
            campaign.record["stage_failed"] += 1
            campaign.record["stage_ok"] -= 1
