"""DUIS service requests against a running lab: a DSP whose SMETS2 route is the lab's own fleet.

The DSP's inventory holds the default SMETS1 scenario (the DUIS template devices) and every
SMETS2 ESME, GSME, CHF and GPF of the lab (a lab device takes the place of a scenario entry with
the same EUI), each registered (Registration Data) to the lab's
supplier and network operator under an MPAN/MPRN derived from its EUI. One DUIS file therefore
drives either generation: SMETS1 requests go to the S1SP, SMETS2 requests become GBCS commands
to the lab's devices (see :mod:`smets_emu.parties.smets2_dsp`).

Before a request becomes a GBCS command its RequestID counter must be above the last one accepted
for the same sender and target (kept in ``dsp.sqlite``, so across restarts) and within the window
around the time-based counter of now (:mod:`smets_emu.parties.smets1.request_ids`). The DSP store
may be used from the control plane's worker threads.

The E110101 check of SRV 11.1/11.3 reads the lab's CPL service (``<lab>/governance.sqlite``, see
:mod:`smets_emu.tools.lab_governance`): a PPCT pass or a SECAS entry there lifts it.
"""

from __future__ import annotations

from smets_emu.parties.governance import Governance
from smets_emu.parties.headend import HeadEnd
from smets_emu.parties.smets1.devices import DeviceState as InventoryEntry
from smets_emu.parties.smets1.devices import DeviceType, Generation
from smets_emu.parties.smets1.dsp import Dsp
from smets_emu.parties.smets1.scenario import (
    CURRENT_FIRMWARE,
    MANUFACTURER,
    NETWORK_OPERATOR_A,
    SUPPLIER_A,
    seed_default_scenario,
)
from smets_emu.parties.smets1.store import Registration, Store
from smets_emu.parties.smets2_dsp import FleetGateway
from smets_emu.secure_files import create_private_file
from smets_emu.tools.lab import Lab
from smets_emu.tools.lab_governance import open_lab_governance

DSP_FILE = "dsp.sqlite"
LAB_MODEL = "0F0A030B"


def mpxn_for(eui: bytes, device_type: str) -> str:
    """A stable MPAN (electricity) or MPRN (gas) for a lab device, from its EUI."""
    digits = str(int.from_bytes(eui[-5:], "big")).rjust(13, "0")[-13:]
    return digits if device_type in ("ESME", "CHF") else digits[-10:]


def open_lab_dsp(lab: Lab, *, governance: Governance | None = None) -> Dsp:
    """The DSP of a lab (state in ``<lab>/dsp.sqlite``, seeded on first use) whose CPL checks read
    ``governance`` (by default the lab's own, opened here on the lab's saved clock)."""
    create_private_file(lab.folder / DSP_FILE)  # owner-only like the lab's other stores (SQLite copies it to -wal)
    store = Store(lab.folder / DSP_FILE)
    if store.is_empty():
        seed_default_scenario(store)
    entries, registrations = [], []
    for eui, device in lab.fleet.devices.items():
        known = store.device(eui)
        if device.device_type not in ("ESME", "GSME", "CHF", "GPF") or (
            known is not None and known.generation is Generation.SMETS2
        ):
            continue
        mpxn = mpxn_for(eui, device.device_type)
        entries.append(InventoryEntry(eui, DeviceType(device.device_type), Generation.SMETS2, MANUFACTURER, LAB_MODEL,
                                      CURRENT_FIRMWARE, mpxn))
        registrations.append(Registration(mpxn, SUPPLIER_A, NETWORK_OPERATOR_A))
    if entries:
        store.put_devices(entries)
        store.put_registrations(registrations)
    cpl = governance or open_lab_governance(lab)
    return Dsp(store, smets2=FleetGateway(lab.fleet, HeadEnd(lab.keystore)), cpl=cpl)
