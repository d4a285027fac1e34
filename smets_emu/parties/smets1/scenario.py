"""Seeded states: the default scenario behind the DUIS templates, and generated SMETS1 fleets.

The default scenario is the inventory the DUIS templates address: a SMETS1 premises (ESME
``00-DB-12-34-56-78-90-A0``, GSME ``...-A1``, CHF ``...-A2``, GPF ``...-A3``) and SMETS2 devices
(PPMID ``...-A4``, HCALCS ``...-A5``, ESME ``...-A6``), the template senders as SEC parties,
Registration Data for the template MPANs/MPRN, CPL entries and both SECMP0107 switches on.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from smets_emu.parties.smets1.devices import DeviceState, DeviceType, Generation
from smets_emu.parties.smets1.store import (
    SWITCH_SECMP0107_DSP,
    SWITCH_SECMP0107_S1SP,
    AnchorSlot,
    CplEntry,
    Party,
    Registration,
    Store,
)
from smets_emu.protocols.duis import RemotePartyRole


def eui(text: str) -> bytes:
    """Hex (with or without hyphens) to 8 bytes."""
    return bytes.fromhex(text.replace("-", ""))


SUPPLIER_A = eui("90B3D51F30010000")
SUPPLIER_B = eui("90B3D51F30030000")
NETWORK_OPERATOR_A = eui("90B3D51F30020000")
NETWORK_OPERATOR_B = eui("90B3D51F30020001")
ACCESS_CONTROL_BROKER = eui("90B3D51F30000002")
LOAD_CONTROLLER = eui("90B3D51F30010008")
WAN_PROVIDER = eui("90B3D51F30000007")
TRANSITIONAL_COS = eui("90B3D51F30000004")
RECOVERY = eui("90B3D51F30000001")

MPAN = "1312345678333"
MPAN_SMETS2 = "1312345678111"
MPRN = "1234567890"
MANUFACTURER = "AB01"
TEMPLATE_FIRMWARE_HASH = bytes.fromhex("AA758690730934FF0685AA758690730934FF0685657788990011223344556677")
"""The image hash named by the SRV 11.3 templates; on the CPL as version 00000000 of the ESME model."""

MODELS: dict[DeviceType, str] = {
    DeviceType.ESME: "010A030B",
    DeviceType.GSME: "020A030B",
    DeviceType.CHF: "030A030B",
    DeviceType.GPF: "040A030B",
}
CURRENT_FIRMWARE = "0002012F"


def _serial(entity_id: bytes, role: RemotePartyRole) -> str:
    return f"{int.from_bytes(entity_id, 'big') ^ role.gbcs_code:X}"


def _ski(entity_id: bytes, role: RemotePartyRole) -> bytes:
    return entity_id[4:] + bytes([role.gbcs_code, 0, 0, 0])


def anchor(device_id: bytes, role: RemotePartyRole, entity_id: bytes) -> AnchorSlot:
    """A slot holding ``entity_id``'s (published) certificate for ``role``."""
    return AnchorSlot(device_id, role.duis_name, entity_id, _serial(entity_id, role), _ski(entity_id, role))


def standard_anchors(device_id: bytes, supplier: bytes, network_operator: bytes) -> list[AnchorSlot]:
    """The virtual anchor slots of an enrolled SMETS1 device."""
    return [
        anchor(device_id, RemotePartyRole.SUPPLIER, supplier),
        anchor(device_id, RemotePartyRole.NETWORK_OPERATOR, network_operator),
        anchor(device_id, RemotePartyRole.ACCESS_CONTROL_BROKER, ACCESS_CONTROL_BROKER),
        anchor(device_id, RemotePartyRole.WAN_PROVIDER, WAN_PROVIDER),
    ]


def publish_certificate(store: Store, entity_id: bytes, role: RemotePartyRole) -> None:
    """Record a party's organisation certificate (as the Engineering Recommendation M31 list does for NOs)."""
    store.put_party_certificate(role.duis_name, entity_id, _serial(entity_id, role), _ski(entity_id, role))


