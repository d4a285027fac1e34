"""A fleet of devices bound to one state store (sans-IO): the one owner of device state.

``Fleet.deliver(message, now)`` parses an inbound message once, routes it by its recipient
system title, lets the device process it and commits the device's new state together with
everything it sends in one SQLite transaction (GBCS anti-replay state must never roll back,
GBCS 4.3.1.5). ``Fleet.tick(now)`` runs timers and future-dated commands (GBCS 5.9) of the
devices whose time has come: the fleet keeps each device's next due time
(:meth:`~smets_emu.emulator.device.Device.next_due`, read from its state at load and at every
commit) in a heap, so a tick with nothing due touches no device. The asyncio runtime drives
these two calls. :meth:`Fleet.commit` is the only way a device's state reaches the
store, and the device adopts a state only after the store holds it; the HAN network commits
each firmware transfer step through it too.

Devices attached to a premises reach the WAN through their Communications Hub: a message for a
HAN device whose entity ID is not in its CHF's device log (the HAN whitelist, GBCS CCS01) is not
delivered, and the CHF raises the Failure to Deliver Remote Party Message alert (0x00D5, alert
code 0x8F84) instead.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import logging
from collections.abc import Iterable

from smets_emu.emulator.device import AlertSpec, Device, Outbound, Outcome
from smets_emu.emulator.devices import device_for
from smets_emu.emulator.firmware import FirmwareUseCases
from smets_emu.emulator.firmware.slots import ImageStore
from smets_emu.emulator.kernel.messages import Inbound
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import SmetsError
from smets_emu.hosting.images import StateStoreImages
from smets_emu.hosting.store import StateStore
from smets_emu.protocols.envelope import GroupingHeader

log = logging.getLogger(__name__)

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def _instant(moment: dt.datetime) -> int:
    """A time as whole microseconds since 1970 UTC (a naive time is taken as UTC): the due heap's key."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (moment - _EPOCH) // _MICROSECOND


