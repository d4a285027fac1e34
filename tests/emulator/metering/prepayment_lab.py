"""A persistent lab on the virtual clock for the prepayment tests: commands over GBCS, timers, restarts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smets_emu.emulator.device import Outcome
from smets_emu.emulator.metering import prepayment_ports as ports
from smets_emu.emulator.metering.prepayment import Credit
from smets_emu.emulator.state import DeviceState
from smets_emu.parties.utrn import mint, top_up_payload
from smets_emu.protocols.payloads import Payload
from smets_emu.protocols.payloads.dlms import DataNotification
from smets_emu.protocols.payloads.gbz import GbzPayload
from smets_emu.protocols.timestamps import DlmsDateTime, gbz_seconds_to_datetime
from smets_emu.tools.lab import Lab, open_lab, read_inventory
from smets_emu.tools.wan_client import Exchange, RemoteParty, Reply

ESME = bytes.fromhex("00DB1234567890A0")
GSME = bytes.fromhex("00DB1234567890A1")
SUPPLIER = bytes.fromhex("90B3D51F30010000")
START = dt.datetime(2026, 1, 12, 9, 0, tzinfo=dt.UTC)


def first_second(predicate: Callable[[dt.datetime], bool], since: dt.datetime) -> dt.datetime:
    """The first whole second after *since* at which *predicate* holds (it holds from then on): found by bisection,
    independently of the engine's own search."""
    low, high = 0, 1
    while not predicate(since + dt.timedelta(seconds=high)):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if predicate(since + dt.timedelta(seconds=middle)) else (middle, high)
    return since + dt.timedelta(seconds=high)


@dataclass(frozen=True)
class Alert:
    """A generic alert a device raised: its event code and the instant it carries."""

    code: int
    at: dt.datetime
    message_code: int


def alert_of(data: bytes, payload: Payload | None) -> Alert | None:
    """The event code and time stamp of a generic alert (DLMS or GBZ form)."""
    if isinstance(payload, DataNotification):
        body = payload.body.to_json()["value"]
        stamp = DlmsDateTime.from_bytes(bytes.fromhex(body[1]["value"])).to_datetime()
        return Alert(int(body[0]["value"]), stamp, int.from_bytes(data[13:15], "big"))
    if isinstance(payload, GbzPayload) and payload.alert is not None:
        return Alert(payload.alert.alert_code, gbz_seconds_to_datetime(payload.alert.timestamp), 0)
    return None


class PrepaymentLab:
    """The default lab (ESME, GSME, CHF ...) driven from a test at chosen virtual times."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lab: Lab = open_lab(folder)
        self.now = START
        self.party = RemoteParty(self.lab.keystore, self._never, device_type_of=read_inventory(self.lab.key_folder).get)
        self.number = 0

    @staticmethod
    async def _never(data: bytes) -> Exchange:  # pragma: no cover - delivered in-process
        raise AssertionError("not used")

    def close(self) -> None:
        self.lab.close()

    def reopen(self) -> None:
        """Close the lab and open it again from its store (what a restart sees)."""
        self.lab.close()
        self.lab = open_lab(self.folder)
        self.party = RemoteParty(self.lab.keystore, self._never, device_type_of=read_inventory(self.lab.key_folder).get)

    def state(self, eui: bytes) -> DeviceState:
        return self.lab.fleet.device(eui).state

    def change(self, eui: bytes, edit: Callable[[DeviceState], None]) -> None:
        """Change a device's state and commit it (as a fleet file or the control plane would)."""
        device = self.lab.fleet.device(eui)
        work = device.state.clone()
        edit(work)
        self.lab.fleet.commit(device, Outcome(work, [], accepted=True), self.now)

    def command(self, code: int | str, *, to: bytes, payload: Payload | None = None, seconds: int = 1) -> Reply:
        """Send one command *seconds* after the last one; the decoded reply with the alerts sent beside it."""
        data = self.party.build(code, payload, to=to)
        self.now += dt.timedelta(seconds=seconds)
        sent = self.lab.fleet.deliver(data, self.now)
        response = next((o.message for o in sent if o.kind == "response"), None)
        return self.party.read(data, Exchange(1, response, [o.message for o in sent if o.kind == "alert"]))

    def top_up(self, to: bytes, *, pounds: int, number: int | None = None) -> tuple[str, Reply]:
        """Mint the supplier's next UTRN for *to* and send it (CS01a to the ESME, CS01b to the GSME)."""
        if number is None:
            self.number += 1
            number = self.number
        utrn = mint(self.lab.keystore, supplier=SUPPLIER, device=to, number=number, pounds=pounds)
        return utrn, self.resend(to, utrn)

    def resend(self, to: bytes, utrn: str) -> Reply:
        code = 0x0007 if to == ESME else 0x0097
        return self.command(code, to=to, payload=top_up_payload(code, utrn))

    def tick(self, at: dt.datetime | None = None) -> list[Alert]:
        """Run the timers at *at* (default: now); the alerts raised."""
        if at is not None:
            self.now = at
        alerts = []
        for out in self.lab.fleet.tick(self.now):
            if out.kind == "alert":
                found = alert_of(out.message, self.party.headend.decode(out.message).payload)
                if found is not None:
                    alerts.append(found)
        return alerts

    def credit(self, eui: bytes, at: dt.datetime | None = None) -> Credit:
        """The prepayment registers at *at* (default: now), computed as the meter's reads do."""
        return ports.credit_now(self.state(eui), at or self.now)

    def stored(self, eui: bytes) -> dict[str, Any]:
        return dict((self.state(eui).objects_view().get("metering") or {}).get("prepayment") or {})
