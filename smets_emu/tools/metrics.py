"""Prometheus metrics of a running lab: ``GET /metrics`` on the control plane.

Every lab has its own :class:`~prometheus_client.CollectorRegistry` (never the process-wide
default), so several labs in one process keep separate counts. Where the numbers come from:

- per command (use case, outcome, latency) and per alert sent: a frame observer on the WAN front
  (:meth:`WanFront.observe <smets_emu.tools.wan_server.WanFront.observe>`); a command frame is
  matched with what goes out on the same connection with the same frame number. Only commands
  addressed to a device of the fleet are counted here: undecodable messages and unknown
  recipients are the front's own counters.
- connections, dropped frames, undecodable messages, unknown recipients: the front's
  :class:`~smets_emu.tools.wan_server.FrontStats`, read at scrape time;
- process (resident memory, CPU, open files): :class:`prometheus_client.ProcessCollector` (Linux);
- devices, state store size, outbox rows and the stored firmware campaign
  (:mod:`smets_emu.tools.metrics_campaign`): read at scrape time (the store off the event loop);
- DUIS requests: the answers of ``POST /duis``.

Label values are bounded: message codes outside the GBCS table, SRVs this DSP does not implement
and alert codes past :data:`MAX_ALERT_CODES` distinct ones collapse into ``other``/``unknown``; no
label carries an EUI. Counters start at zero when the lab is served.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import time
from collections import Counter as Tally
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

import smets_emu
from smets_emu.errors import SmetsError
from smets_emu.hosting.runtime import Runtime
from smets_emu.parties.campaign import META_KEY
from smets_emu.parties.device_replies import alert_code_of
from smets_emu.parties.smets1.dsp import SUPPORTED_SRVS
from smets_emu.protocols.duis.response import parse_response
from smets_emu.protocols.envelope import decode_envelope
from smets_emu.protocols.message import decode_message
from smets_emu.protocols.message_codes import lookup
from smets_emu.tools.lab import Lab
from smets_emu.tools.metrics_campaign import CampaignStates, campaign_metrics
from smets_emu.tools.wan_server import FrontStats, WanFront
from smets_emu.tools.wire_events import ObserverHandle, WireEvent

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Bounds (seconds) of the command latency histogram."""
MAX_IN_FLIGHT = 10_000
"""Commands awaiting their answer that the observer remembers (the oldest is forgotten beyond)."""
MAX_ALERTS_PER_COMMAND = 16
"""Alerts of one exchange kept to classify a rejection."""
MAX_ALERT_CODES = 64
"""Distinct alert-code labels of the rejection counter; further codes (e.g. from corrupted alerts) count as other."""
FRONT_TOTALS: tuple[tuple[type[GaugeMetricFamily | CounterMetricFamily], str, str, str], ...] = (
    (GaugeMetricFamily, "smets_wan_connections_active", "WAN connections served now", "active_connections"),
    (CounterMetricFamily, "smets_wan_connections_accepted", "WAN connections accepted and served", "connections"),
    (CounterMetricFamily, "smets_wan_connections_refused", "WAN connections refused over the connection cap",
     "refused_connections"),
    (CounterMetricFamily, "smets_wan_messages_received", "Non-empty frames received (commands, GBCS or not)",
     "commands"),
    (CounterMetricFamily, "smets_wan_messages_undecodable", "Messages that are not GBCS (answered with an empty frame)",
     "undecodable"),
    (CounterMetricFamily, "smets_wan_messages_unknown_recipient", "GBCS messages for no device of the fleet",
     "unknown_recipient"),
    (CounterMetricFamily, "smets_wan_faults_applied", "Injected faults applied to WAN traffic", "faults_applied"),
    (GaugeMetricFamily, "smets_wan_receive_buffered_bytes", "Bytes of partial frames held now", "receive_buffered"),
)
"""The WAN fronts' single-valued totals: (family, metric name, help, :class:`FrontStats` attribute)."""
CLOSE_REASONS = {"idle": "idle_closed", "garbage": "garbage_closed", "budget": "budget_closed",
                 "slow_reader": "slow_reader_closed"}


def _code_labels(code: int) -> tuple[str, str]:
    """(use_case, message_code) labels of a GBCS message code; codes outside the table collapse to one pair."""
    info = lookup(code)
    if info is None:
        return "unknown", "other"
    return info.use_case, f"0x{code:04X}"


def alert_code(message: bytes) -> int | None:
    """The alert code an alert carries (DLMS data-notification or GBZ alert header), None when unreadable."""
    try:
        payload = decode_message(message).payload
    except SmetsError:
        return None
    return alert_code_of(payload)


@dataclass
class _InFlight:
    started: float
    framing: str
    use_case: str
    message_code: str
    alerts: list[bytes] = field(default_factory=list)


