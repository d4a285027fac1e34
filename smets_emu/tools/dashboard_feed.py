"""The dashboard's live feed: alerts and WAN traffic to Server-Sent Events clients, and recent traffic.

:class:`LiveFeed` receives every alert the runtime publishes (``Runtime.subscribe``) and every
frame the WAN fronts carry (``WanFront.observe``). Frames are queued at once (a bounded
:class:`~smets_emu.tools.wire_events.WireEventQueue` of :data:`FRAME_QUEUE` frames, the oldest
dropped) and decoded by a task, so the front never waits. What it keeps is bounded: the newest
:data:`TRAFFIC_HISTORY` frames, the newest :data:`PER_DEVICE` frames of each of the
:data:`TRACKED_DEVICES` most recently active devices (their headers, never the messages).

``GET /events`` streams ``text/event-stream``: ``event: alert`` and ``event: traffic`` with a JSON
``data`` line each, and a ``: keep-alive`` comment every :data:`HEARTBEAT` seconds. Query
``device=EUI`` keeps that device's events only, ``kinds=alert`` or ``kinds=traffic`` one kind.
Each client has a queue of :data:`CLIENT_QUEUE` events; a client that falls that far behind is
dropped (its stream ends; the browser's EventSource reconnects), and at most :data:`MAX_CLIENTS`
stream at once (503 beyond); a client that disconnects frees its place within :data:`GONE_CHECK` seconds.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from smets_emu.emulator.device import Outbound
from smets_emu.errors import SmetsError
from smets_emu.hosting.runtime import Runtime, Subscription, cancel_and_wait
from smets_emu.protocols.envelope import decode_envelope
from smets_emu.protocols.message_codes import lookup
from smets_emu.tools.control_views import alert_record
from smets_emu.tools.wire_events import ObserverHandle, WireEvent, WireEventQueue

log = logging.getLogger(__name__)

TRAFFIC_HISTORY = 2000
PER_DEVICE = 50
TRACKED_DEVICES = 2000
CLIENT_QUEUE = 256
MAX_CLIENTS = 32
HEARTBEAT = 15.0
GONE_CHECK = 1.0
"""Seconds between checks that an idle stream's client is still connected."""
FRAME_QUEUE = 1000


def traffic_record(event: WireEvent) -> dict[str, Any]:
    """A WAN frame as the dashboard shows it: when, which way, which device, which use case, how big."""
    record: dict[str, Any] = {
        "time": event.time.isoformat(), "virtual_time": event.virtual_time.isoformat(),
        "direction": event.direction, "kind": event.kind, "connection": event.connection, "peer": event.peer,
        "framing": event.framing, "seq": event.seq, "size": len(event.message),
        "device": None, "party": None, "message_code": None, "counter": None,
    }
    if event.message:
        header = event.header
        if header is None:
            try:
                header = decode_envelope(event.message).header
            except SmetsError:
                record["kind"] = "undecodable" if event.kind == "command" else event.kind
                return record
        inbound = event.direction == "in"
        record["device"] = (header.recipient if inbound else header.originator).hex().upper()
        record["party"] = (header.originator if inbound else header.recipient).hex().upper()
        record["message_code"] = f"0x{header.message_code:04X}"
        record["counter"] = header.originator_counter
        info = lookup(header.message_code)
        if info is not None:
            record["use_case"] = info.use_case
    return record


@dataclass(eq=False)
class FeedClient:
    """One event-stream client: its filter and its bounded queue (None in the queue ends the stream)."""

    device: str | None
    kinds: frozenset[str]
    transport: Any = None
    queue: asyncio.Queue[tuple[str, dict[str, Any]] | None] = field(
        default_factory=lambda: asyncio.Queue(CLIENT_QUEUE))
    dropped: bool = False

    def wants(self, kind: str, record: dict[str, Any]) -> bool:
        return kind in self.kinds and (self.device is None or record.get("device") == self.device)


