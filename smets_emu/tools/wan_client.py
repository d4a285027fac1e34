"""Clients of the WAN front: a frame-level TCP client and a remote-party client over it.

:class:`WanClient` sends GBCS messages and collects what comes back with the same frame
number (see :mod:`smets_emu.tools.wan_server`). :class:`RemoteParty` builds, signs and MACs
commands as a named remote party from a keystore (GBCS 6, 7) and decodes the device's reply; the
choice of party, message code and sample payload is :mod:`smets_emu.tools.command_choice`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from smets_emu.errors import KeyMaterialError, LinkClosed, SmetsError
from smets_emu.hw import Frame, FrameLink
from smets_emu.parties.headend import HeadEnd
from smets_emu.parties.utrn import mint, top_up_payload
from smets_emu.protocols.envelope import CraFlag, decode_envelope
from smets_emu.protocols.keystore import Keystore
from smets_emu.protocols.message import Message, message_to_json
from smets_emu.protocols.payloads import Payload, payload_from_json
from smets_emu.tools.command_choice import (
    COUNTER_FIELDS,
    CS01A_TOP_UP,
    READ_FIRMWARE_CODES,
    ROLE_NAMES,
    TOP_UP_CODES,
    USE_CASE_ALIASES,
    ClientError,
    default_party,
    message_code,
    party_eui,
    sample_payload,
    with_counter,
)
from smets_emu.tools.wan_server import wan_framing

__all__ = [
    "COUNTER_FIELDS", "CS01A_TOP_UP", "KEEPALIVE", "READ_FIRMWARE_CODES", "ROLE_NAMES", "TOP_UP_CODES",
    "USE_CASE_ALIASES", "ClientError", "DeviceTypeOf", "Exchange", "RemoteParty", "Reply", "WanClient",
    "default_party", "message_code", "party_eui", "sample_payload", "with_counter",
]

log = logging.getLogger(__name__)


@dataclass
class Exchange:
    """What came back for one command: its alerts and its response (None if there was none)."""

    number: int
    response: bytes | None = None
    alerts: list[bytes] = field(default_factory=list)


KEEPALIVE = 60.0
"""Seconds of silence after which a :class:`WanClient` sends an empty frame (the front closes silent connections)."""


class WanClient:
    """A TCP client of the WAN front; several commands may be outstanding at once.

    A connection that has sent nothing for ``keepalive`` seconds sends an empty frame, so the
    front's idle timeout (``WanLimits.idle_timeout``) does not close a client that only listens.
    """

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, framing: str = "gfi",
        *, keepalive: float | None = KEEPALIVE,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._framing = wan_framing(framing)
        self._link = FrameLink(reader, writer, self._framing, name=f"wan client {framing}")
        self._numbers = itertools.count(1)
        self._pending: dict[int, tuple[Exchange, asyncio.Future[Exchange]]] = {}
        self.unsolicited: asyncio.Queue[bytes] = asyncio.Queue()
        self._task = asyncio.create_task(self._read_loop())
        self._last_sent = asyncio.get_running_loop().time()
        self._keepalive = asyncio.create_task(self._keepalive_loop(keepalive)) if keepalive else None

    @classmethod
    async def connect(
        cls, host: str, port: int, framing: str = "gfi", *, keepalive: float | None = KEEPALIVE
    ) -> WanClient:
        """Open a connection to the front."""
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, framing, keepalive=keepalive)

    async def close(self) -> None:
        """Close the connection."""
        self._task.cancel()
        if self._keepalive is not None:
            self._keepalive.cancel()
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except (ConnectionError, OSError):
            pass

    async def __aenter__(self) -> WanClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _read_loop(self) -> None:
        try:
            while True:
                self._dispatch(await self._link.receive_frame())
        except (LinkClosed, ConnectionError, asyncio.CancelledError):
            pass
        for _, future in self._pending.values():
            if not future.done():
                future.set_exception(ClientError("connection closed"))

    def _dispatch(self, frame: Frame) -> None:
        entry = self._pending.get(frame.seq) if frame.seq else None
        if entry is None:
            if frame.payload:
                self.unsolicited.put_nowait(frame.payload)
            return
        exchange, future = entry
        if not frame.payload:
            self._finish(frame.seq)
            return
        try:
            cra = decode_envelope(frame.payload).header.cra_flag
        except SmetsError:
            cra = CraFlag.RESPONSE  # a damaged reply still ends the exchange
        if cra is CraFlag.ALERT:
            exchange.alerts.append(frame.payload)
            return
        exchange.response = frame.payload
        self._finish(frame.seq)

    def _finish(self, number: int) -> None:
        exchange, future = self._pending.pop(number)
        if not future.done():
            future.set_result(exchange)

    def send_frame(self, message: bytes) -> asyncio.Future[Exchange]:
        """Send one message; the future resolves with what came back for it."""
        number = self._next_number()
        future: asyncio.Future[Exchange] = asyncio.get_running_loop().create_future()
        self._pending[number] = (Exchange(number), future)
        self._writer.write(self._framing.encode(message, seq=number))
        self._last_sent = asyncio.get_running_loop().time()
        return future

    def _next_number(self) -> int:
        return next(self._numbers) % 0xFFFFFFFF or next(self._numbers)

    async def _keepalive_loop(self, period: float) -> None:
        loop = asyncio.get_running_loop()
        while not self._writer.is_closing():
            await asyncio.sleep(max(0.0, self._last_sent + period - loop.time()))
            if loop.time() >= self._last_sent + period and not self._writer.is_closing():
                # an empty frame is a ping: its empty answer matches no pending exchange and is ignored
                self._writer.write(self._framing.encode(b"", seq=self._next_number()))
                self._last_sent = loop.time()

    async def exchange(self, message: bytes, *, timeout: float | None = 10.0) -> Exchange:
        """Send one message and wait for its response (or the end of its exchange)."""
        future = self.send_frame(message)
        await self._writer.drain()
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError as exc:
            raise ClientError("no answer from the WAN front") from exc


DeviceTypeOf = Callable[[bytes], str | None]
"""Looks up a device's type by EUI (None when unknown): the lab's inventory."""


@dataclass
class Reply:
    """A device's reply to one command, decoded and checked."""

    command: bytes
    response: bytes | None
    alerts: list[bytes]
    message: Message | None  # the decoded response
    security: dict[str, str]  # mac / signature check of the response
    alert_messages: list[Message] = field(default_factory=list)

    @property
    def payload(self) -> Payload | None:
        """The decoded response payload."""
        return None if self.message is None else self.message.payload

    def to_json(self) -> dict[str, Any]:
        """The reply as JSON: the decoded response, its security check and the alerts."""
        return {
            "answered": self.response is not None,
            "security": self.security,
            "response": None if self.message is None else message_to_json(self.message),
            "alerts": [message_to_json(m) for m in self.alert_messages],
        }


