"""A fleet of devices bound to one state store (sans-IO).

``Fleet.deliver(data, now)`` routes an inbound message by its recipient system title, lets the
device handle it and commits the device's new state together with everything it sends in one
SQLite transaction (GBCS anti-replay state must never roll back). ``Fleet.tick(now)`` runs
timers and future-dated commands. The asyncio runtime drives these two calls.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from smets_emu.emulator.device import Device, Outbound, Outcome
from smets_emu.emulator.devices import device_for
from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.store import StateStore
from smets_emu.errors import SmetsError
from smets_emu.protocols.envelope import decode_envelope

log = logging.getLogger(__name__)


class Fleet:
    """Devices loaded from (and committed to) a :class:`StateStore`."""

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self.devices: dict[bytes, Device] = {}
        for state in store.load_all():
            self.devices[state.eui] = device_for(state)

    def add(self, state: DeviceState) -> Device:
        """Provision a new device and commit its initial state."""
        self.store.commit(state)
        device = self.devices[state.eui] = device_for(state)
        return device

    def extend(self, states: Iterable[DeviceState]) -> None:
        """Provision several devices."""
        for state in states:
            self.add(state)

    def device(self, eui: bytes) -> Device | None:
        """The device with this system title."""
        return self.devices.get(eui)

    def _commit(self, device: Device, before: DeviceState, outcome: Outcome, now: dt.datetime) -> list[Outbound]:
        if outcome.state is before and not outcome.outbound:
            return []
        try:
            self.store.commit(
                outcome.state,
                [(o.kind, o.recipient, o.message) for o in outcome.outbound],
                created=now.isoformat(),
            )
        except SmetsError:
            device.state = before  # nothing was committed: the device forgets the command too
            raise
        return outcome.outbound

    def deliver(self, data: bytes, now: dt.datetime) -> list[Outbound]:
        """Hand a message to the device it is addressed to; returns what the device sent."""
        try:
            recipient = decode_envelope(data).header.recipient
        except SmetsError as exc:
            log.info("dropping undecodable message: %s", exc)
            return []
        device = self.devices.get(recipient)
        if device is None:
            log.info("no device %s in the fleet", recipient.hex().upper())
            return []
        before = device.state
        outcome = device.handle(data, now)
        return self._commit(device, before, outcome, now)

    def tick(self, now: dt.datetime) -> list[Outbound]:
        """Run due timers and future-dated commands on every device."""
        sent: list[Outbound] = []
        for device in self.devices.values():
            before = device.state
            outcome = device.due(now)
            sent.extend(self._commit(device, before, outcome, now))
        return sent
