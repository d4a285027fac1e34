"""Finding 1: a DUIS RequestID counter of 2^64-1 must not lock a supplier out of a lab device.

The DUIS RequestID counter of a request for a SMETS2 device becomes the GBCS originator counter
of the command the DSP signs; a device takes later commands of that party only with a greater
counter. The lab's DSP now refuses (X6, nothing sent, nothing recorded) counters that are not
above the last one accepted for the sender and target or that are outside the window around the
time-based counter of now, and it remembers the last accepted counter across restarts.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from smets_emu.emulator.anchors import Role
from smets_emu.parties.smets1.dsp import Dsp
from smets_emu.parties.smets1.request_ids import time_counter
from smets_emu.protocols.duis import DuisResponse, ResponseCode, parse_response
from smets_emu.tools.lab import Lab, open_lab
from smets_emu.tools.lab_dsp import open_lab_dsp
from tests_support import read_firmware_duis

ESME = bytes.fromhex("00DB1234567890A0")
SUPPLIER = "90-B3-D5-1F-30-01-00-00"


def _read(dsp: Dsp, counter: int, now: dt.datetime) -> DuisResponse:
    return parse_response(dsp.submit_xml(read_firmware_duis(counter, originator=SUPPLIER), now=now))


def _supplier_counter(lab: Lab) -> int | None:
    return lab.fleet.devices[ESME].state.counters.get(int(Role.SUPPLIER))


def _lab(folder: Path) -> tuple[Lab, Dsp]:
    lab = open_lab(folder, synchronous="OFF")
    return lab, open_lab_dsp(lab)


def _close(lab: Lab, dsp: Dsp) -> None:
    dsp.store.close()
    lab.close()


def test_maximum_counter_is_refused_and_the_supplier_keeps_its_device(tmp_path: Path) -> None:
    lab, dsp = _lab(tmp_path)
    try:
        now = dt.datetime.now(dt.UTC)
        before = _supplier_counter(lab)
        for hostile in (2**64 - 1, 2**63, 2**63 - 1, time_counter(now + dt.timedelta(days=365 * 100))):
            answer = _read(dsp, hostile, now)
            assert answer.response_code is ResponseCode.REQUEST_ID_REJECTED, (hostile, answer)
            assert _supplier_counter(lab) == before  # nothing reached the device
        assert dsp.store.last_request_counter(bytes.fromhex(SUPPLIER.replace("-", "")), ESME) is None
        honest = time_counter(now)
        answer = _read(dsp, honest, now)
        assert answer.response_code is ResponseCode.SUCCESS, answer
        assert _supplier_counter(lab) == honest
    finally:
        _close(lab, dsp)


def test_replayed_old_and_future_counters_are_refused_before_the_device(tmp_path: Path) -> None:
    lab, dsp = _lab(tmp_path)
    try:
        now = dt.datetime.now(dt.UTC)
        accepted = time_counter(now)
        assert _read(dsp, accepted, now).response_code is ResponseCode.SUCCESS
        for counter in (
            accepted,  # replayed
            accepted - 1,  # below the last accepted
            time_counter(now - dt.timedelta(days=2)),  # far in the past
            time_counter(now + dt.timedelta(hours=1)),  # far in the future
            1000,  # the DUIS templates' counter
        ):
            answer = _read(dsp, counter, now)
            assert answer.response_code is ResponseCode.REQUEST_ID_REJECTED, (counter, answer)
            assert answer.message and "RequestID counter" in answer.message
            assert _supplier_counter(lab) == accepted
        assert _read(dsp, accepted + 1, now).response_code is ResponseCode.SUCCESS
        assert _supplier_counter(lab) == accepted + 1
    finally:
        _close(lab, dsp)


def test_the_last_counter_is_enforced_after_a_restart(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    accepted = time_counter(now)
    lab, dsp = _lab(tmp_path)
    try:
        assert _read(dsp, accepted, now).response_code is ResponseCode.SUCCESS
    finally:
        _close(lab, dsp)
    lab, dsp = _lab(tmp_path)
    try:
        device_log = list(lab.fleet.devices[ESME].state.security_log)
        for counter in (accepted, accepted - 5):
            answer = _read(dsp, counter, now)
            assert answer.response_code is ResponseCode.REQUEST_ID_REJECTED, (counter, answer)
        assert lab.fleet.devices[ESME].state.security_log == device_log  # the device saw nothing
        assert _read(dsp, accepted + 1, now).response_code is ResponseCode.SUCCESS
    finally:
        _close(lab, dsp)
