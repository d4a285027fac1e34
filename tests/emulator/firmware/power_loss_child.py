"""Child process for the power-loss tests: distribute and activate images forever, committing every step.

Usage: ``python power_loss_child.py STORE``. Prints ``transfer N`` and ``activate N`` before each phase and
``transferred N`` when a transfer is complete.
"""

from __future__ import annotations

import datetime as dt
import sys

from firmware_lab import CHF_EUI, ESME_EUI, GSME_EUI, START, build_lab, make_image

from smets_emu.emulator.anchors import Role
from smets_emu.hosting.han_network import HanLink, store_commit
from smets_emu.hosting.store import StateStore
from smets_emu.parties.firmware_commands import activation_command

LINK = HanLink(block_size=16, rate_bps=250_000)


def main(path: str) -> None:
    store = StateStore(path)
    states = {eui: store.load(eui) for eui in (ESME_EUI, GSME_EUI, CHF_EUI)}
    if any(s is None for s in states.values()):
        lab = build_lab(link=LINK)
        for device in (lab.esme, lab.gsme, lab.chf):
            store.commit(device.state)
    else:
        lab = build_lab(states, link=LINK)  # type: ignore[arg-type]
    lab.net.commit = store_commit(store)
    now = START
    cycle = 0
    while True:
        cycle += 1
        now += dt.timedelta(hours=1)
        version = int(lab.esme.firmware().version, 16) + 1
        image = make_image(version=version, size=4000)
        print(f"transfer {cycle}", flush=True)
        lab.net.update_firmware(image.encode(), [ESME_EUI], now)
        lab.net.run(now + dt.timedelta(minutes=10))
        print(f"transferred {cycle}", flush=True)
        print(f"activate {cycle}", flush=True)
        counter = lab.esme.state.counters.get(int(Role.SUPPLIER), 5000) + 1
        out = lab.esme.handle(activation_command(lab.headend, ESME_EUI, image.image_hash, counter), now)
        store.commit(out.state, [(o.kind, o.recipient, o.message) for o in out.outbound])


if __name__ == "__main__":
    main(sys.argv[1])
