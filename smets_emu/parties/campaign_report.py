"""What a firmware campaign reached, read back from the device states (digest 7.3).

Which devices hold or run the image is always read from the committed states (the firmware
slots of each target, the transfer table of its CHF), never from the campaign record: a
campaign killed mid-run and resumed reports the same as one that ran through.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from smets_emu.emulator.firmware import FirmwareDistributor, transfers
from smets_emu.emulator.firmware.codes import PENDING_KIND, TransferCode
from smets_emu.emulator.firmware.slots import FirmwareSlots
from smets_emu.hosting.fleet import Fleet
from smets_emu.parties.campaign_plan import BEFORE_KEY

if TYPE_CHECKING:
    from smets_emu.parties.campaign import Campaign


def _reason(code: int | None) -> str:
    try:
        return TransferCode(int(code)).name.lower() if code is not None else "unknown"
    except ValueError:
        return f"code {code}"


def chf_transfers(fleet: Fleet, chf_eui: bytes | None) -> dict[str, dict[str, Any]]:
    """The transfer table of a CHF (empty when there is no CHF or it distributes no firmware)."""
    chf = None if chf_eui is None else fleet.devices.get(chf_eui)
    return transfers(chf.state) if chf is not None and chf.find(FirmwareDistributor) else {}


def device_result(fleet: Fleet, record: dict[str, Any], eui: bytes) -> tuple[str, str]:
    """(state, detail) of one target: running, scheduled, held, transferring, waiting or failed."""
    device = fleet.devices.get(eui)
    if device is None:
        return "failed", "not in the fleet"
    slots = FirmwareSlots(device.state)
    if slots.version == record["version"]:
        return "running", ""
    pending = slots.pending
    held = pending is not None and pending.image_hash.hex().upper() == record["image_hash"]
    if held and any(p.get("kind") == PENDING_KIND and p.get("hash") == record["image_hash"]
                    for p in device.state.pending):
        return "scheduled", ""
    failed_activation = record.get("activation_failures", {}).get(eui.hex().upper())
    if held:
        return ("failed", failed_activation) if failed_activation else ("held", "")
    chf_eui = fleet.premises.get(eui)
    if chf_eui is None or chf_eui not in fleet.devices:
        return "failed", "no CHF"
    entry = chf_transfers(fleet, chf_eui).get(eui.hex().upper())
    if entry is None or entry.get("file") != record["file"]:
        return "waiting", ""
    if entry["status"] in ("queued", "transferring"):
        return "transferring", ""
    if entry["status"] == "done":
        return "held", ""  # transferred, but no longer pending (replaced or discarded since)
    return "failed", _reason(entry.get("response_code"))


def summary(campaign: Campaign) -> dict[str, Any]:
    """Campaign status, per-stage counts, outcome per target, failures by reason, versions (JSON-safe)."""
    fleet, record = campaign.fleet, campaign.record
    outcomes: Counter[str] = Counter()
    failures: dict[str, list[str]] = {}
    blocks = lost = 0
    for eui in campaign.targets:
        state, detail = device_result(fleet, record, eui)
        outcomes[state] += 1
        if state == "failed":
            failures.setdefault(detail, []).append(eui.hex().upper())
        entry = chf_transfers(fleet, fleet.premises.get(eui)).get(eui.hex().upper())
        if entry is not None and entry.get("file") == record["file"]:
            blocks += int(entry.get("delivered", 0))
            lost += int(entry.get("lost", 0))
    return {
        "campaign": {k: v for k, v in record.items() if k != "alerts"},
        "targets": len(campaign.targets),
        "outcomes": dict(sorted(outcomes.items())),
        "failures": {reason: {"count": len(euis), "devices": euis} for reason, euis in sorted(failures.items())},
        "alerts": dict(sorted(campaign.alerts.items())),
        "blocks": {"delivered": blocks, "lost": lost},
        "virtual_time_s": (campaign.clock - dt.datetime.fromisoformat(record["created"])).total_seconds(),
        "versions": fleet_versions(fleet, campaign.targets),
    }


def device_rows(campaign: Campaign) -> Iterator[dict[str, Any]]:
    """Per target, in stage order: type, stage, outcome, blocks, virtual start and end, version before and now.

    A transfer starts when its CHF's group starts (the distribution start recorded for that
    stage and group position: a retry or a resume after a restart starts it again) and ends at
    the virtual time its CHF recorded the outcome; times are None for devices not reached.
    """
    fleet, record = campaign.fleet, campaign.record
    before = json.loads(fleet.store.get_meta(BEFORE_KEY) or "{}")
    starts = record.get("starts", [])
    for stage, spec in enumerate(record["stages"]):
        segments = sorted((s["chf_index"], s["at"]) for s in starts if s["stage"] == stage)
        for position, (chf_eui, members) in enumerate(campaign.groups(campaign.stage_targets(stage))):
            began = next((at for index, at in reversed(segments) if index <= position), None)
            held = chf_transfers(fleet, chf_eui)
            for eui in members:
                yield _device_row(campaign, eui, stage, spec["name"], began, held, before)


def _device_row(campaign: Campaign, eui: bytes, stage: int, stage_name: str, began: str | None,
                held: dict[str, dict[str, Any]], before: dict[str, str]) -> dict[str, Any]:
    key = eui.hex().upper()
    state, detail = device_result(campaign.fleet, campaign.record, eui)
    device = campaign.fleet.devices.get(eui)
    entry = held.get(key)
    if entry is None or entry.get("file") != campaign.record["file"]:
        entry = None
    ended = entry["clock"] if entry is not None and state != "waiting" else None
    seconds = None
    if began is not None and ended is not None:
        seconds = max(0.0, (dt.datetime.fromisoformat(ended) - dt.datetime.fromisoformat(began)).total_seconds())
    return {
        "eui": key, "type": device.device_type if device is not None else None, "stage": stage,
        "stage_name": stage_name, "outcome": state, "reason": detail,
        "response_code": entry.get("response_code") if entry is not None else None,
        "delivered": int(entry.get("delivered", 0)) if entry is not None else 0,
        "lost": int(entry.get("lost", 0)) if entry is not None else 0,
        "started": began if entry is not None else None, "ended": ended, "seconds": seconds,
        "version_before": before.get(key),
        "version_after": FirmwareSlots(device.state).version if device is not None else None,
    }


def fleet_versions(fleet: Fleet, euis: Iterable[bytes] | None = None,
                   types: Iterable[str] | None = None) -> dict[str, Any]:
    """Which device runs which version: ``{"running": {version: [EUI]}, "pending": {...}, "by_type": ...}``."""
    wanted = set(types) if types is not None else None
    running: dict[str, list[str]] = {}
    pending: dict[str, list[str]] = {}
    by_type: dict[str, Counter[str]] = {}
    for eui in (sorted(euis) if euis is not None else sorted(fleet.devices)):
        device = fleet.devices.get(eui)
        if device is None or (wanted is not None and device.device_type not in wanted):
            continue
        slots = FirmwareSlots(device.state)
        running.setdefault(slots.version, []).append(eui.hex().upper())
        by_type.setdefault(device.device_type, Counter())[slots.version] += 1
        if slots.pending is not None:
            pending.setdefault(slots.pending.version, []).append(eui.hex().upper())
    return {"running": dict(sorted(running.items())), "pending": dict(sorted(pending.items())),
            "by_type": {t: dict(sorted(c.items())) for t, c in sorted(by_type.items())}}
