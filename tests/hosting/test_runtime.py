"""The asyncio runtime: serialised delivery, virtual clock, alert fan-out."""

from __future__ import annotations

import datetime as dt

import pytest

from smets_emu.emulator.provision import new_device_state
from smets_emu.hosting.fleet import Fleet
from smets_emu.hosting.runtime import Runtime, VirtualClock
from smets_emu.hosting.store import StateStore
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.pki import generate_test_pki

EUI = bytes.fromhex("00DB1234567890A0")
SUPPLIER = bytes.fromhex("90B3D51F30010000")
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_virtual_clock_moves_only_forward() -> None:
    clock = VirtualClock(START)
    assert clock.now() == START
    assert clock.advance(dt.timedelta(days=2)) == START + dt.timedelta(days=2)
    with pytest.raises(ValueError):
        clock.advance(dt.timedelta(seconds=-1))


async def test_submit_publishes_alerts_and_commits(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pki = generate_test_pki(seed=4)
    fleet = Fleet(StateStore(tmp_path / "f.sqlite"))
    state = new_device_state(EUI, "ESME", pki.keystore)
    fleet.add(state)
    headend = HeadEnd(pki.keystore)
    headend.register_device(state)
    alerts = []
    async with Runtime(fleet, VirtualClock(START), tick_interval=0.01) as runtime:
        runtime.subscribe(alerts.append)
        bad = bytearray(
            headend.command(originator=SUPPLIER, recipient=EUI, message_code=0x0059, payload=b"\x05\x00", counter=5)
        )
        bad[-1] ^= 0xFF  # tampered MAC: no response, one security alert
        assert await runtime.submit(bytes(bad)) == []
        await runtime.advance(dt.timedelta(hours=1))
    assert len(alerts) == 1 and headend.verify(alerts[0].message).signature.value == "valid"
    assert len(fleet.store.outbox(EUI)) == 1
