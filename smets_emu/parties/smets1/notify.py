"""Who must be told about a security vulnerability in a device: SEC Section G3.20 as corrected by MP087.

A User establishes notification arrangements for every Smart Metering System for which it is the
Responsible Supplier, excluding a Communications Hub Function or Gas Proxy Function that forms
part of a SMETS2+ Device; those remain the DCC's. So: the responsible supplier for a SMETS1 CHF or
GPF and for every ESME and GSME (and other SMETS2+ devices), the DCC for a SMETS2+ CHF or GPF.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from smets_emu.errors import StateError
from smets_emu.parties.smets1.devices import DeviceType, Generation
from smets_emu.parties.smets1.store import Store
from smets_emu.protocols.duis import format_eui

log = logging.getLogger(__name__)


class NotifyParty(enum.Enum):
    """Who is responsible for being notified."""

    RESPONSIBLE_SUPPLIER = "ResponsibleSupplier"
    DCC = "DCC"


def vulnerability_notification_party(device_type: DeviceType, generation: Generation) -> NotifyParty:
    """SEC G3.20(b) as corrected by MP087: DCC for a SMETS2+ CHF or GPF, else the responsible supplier."""
    if generation is Generation.SMETS2 and device_type in (DeviceType.CHF, DeviceType.GPF):
        return NotifyParty.DCC
    return NotifyParty.RESPONSIBLE_SUPPLIER


@dataclass(frozen=True)
class Notification:
    """A routed vulnerability report: the party kind and, for a supplier, its EUI from Registration Data."""

    device_id: bytes
    party: NotifyParty
    entity_id: bytes | None
    summary: str


class AlertRouter:
    """Routes security-vulnerability reports on devices to the party SEC G3.20 names."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def route_vulnerability(self, device_id: bytes, summary: str) -> Notification:
        """The notification for a vulnerability reported on ``device_id``; StateError if the device is unknown."""
        device = self.store.device(device_id)
        if device is None:
            raise StateError(f"device {format_eui(device_id)} is not in the inventory")
        party = vulnerability_notification_party(device.device_type, device.generation)
        entity_id = None
        if party is NotifyParty.RESPONSIBLE_SUPPLIER:
            registration = self.store.registration(device.mpxn)
            entity_id = registration.supplier_id if registration is not None else None
        log.info("vulnerability on %s %s routed to %s", device.generation, device.device_type, party.value)
        return Notification(device_id, party, entity_id, summary)
