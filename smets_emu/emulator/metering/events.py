"""Device events a lab schedules: power outage and restore, tamper, over-current, low battery.

A fleet file or the control plane (``POST /devices/{eui}/events``) schedules an event of a
:data:`EVENT_KINDS` kind at a lab time. The schedule is kept in the device state
(``state.objects["metering"]["events"]``: ``{"scheduled": [...], "log": [...], "outage": ISO}``)
so it survives a restart; :class:`DeviceEvents` is due at the earliest scheduled event and, when
its time has come, logs each event in the device's event log and raises the alert GBCS gives it
(GBCS 7.2.9 alerts; alert codes: digest Appendix C):

- ``power-outage`` (ESME): the supply is lost; the meter cannot send, it records when the outage began;
- ``power-restore`` (ESME): supply back; an outage of 3 minutes or more raises ECS80 (0x0067, alert
  code 0x8F36 "Supply Outage Restored", signed, to the network operator) with its start and end;
- ``tamper`` (ESME, GSME): 0x8F3F "Unauthorised Physical Access - Tamper Detect", a generic
  critical alert (0x1000, signed), also written to the security log;
- ``over-current`` (ESME): 0x8F35, a generic non-critical alert (0x1001, MAC) - the code is the
  lab's choice, the digest's alert table does not list an over-current code (unconfirmed);
- ``low-battery`` (GSME): 0x8F1F "Low Battery Capacity", a generic non-critical alert (0x1001, MAC).

Hostile input is refused with an :class:`~smets_emu.errors.InputError`: an unknown kind, a kind the
device type does not have, a time outside what devices represent, more than
:data:`MAX_SCHEDULED` events waiting.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from smets_emu.emulator.anchors import CellKeyUsage, Role
from smets_emu.emulator.component import ALWAYS, Component
from smets_emu.emulator.cosem.model import now_dlms
from smets_emu.emulator.device import AlertSpec, Outcome
from smets_emu.emulator.kernel.messages import GENERIC_CRITICAL_ALERT, GENERIC_NON_CRITICAL_ALERT
from smets_emu.emulator.kernel.outbound import event_alert_spec, generic_alert_payload
from smets_emu.emulator.metering.config import METERING_KEY
from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.zcl.profiles import apply_profile
from smets_emu.errors import InputError, SmetsError
from smets_emu.protocols.payloads.dlms_data import (
    CompactArrayData,
    DataTag,
    IntegerData,
    OctetStringData,
    StructureData,
    TypeDescription,
)
from smets_emu.protocols.timestamps import datetime_to_gbz_seconds

log = logging.getLogger(__name__)

EVENTS_KEY = "events"
MAX_SCHEDULED = 100
"""Events a device may have waiting (more is refused: a schedule is not a place to store a load test)."""
LOG_LIMIT = 200
"""Event log entries a device keeps (the newest)."""
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2099, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
"""Event times devices can carry (GBZ seconds since 2000 and DLMS date-times): outside is refused."""
OUTAGE_ALERT_MINIMUM = dt.timedelta(minutes=3)
SUPPLY_RESTORED_ALERT = 0x0067  # ECS80
SUPPLY_RESTORED = 0x8F36
GSME_EVENT_LOG, GSME_SECURITY_LOG = "3", "4"
"""ZCL Events cluster log ids the GSME answers Get Event Log from (general, security)."""


@dataclass(frozen=True, slots=True)
class EventKind:
    """What one kind of event is: where it exists, the alert code it logs and raises, and how it is sent."""

    name: str
    device_types: frozenset[str]
    alert_code: int | None  # None: logged only (the ESME has no supply to send with)
    critical: bool = False
    security: bool = False


EVENT_KINDS: dict[str, EventKind] = {k.name: k for k in (
    EventKind("power-outage", frozenset({"ESME"}), None),
    EventKind("power-restore", frozenset({"ESME"}), SUPPLY_RESTORED, critical=True),
    EventKind("tamper", frozenset({"ESME", "GSME"}), 0x8F3F, critical=True, security=True),
    EventKind("over-current", frozenset({"ESME"}), 0x8F35),
    EventKind("low-battery", frozenset({"GSME"}), 0x8F1F),
)}


@dataclass(frozen=True, slots=True)
class ScheduledEvent:
    """An event waiting for its time."""

    kind: str
    at: dt.datetime
    ident: int

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "at": self.at.isoformat(), "id": self.ident}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScheduledEvent:
        return cls(str(data["kind"]), dt.datetime.fromisoformat(data["at"]), int(data.get("id", 0)))


def parse_time(value: Any, default: dt.datetime) -> dt.datetime:
    """An ISO 8601 time from outside (naive means UTC), *default* when None; :class:`InputError` otherwise."""
    if value is None:
        return default
    if not isinstance(value, str) or len(value) > 64:
        raise InputError("an event time must be an ISO 8601 string such as 2026-01-01T12:00:00Z")
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise InputError(f"not an ISO 8601 time: {value[:64]!r}") from None
    when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
    if not EARLIEST <= when <= LATEST:
        raise InputError(f"an event time must lie in {EARLIEST.isoformat()} .. {LATEST.isoformat()}")
    return when


def _group(state: DeviceState) -> dict[str, Any]:
    return (state.objects_view().get(METERING_KEY) or {}).get(EVENTS_KEY) or {}


def _writable(state: DeviceState) -> dict[str, Any]:
    group = state.object_for_write(METERING_KEY, EVENTS_KEY)
    if group is None:
        group = {"scheduled": [], "log": []}
        state.put_object(METERING_KEY, EVENTS_KEY, group)
    return group


def scheduled_events(state: DeviceState) -> list[ScheduledEvent]:
    """The events waiting, earliest first."""
    events = [ScheduledEvent.from_json(e) for e in _group(state).get("scheduled", [])]
    return sorted(events, key=lambda e: (e.at, e.ident))


def event_log(state: DeviceState) -> list[dict[str, Any]]:
    """The events that happened, oldest first: ``{"kind", "at", "alert_code", "detail"}``."""
    return list(_group(state).get("log", []))


def schedule_event(state: DeviceState, kind: str, at: dt.datetime) -> ScheduledEvent:
    """Schedule an event on a working copy; :class:`InputError` for what the device cannot have."""
    spec = EVENT_KINDS.get(kind) if isinstance(kind, str) else None
    if spec is None:
        raise InputError(f"unknown event kind {str(kind)[:40]!r} (one of: {', '.join(EVENT_KINDS)})")
    if state.device_type not in spec.device_types:
        kinds = ", ".join(sorted(spec.device_types))
        raise InputError(f"a {state.device_type} has no {kind} event (it is for {kinds})")
    if not EARLIEST <= at <= LATEST:
        raise InputError(f"an event time must lie in {EARLIEST.isoformat()} .. {LATEST.isoformat()}")
    group = _writable(state)
    waiting = group.setdefault("scheduled", [])
    if len(waiting) >= MAX_SCHEDULED:
        raise InputError(f"{state.eui.hex().upper()} already has {MAX_SCHEDULED} events scheduled")
    ident = int(group.get("next_id", 1))
    group["next_id"] = ident + 1
    event = ScheduledEvent(kind, at, ident)
    waiting.append(event.to_json())
    return event


class DeviceEvents(Component):
    """Scheduled device events: due at the earliest, each logged and alerted at its own time (GBCS 7.2.9)."""

    def next_due(self, state: DeviceState) -> dt.datetime | None:
        waiting = _group(state).get("scheduled")
        if not waiting:
            return None
        try:
            return min(dt.datetime.fromisoformat(e["at"]) for e in waiting)
        except (KeyError, TypeError, ValueError):
            return ALWAYS  # unreadable: due now, :meth:`due` drops it

    def due(self, state: DeviceState, now: dt.datetime) -> Outcome | None:
        when = self.next_due(state)
        if when is None or when > now:
            return None
        work = state.clone()
        group = _writable(work)
        ready, later = [], []
        for entry in group.get("scheduled", []):
            try:
                event = ScheduledEvent.from_json(entry)
            except (KeyError, TypeError, ValueError):
                log.info("device %s: unreadable scheduled event dropped: %r", state.eui.hex().upper(), entry)
                continue
            (ready if event.at <= now else later).append(event)
        group["scheduled"] = [e.to_json() for e in later]
        sent = []
        for event in sorted(ready, key=lambda e: (e.at, e.ident)):
            spec = self.happen(work, group, event)
            if spec is None:
                continue
            try:
                sent.append(self.device.build_alert(work, spec, event.at))
            except SmetsError as exc:
                log.info("device %s: %s alert not sent: %s", state.eui.hex().upper(), event.kind, exc)
        del group["log"][:-LOG_LIMIT]
        return Outcome(work, sent, accepted=True, reason=", ".join(f"{e.kind} event" for e in ready))

    def happen(self, state: DeviceState, group: dict[str, Any], event: ScheduledEvent) -> AlertSpec | None:
        """Log *event* in the device's event log and the alert it raises (None: logged only)."""
        kind = EVENT_KINDS.get(event.kind)
        if kind is None or state.device_type not in kind.device_types:
            return None
        entry: dict[str, Any] = {"kind": event.kind, "at": event.at.isoformat(), "alert_code": kind.alert_code}
        spec: AlertSpec | None = None
        if event.kind == "power-outage":
            group.setdefault("outage", event.at.isoformat())
        elif event.kind == "power-restore":
            began = group.pop("outage", None)
            spec, entry["detail"] = self._restored(state, began, event.at)
            if began is not None:
                entry["outage_seconds"] = int((event.at - dt.datetime.fromisoformat(began)).total_seconds())
        else:
            spec = self._generic(kind, event.at)
        group.setdefault("log", []).append(entry)
        code = kind.alert_code
        if kind.security and code is not None:
            state.log_security_event(code, event.at.isoformat(), f"{event.kind} event")
        if state.device_type == "GSME" and code is not None:
            self._zcl_log(state, GSME_SECURITY_LOG if kind.security else GSME_EVENT_LOG, code, event.at)
        return spec

    def _generic(self, kind: EventKind, at: dt.datetime) -> AlertSpec:
        """A generic alert carrying the event's alert code (0x1000 signed / 0x1001 MAC; digest 5.13)."""
        assert kind.alert_code is not None
        message_code = GENERIC_CRITICAL_ALERT if kind.critical else GENERIC_NON_CRITICAL_ALERT
        return AlertSpec(message_code, generic_alert_payload(self.device.payload_family, kind.alert_code, at),
                         kind.critical)

    def _restored(self, state: DeviceState, began: str | None, at: dt.datetime) -> tuple[AlertSpec | None, str]:
        """ECS80 for an outage of 3 minutes or more, to the network operator (digest 5.13)."""
        if began is None:
            return None, "no outage in progress"
        start = dt.datetime.fromisoformat(began)
        if at - start < OUTAGE_ALERT_MINIMUM:
            return None, f"outage of {int((at - start).total_seconds())} s: no alert"
        operator = self.device.find_cell(state, Role.NETWORK_OPERATOR, CellKeyUsage.KEY_AGREEMENT)
        items = (now_dlms(start), now_dlms(at))
        recipient = operator.subject_id if operator is not None else None
        spec = event_alert_spec(SUPPLY_RESTORED_ALERT, SUPPLY_RESTORED, items, at, critical=True, recipient=recipient)
        return spec, f"outage from {start.isoformat()}"

    @staticmethod
    def _zcl_log(state: DeviceState, log_id: str, code: int, at: dt.datetime) -> None:
        """Append to the GSME's ZCL event log the Events cluster answers from (SE 1.4 D.11)."""
        apply_profile(state)
        tables = state.objects.setdefault("tables", {})
        rows = tables.setdefault("event_logs", {}).setdefault(log_id, [])
        rows.append({"data": "", "event_id": code, "time": datetime_to_gbz_seconds(at)})
        del rows[:-LOG_LIMIT]


