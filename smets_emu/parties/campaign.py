"""Firmware campaigns for a fleet: one image to many devices through their CHFs, in staged groups (digest 7.3).

A :class:`Campaign` is sans-IO and runs on the virtual clock. The targets are grouped by the CHF
of their premises and split into cumulative stages (default 1 %, 10 %, 100 %). Each stage hands
the image to the CHFs of its targets (SRV 11.1 at the CHF) and lets :class:`~.han.HanNetwork`
move the blocks; the Firmware Distribution Receipt Alerts (0x8F72 success, 0x8F1C failure) and
the CCS08 outcomes are counted. When the failed fraction of a stage exceeds the error threshold
the campaign pauses; :meth:`Campaign.resume` continues it (optionally retrying the failed
transfers from the offsets the devices hold) and :meth:`Campaign.abort` ends it. An optional
activation step sends each stage's devices Activate Firmware (CS06), immediate or future-dated.

Every device and CHF step commits in the fleet's state store as it happens; the campaign keeps
its own progress (stage, CHF position, counters) in the store's ``meta`` table, so a process
killed mid-campaign resumes where the committed states say it stopped. Which devices hold or
run the image is always read back from the device states, never from the campaign record.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from smets_emu.emulator.anchors import Role
from smets_emu.emulator.device import Device, Outbound
from smets_emu.emulator.firmware import FirmwareDistributor, FirmwareUseCases, transfers
from smets_emu.emulator.firmware.codes import (
    FDRA_DLMS,
    FDRA_GBZ,
    FIRMWARE_TRANSFER_ALERT,
    PENDING_KIND,
    VERIFICATION_FAILED,
    VERIFICATION_SUCCESSFUL,
    TransferCode,
    file_reference,
    payload_of,
)
from smets_emu.emulator.firmware.slots import FirmwareSlots, ImageStore
from smets_emu.errors import FrameError, SmetsError
from smets_emu.hosting.fleet import Fleet
from smets_emu.hosting.han_network import HanLink, HanNetwork
from smets_emu.parties.firmware_commands import activation_command
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.firmware import decode_image
from smets_emu.protocols.payloads.asn1_firmware_models import ActivateFirmwareResponse, FirmwareTransferAlert
from smets_emu.protocols.payloads.asn1_models import read

log = logging.getLogger(__name__)

META_KEY = "firmware_campaign"
TARGETS_KEY = "firmware_campaign_targets"
BEFORE_KEY = "firmware_campaign_before"  # the version each target ran when the campaign was created
MAX_STARTS = 1000
"""Distribution starts kept in a campaign record (one per stage, run and resume)."""
DEFAULT_STAGES = (0.01, 0.10, 1.0)
RUNNING, PAUSED, COMPLETED, ABORTED = "running", "paused", "completed", "aborted"


class CampaignError(SmetsError):
    """A campaign cannot be started, resumed or read."""


@dataclass(frozen=True)
class CampaignProgress:
    """Where a campaign stands, for progress bars."""

    stage: int
    stages: int
    stage_name: str
    done: int  # targets of the whole campaign with a final outcome
    total: int
    ok: int
    failed: int
    clock: dt.datetime
    phase: str  # distribute or activate


ProgressListener = Callable[[CampaignProgress], None]


def parse_stages(text: str) -> tuple[float, ...]:
    """``"1,10,100"`` (cumulative percentages) as fractions; the last stage always reaches 100 %."""
    try:
        values = [float(v) / 100 for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise CampaignError(f"stages must be percentages, e.g. 1,10,100: {exc}") from exc
    if not values or any(not 0 < v <= 1 for v in values) or values != sorted(values):
        raise CampaignError("stages must be increasing percentages in (0, 100]")
    if values[-1] < 1:
        values.append(1.0)
    return tuple(values)


def _stage_name(fraction: float) -> str:
    return f"{fraction * 100:g}%"


def _attach_store(device: Device, store: ImageStore) -> None:
    """Give a device's firmware component *store* unless it keeps images elsewhere already."""
    firmware = device.find(FirmwareUseCases)
    if firmware is not None and firmware.image_store is None:
        firmware.attach_image_store(store)