def seed_default_scenario(store: Store) -> None:
    """Seed the template inventory, parties, Registration Data, CPL and switches."""
    with store.transaction():
        for entity_id, name, roles in (
            (SUPPLIER_A, "Supplier A", {"IS", "ES", "GS"}),
            (SUPPLIER_B, "Supplier B", {"IS", "GS"}),
            (NETWORK_OPERATOR_A, "Network Operator A", {"ED", "GT"}),
            (NETWORK_OPERATOR_B, "Network Operator B", {"ED", "GT"}),
            (ACCESS_CONTROL_BROKER, "DCC Access Control Broker", {"OU"}),
            (LOAD_CONTROLLER, "Load Controller", {"OU"}),
        ):
            store.put_party(Party(entity_id, name, frozenset(roles)))
        for entity_id in (NETWORK_OPERATOR_A, NETWORK_OPERATOR_B):
            publish_certificate(store, entity_id, RemotePartyRole.NETWORK_OPERATOR)
        for entity_id in (SUPPLIER_A, SUPPLIER_B):
            publish_certificate(store, entity_id, RemotePartyRole.SUPPLIER)
        store.put_registrations(
            Registration(mpxn, SUPPLIER_A, NETWORK_OPERATOR_A) for mpxn in (MPAN, MPAN_SMETS2, MPRN)
        )
        devices = [
            DeviceState(
                eui("00DB1234567890A0"),
                DeviceType.ESME,
                Generation.SMETS1,
                MANUFACTURER,
                MODELS[DeviceType.ESME],
                CURRENT_FIRMWARE,
                MPAN,
                "00000000",
                TEMPLATE_FIRMWARE_HASH,
            ),
            DeviceState(
                eui("00DB1234567890A1"),
                DeviceType.GSME,
                Generation.SMETS1,
                MANUFACTURER,
                MODELS[DeviceType.GSME],
                CURRENT_FIRMWARE,
                MPRN,
            ),
            DeviceState(
                eui("00DB1234567890A2"),
                DeviceType.CHF,
                Generation.SMETS1,
                MANUFACTURER,
                MODELS[DeviceType.CHF],
                CURRENT_FIRMWARE,
                MPAN,
            ),
            DeviceState(
                eui("00DB1234567890A3"),
                DeviceType.GPF,
                Generation.SMETS1,
                MANUFACTURER,
                MODELS[DeviceType.GPF],
                CURRENT_FIRMWARE,
                MPRN,
            ),
            DeviceState(
                eui("00DB1234567890A4"),
                DeviceType.PPMID,
                Generation.SMETS2,
                MANUFACTURER,
                "050A030B",
                CURRENT_FIRMWARE,
                None,
            ),
            DeviceState(
                eui("00DB1234567890A5"),
                DeviceType.HCALCS,
                Generation.SMETS2,
                MANUFACTURER,
                "060A030B",
                CURRENT_FIRMWARE,
                None,
            ),
            DeviceState(
                eui("00DB1234567890A6"),
                DeviceType.ESME,
                Generation.SMETS2,
                MANUFACTURER,
                "070A030B",
                CURRENT_FIRMWARE,
                MPAN_SMETS2,
            ),
        ]
        store.put_devices(devices)
        for device in devices[:4]:
            slots = standard_anchors(device.device_id, SUPPLIER_A, NETWORK_OPERATOR_A)
            slots.append(anchor(device.device_id, RemotePartyRole.TRANSITIONAL_COS, TRANSITIONAL_COS))
            slots.append(anchor(device.device_id, RemotePartyRole.RECOVERY, RECOVERY))
            if device.device_type is DeviceType.ESME:
                slots.append(anchor(device.device_id, RemotePartyRole.LOAD_CONTROLLER, LOAD_CONTROLLER))
            store.put_anchors(slots)
        store.put_cpl_entries(
            CplEntry(MANUFACTURER, model, CURRENT_FIRMWARE, bytes([n]) * 32) for n, model in enumerate(MODELS.values())
        )
        store.put_cpl_entries([CplEntry(MANUFACTURER, MODELS[DeviceType.ESME], "00000000", TEMPLATE_FIRMWARE_HASH)])
        store.set_switch(SWITCH_SECMP0107_DSP, True)
        store.set_switch(SWITCH_SECMP0107_S1SP, True)


