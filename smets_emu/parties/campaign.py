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

The stages and the stored record are :mod:`~smets_emu.parties.campaign_plan`, the device-facing
steps of a stage (HAN distribution, CS06) :mod:`~smets_emu.parties.campaign_delivery`, and what a
campaign reached :mod:`~smets_emu.parties.campaign_report`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from smets_emu.emulator.firmware.codes import file_reference
from smets_emu.emulator.firmware.slots import FirmwareSlots
from smets_emu.errors import FrameError
from smets_emu.hosting.fleet import Fleet
from smets_emu.hosting.han_network import HanLink
from smets_emu.parties.campaign_delivery import activate_stage, distribute_group
from smets_emu.parties.campaign_plan import (
    ABORTED,
    BEFORE_KEY,
    COMPLETED,
    DEFAULT_STAGES,
    MAX_STARTS,
    META_KEY,
    PAUSED,
    RUNNING,
    TARGETS_KEY,
    CampaignError,
    CampaignProgress,
    ProgressListener,
    new_record,
    parse_stages,
)
from smets_emu.parties.campaign_report import device_result, device_rows, fleet_versions, summary
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.firmware import decode_image

__all__ = [
    "ABORTED", "BEFORE_KEY", "COMPLETED", "DEFAULT_STAGES", "MAX_STARTS", "META_KEY", "PAUSED", "RUNNING",
    "TARGETS_KEY", "Campaign", "CampaignError", "CampaignProgress", "ProgressListener", "fleet_versions",
    "parse_stages",
]

log = logging.getLogger(__name__)


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
        record = new_record(ref, len(data), image, len(chosen), now, stages=stages, error_threshold=error_threshold,
                            activate=activate, stage_timeout=stage_timeout)
        fleet.store.set_meta(TARGETS_KEY, json.dumps([t.hex().upper() for t in chosen]))
        fleet.store.set_meta(BEFORE_KEY, json.dumps({
            t.hex().upper(): FirmwareSlots(fleet.devices[t].state).version for t in chosen if t in fleet.devices}))
        campaign = cls(fleet, record, chosen, headend, link or HanLink(), progress, _data=data)
        campaign._save()
        log.info("campaign %s: image %s to %d devices in %d stages", record["id"], image.version, len(chosen),
                 len(record["stages"]))
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

    def groups(self, targets: Sequence[bytes]) -> list[tuple[bytes | None, list[bytes]]]:
        """*targets* grouped by the CHF of their premises (None: no CHF), in CHF order."""
        groups: dict[bytes | None, list[bytes]] = {}
        for eui in targets:
            groups.setdefault(self.fleet.premises.get(eui), []).append(eui)
        return sorted(groups.items(), key=lambda item: item[0] or b"\xff" * 8)

    def _groups_of(self, stage: int) -> tuple[list[tuple[bytes | None, list[bytes]]], list[int]]:
        """The CHF groups of stage *stage* and how many targets come before each (worked out once per stage)."""
        known = self._stage_groups.get(stage)
        if known is None:
            groups = self.groups(self.stage_targets(stage))
            before = list(itertools.accumulate((len(m) for _, m in groups), initial=0))
            known = self._stage_groups[stage] = (groups, before)
        return known

    # -- per-device outcome (read from the states) -----------------------------------------

    def device_result(self, eui: bytes) -> tuple[str, str]:
        """(state, detail) of one target: running, scheduled, held, transferring, waiting or failed."""
        return device_result(self.fleet, self.record, eui)

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
        return distribute_group(self, chf_eui, members, start, deadline, retry_failed=retry_failed)

    def _activate(self, stage: int) -> None:
        """CS06 to every device of the stage that holds the image (immediate or future-dated)."""
        activate_stage(self, stage)
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
        return summary(self)

    def devices(self) -> Iterator[dict[str, Any]]:
        """Per target, in stage order: outcome, blocks, virtual start and end, version before and now."""
        return device_rows(self)
