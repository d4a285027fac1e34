"""A fleet lab for campaign tests: premises of one CHF and several meters, a generated PKI and a head-end."""

from __future__ import annotations

import datetime as dt
import json

from smets_emu.emulator.device_log import OtherDeviceType, record_entry
from smets_emu.emulator.provision import new_device_state
from smets_emu.hosting.fleet import Fleet
from smets_emu.hosting.store import StateStore
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.keystore import Keystore

FIRST_EUI = 0x00DB123600000000


def provision_fleet(store: StateStore, keystore: Keystore, premises: int, meters: tuple[str, ...],
                    now: dt.datetime, *, first_eui: int = FIRST_EUI) -> Fleet:
    """*premises* premises, each a CHF with *meters* (device types) on its HAN whitelist."""
    fleet = Fleet(store)
    eui = first_eui
    for _ in range(premises):
        chf = new_device_state(eui.to_bytes(8, "big"), "CHF", keystore)
        eui += 1
        states = []
        for kind in meters:
            state = new_device_state(eui.to_bytes(8, "big"), kind, keystore)
            eui += 1
            record_entry(chf, state.eui, int(OtherDeviceType[kind]), now)
            fleet.premises[state.eui] = chf.eui
            states.append(state)
        fleet.extend([chf, *states])
    store.set_meta("premises", json.dumps({k.hex(): v.hex() for k, v in fleet.premises.items()}))
    return fleet


def headend_for(keystore: Keystore, fleet: Fleet) -> HeadEnd:
    """A head-end knowing every device's keys."""
    headend = HeadEnd(keystore)
    for device in fleet.devices.values():
        headend.register_device(device.state)
    return headend