class Fleet:
    """Devices loaded from (and committed to) a :class:`StateStore`."""

    def __init__(self, store: StateStore, *, image_store: ImageStore | None = None) -> None:
        self.store = store
        self.image_store: ImageStore = image_store or StateStoreImages(store)
        self.devices: dict[bytes, Device] = {}
        self._order: dict[bytes, int] = {}  # eui -> place in the fleet (ticks run due devices in this order)
        self._due: dict[bytes, int] = {}  # eui -> next due instant, for devices with one (each also in the heap)
        self._heap: list[tuple[int, int, bytes]] = []  # (due instant, order, eui); entries not in _due are stale
        for state in store.load_all():
            self._put(device_for(state))
        saved = store.get_meta("premises")
        self.premises: dict[bytes, bytes] = (
            {bytes.fromhex(k): bytes.fromhex(v) for k, v in json.loads(saved).items()} if saved else {}
        )

    def _bind(self, device: Device) -> Device:
        """Give a device the fleet's shared, content-addressed firmware image store (digest 7.3)."""
        firmware = device.find(FirmwareUseCases)
        if firmware is not None:
            firmware.attach_image_store(self.image_store)
        return device

    def _put(self, device: Device) -> Device:
        """Bind *device* and make it the fleet's device for its system title, its next due time indexed."""
        eui = device.eui
        self.devices[eui] = self._bind(device)
        self._order.setdefault(eui, len(self._order))
        self.reschedule(device)
        return device

    def reschedule(self, device: Device) -> None:
        """Index when *device*'s timers next have work, read from its state (GBCS 5.9 future-dated commands).

        :meth:`commit` does this for every state it stores; call it after changing a device's
        state any other way.
        """
        eui = device.eui
        order = self._order.get(eui)
        if order is None or self.devices.get(eui) is not device:
            return
        when = device.next_due(device.state)
        instant = None if when is None else _instant(when)
        if self._due.get(eui) == instant:
            return
        if instant is None:
            del self._due[eui]  # its heap entry is now stale
            return
        self._due[eui] = instant
        heapq.heappush(self._heap, (instant, order, eui))
        if len(self._heap) > 2 * len(self._due) + 1024:  # mostly stale entries: rebuild
            self._heap = [(at, self._order[e], e) for e, at in self._due.items()]
            heapq.heapify(self._heap)

    def reload(self, eui: bytes) -> Device | None:
        """Rebuild a device from its committed state, as after a power loss (uncommitted work is gone)."""
        state = self.store.load(eui)
        if state is None or eui not in self.devices:
            return None
        return self._put(device_for(state))

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
                self.commit(chf, Outcome(work, accepted=True, reason="joined"), now)

    def add(self, state: DeviceState) -> Device:
        """Provision a new device and commit its initial state."""
        self.store.commit(state)
        return self._put(device_for(state))

    def extend(self, states: Iterable[DeviceState]) -> None:
        """Provision several devices, their states committed in one transaction."""
        batch = list(states)
        self.store.add_all(batch)
        for state in batch:
            self._put(device_for(state))

    def device(self, eui: bytes) -> Device | None:
        """The device with this system title."""
        return self.devices.get(eui)

    def commit(self, device: Device, outcome: Outcome, now: dt.datetime | None = None) -> list[Outbound]:
        """Store *outcome* (what changed in its state, and what it sends) in one transaction, then adopt it.

        The one commit path: commands, timers, HAN transfer steps and provisioning changes all
        pass here. When the store fails nothing was committed and the device keeps its state
        (it forgets the command too); with nothing changed and nothing sent there is no write.
        An ECDH secret the device derived that its state lacks is kept in the state now (one
        identity section write), so after a restart the device does not derive it again.
        """
        if device.keys.learned:
            work = outcome.state.clone() if outcome.state is device.state else outcome.state
            if device.keys.keep_learned(work):
                outcome.state = work
        self.store.commit(
            outcome.state,
            [(o.kind, o.recipient, o.message) for o in outcome.outbound],
            created="" if now is None else now.isoformat(),
        )
        device.adopt(outcome)
        self.reschedule(device)
        return outcome.outbound

    def deliver(self, message: bytes | Inbound, now: dt.datetime) -> list[Outbound]:
        """Hand a message (wire bytes, or already parsed) to the device it is addressed to; returns what it sent."""
        inbound = Inbound.of(message)
        if inbound.envelope is None:
            log.info("dropping undecodable message: %s", inbound.error)
            return []
        header = inbound.envelope.header
        device = self.devices.get(header.recipient)
        if device is None:
            log.info("no device %s in the fleet", header.recipient.hex().upper())
            return []
        refused = self._han_refusal(header, now)
        if refused is not None:
            return refused
        return self.commit(device, device.process(device.state, inbound, now), now)

    def _han_refusal(self, header: GroupingHeader, now: dt.datetime) -> list[Outbound] | None:
        """The CHF's failure-to-deliver alert when the recipient is not on its HAN whitelist, else None."""
        recipient = header.recipient
        chf = self.devices.get(self.premises.get(recipient, b""))
        if chf is None:
            return None
        from smets_emu.emulator.device_log import find_entry

        if find_entry(chf.state, recipient) is not None:
            return None
        from smets_emu.protocols.payloads.asn1_firmware_models import FailureToDeliverAlert
        from smets_emu.protocols.payloads.asn1_models import to_payload

        undelivered = FailureToDeliverAlert(now, header.originator, recipient, int(header.cra_flag),
                                            header.originator_counter)
        payload = to_payload(undelivered, 0x00D5, 3)
        log.info("CHF %s: %s is not on the HAN whitelist", chf.eui.hex().upper(), recipient.hex().upper())
        outcome = chf.raise_alert(AlertSpec(0x00D5, payload, critical=False), now)
        outcome.accepted, outcome.reason = False, "not whitelisted"
        return self.commit(chf, outcome, now)

    def tick(self, now: dt.datetime) -> list[Outbound]:
        """Run the timers and future-dated commands (GBCS 5.9) of the devices whose next due time has come.

        Devices run in fleet order; what they send is returned. A device whose timers still
        have work afterwards is due again at the next tick. Costs O(due devices), not O(fleet).
        """
        limit = _instant(now)
        heap, due = self._heap, self._due
        ready: list[tuple[int, bytes]] = []
        while heap and heap[0][0] <= limit:
            instant, order, eui = heapq.heappop(heap)
            if due.get(eui) == instant:
                del due[eui]
                ready.append((order, eui))
        ready.sort()
        sent: list[Outbound] = []
        for done, (_, eui) in enumerate(ready):
            device = self.devices[eui]
            try:
                sent.extend(self.commit(device, device.timers(device.state, now), now))
            except BaseException:
                for _, left in ready[done:]:
                    self.reschedule(self.devices[left])  # not run: still due
                raise
        return sent
