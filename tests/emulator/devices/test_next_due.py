"""Device.next_due: when the timers of a state first have work (GBCS 5.9 future-dated commands).

A host runs a device's timers only from this time on, so before it the timers must change
nothing and send nothing, and at it they must run the command.
"""

from __future__ import annotations

import datetime as dt

from dlms_lab import NOW, DlmsLab, set_
from gbz_lab import GbzLab, cluster_command, gbz

from smets_emu.emulator.component import ALWAYS, Component
from smets_emu.emulator.cosem.model import CLOCK_OFFSET_KEY
from smets_emu.emulator.device import Device, Outcome
from smets_emu.emulator.devices import device_for
from smets_emu.emulator.provision import new_device_state
from smets_emu.emulator.state import DeviceState
from smets_emu.protocols.payloads.dlms_data import OctetStringData
from smets_emu.protocols.pki import generate_test_pki
from smets_emu.protocols.timestamps import DlmsDateTime

TICK = dt.timedelta(microseconds=1)


def assert_due_at(device: Device, state: DeviceState, when: dt.datetime, alert: int) -> None:
    """Nothing happens on *state* just before *when*; at *when* the timers raise *alert*."""
    assert device.next_due(state) == when
    before = device.timers(state, when - TICK)
    assert before.state is state and before.outbound == []
    fired = device.timers(state, when)
    assert [o.message_code for o in fired.alerts] == [alert]
    assert device.next_due(fired.state) is None


def test_fresh_devices_have_nothing_due() -> None:
    pki = generate_test_pki(seed=5)
    for n, kind in enumerate(("ESME", "GSME", "CHF", "GPF")):
        device = device_for(new_device_state(bytes([0, 0xDB, 0, 0, 0, 0, 0, n]), kind, pki.keystore, pki=pki))
        assert device.next_due(device.state) is None, kind


def test_cosem_activation_due_on_the_device_clock() -> None:
    lab = DlmsLab()
    when = NOW + dt.timedelta(days=2)
    lab.send(0x00C7, set_(113, "0-0:19.20.5.255", 7, OctetStringData(DlmsDateTime.from_datetime(when).to_bytes())))
    assert_due_at(lab.device, lab.device.state, when, 0x00CC)
    ahead = lab.device.state.clone()  # the device clock an hour ahead of the lab's: due an hour earlier
    ahead.objects[CLOCK_OFFSET_KEY] = 3600.0
    assert_due_at(lab.device, ahead, when - dt.timedelta(hours=1), 0x00CC)


def test_gbz_command_due_at_its_start_time() -> None:
    lab = GbzLab("GSME")
    start = 948013200  # 2030-01-15 09:00
    lab.send(0x006F, gbz(cluster_command(0x0705, 0x0C, {"provider_id": 0, "issuer_event_id": 1,
                                                        "implementation_date_time": {"utc": start},
                                                        "overall_debt_cap": 4242})))
    assert_due_at(lab.device, lab.device.state, dt.datetime(2030, 1, 15, 9, 0, tzinfo=dt.UTC), 0x00CD)


def test_unreadable_time_is_due_at_once_and_unknown_timers_at_every_tick() -> None:
    lab = GbzLab("GSME")
    work = lab.device.state.clone()
    work.pending = [{"kind": "gbz", "due": "soon"}]
    assert lab.device.next_due(work) == ALWAYS

    class Beeper(Component):  # a timer that does not say when it is due
        def due(self, state: DeviceState, now: dt.datetime) -> Outcome | None:
            return None

    assert Beeper(lab.device).next_due(work) == ALWAYS
    assert Component(lab.device).next_due(work) is None