class WireMetrics:
    """Counts commands, their outcomes and latency, and alerts, from the WAN front's frame events."""

    def __init__(self, registry: CollectorRegistry, devices: Mapping[bytes, Any]) -> None:
        self._devices = devices
        self._in_flight: OrderedDict[tuple[int, int], _InFlight] = OrderedDict()
        self._alert_codes: set[str] = set()
        self.commands = Counter(
            "smets_wan_commands", "Commands to fleet devices through the WAN front, by use case and outcome "
            "(response; rejected: alerts but no response; no_response: neither)",
            ["use_case", "message_code", "outcome"], registry=registry)
        self.rejections = Counter(
            "smets_security_rejections", "Commands a device refused with an alert instead of a response, "
            "by the alert's code", ["alert_code"], registry=registry)
        self.alerts = Counter(
            "smets_wan_alerts_sent", "Alerts the WAN front sent (one per connection), by use case",
            ["use_case", "message_code"], registry=registry)
        self.latency = Histogram(
            "smets_wan_command_latency_seconds", "Time from a command frame received to the last frame of its "
            "answer sent (the response, or the empty frame closing a command without one)",
            ["framing"], buckets=LATENCY_BUCKETS, registry=registry)

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def __call__(self, event: WireEvent) -> None:
        if event.direction == "in":
            if event.kind == "command":
                self._command(event)
            return
        if event.kind == "alert":
            if event.header is not None:
                self.alerts.labels(*_code_labels(event.header.message_code)).inc()
            else:
                self._alert_sent(event.message)
        if not event.seq:
            return
        key = (event.connection, event.seq)
        pending = self._in_flight.get(key)
        if pending is None:
            return
        if event.kind == "alert":
            if len(pending.alerts) < MAX_ALERTS_PER_COMMAND:
                pending.alerts.append(event.message)
            return
        del self._in_flight[key]
        if event.kind == "response":
            outcome = "response"
        elif pending.alerts:
            outcome = "rejected"
            for alert in pending.alerts:
                self.rejections.labels(self._alert_label(alert_code(alert))).inc()
        else:
            outcome = "no_response"
        self.commands.labels(pending.use_case, pending.message_code, outcome).inc()
        self.latency.labels(pending.framing).observe(time.perf_counter() - pending.started)

    def _alert_label(self, code: int | None) -> str:
        if code is None:
            return "unknown"
        label = f"0x{code:04X}"
        if label not in self._alert_codes:
            if len(self._alert_codes) >= MAX_ALERT_CODES:
                return "other"
            self._alert_codes.add(label)
        return label

    def _command(self, event: WireEvent) -> None:
        header = event.header
        if header is None:
            try:
                header = decode_envelope(event.message).header
            except SmetsError:
                return  # the front counts it as undecodable
        if header.recipient not in self._devices:
            return  # the front counts it as for an unknown recipient
        use_case, code = _code_labels(header.message_code)
        key = (event.connection, event.seq)
        self._in_flight.pop(key, None)
        self._in_flight[key] = _InFlight(time.perf_counter(), event.framing, use_case, code)
        if len(self._in_flight) > MAX_IN_FLIGHT:  # commands never answered (e.g. dropped by an injected fault)
            self._in_flight.popitem(last=False)

    def _alert_sent(self, message: bytes) -> None:
        try:
            code = decode_envelope(message).header.message_code
        except SmetsError:  # e.g. corrupted by an injected fault
            self.alerts.labels("unknown", "other").inc()
            return
        self.alerts.labels(*_code_labels(code)).inc()


@dataclass
class _Snapshot:
    """What a scrape reads off the event loop: the store and the stored campaign."""

    store_bytes: dict[str, int] = field(default_factory=dict)
    outbox_rows: int | None = None
    campaign: dict[str, Any] | None = None
    campaign_states: dict[str, int] | None = None


