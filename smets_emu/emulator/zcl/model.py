"""The generic ZigBee object model of a GSME or GPF: clusters, attributes, tables and faults.

Everything lives in ``DeviceState.objects`` as JSON (GBCS 7.5 payloads read and write it)::

    {"clusters": {"0702": {"0302": {"type": "UINT24", "value": 1000, "access": "r"}, ...}, ...},
     "tables":   {"snapshots": [...], "samples": [...], "calendars": {...}, ...},
     "faults":   {"attributes": {"0702/0302": "HARDWARE_FAILURE"}, "commands": {"0705/05": "HARDWARE_FAILURE"}},
     "clock":    {"status": "reliable"}}

A device with a consumption model (GSME) computes its consumption registers, block and TOU
registers and historical consumption attributes on read at the model's ``now``
(:mod:`.metering_registers`); the stored entry then only declares the attribute and its type.
Attribute keys are 4-digit upper-case hex; ``type`` is a :class:`ZclDataType` name and ``access``
is ``"r"`` (read only) or ``"rw"``. Tables hold the logs and pushed configuration the cluster
commands answer from (SE 1.4 Annex D). Faults let a lab make the device fail a read or a command
with a ZCL status, as a real meter reports a hardware failure (ZCL 2.5.3).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.zcl.metering_registers import computed_attribute
from smets_emu.protocols.payloads.zcl import ZclDataType, ZclStatus

METERING, PRICE, MESSAGING, PREPAYMENT, CALENDAR, DEVICE_MANAGEMENT, EVENTS, BASIC = (
    0x0702, 0x0700, 0x0703, 0x0705, 0x0707, 0x0708, 0x0709, 0x0000,
)

FIRMWARE_VERSION_ATTRIBUTE = (METERING, 0x0206)
"""GCS38 reads the firmware version as Metering attribute 0x0206 (digest 5.12), from ``state.firmware``."""

DEFAULT_FIRMWARE_VERSION = "0123ABCD"
"""Firmware version (4 bytes) reported when ``state.firmware`` names none."""


def key(number: int) -> str:
    """The 4-digit hex key of a cluster or attribute id."""
    return f"{number:04X}"


def command_key(cluster_id: int, command_id: int) -> str:
    """Fault key of a cluster command: ``CCCC/NN``."""
    return f"{cluster_id:04X}/{command_id:02X}"


def attribute_key(cluster_id: int, attribute_id: int) -> str:
    """Fault key of an attribute: ``CCCC/AAAA``."""
    return f"{cluster_id:04X}/{attribute_id:04X}"


@dataclass(frozen=True)
class AttributeRead:
    """Outcome of reading one attribute: a status, and type and value on success (ZCL 2.5.2)."""

    attribute_id: int
    status: ZclStatus
    type: str | None = None
    value: Any = None

    def record(self) -> dict[str, Any]:
        """The Read Attributes Response record."""
        if self.status is ZclStatus.SUCCESS:
            return {"attribute_id": self.attribute_id, "status": "SUCCESS", "type": self.type, "value": self.value}
        return {"attribute_id": self.attribute_id, "status": self.status.name, "type": None, "value": None}


class ZclModel:
    """View of ``state.objects`` as clusters, attributes, tables and injected faults."""

    def __init__(self, state: DeviceState, now: dt.datetime | None = None) -> None:
        self.state = state
        self.objects = state.objects
        self.now = now  # reads of metering registers are computed at this time (None: the stored values)

    # -- attributes -------------------------------------------------------------------------

    @property
    def clusters(self) -> dict[str, dict[str, dict[str, Any]]]:
        return self.objects.setdefault("clusters", {})

    def attribute(self, cluster_id: int, attribute_id: int) -> dict[str, Any] | None:
        """The stored attribute entry, or None."""
        return self.clusters.get(key(cluster_id), {}).get(key(attribute_id))

    def read(self, cluster_id: int, attribute_id: int) -> AttributeRead:
        """Read one attribute: injected fault, unsupported attribute (0x86) or its type and value."""
        fault = self.attribute_fault(cluster_id, attribute_id)
        if fault is not None:
            return AttributeRead(attribute_id, fault)
        if (cluster_id, attribute_id) == FIRMWARE_VERSION_ATTRIBUTE:
            version = str(self.state.firmware.get("version") or DEFAULT_FIRMWARE_VERSION)
            return AttributeRead(attribute_id, ZclStatus.SUCCESS, "OCTET_STRING", version.upper())
        entry = self.attribute(cluster_id, attribute_id)
        if entry is None:
            return AttributeRead(attribute_id, ZclStatus.UNSUPPORTED_ATTRIBUTE)
        if self.now is not None:
            value = computed_attribute(self.state, cluster_id, attribute_id, entry["type"], self.now)
            if value is not None:
                return AttributeRead(attribute_id, ZclStatus.SUCCESS, entry["type"], value)
        return AttributeRead(attribute_id, ZclStatus.SUCCESS, entry["type"], entry["value"])

    def write(self, cluster_id: int, attribute_id: int, value: Any, type_name: str | None = None) -> ZclStatus:
        """Write Attributes semantics (ZCL 2.5.3): unsupported, read-only, type mismatch or success."""
        entry = self.attribute(cluster_id, attribute_id)
        if entry is None:
            return ZclStatus.UNSUPPORTED_ATTRIBUTE
        if entry.get("access", "r") != "rw":
            return ZclStatus.READ_ONLY
        if type_name is not None and type_name != entry["type"]:
            return ZclStatus.INVALID_DATA_TYPE
        entry["value"] = value
        return ZclStatus.SUCCESS

    def set(self, cluster_id: int, attribute_id: int, value: Any, type_name: str | None = None) -> None:
        """Update an attribute from device behaviour (no access check); creates it when a type is given."""
        entry = self.attribute(cluster_id, attribute_id)
        if entry is None:
            if type_name is None:
                return
            entry = self.clusters.setdefault(key(cluster_id), {})[key(attribute_id)] = {
                "type": type_name, "value": value, "access": "r",
            }
        entry["value"] = value

    def get(self, cluster_id: int, attribute_id: int, default: Any = None) -> Any:
        """An attribute value, or *default* when absent."""
        entry = self.attribute(cluster_id, attribute_id)
        return default if entry is None else entry["value"]

    # -- tables ------------------------------------------------------------------------------

    @property
    def tables(self) -> dict[str, Any]:
        return self.objects.setdefault("tables", {})

    def table(self, name: str) -> list[Any]:
        """A list table (logs), created empty when absent."""
        return self.tables.setdefault(name, [])

    def mapping(self, name: str) -> dict[str, Any]:
        """A dict table (configuration), created empty when absent."""
        return self.tables.setdefault(name, {})

    # -- faults ------------------------------------------------------------------------------

    @property
    def faults(self) -> dict[str, dict[str, str]]:
        return self.objects.setdefault("faults", {})

    def attribute_fault(self, cluster_id: int, attribute_id: int) -> ZclStatus | None:
        """The status an injected fault makes this attribute read return, if any."""
        name = self.faults.get("attributes", {}).get(attribute_key(cluster_id, attribute_id))
        return _status(name)

    def command_fault(self, cluster_id: int, command_id: int, sequence_number: int | None = None) -> ZclStatus | None:
        """The status an injected fault makes this cluster command return, if any.

        A fault keyed ``CCCC/NN@S`` hits only the component with transaction sequence number S.
        """
        faults = self.faults.get("commands", {})
        name = None
        if sequence_number is not None:
            name = faults.get(f"{command_key(cluster_id, command_id)}@{sequence_number}")
        return _status(name or faults.get(command_key(cluster_id, command_id)))

    def inject_attribute_fault(self, cluster_id: int, attribute_id: int, status: ZclStatus) -> None:
        """Make reads of an attribute fail with *status*."""
        self.faults.setdefault("attributes", {})[attribute_key(cluster_id, attribute_id)] = status.name

    def inject_command_fault(
        self, cluster_id: int, command_id: int, status: ZclStatus, sequence_number: int | None = None
    ) -> None:
        """Make a cluster command (or only its component with *sequence_number*) fail with *status*."""
        name = command_key(cluster_id, command_id)
        if sequence_number is not None:
            name = f"{name}@{sequence_number}"
        self.faults.setdefault("commands", {})[name] = status.name

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self.objects["faults"] = {}

    # -- clock ----------------------------------------------------------------------------

    @property
    def clock(self) -> dict[str, Any]:
        return self.objects.setdefault("clock", {"status": "reliable"})


def _status(name: str | None) -> ZclStatus | None:
    if name is None:
        return None
    try:
        return ZclStatus[name]
    except KeyError:
        return ZclStatus.FAILURE


def type_of(name: str) -> ZclDataType:
    """The data type named in the model."""
    return ZclDataType[name]
