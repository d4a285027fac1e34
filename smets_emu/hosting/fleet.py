"""A fleet of devices bound to one state store (sans-IO).

``Fleet.deliver(data, now)`` routes an inbound message by its recipient system title, lets the
device handle it and commits the device's new state together with everything it sends in one
SQLite transaction (GBCS anti-replay state must never roll back). ``Fleet.tick(now)`` runs
timers and future-dated commands. The asyncio runtime drives these two calls.

Devices attached to a premises reach the WAN through their Communications Hub: a message for a
HAN device whose entity ID is not in its CHF's device log (the HAN whitelist, GBCS CCS01) is not
delivered, and the CHF raises the Failure to Deliver Remote Party Message alert (0x00D5, alert
code 0x8F84) instead.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable

from smets_emu.emulator.device import AlertSpec, Device, Outbound, Outcome
from smets_emu.emulator.devices import device_for
from smets_emu.emulator.firmware.slots import ImageStore
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import SmetsError
from smets_emu.hosting.images import StateStoreImages
from smets_emu.hosting.store import StateStore
from smets_emu.protocols.envelope import decode_envelope

log = logging.getLogger(__name__)


class Fleet:
    """Devices loaded from (and committed to) a :class:`StateStore`."""

    def __init__(self, store: StateStore, *, image_store: ImageStore | None = None) -> None:
        self.store = store
        self.image_store: ImageStore = image_store or StateStoreImages(store)
        self.devices: dict[bytes, Device] = {}
        for state in store.load_all():
            self.devices[state.eui] = self._bind(device_for(state))
        saved = store.get_meta("premises")
        self.premises: dict[bytes, bytes] = (
            {bytes.fromhex(k): bytes.fromhex(v) for k, v in json.loads(saved).items()} if saved else {}
        )

    def _bind(self, device: Device) -> Device:
        """Give a device the fleet's shared, content-addressed firmware image store (digest 7.3)."""
        attach = getattr(device, "attach_image_store", None)
        if attach is not None:
            attach(self.image_store)
        return device

    def reload(self, eui: bytes) -> Device | None:
        """Rebuild a device from its committed state, as after a power loss (uncommitted work is gone)."""
        state = self.store.load(eui)
        if state is None or eui not in self.devices:
            return None
        device = self.devices[eui] = self._bind(device_for(state))
        return device

    def attach(self, device_eui: bytes, chf_eui: bytes, now: dt.datetime, *, whitelist: bool = True) -> None:
        """Put a HAN device behind a CHF (and, by default, on the CHF's device log as at commissioning)."""
        chf = self.devices.get(chf_eui)
        device = self.devices.get(device_eui)
        if chf is None or chf.device_type != "CHF" or device is None:
            raise SmetsError("attach needs a CHF and a device of the fleet")
        self.premises[device_eui] = chf_eui
        self.store.set_meta("premises", json.dumps({k.hex(): v.hex() for k, v in self.premises.items()}))
        if whitelist:
            from smets_emu.emulator.device_log import OtherDeviceType, find_entry, record_entry

            if find_entry(chf.state, device_eui) is None:
                work = chf.state.clone()
                record_entry(work, device_eui, int(OtherDeviceType[device.device_type]), now)
                self.store.commit(work)
                chf.state = work

    def add(self, state: DeviceState) -> Device:
        """Provision a new device and commit its initial state."""
        self.store.commit(state)
        device = self.devices[state.eui] = self._bind(device_for(state))
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
        refused = self._han_refusal(recipient, data, now)
        if refused is not None:
            return refused
        before = device.state
        outcome = device.handle(data, now)
        return self._commit(device, before, outcome, now)

    def _han_refusal(self, recipient: bytes, data: bytes, now: dt.datetime) -> list[Outbound] | None:
        """The CHF's failure-to-deliver alert when *recipient* is not on its HAN whitelist, else None."""
        chf = self.devices.get(self.premises.get(recipient, b""))
        if chf is None:
            return None
        from smets_emu.emulator.device_log import find_entry

        if find_entry(chf.state, recipient) is not None:
            return None
        header = decode_envelope(data).header
        from smets_emu.protocols.payloads.asn1 import Asn1Payload
        from smets_emu.protocols.timestamps import DlmsDateTime

        stamp = DlmsDateTime.from_datetime(now)
        payload = Asn1Payload.from_json({
            "family": "asn1", "schema": "CS11FailureToDeliverAlert", "message_code": 0x00D5, "cra_flag": 3,
            "value": {
                "invokeId": 0,
                "alertCode": 0x8F84,
                "timeStamp": {k: v for k, v in stamp.__dict__.items()},
                "remotePartyMessage": {
                    "businessOriginatorId": header.originator.hex().upper(),
                    "businessTargetId": recipient.hex().upper(),
                    "craFlag": int(header.cra_flag),
                    "originatorCounter": header.originator_counter,
                },
            },
        })
        log.info("CHF %s: %s is not on the HAN whitelist", chf.eui.hex().upper(), recipient.hex().upper())
        work = chf.state.clone()
        before = chf.state
        alert = chf.build_alert(work, AlertSpec(0x00D5, payload, critical=False), now)
        chf.state = work
        return self._commit(chf, before, Outcome(work, [alert], accepted=False, reason="not whitelisted"), now)

    def tick(self, now: dt.datetime) -> list[Outbound]:
        """Run due timers and future-dated commands on every device."""
        sent: list[Outbound] = []
        for device in self.devices.values():
            before = device.state
            outcome = device.due(now)
            sent.extend(self._commit(device, before, outcome, now))
        return sent