EVENT_LOG, POWER_EVENT_LOG = "0-0:99.98.0.255", "0-0:99.98.4.255"
"""The ESME Event Log (ECS35a) and Power Event Log (ECS35e) profiles (GBCS 5.11 / digest 5.11)."""
_EVENT_COLUMNS = (DataTag.DOUBLE_LONG_UNSIGNED, DataTag.LONG_UNSIGNED, DataTag.OCTET_STRING)
_POWER_COLUMNS = (DataTag.DOUBLE_LONG_UNSIGNED, DataTag.LONG_UNSIGNED, DataTag.DOUBLE_LONG_UNSIGNED)


def logged_buffer(state: DeviceState, obis: str, description: TypeDescription, low: dt.datetime,
                  high: dt.datetime) -> CompactArrayData | None:
    """The ESME Event Log / Power Event Log buffer from the events the device logged in [low, high].

    Event Log entries: (capture time, event code, no data); Power Event Log entries: (time supply came
    back, 0x8F36, outage seconds). None for other profiles or another entry type.
    """
    columns = tuple(e.tag for e in description.elements)
    if obis == EVENT_LOG and columns == _EVENT_COLUMNS:
        rows = [(e["at"], e["alert_code"], None) for e in event_log(state) if e.get("alert_code") is not None]
    elif obis == POWER_EVENT_LOG and columns == _POWER_COLUMNS:
        rows = [(e["at"], e["alert_code"], e["outage_seconds"]) for e in event_log(state)
                if e.get("kind") == "power-restore" and e.get("outage_seconds") is not None]
    else:
        return None
    entries = []
    for at, code, seconds in rows:
        when = dt.datetime.fromisoformat(at)
        if not low <= when <= high:
            continue
        third = OctetStringData(b"") if seconds is None else IntegerData(DataTag.DOUBLE_LONG_UNSIGNED,
                                                                         min(int(seconds), 0xFFFFFFFF))
        entries.append(StructureData((IntegerData(DataTag.DOUBLE_LONG_UNSIGNED, datetime_to_gbz_seconds(when)),
                                      IntegerData(DataTag.LONG_UNSIGNED, int(code) & 0xFFFF), third)))
    return CompactArrayData(description, tuple(entries))
