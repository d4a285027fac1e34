"""Power loss (SIGKILL) during a transfer and during an activation: the device restarts on a working image."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from firmware_lab import CHF_EUI, ESME_EUI, GSME_EUI, START, build_lab

from smets_emu.emulator.anchors import Role
from smets_emu.emulator.firmware import transfers
from smets_emu.emulator.firmware.codes import payload_of
from smets_emu.emulator.firmware.slots import FirmwareSlots
from smets_emu.emulator.state import DeviceState
from smets_emu.hosting.store import StateStore
from smets_emu.parties.firmware_commands import activation_command
from smets_emu.protocols.firmware import decode_image

HERE = Path(__file__).resolve().parent
CHILD = HERE / "power_loss_child.py"


def _run_until(store: Path, phase: str, cycle: int, extra_delay: float) -> None:
    """Kill the child *extra_delay* into *phase* of *cycle*; for transfers, a fraction of a measured transfer."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, str(CHILD), str(store)], stdout=subprocess.PIPE, text=True, env=env)
    started: dict[int, float] = {}
    transfer_time: float | None = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            kind, number = line.split()
            n = int(number)
            if kind == "transfer":
                started[n] = time.monotonic()
            elif kind == "transferred" and n in started and transfer_time is None:
                transfer_time = time.monotonic() - started[n]
            if kind == phase and n >= cycle:
                if phase == "transfer" and transfer_time is not None:
                    time.sleep(extra_delay * transfer_time)  # a fraction of how long a transfer takes here
                else:
                    time.sleep(extra_delay)
                break
        else:
            pytest.fail(f"child ended without reaching {phase} {cycle}")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)


def _check_consistent(state: DeviceState) -> None:
    """Never half-switched: the version key, the running slot and every held image agree."""
    slots = FirmwareSlots(state)
    assert slots.version == slots.running.version
    for slot in (slots.running, slots.pending, slots.previous):
        if slot is not None and slot.image is not None:
            assert decode_image(slot.image).image_hash == slot.image_hash
    if slots.previous is not None:
        assert int(slots.previous.version, 16) < int(slots.running.version, 16)
    download = slots.download
    if download is not None:
        assert len(download["data"]) // 2 <= download["size"]


def _recover(path: Path) -> tuple[str, str]:
    """Restart from the store, finish any transfer and activate the pending image; (before, after) versions."""
    with StateStore(path) as store:
        states = {eui: store.load(eui) for eui in (ESME_EUI, GSME_EUI, CHF_EUI)}
    esme_state = states[ESME_EUI]
    assert esme_state is not None
    _check_consistent(esme_state)
    lab = build_lab(states)  # type: ignore[arg-type]
    before = FirmwareSlots(lab.esme.state).version
    now = START + dt.timedelta(days=30)
    for target, entry in transfers(lab.chf.state).items():
        if entry["status"] in ("transferring", "queued"):
            lab.net.resume(bytes.fromhex(target), now)
    lab.net.run(now + dt.timedelta(hours=1))
    pending = FirmwareSlots(lab.esme.state).pending
    assert pending is not None and pending.image_hash is not None
    counter = lab.esme.state.counters.get(int(Role.SUPPLIER), 5000) + 1
    out = lab.esme.handle(activation_command(lab.headend, ESME_EUI, pending.image_hash, counter), now)
    outcome = payload_of(out.responses[0]).to_json()["value"]["executionOutcome"]
    assert outcome["activateImageResponseCode"] == "success(0)"
    _check_consistent(lab.esme.state)
    return before, FirmwareSlots(lab.esme.state).version


@pytest.mark.parametrize("trial", range(3))
def test_sigkill_during_transfer(tmp_path: Path, trial: int) -> None:
    path = tmp_path / "fleet.sqlite"
    _run_until(path, "transfer", 2, random.Random(trial).uniform(0.05, 0.6))
    with StateStore(path) as store:
        esme = store.load(ESME_EUI)
    assert esme is not None
    _check_consistent(esme)
    assert esme.firmware.get("download") is not None or FirmwareSlots(esme).pending is not None
    before, after = _recover(path)
    assert int(after, 16) == int(before, 16) + 1


@pytest.mark.parametrize("trial", range(3))
def test_sigkill_during_activation(tmp_path: Path, trial: int) -> None:
    path = tmp_path / "fleet.sqlite"
    _run_until(path, "activate", 2, random.Random(trial).uniform(0.0, 0.01))
    with StateStore(path) as store:
        esme = store.load(ESME_EUI)
    assert esme is not None
    _check_consistent(esme)
    slots = FirmwareSlots(esme)
    # either the activation committed (new image running, nothing pending) or not (old running, image pending)
    if slots.pending is None:
        assert slots.previous is not None and slots.running.image_hash is not None
    else:
        assert int(slots.pending.version, 16) == int(slots.version, 16) + 1