Transport = Callable[[bytes], Awaitable[Exchange]]

_counter_lock = threading.Lock()
_counter_floor = 0


def _next_counter() -> int:
    """The process's next originator counter: the wall clock in ms, or one above the last when that is later."""
    global _counter_floor
    with _counter_lock:
        _counter_floor = max(_counter_floor + 1, time.time_ns() // 1_000_000)
        return _counter_floor


class RemoteParty:
    """Builds protected commands as Known Remote Parties and reads the replies (GBCS 6.2.4)."""

    def __init__(self, keystore: Keystore, transport: Transport, *, device_type_of: DeviceTypeOf | None = None
                 ) -> None:
        self.headend = HeadEnd(keystore)
        self.transport = transport
        self.device_type_of = device_type_of  # picks the default party and the read-firmware code per device type

    def next_counter(self) -> int:
        """An originator counter above every one a party of this process used.

        Time-based as the DCC makes them (milliseconds since 1970 UTC, the counter of DUIS RequestIDs), so
        it survives restarts and commands from ``send`` and from DUIS requests interleave on one device.
        A burst of commands runs ahead of the clock by one per command; the floor is shared by every
        party of the process, so a party made just after another never reuses its counters.
        """
        return _next_counter()

    def build(
        self,
        code: int | str,
        payload: Payload | bytes | dict[str, Any] | None = None,
        *,
        to: bytes | str,
        as_party: str | bytes | None = None,
        counter: int | None = None,
    ) -> bytes:
        """A protected command: signed when critical, MACed with the ACB key."""
        recipient = to if isinstance(to, bytes) else party_eui(to)
        device_type = self.device_type_of(recipient) if self.device_type_of is not None else None
        code = message_code(code, device_type)
        if as_party is None:
            originator = default_party(code, device_type)
        else:
            originator = as_party if isinstance(as_party, bytes) else party_eui(as_party)
        counter = counter if counter is not None else self.next_counter()
        if payload is None:
            if code in TOP_UP_CODES:
                payload = self.top_up_sample(code, recipient, originator)
            else:
                payload = with_counter(sample_payload(code), counter)
        elif isinstance(payload, dict):
            payload = payload_from_json(payload)
        return self.headend.command(
            originator=originator, recipient=recipient, message_code=code, payload=payload, counter=counter,
        )

    def top_up_sample(self, code: int, device: bytes, supplier: bytes) -> Payload:
        """A top-up (CS01a/CS01b) of 1.00 whose UTRN *supplier* mints for *device* with its prepayment key
        agreement key (GBCS 14, digest 3.7); the codec's sample when the keystore lacks either key."""
        number = time.time_ns() // 1_000_000_000 % 1023 + 1  # the counter's bits 32-41: a new one each second
        try:
            utrn = mint(self.headend.keystore, supplier=supplier, device=device, number=number, pennies=100)
        except KeyMaterialError:  # the keystore lacks the supplier's prepayment key or the device's KA key
            return sample_payload(code)
        return top_up_payload(code, utrn)

    def read(self, command: bytes, exchange: Exchange) -> Reply:
        """Decode and check a reply."""
        message = None
        security = {"mac": "absent", "signature": "absent"}
        if exchange.response is not None:
            report = self.headend.verify(exchange.response)
            security = {"mac": str(report.mac), "signature": str(report.signature)}
            try:
                message = self.headend.decode(exchange.response)
            except SmetsError as exc:
                security["detail"] = f"undecodable response: {exc}"
        alerts = []
        for data in exchange.alerts:
            try:
                alerts.append(self.headend.decode(data))
            except SmetsError as exc:
                log.info("undecodable alert: %s", exc)
        return Reply(command, exchange.response, list(exchange.alerts), message, security, alerts)

    async def command(
        self,
        code: int | str,
        payload: Payload | bytes | dict[str, Any] | None = None,
        *,
        to: bytes | str,
        as_party: str | bytes | None = None,
    ) -> Reply:
        """Build, send and read back one command."""
        data = self.build(code, payload, to=to, as_party=as_party)
        return self.read(data, await self.transport(data))

    async def send_raw(self, data: bytes) -> Reply:
        """Send an already protected message and read back the reply."""
        return self.read(data, await self.transport(data))
