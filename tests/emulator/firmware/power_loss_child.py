"""Child process for the power-loss tests: distribute and activate images forever, committing every step.

Usage: ``python power_loss_child.py STORE``. Prints ``transfer N`` and ``activate N`` before each phase and
``transferred N`` when a transfer is complete.
"""

from __future__ import annotations

import datetime as dt
import sys

from firmware_lab import CHF_EUI, ESME_EUI, GSME_EUI, START, build_lab, make_image

from smets_emu.emulator.anchors import Role
from smets_emu.emulator.firmware.slots import FirmwareSlots
from smets_emu.hosting.fleet import Fleet
from smets_emu.hosting.han_network import HanLink
from smets_emu.hosting.store import StateStore
from smets_emu.parties.firmware_commands import activation_command

LINK = HanLink(block_size=16, rate_bps=250_000)


def main(path: str) -> None:
    fleet = Fleet(StateStore(path))
    euis = (ESME_EUI, GSME_EUI, CHF_EUI)
    if any(eui not in fleet.devices for eui in euis):
        first = build_lab(link=LINK)
        for device in (first.esme, first.gsme, first.chf):
            fleet.add(device.state)
    lab = build_lab({eui: fleet.devices[eui].state for eui in euis}, link=LINK)
    lab.net.commit = fleet.commit  # every transfer step is stored, then adopted
    now = START
    cycle = 0
    while True:
        cycle += 1
        now += dt.timedelta(hours=1)
        version = int(FirmwareSlots(lab.esme.state).version, 16) + 1
        image = make_image(version=version, size=4000)
        print(f"transfer {cycle}", flush=True)
        lab.net.update_firmware(image.encode(), [ESME_EUI], now)
        lab.net.run(now + dt.timedelta(minutes=10))
        print(f"transferred {cycle}", flush=True)
        print(f"activate {cycle}", flush=True)
        counter = lab.esme.state.counters.get(int(Role.SUPPLIER), 5000) + 1
        command = activation_command(lab.headend, ESME_EUI, image.image_hash, counter)
        fleet.commit(lab.esme, lab.esme.process(lab.esme.state, command, now), now)


if __name__ == "__main__":
    main(sys.argv[1])