@dataclass(frozen=True)
class FleetSummary:
    """What :func:`generate_fleet` created."""

    devices: Counter[str] = field(default_factory=Counter)
    wrong_network_operator: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        """Number of devices."""
        return sum(self.devices.values())


def generate_fleet(
    store: Store,
    *,
    devices: int,
    wrong_network_operator: int,
    seed: int = 0,
    electricity_distributors: int = 14,
    gas_transporters: int = 8,
    suppliers: int = 20,
) -> FleetSummary:
    """A deterministic SMETS1 fleet of premises (CHF + ESME, and GSME + GPF on dual-fuel sites) whose
    network-operator slots hold the registered network operator's certificate, except for exactly
    ``wrong_network_operator`` ESMEs and GPFs (the types SECMP0107 FIA 4.2.2 counts) that hold another's."""
    rng = random.Random(seed)
    eds = [eui(f"90B3D51F3002{0x100 + n:04X}") for n in range(electricity_distributors)]
    gts = [eui(f"90B3D51F3002{0x200 + n:04X}") for n in range(gas_transporters)]
    sups = [eui(f"90B3D51F3001{0x100 + n:04X}") for n in range(suppliers)]
    summary = FleetSummary()
    inventory: list[DeviceState] = []
    slots: list[AnchorSlot] = []
    registrations: list[Registration] = []
    candidates: list[tuple[int, bytes]] = []  # (index in slots of the NO slot, the registered NO)
    premises = 0
    with store.transaction():
        for party in sups:
            store.put_party(Party(party, f"Supplier {party.hex().upper()}", frozenset({"IS", "GS"})))
        for party in (*eds, *gts):
            roles = {"ED"} if party in eds else {"GT"}
            store.put_party(Party(party, f"Network operator {party.hex().upper()}", frozenset(roles)))
            publish_certificate(store, party, RemotePartyRole.NETWORK_OPERATOR)
        while len(inventory) < devices:
            premises += 1
            supplier = rng.choice(sups)
            mpan = f"19{premises:011d}"
            ed = rng.choice(eds)
            registrations.append(Registration(mpan, supplier, ed))
            site: list[tuple[DeviceType, str, bytes]] = [(DeviceType.CHF, mpan, ed), (DeviceType.ESME, mpan, ed)]
            if rng.random() < 0.6:
                mprn = f"{premises:010d}"
                gt = rng.choice(gts)
                registrations.append(Registration(mprn, supplier, gt))
                site += [(DeviceType.GSME, mprn, gt), (DeviceType.GPF, mprn, gt)]
            for device_type, mpxn, network_operator in site:
                if len(inventory) >= devices:
                    break
                device_id = (0x1100000000000000 + len(inventory)).to_bytes(8, "big")
                inventory.append(
                    DeviceState(
                        device_id, device_type, Generation.SMETS1, "AB02", MODELS[device_type], "00010000", mpxn
                    )
                )
                summary.devices[device_type.value] += 1
                if device_type in (DeviceType.ESME, DeviceType.GPF):
                    candidates.append((len(slots) + 1, network_operator))
                slots.extend(standard_anchors(device_id, supplier, network_operator))
        if wrong_network_operator > len(candidates):
            raise ValueError(
                f"only {len(candidates)} ESMEs and GPFs to plant {wrong_network_operator} wrong certificates"
            )
        for index, registered in rng.sample(candidates, wrong_network_operator):
            pool = eds if registered in eds else gts
            wrong = rng.choice([p for p in pool if p != registered])
            slot = slots[index]
            slots[index] = anchor(slot.device_id, RemotePartyRole.NETWORK_OPERATOR, wrong)
            device_type = inventory[int.from_bytes(slot.device_id, "big") - 0x1100000000000000].device_type
            summary.wrong_network_operator[device_type.value] += 1
        store.put_devices(inventory)
        store.put_anchors(slots)
        store.put_registrations(registrations)
    return summary
