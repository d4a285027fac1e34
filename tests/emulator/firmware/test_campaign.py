"""Fleet firmware campaigns: staged groups, the error threshold, resume, restart and the summary."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from campaign_lab import headend_for, provision_fleet
from firmware_lab import START, keystore, make_image

from smets_emu.emulator.device import Device
from smets_emu.emulator.firmware import FirmwareUseCases, transfers
from smets_emu.emulator.firmware.slots import FirmwareSlots
from smets_emu.hosting.fleet import Fleet
from smets_emu.hosting.han_network import HanLink
from smets_emu.hosting.store import StateStore
from smets_emu.parties.campaign import (
    COMPLETED,
    PAUSED,
    Campaign,
    CampaignError,
    CampaignProgress,
    fleet_versions,
    parse_stages,
)
from smets_emu.tools.cli import main as cli_main

STAGES = (0.1, 0.5, 1.0)
IMAGE = make_image(size=3000)


def _fleet(store: StateStore, premises: int = 10) -> Fleet:
    return provision_fleet(store, keystore(), premises, ("ESME", "ESME", "GSME"), START)


def _offset(device: Device, file_ref: str) -> int:
    return device.component(FirmwareUseCases).ota_offset(device.state, file_ref)


def _esmes(fleet: Fleet) -> list[bytes]:
    return sorted(e for e, d in fleet.devices.items() if d.device_type == "ESME")


def test_parse_stages() -> None:
    assert parse_stages("1,10,100") == (0.01, 0.1, 1.0)
    assert parse_stages("5,50") == (0.05, 0.5, 1.0)
    with pytest.raises(CampaignError):
        parse_stages("10,5")


def test_staged_groups_distribute_and_activate() -> None:
    fleet = _fleet(StateStore())
    seen: list[CampaignProgress] = []
    campaign = Campaign.create(fleet, IMAGE.encode(), _esmes(fleet), START, stages=STAGES, activate="now",
                               headend=headend_for(keystore(), fleet), progress=seen.append)
    assert [s["upto"] for s in campaign.record["stages"]] == [2, 10, 20]
    assert [s["name"] for s in campaign.record["stages"]] == ["10%", "50%", "rest"]
    assert campaign.run() == COMPLETED
    assert [(r["ok"], r["failed"]) for r in campaign.record["stage_results"]] == [(2, 0), (8, 0), (10, 0)]
    assert seen[-1].done == seen[-1].total == 20 and seen[-1].phase == "activate"
    # stages run one after the other on the virtual clock
    ends = [dt.datetime.fromisoformat(r["ended"]) for r in campaign.record["stage_results"]]
    assert START < ends[0] < ends[1] < ends[2] == campaign.clock
    for eui in _esmes(fleet):
        assert FirmwareSlots(fleet.devices[eui].state).version == IMAGE.version
    summary = campaign.summary()
    assert summary["outcomes"] == {"running": 20}
    assert summary["alerts"] == {"ccs08_success": 20, "cs06_success": 20, "fdra_8F72": 20}
    assert summary["versions"]["by_type"]["ESME"] == {IMAGE.version: 20}
    assert fleet_versions(fleet)["by_type"]["GSME"] == {"0123ABCD": 10}  # not targeted


def test_future_dated_activation() -> None:
    fleet = _fleet(StateStore(), premises=2)
    when = START + dt.timedelta(days=2)
    campaign = Campaign.create(fleet, IMAGE.encode(), _esmes(fleet), START, stages=(1.0,), activate=when,
                               headend=headend_for(keystore(), fleet))
    assert campaign.run() == COMPLETED
    assert campaign.summary()["outcomes"] == {"scheduled": 4}
    fleet.tick(when + dt.timedelta(seconds=1))
    assert campaign.summary()["outcomes"] == {"running": 4}


def test_error_threshold_pauses_then_resume_accepts_failures() -> None:
    fleet = _fleet(StateStore())
    targets = _esmes(fleet)
    broken = {eui: HanLink(down_after=3) for eui in targets[2:5]}  # three of stage 2's eight devices
    campaign = Campaign.create(fleet, IMAGE.encode(), targets, START, stages=STAGES, error_threshold=0.2)
    campaign.links = broken
    assert campaign.run() == PAUSED
    assert campaign.record["stage"] == 1
    # the stage pauses as soon as its failed fraction passes the threshold (2 of 8), not at its end
    assert campaign.record["reason"] == "stage 2 (50%): 2 of 8 devices failed, over the error threshold 20.0%"
    summary = campaign.summary()
    assert summary["failures"]["file_transfer_failure"]["count"] == 2
    assert summary["alerts"]["ccs08_fileTransferFailure"] == 2
    assert all(campaign.device_result(eui)[0] == "waiting" for eui in campaign.stage_targets(2))
    assert Campaign.load(fleet).status == PAUSED  # persisted
    assert campaign.resume() == COMPLETED  # the operator accepts them; the third stays under the threshold
    summary = campaign.summary()
    assert summary["outcomes"] == {"failed": 3, "held": 17}
    assert sorted(summary["failures"]["file_transfer_failure"]["devices"]) == [t.hex().upper() for t in targets[2:5]]


def test_resume_can_retry_failed_transfers_from_their_offset() -> None:
    fleet = _fleet(StateStore())
    targets = _esmes(fleet)
    campaign = Campaign.create(fleet, IMAGE.encode(), targets, START, stages=STAGES, error_threshold=0.2)
    campaign.links = {eui: HanLink(down_after=3) for eui in targets[2:5]}
    assert campaign.run() == PAUSED
    assert _offset(fleet.devices[targets[2]], campaign.record["file"]) == 3 * 64
    campaign.links = {}
    assert campaign.resume(retry_failed=True) == COMPLETED
    assert campaign.summary()["outcomes"] == {"held": 20}
    chf = fleet.devices[fleet.premises[targets[2]]]
    assert transfers(chf.state)[targets[2].hex().upper()]["delivered"] == -(-len(IMAGE.encode()) // 64)


def test_abort() -> None:
    fleet = _fleet(StateStore(), premises=2)
    campaign = Campaign.create(fleet, IMAGE.encode(), _esmes(fleet), START, error_threshold=0.0)
    campaign.links = {_esmes(fleet)[0]: HanLink(down_after=0)}
    assert campaign.run() == PAUSED
    campaign.abort()
    assert Campaign.load(fleet).status == "aborted"
    with pytest.raises(CampaignError):
        campaign.resume()
    Campaign.create(fleet, IMAGE.encode(), _esmes(fleet), START)  # a new one may start


def test_restart_mid_campaign(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    store = StateStore(path)
    fleet = _fleet(store)
    calls = []

    def crash(progress: CampaignProgress) -> None:
        calls.append(progress)
        if progress.stage == 1 and progress.done == 6:  # two of stage 2's four CHFs done
            raise KeyboardInterrupt

    campaign = Campaign.create(fleet, make_image(size=100_000).encode(), _esmes(fleet), START, stages=STAGES,
                               progress=crash)
    with pytest.raises(KeyboardInterrupt):
        campaign.run()
    store.close()

    store = StateStore(path)
    fleet = Fleet(store)  # a new process: devices, premises and the image store come back from the file
    again = Campaign.load(fleet)
    assert again is not None and again.record["stage"] == 1 and again.record["chf_index"] == 2
    assert again.summary()["outcomes"] == {"held": 6, "waiting": 14}
    assert again.resume() == COMPLETED
    summary = again.summary()
    assert summary["outcomes"] == {"held": 20}
    assert summary["blocks"]["delivered"] == 20 * -(-100_126 // 64)  # nothing sent twice
    assert [(r["ok"], r["failed"]) for r in again.record["stage_results"]] == [(2, 0), (8, 0), (10, 0)]
    store.close()


def test_restart_with_a_transfer_in_progress(tmp_path: Path) -> None:
    """A transfer cut by the stage timeout resumes from the device's committed checkpoint."""
    path = tmp_path / "state.sqlite"
    store = StateStore(path)
    fleet = _fleet(store, premises=1)
    data = make_image(size=600_000).encode()
    campaign = Campaign.create(fleet, data, _esmes(fleet), START, stages=(1.0,), error_threshold=1.0,
                               stage_timeout=dt.timedelta(seconds=300))
    assert campaign.run() == COMPLETED
    assert campaign.summary()["outcomes"] == {"failed": 2}
    held = _offset(fleet.devices[_esmes(fleet)[0]], campaign.record["file"])
    assert held >= 256 * 1024  # checkpointed as chunks in the image store
    store.close()
    store = StateStore(path)
    fleet = Fleet(store)
    assert _offset(fleet.devices[_esmes(fleet)[0]], campaign.record["file"]) == held
    store.close()