class LabCollector:
    """Metrics read at scrape time: the fronts' counters, devices, state store and stored campaign."""

    def __init__(self, lab: Lab, runtime: Runtime | None, fronts: Mapping[str, WanFront]) -> None:
        self.lab = lab
        self.runtime = runtime
        self.fronts = fronts
        self.snapshot = _Snapshot()
        self._types: tuple[int, Tally[str]] = (-1, Tally())
        self._campaign_states = CampaignStates()

    def describe(self) -> Iterable[Metric]:
        return []  # families are only known when collected

    async def refresh(self) -> None:
        """Read the store, and the campaign's per-device states (serialised with the fleet's work)."""
        snap = await asyncio.to_thread(self._read_store)
        if snap.campaign is not None:
            snap.campaign_states = await self._campaign_states.read(self.runtime, self.lab.fleet, snap.campaign)
        self.snapshot = snap

    def _read_store(self) -> _Snapshot:
        snap = _Snapshot()
        store = self.lab.store
        if store.path != ":memory:":
            for name, suffix in (("database", ""), ("wal", "-wal")):
                try:
                    snap.store_bytes[name] = os.stat(store.path + suffix).st_size
                except OSError:
                    snap.store_bytes[name] = 0
        try:
            snap.outbox_rows = store.outbox_rows()
            text = store.get_meta(META_KEY)
            snap.campaign = json.loads(text) if text else None
        except (SmetsError, ValueError, OSError, sqlite3.Error) as exc:
            log.warning("metrics: state store not read: %s", exc)
        return snap

    def collect(self) -> Iterator[Metric]:
        yield from self._front_metrics()
        yield from self._device_metrics()
        yield from self._store_metrics()
        yield from campaign_metrics(self.snapshot.campaign, self.snapshot.campaign_states)

    def _front_metrics(self) -> Iterator[Metric]:
        total = FrontStats()
        for front in self.fronts.values():
            stats = front.stats
            for name, value in vars(stats).items():
                setattr(total, name, getattr(total, name) + value)
        for family, name, text, attr in FRONT_TOTALS:
            yield family(name, text, value=getattr(total, attr))
        closed = CounterMetricFamily("smets_wan_connections_closed", "WAN connections the front closed, by reason",
                                     labels=["reason"])
        for reason, attr in CLOSE_REASONS.items():
            closed.add_metric([reason], getattr(total, attr))
        yield closed
        dropped = CounterMetricFamily("smets_wan_frames_dropped", "Frames dropped at the front before any device, "
                                      "by reason (framing check failed, oversize, incomplete at the deadline)",
                                      labels=["reason"])
        dropped.add_metric(["check"], max(0, total.frames_dropped - total.frames_oversize - total.frames_expired))
        dropped.add_metric(["oversize"], total.frames_oversize)
        dropped.add_metric(["expired"], total.frames_expired)
        yield dropped

    def _device_metrics(self) -> Iterator[Metric]:
        devices = self.lab.fleet.devices
        count, types = self._types
        if count != len(devices):
            try:
                types = Tally(d.device_type for d in list(devices.values()))
                self._types = (len(devices), types)
            except RuntimeError:  # the fleet changed while being counted: keep the last count
                pass
        family = GaugeMetricFamily("smets_devices", "Devices of the fleet, by type", labels=["type"])
        for name, n in sorted(types.items()):
            family.add_metric([name], n)
        yield family
        info = GaugeMetricFamily("smets_build_info", "The emulator's version", labels=["version"])
        info.add_metric([smets_emu.__version__], 1)
        yield info

    def _store_metrics(self) -> Iterator[Metric]:
        snap = self.snapshot
        if snap.store_bytes:
            size = GaugeMetricFamily("smets_store_size_bytes", "Size of the state store files", labels=["file"])
            for name, n in snap.store_bytes.items():
                size.add_metric([name], n)
            yield size
        if snap.outbox_rows is not None:
            yield GaugeMetricFamily("smets_store_outbox_rows", "Messages kept in the state store's outbox",
                                    value=snap.outbox_rows)


class LabMetrics:
    """The metrics of one lab: its registry, the front observers and the scrape-time collector."""

    def __init__(self, lab: Lab, runtime: Runtime | None = None, fronts: Mapping[str, WanFront] | None = None) -> None:
        self.registry = CollectorRegistry()
        self.wire = WireMetrics(self.registry, lab.fleet.devices)
        self.collector = LabCollector(lab, runtime, fronts or {})
        self.registry.register(self.collector)
        ProcessCollector(namespace="smets", registry=self.registry)
        self.duis = Counter("smets_duis_requests", "DUIS requests answered by POST /duis, by SRV and response code",
                            ["srv", "response_code"], registry=self.registry)
        self._srvs = SUPPORTED_SRVS
        self._handles: list[ObserverHandle] = [front.observe(self.wire) for front in (fronts or {}).values()]

    def close(self) -> None:
        """Stop observing the fronts."""
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()

    def duis_answered(self, answer: bytes) -> None:
        """Count one DUIS response (the XML ``POST /duis`` answered with)."""
        try:
            response = parse_response(answer)
        except (SmetsError, ValueError) as exc:
            log.warning("metrics: DUIS answer not counted: %s", exc)
            return
        srv = response.service_reference_variant
        label = "none" if not srv else srv if srv in self._srvs else "other"
        self.duis.labels(label, response.response_code.value).inc()

    async def render(self) -> bytes:
        """The exposition text of every metric."""
        await self.collector.refresh()
        return generate_latest(self.registry)


METRICS_KEY: web.AppKey[LabMetrics] = web.AppKey("metrics", LabMetrics)


async def get_metrics(request: web.Request) -> web.Response:
    """``GET /metrics``: the lab's metrics in the Prometheus text exposition format."""
    body = await request.app[METRICS_KEY].render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})