class LiveFeed:
    """Alerts and frames fanned out to event-stream clients; recent traffic kept (module docstring)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.clients: set[FeedClient] = set()
        self.traffic: deque[dict[str, Any]] = deque(maxlen=TRAFFIC_HISTORY)
        self._by_device: OrderedDict[str, deque[dict[str, Any]]] = OrderedDict()
        self._frames = WireEventQueue(FRAME_QUEUE)
        self._subscription: Subscription | None = None
        self._observers: list[ObserverHandle] = []
        self._task: asyncio.Task[None] | None = None
        self.dropped_clients = 0

    # -- sources --------------------------------------------------------------------------------

    def start(self, fronts: list[Any]) -> None:
        """Subscribe to the runtime's alerts and the fronts' frames; decode frames in a task."""
        self._subscription = self.runtime.subscribe(self._on_alert)
        self._observers = [front.observe(self._frames.put) for front in fronts]
        self._task = asyncio.get_running_loop().create_task(self._decode_frames())

    async def stop(self) -> None:
        """Stop listening and end every client's stream."""
        if self._subscription is not None:
            self._subscription.cancel()
            self._subscription = None
        for handle in self._observers:
            handle.cancel()
        self._observers = []
        await cancel_and_wait(self._task)
        self._task = None
        for client in list(self.clients):
            self._end(client)

    def _on_alert(self, alert: Outbound) -> None:
        self.publish("alert", alert_record(alert, self.runtime.clock.now()))

    async def _decode_frames(self) -> None:
        while True:
            event = await self._frames.get()
            try:
                self.add_traffic(traffic_record(event))
            except Exception:  # one odd frame must not end the feed
                log.exception("dashboard: a WAN frame could not be shown")

    def add_traffic(self, record: dict[str, Any]) -> None:
        self.traffic.append(record)
        device = record.get("device")
        if device:
            recent = self._by_device.get(device)
            if recent is None:
                recent = self._by_device[device] = deque(maxlen=PER_DEVICE)
                while len(self._by_device) > TRACKED_DEVICES:
                    self._by_device.popitem(last=False)
            else:
                self._by_device.move_to_end(device)
            recent.append(record)
        self.publish("traffic", record)

    def device_traffic(self, device: str, limit: int = PER_DEVICE) -> list[dict[str, Any]]:
        """The newest frames to or from *device* (EUI hex), newest last."""
        return list(self._by_device.get(device, ()))[-limit:]

    # -- clients --------------------------------------------------------------------------------

    def publish(self, kind: str, record: dict[str, Any]) -> None:
        for client in list(self.clients):
            if not client.wants(kind, record):
                continue
            try:
                client.queue.put_nowait((kind, record))
            except asyncio.QueueFull:
                self.dropped_clients += 1
                log.info("dashboard: an event-stream client fell %d events behind and was dropped", CLIENT_QUEUE)
                self._end(client)
                if client.transport is not None:
                    client.transport.close()  # its write may be stuck on a full socket

    def _end(self, client: FeedClient) -> None:
        client.dropped = True
        self.clients.discard(client)
        while True:  # make room for the end marker
            try:
                client.queue.get_nowait()
            except asyncio.QueueEmpty:
                break
        client.queue.put_nowait(None)

    async def stream(self, request: web.Request, device: str | None, kinds: frozenset[str]) -> web.StreamResponse:
        """Serve one event-stream client until it leaves, falls behind or the lab stops."""
        if len(self.clients) >= MAX_CLIENTS:
            raise web.HTTPServiceUnavailable(text=f"at most {MAX_CLIENTS} live feeds at once")
        client = FeedClient(device, kinds, request.transport)
        response = web.StreamResponse(headers={
            "Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no",
            "X-Content-Type-Options": "nosniff"})
        await response.prepare(request)
        self.clients.add(client)
        try:
            await response.write(b"retry: 2000\n: connected\n\n")
            loop = asyncio.get_running_loop()
            beat = loop.time() + HEARTBEAT
            while True:
                try:
                    item = await asyncio.wait_for(client.queue.get(), min(GONE_CHECK, max(0.0, beat - loop.time())))
                except TimeoutError:
                    if request.transport is None or request.transport.is_closing():
                        break  # the browser left (a page closed or moved on): free its place at once
                    if loop.time() >= beat:
                        await response.write(b": keep-alive\n\n")
                        beat = loop.time() + HEARTBEAT
                    continue
                if item is None:
                    break
                kind, record = item
                data = json.dumps(record, separators=(",", ":"), default=str)
                await response.write(f"event: {kind}\ndata: {data}\n\n".encode())
        except ConnectionError:
            pass
        finally:
            self.clients.discard(client)
        return response