def test_summary_json_and_versions() -> None:
    fleet = _fleet(StateStore(), premises=3)
    targets = _esmes(fleet)
    campaign = Campaign.create(fleet, IMAGE.encode(), targets, START, stages=(1.0,), error_threshold=0.5)
    campaign.links = {targets[0]: HanLink(corrupt_blocks=frozenset({2}))}
    assert campaign.run() == COMPLETED
    summary = json.loads(json.dumps(campaign.summary()))
    assert summary["targets"] == 6
    assert summary["outcomes"] == {"failed": 1, "held": 5}
    assert summary["failures"]["file_transfer_failure"]["devices"] == [targets[0].hex().upper()]
    assert summary["alerts"]["fdra_8F1C"] == 1 and summary["alerts"]["fdra_8F72"] == 5
    assert summary["versions"]["pending"] == {IMAGE.version: [t.hex().upper() for t in targets[1:]]}
    versions = fleet_versions(fleet, types=["ESME"])
    assert versions["by_type"] == {"ESME": {"01000000": 6}}


def test_cli_campaign_and_versions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from smets_emu.tools.lab import open_lab

    lab = open_lab(tmp_path / "lab")
    lab.close()
    payload = tmp_path / "body.bin"
    payload.write_bytes(bytes(range(256)) * 20)
    image = tmp_path / "image.bin"
    assert cli_main(["firmware", "build", "--manufacturer", "0x121D", "--image-type", "0", "--version",
                     "0x02000000", "--hardware", "0x1100-0x1300", "--payload", str(payload), "--keystore",
                     str(tmp_path / "lab" / "pki"), "-o", str(image)]) == 0
    capsys.readouterr()
    assert cli_main(["firmware", "campaign", "--state", str(tmp_path / "lab"), "--image", str(image),
                     "--all", "ESME", "--activate", "now", "--json"]) == 0
    out = capsys.readouterr()
    summary = json.loads(out.out)
    assert summary["campaign"]["status"] == "completed" and summary["outcomes"] == {"running": 1}
    assert "[##############################] 1/1" in out.err
    assert cli_main(["firmware", "versions", "--state", str(tmp_path / "lab" / "state.sqlite"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["by_type"]["ESME"] == {"02000000": 1}