def _reason(code: int | None) -> str:
    try:
        return TransferCode(int(code)).name.lower() if code is not None else "unknown"
    except ValueError:
        return f"code {code}"


@dataclass
class Campaign:
    """A staged distribution of one image to fleet devices (see the module docstring)."""

    fleet: Fleet
    record: dict[str, Any]
    targets: list[bytes]
    headend: HeadEnd | None = None
    link: HanLink = field(default_factory=HanLink)
    progress: ProgressListener | None = None
    links: dict[bytes, HanLink] = field(default_factory=dict)  # per-device link properties and faults
    _data: bytes | None = field(default=None, repr=False)
    alerts: Counter[str] = field(default_factory=Counter)
    _budget: int | None = field(default=None, repr=False)  # CHF groups this run() may still distribute to
    _turn: tuple[int, str, bool] | None = field(default=None, repr=False)  # stage, start, retry to continue
    _stage_groups: dict[int, tuple[list[tuple[bytes | None, list[bytes]]], list[int]]] = field(
        default_factory=dict, repr=False)  # per stage: its CHF groups and the targets before each group


    # -- creating and loading --------------------------------------------------------------

    @classmethod
    def create(cls, fleet: Fleet, data: bytes, targets: Iterable[bytes], now: dt.datetime, *,
               stages: Sequence[float] = DEFAULT_STAGES, error_threshold: float = 0.05,
               activate: str | dt.datetime | None = None, stage_timeout: dt.timedelta = dt.timedelta(days=1),
               headend: HeadEnd | None = None, link: HanLink | None = None,
               progress: ProgressListener | None = None) -> Campaign:
        """A new campaign for *targets* (stored in the fleet's store; replaces a finished one).

        *activate*: None (distribute only), ``"now"`` (CS06 immediately after each stage) or a
        time (future-dated CS06).
        """
        current = fleet.store.get_meta(META_KEY)
        if current is not None and json.loads(current).get("status") in (RUNNING, PAUSED):
            raise CampaignError("a campaign is running or paused in this store: resume or abort it first")
        try:
            image = decode_image(data)
        except FrameError as exc:
            raise CampaignError(f"not an Upgrade Image: {exc}") from exc
        if activate not in (None, "now") and not isinstance(activate, dt.datetime):
            raise CampaignError("activate must be None, 'now' or a time")
        if activate is not None and headend is None:
            raise CampaignError("activation needs a head-end with the supplier's keys")
        ref = fleet.image_store.put(data)
        if ref != file_reference(data):
            raise CampaignError("the image store is not content-addressed by SHA-256")
        chosen = sorted(set(targets), key=lambda eui: (fleet.premises.get(eui, b"\xff" * 8), eui))
        if not chosen:
            raise CampaignError("no target devices")
        bounds: list[int] = []
        for fraction in stages:
            upto = min(len(chosen), max(1, math.ceil(fraction * len(chosen))))
            if not bounds or upto > bounds[-1]:
                bounds.append(upto)
        if bounds[-1] != len(chosen):
            bounds.append(len(chosen))
        record = {
            "id": f"{ref[:12]}-{now.strftime('%Y%m%dT%H%M%SZ')}",
            "file": ref, "version": image.version, "image_hash": image.image_hash.hex().upper(), "size": len(data),
            "created": now.isoformat(), "clock": now.isoformat(), "status": RUNNING, "reason": "",
            "error_threshold": error_threshold, "stage_timeout": stage_timeout.total_seconds(),
            "activate": activate.isoformat() if isinstance(activate, dt.datetime) else activate,
            "stages": [{"name": "rest" if 0 < i == len(bounds) - 1 else _stage_name(b / len(chosen)),
                        "upto": b} for i, b in enumerate(bounds)],
            "stage": 0, "chf_index": 0, "phase": "distribute", "accepted_failures": 0,
            "stage_ok": 0, "stage_failed": 0, "alerts": {},
            "stage_results": [],
        }
        fleet.store.set_meta(TARGETS_KEY, json.dumps([t.hex().upper() for t in chosen]))
        fleet.store.set_meta(BEFORE_KEY, json.dumps({
            t.hex().upper(): FirmwareSlots(fleet.devices[t].state).version for t in chosen if t in fleet.devices}))
        campaign = cls(fleet, record, chosen, headend, link or HanLink(), progress, _data=data)
        campaign._save()
        log.info("campaign %s: image %s to %d devices in %d stages", record["id"], image.version, len(chosen),
                 len(bounds))
        return campaign

    @classmethod
    def load(cls, fleet: Fleet, *, headend: HeadEnd | None = None, link: HanLink | None = None,
             progress: ProgressListener | None = None) -> Campaign | None:
        """The campaign stored in the fleet's store, or None."""
        text = fleet.store.get_meta(META_KEY)
        if text is None:
            return None
        record = json.loads(text)
        targets = [bytes.fromhex(t) for t in json.loads(fleet.store.get_meta(TARGETS_KEY) or "[]")]
        campaign = cls(fleet, record, targets, headend, link or HanLink(), progress)
        campaign.alerts.update(record.get("alerts", {}))
        return campaign

    def _save(self) -> None:
        self.record["alerts"] = dict(self.alerts)
        self.fleet.store.set_meta(META_KEY, json.dumps(self.record))

    # -- properties ------------------------------------------------------------------------

    @property
    def status(self) -> str:
        return str(self.record["status"])

    @property
    def clock(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.record["clock"])

    @property
    def image_hash(self) -> bytes:
        return bytes.fromhex(self.record["image_hash"])

    def image(self) -> bytes:
        """The image file (from the fleet's image store after a restart)."""
        if self._data is None:
            self._data = self.fleet.image_store.get(self.record["file"])
            if self._data is None:
                raise CampaignError("the campaign image is no longer in the image store")
        return self._data

    def stage_targets(self, stage: int) -> list[bytes]:
        """The targets of stage *stage* (0-based)."""
        stages = self.record["stages"]
        low = 0 if stage == 0 else stages[stage - 1]["upto"]
        return self.targets[low:stages[stage]["upto"]]

    def _groups(self, targets: Sequence[bytes]) -> list[tuple[bytes | None, list[bytes]]]:
        groups: dict[bytes | None, list[bytes]] = {}
        for eui in targets:
            groups.setdefault(self.fleet.premises.get(eui), []).append(eui)
        return sorted(groups.items(), key=lambda item: item[0] or b"\xff" * 8)

    def _groups_of(self, stage: int) -> tuple[list[tuple[bytes | None, list[bytes]]], list[int]]:
        """The CHF groups of stage *stage* and how many targets come before each (worked out once per stage)."""
        known = self._stage_groups.get(stage)
        if known is None:
            groups = self._groups(self.stage_targets(stage))
            before = list(itertools.accumulate((len(m) for _, m in groups), initial=0))
            known = self._stage_groups[stage] = (groups, before)
        return known

    # -- per-device outcome (read from the states) -----------------------------------------

    def device_result(self, eui: bytes) -> tuple[str, str]:
        """(state, detail) of one target: running, scheduled, held, transferring, waiting or failed."""
        device = self.fleet.devices.get(eui)
        if device is None:
            return "failed", "not in the fleet"
        slots = FirmwareSlots(device.state)
        if slots.version == self.record["version"]:
            return "running", ""
        pending = slots.pending
        held = pending is not None and pending.image_hash == self.image_hash
        if held and any(p.get("kind") == PENDING_KIND and p.get("hash") == self.record["image_hash"]
                        for p in device.state.pending):
            return "scheduled", ""
        failed_activation = self.record.get("activation_failures", {}).get(eui.hex().upper())
        if held:
            return ("failed", failed_activation) if failed_activation else ("held", "")
        chf = self.fleet.devices.get(self.fleet.premises.get(eui, b""))
        if chf is None:
            return "failed", "no CHF"
        entry = transfers(chf.state).get(eui.hex().upper()) if chf.find(FirmwareDistributor) else None
        if entry is None or entry.get("file") != self.record["file"]:
            return "waiting", ""
        if entry["status"] in ("queued", "transferring"):
            return "transferring", ""
        if entry["status"] == "done":
            return "held", ""  # transferred, but no longer pending (replaced or discarded since)
        return "failed", _reason(entry.get("response_code"))

    # -- running ---------------------------------------------------------------------------

    def run(self, *, retry_failed: bool = False, max_groups: int | None = None) -> str:
        """Work through the stages until the campaign completes, pauses or is aborted; returns the status.

        *max_groups*: return (still running) after handing the image to this many CHF groups, so
        a caller can interleave other work; the next ``run()`` of this object continues the stage
        as if it had not stopped (its groups start at the stage's start in virtual time).
        """
        self._budget = max_groups
        self._stage_groups.clear()  # the premises may have changed since the last run
        while self.record["status"] == RUNNING:
            stage = int(self.record["stage"])
            if stage >= len(self.record["stages"]):
                self.record["status"], self.record["reason"] = COMPLETED, ""
                self._save()
                break
            if self.record["phase"] == "distribute":
                finished = self._distribute(stage, retry_failed=retry_failed)
                retry_failed = False
                if not finished:
                    return self.status
                if self.record["status"] != RUNNING:
                    break
                self.record["phase"] = "activate" if self.record["activate"] is not None else "check"
                self._save()
            if self.record["phase"] == "activate":
                self._activate(stage)
                self.record["phase"] = "check"
                self._save()
            if self._over_threshold(stage, final=True):
                break
            self._finish_stage(stage)
        return self.status

    def resume(self, *, retry_failed: bool = False) -> str:
        """Continue a paused (or interrupted) campaign; failures so far are accepted unless retried."""
        if self.record["status"] not in (RUNNING, PAUSED):
            raise CampaignError(f"campaign is {self.record['status']}")
        if self.record["status"] == PAUSED:
            self.record["accepted_failures"] = 0 if retry_failed else int(self.record["stage_failed"])
            if retry_failed:
                self.record["phase"] = "distribute"
            self.record["status"], self.record["reason"] = RUNNING, ""
            self._save()
        return self.run(retry_failed=retry_failed)

    def abort(self, reason: str = "aborted by the operator") -> None:
        """End the campaign; devices keep what they hold (transfers in progress stay resumable at the CHF)."""
        self.record["status"], self.record["reason"] = ABORTED, reason
        self._save()

    def _distribute(self, stage: int, *, retry_failed: bool) -> bool:
        """Distribute to the stage's CHF groups; False when the run's group budget ran out first."""
        groups, _ = self._groups_of(stage)
        carried, self._turn = self._turn, None
        if carried is not None and carried[0] == stage and not retry_failed:
            start, retry_failed = dt.datetime.fromisoformat(carried[1]), carried[2]
        else:
            start = self.clock
            if retry_failed:
                self.record["chf_index"], self.record["stage_ok"], self.record["stage_failed"] = 0, 0, 0
                self.record["activation_failures"] = {}
            starts = self.record.setdefault("starts", [])  # groups from chf_index on start at this time
            starts.append({"stage": stage, "chf_index": int(self.record["chf_index"]), "at": start.isoformat()})
            del starts[:-MAX_STARTS]
        deadline = start + dt.timedelta(seconds=float(self.record["stage_timeout"]))
        while self.record["chf_index"] < len(groups):
            if self._budget is not None:
                if self._budget <= 0:
                    self._turn = (stage, start.isoformat(), retry_failed)
                    return False
                self._budget -= 1
            chf_eui, members = groups[int(self.record["chf_index"])]
            end = self._distribute_group(chf_eui, members, start, deadline, retry_failed=retry_failed)
            ok = failed = 0
            for eui in members:
                state, _ = self.device_result(eui)
                if state == "failed":
                    failed += 1
                elif state != "waiting":
                    ok += 1
            self.record["stage_ok"] += ok
            self.record["stage_failed"] += failed
            self.record["chf_index"] += 1
            if end > self.clock:
                self.record["clock"] = end.isoformat()
            self._save()
            self._report(stage, "distribute")
            if self._over_threshold(stage, final=False):
                return True
        return True

    def _distribute_group(self, chf_eui: bytes | None, members: list[bytes], start: dt.datetime,
                          deadline: dt.datetime, *, retry_failed: bool) -> dt.datetime:
        """Hand the image to one CHF for *members* (or continue its transfers); the virtual time it ended."""
        chf = None if chf_eui is None else self.fleet.devices.get(chf_eui)
        if chf is None or chf.find(FirmwareDistributor) is None:
            return start
        store = self.fleet.image_store
        devices: list[Device] = []
        for eui in members:
            device = self.fleet.devices.get(eui)
            if device is None:
                continue
            _attach_store(device, store)
            devices.append(device)
        _attach_store(chf, store)
        net = HanNetwork.of(chf, devices, link=self.link, links=self.links, commit=self.fleet.commit)
        fresh, continuing = [], []
        for eui in members:
            state, _ = self.device_result(eui)
            if state == "waiting":
                fresh.append(eui)
            elif state == "transferring" or (retry_failed and state == "failed"):
                continuing.append(eui)
        sent: list[Outbound] = []
        for eui in continuing:
            sent += net.resume(eui, start)
        if fresh:
            sent += net.update_firmware(self.image(), fresh, start)
        sent += net.run(deadline)
        self._count(sent)
        end = start
        for eui in members:
            entry = net.status(eui)
            if entry is None or entry.get("file") != self.record["file"]:
                continue
            if entry["status"] in ("queued", "transferring"):  # did not finish within the stage timeout
                self._apply_chf(net, eui, deadline)
            end = max(end, dt.datetime.fromisoformat(entry["clock"]))
        return end

    def _apply_chf(self, net: HanNetwork, target: bytes, now: dt.datetime) -> None:
        outcome = net.distributor.record_transfer(net.chf.state, target, {"clock": now.isoformat()}, now,
                                                  TransferCode.FILE_TRANSFER_FAILURE)
        self.fleet.commit(net.chf, outcome, now)
        self._count(outcome.outbound)

    def _count(self, sent: Iterable[Outbound]) -> None:
        for item in sent:
            if item.message_code in (FDRA_DLMS, FDRA_GBZ):
                body = payload_of(item).to_json()
                code = body.get("alert_code")
                code = int(code, 16) if isinstance(code, str) else code
                key = {VERIFICATION_SUCCESSFUL: "8F72", VERIFICATION_FAILED: "8F1C"}.get(code, f"{code:04X}")
                self.alerts[f"fdra_{key}"] += 1
            elif item.message_code == FIRMWARE_TRANSFER_ALERT:
                self.alerts[f"ccs08_{read(payload_of(item), FirmwareTransferAlert).code_name}"] += 1

    def _activate(self, stage: int) -> None:
        """CS06 to every device of the stage that holds the image (immediate or future-dated)."""
        assert self.headend is not None
        when = self.record["activate"]
        execution = None if when == "now" else dt.datetime.fromisoformat(when)
        failures = self.record.setdefault("activation_failures", {})
        now = self.clock
        for eui in self.stage_targets(stage):
            if self.device_result(eui)[0] != "held":
                continue
            device = self.fleet.devices[eui]
            counter = int(device.state.counters.get(int(Role.SUPPLIER), 0)) + 1
            command = activation_command(self.headend, eui, self.image_hash, counter, execution=execution)
            sent = self.fleet.deliver(command, now)
            code = "noResponse"
            for item in sent:
                if item.kind == "response":
                    outcome = read(payload_of(item), ActivateFirmwareResponse).outcome
                    code = "success" if outcome is None else outcome.code_name
            self.alerts[f"cs06_{code}"] += 1
            if code != "success":
                failures[eui.hex().upper()] = f"activation {code}"
                self.record["stage_failed"] += 1
                self.record["stage_ok"] -= 1
        self._report(stage, "activate")

    def _over_threshold(self, stage: int, *, final: bool) -> bool:
        stages = self.record["stages"]
        size = stages[stage]["upto"] - (stages[stage - 1]["upto"] if stage else 0)
        failed = int(self.record["stage_failed"]) - int(self.record["accepted_failures"])
        if size and failed / size > float(self.record["error_threshold"]):
            self.record["status"] = PAUSED
            self.record["reason"] = (f"stage {stage + 1} ({self.record['stages'][stage]['name']}): "
                                     f"{failed} of {size} devices failed, over the error threshold "
                                     f"{float(self.record['error_threshold']):.1%}")
            log.warning("campaign %s paused: %s", self.record["id"], self.record["reason"])
            self._save()
            return True
        return False

    def _finish_stage(self, stage: int) -> None:
        self.record["stage_results"].append({"stage": stage, "name": self.record["stages"][stage]["name"],
                                             "ok": self.record["stage_ok"], "failed": self.record["stage_failed"],
                                             "ended": self.record["clock"]})
        self.record.update({"stage": stage + 1, "chf_index": 0, "phase": "distribute", "accepted_failures": 0,
                            "stage_ok": 0, "stage_failed": 0})
        self._save()

    def _report(self, stage: int, phase: str) -> None:
        if self.progress is None:
            return
        done = self.record["stages"][stage - 1]["upto"] if stage else 0
        groups, before = self._groups_of(stage)
        done += before[min(int(self.record["chf_index"]), len(groups))]
        failed = sum(r["failed"] for r in self.record["stage_results"]) + int(self.record["stage_failed"])
        ok = sum(r["ok"] for r in self.record["stage_results"]) + int(self.record["stage_ok"])
        self.progress(CampaignProgress(stage, len(self.record["stages"]), self.record["stages"][stage]["name"],
                                       done, len(self.targets), ok, failed, self.clock, phase))

    # -- reporting -------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """Campaign status, per-stage counts, outcome per target, failures by reason, versions (JSON-safe)."""
        outcomes: Counter[str] = Counter()
        failures: dict[str, list[str]] = {}
        blocks = lost = 0
        for eui in self.targets:
            state, detail = self.device_result(eui)
            outcomes[state] += 1
            if state == "failed":
                failures.setdefault(detail, []).append(eui.hex().upper())
            chf = self.fleet.devices.get(self.fleet.premises.get(eui, b""))
            held = transfers(chf.state) if chf is not None and chf.find(FirmwareDistributor) else {}
            entry = held.get(eui.hex().upper())
            if entry is not None and entry.get("file") == self.record["file"]:
                blocks += int(entry.get("delivered", 0))
                lost += int(entry.get("lost", 0))
        record = {k: v for k, v in self.record.items() if k not in ("alerts",)}
        return {
            "campaign": record,
            "targets": len(self.targets),
            "outcomes": dict(sorted(outcomes.items())),
            "failures": {reason: {"count": len(euis), "devices": euis} for reason, euis in sorted(failures.items())},
            "alerts": dict(sorted(self.alerts.items())),
            "blocks": {"delivered": blocks, "lost": lost},
            "virtual_time_s": (self.clock - dt.datetime.fromisoformat(self.record["created"])).total_seconds(),
            "versions": fleet_versions(self.fleet, self.targets),
        }


    def devices(self) -> Iterator[dict[str, Any]]:
        """Per target, in stage order: type, stage, outcome, blocks, virtual start and end, version before and now.

        A transfer starts when its CHF's group starts (the distribution start recorded for that
        stage and group position: a retry or a resume after a restart starts it again) and ends at
        the virtual time its CHF recorded the outcome; times are None for devices not reached.
        """
        before = json.loads(self.fleet.store.get_meta(BEFORE_KEY) or "{}")
        starts = self.record.get("starts", [])
        for stage, spec in enumerate(self.record["stages"]):
            segments = sorted((s["chf_index"], s["at"]) for s in starts if s["stage"] == stage)
            for position, (chf_eui, members) in enumerate(self._groups(self.stage_targets(stage))):
                began = next((at for index, at in reversed(segments) if index <= position), None)
                chf = None if chf_eui is None else self.fleet.devices.get(chf_eui)
                held = transfers(chf.state) if chf is not None and chf.find(FirmwareDistributor) else {}
                for eui in members:
                    yield self._device_row(eui, stage, spec["name"], began, held, before)

    def _device_row(self, eui: bytes, stage: int, stage_name: str, began: str | None,
                    transfers: dict[str, dict[str, Any]], before: dict[str, str]) -> dict[str, Any]:
        key = eui.hex().upper()
        state, detail = self.device_result(eui)
        device = self.fleet.devices.get(eui)
        entry = transfers.get(key)
        if entry is None or entry.get("file") != self.record["file"]:
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
