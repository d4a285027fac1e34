"""The generic COSEM object model of DLMS devices (ESME, CHF) over ``DeviceState.objects`` (GBCS 5.11).

Objects are keyed ``"<class id>/<OBIS>"``; each holds its
attributes (the JSON form of a DLMS Data value and an access right), the method ids it
supports and, for Profile generic (class 7) objects, the type of a buffer entry. Buffers are
generated from the capture period over the requested range, so a device answers range reads
for any period without storing every entry.

The device profile (:mod:`smets_emu.emulator.cosem.profiles`) is shared by every device of that
profile; ``state.objects["cosem"]`` holds only the objects a device has changed (copied from
the profile on first write), so a stored device state stays small.

Injected faults (``state.objects["cosem_faults"]``) let a test lab make one attribute or method
answer with a given data-access-result or action-result, e.g. ``hardware-fault``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from smets_emu.emulator.cosem.profiles import shared_profile_objects
from smets_emu.emulator.state import DeviceState, copy_tree
from smets_emu.errors import EncodeError, FrameError
from smets_emu.protocols.payloads.dlms import DataAccessResult, ObisCode
from smets_emu.protocols.payloads.dlms_data import (
    ArrayData,
    BitStringData,
    BooleanData,
    CompactArrayData,
    DataTag,
    DlmsData,
    IntegerData,
    NullData,
    OctetStringData,
    StringData,
    StructureData,
    TypeDescription,
)
from smets_emu.protocols.timestamps import GBCS_EPOCH, DlmsDateTime

COSEM_KEY = "cosem"
FAULTS_KEY = "cosem_faults"
CLOCK_OFFSET_KEY = "cosem_clock_offset"
DEFAULT_CAPTURE_PERIOD = 1800
MAX_BUFFER_ENTRIES = 31 * 48 + 1
"""Most entries one range read returns: a 31-day month of half-hourly captures and the one closing it."""


def object_key(class_id: int, obis: ObisCode | str) -> str:
    """Key of an object in the model: ``"<class id>/<A-B:C.D.E.F>"``."""
    return f"{class_id}/{obis}"


def fault_key(kind: str, class_id: int, obis: ObisCode | str, member: int) -> str:
    """Key of an injected fault: kind ``get``/``set``/``action``, the object and attribute or method id."""
    return f"{kind}:{class_id}/{obis}/{member}"


def capture_span(low: dt.datetime, high: dt.datetime, period: int) -> tuple[int, int]:
    """The first capture time (GBCS UTC seconds, a multiple of *period*) in [low, high] and how many captures there
    are, at most :data:`MAX_BUFFER_ENTRIES` (none when *high* is before *low*)."""
    first = -(-int((low - GBCS_EPOCH).total_seconds()) // period) * period
    last = int((high - GBCS_EPOCH).total_seconds())
    return first, max(0, min((last - first) // period + 1, MAX_BUFFER_ENTRIES))


def clock_offset(state: DeviceState) -> dt.timedelta:
    """How far the device clock is set from the lab clock (ECS70 and the Clock object; GBCS 5.11)."""
    return dt.timedelta(seconds=float(state.objects_view().get(CLOCK_OFFSET_KEY, 0)))


def now_dlms(value: dt.datetime) -> DlmsData:
    """A date-time as the 12-byte octet string COSEM uses."""
    return OctetStringData(DlmsDateTime.from_datetime(value).to_bytes())


def parse_date_time(raw: bytes) -> dt.datetime | None:
    """A COSEM date-time as an aware UTC datetime; None when any field is 'not specified'."""
    if len(raw) != 12:
        return None
    try:
        return DlmsDateTime.from_bytes(raw).to_datetime()
    except Exception:  # construct errors on odd bytes: treat as not a time
        return None


def compatible(template: DlmsData | None, value: DlmsData) -> bool:
    """True when *value* may replace *template* (same DLMS type tree; array lengths may differ)."""
    if template is None or isinstance(template, NullData):
        return True
    if template.tag != value.tag:
        return False
    if isinstance(template, StructureData) and isinstance(value, StructureData):
        return len(template.items) == len(value.items) and all(
            compatible(t, v) for t, v in zip(template.items, value.items, strict=True)
        )
    if isinstance(template, ArrayData) and isinstance(value, ArrayData):
        if not template.items:
            return True
        return all(any(compatible(t, v) for t in template.items) for v in value.items)
    if isinstance(template, CompactArrayData) and isinstance(value, CompactArrayData):
        return template.description == value.description
    return True


def default_value(desc: TypeDescription, seed: int = 0) -> DlmsData:
    """A value of type *desc*; integers vary with *seed* so generated profiles look like readings."""
    tag = desc.tag
    if tag == DataTag.STRUCTURE:
        return StructureData(tuple(default_value(e, seed + i) for i, e in enumerate(desc.elements)))
    if tag == DataTag.ARRAY:
        return ArrayData(tuple(default_value(desc.elements[0], seed + i) for i in range(desc.count)))
    if tag in (DataTag.DOUBLE_LONG_UNSIGNED, DataTag.LONG_UNSIGNED, DataTag.UNSIGNED, DataTag.LONG64_UNSIGNED):
        return IntegerData(tag, (seed * 37 + 11) % 250)
    if tag in (DataTag.DOUBLE_LONG, DataTag.LONG, DataTag.INTEGER, DataTag.LONG64):
        return IntegerData(tag, (seed * 13) % 100)
    if tag == DataTag.ENUM:
        return IntegerData(tag, 0)
    if tag == DataTag.BOOLEAN:
        return BooleanData(0)
    if tag == DataTag.OCTET_STRING:
        return OctetStringData(b"")
    if tag == DataTag.BIT_STRING:
        return BitStringData(0, b"")
    if tag in (DataTag.VISIBLE_STRING, DataTag.UTF8_STRING):
        return StringData(tag, b"")
    try:
        return IntegerData(tag, 0)
    except (ValueError, TypeError):
        return NullData()


class CosemModel:
    """The COSEM objects of one device, read and written through its (working) state."""

    def __init__(self, state: DeviceState) -> None:
        self.state = state
        self._profile = shared_profile_objects(state.device_type, state.profile)

    @property
    def _own(self) -> dict[str, dict[str, Any]]:
        """The objects this device changed, for reading only (a GET copies nothing)."""
        own: dict[str, dict[str, Any]] = self.state.objects_view().get(COSEM_KEY) or {}
        return own

    # -- objects and attributes ------------------------------------------------------

    @property
    def objects(self) -> dict[str, dict[str, Any]]:
        """Every object of the device keyed ``"<class id>/<OBIS>"`` (a read-only view)."""
        return {**self._profile, **self._own}

    def get_object(self, class_id: int, obis: ObisCode | str, *, write: bool = False) -> dict[str, Any] | None:
        """The object, or None when the device has none; ask with *write* before changing it."""
        key = object_key(class_id, obis)
        if write:  # this object alone becomes the working copy's own (GBCS SET/ACTION)
            own = self.state.object_for_write(COSEM_KEY, key)
            if own is not None:
                return own
            shared = self._profile.get(key)
            if shared is None:
                return None
            copied = copy_tree(shared)
            self.state.put_object(COSEM_KEY, key, copied)
            return copied
        own = self._own.get(key)
        return own if own is not None else self._profile.get(key)

    def add_object(self, class_id: int, obis: ObisCode | str, attributes: dict[int, tuple[DlmsData, str]],
                   methods: tuple[int, ...] = ()) -> dict[str, Any]:
        """Create (or replace) an object with attributes ``{id: (value, access)}``."""
        obj = {
            "class_id": class_id,
            "obis": str(obis),
            "attributes": {str(a): {"value": v.to_json(), "access": acc} for a, (v, acc) in attributes.items()},
            "methods": sorted(methods),
        }
        self.state.put_object(COSEM_KEY, object_key(class_id, obis), obj)
        return obj

    @staticmethod
    def has_attribute(obj: dict[str, Any], attribute_id: int) -> bool:
        """True when the object defines the attribute (attribute 1, the logical name, always exists)."""
        return attribute_id == 1 or str(attribute_id) in obj["attributes"] or (
            attribute_id == 2 and "buffer" in obj
        )

    @staticmethod
    def writable(obj: dict[str, Any], attribute_id: int) -> bool:
        """True when a remote party may write the attribute."""
        attr = obj["attributes"].get(str(attribute_id))
        return attr is not None and "w" in attr.get("access", "r")

    @staticmethod
    def stored_value(obj: dict[str, Any], attribute_id: int) -> DlmsData | None:
        """The stored value of an attribute (None when undefined or not yet set)."""
        if attribute_id == 1:
            return OctetStringData(ObisCode.parse(obj["obis"]).to_bytes())
        attr = obj["attributes"].get(str(attribute_id))
        if attr is None or attr.get("value") is None:
            return None
        try:
            return DlmsData.from_json(attr["value"])
        except EncodeError:
            return None

    @staticmethod
    def store(obj: dict[str, Any], attribute_id: int, value: DlmsData, access: str | None = None) -> None:
        """Store an attribute value (keeping its access right)."""
        attr = obj["attributes"].setdefault(str(attribute_id), {"value": None, "access": access or "r"})
        attr["value"] = value.to_json()
        if access is not None:
            attr["access"] = access

    def read_value(self, class_id: int, obis: ObisCode | str, attribute_id: int) -> DlmsData | None:
        """Convenience: the stored value of an attribute of an object."""
        obj = self.get_object(class_id, obis)
        return None if obj is None else self.stored_value(obj, attribute_id)

    def write_value(self, class_id: int, obis: ObisCode | str, attribute_id: int, value: DlmsData) -> bool:
        """Convenience: store a value in an existing object; False when the object is missing."""
        obj = self.get_object(class_id, obis, write=True)
        if obj is None:
            return False
        self.store(obj, attribute_id, value)
        return True

    # -- faults ---------------------------------------------------------------------------

    def inject_fault(self, kind: str, class_id: int, obis: ObisCode | str, member: int,
                     result: int = int(DataAccessResult.HARDWARE_FAULT)) -> None:
        """Make a GET/SET of an attribute or an ACTION of a method fail with *result* until cleared."""
        self.state.objects.setdefault(FAULTS_KEY, {})[fault_key(kind, class_id, obis, member)] = int(result)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self.state.objects.pop(FAULTS_KEY, None)

    def fault(self, kind: str, class_id: int, obis: ObisCode | str, member: int) -> int | None:
        """The injected result code for an access, if any."""
        faults = self.state.objects_view().get(FAULTS_KEY)
        if not faults:
            return None
        value = faults.get(fault_key(kind, class_id, obis, member))
        return None if value is None else int(value)

    # -- clock ------------------------------------------------------------------------------

    def device_time(self, now: dt.datetime) -> dt.datetime:
        """The device clock: the lab time plus the offset set through the Clock object."""
        return now + clock_offset(self.state)

    def set_device_time(self, now: dt.datetime, value: dt.datetime) -> None:
        """Move the device clock to *value* at lab time *now*."""
        self.state.objects[CLOCK_OFFSET_KEY] = (value - now).total_seconds()

    # -- profile buffers ---------------------------------------------------------------------

    def read_window(self, spec: dict[str, Any], now: dt.datetime, low: dt.datetime | None,
                    high: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
        """The [low, high] of a buffer read in device time: never past the device's clock nor before the buffer's
        last reset; the last day when no range is given (range selective access, GBCS 5.11)."""
        end = self.device_time(now)
        high = min(high, end) if high is not None else end
        low = low if low is not None else high - dt.timedelta(days=1)
        reset = spec.get("reset_at")
        if reset:
            low = max(low, dt.datetime.fromisoformat(reset))
        return low, high

    def buffer_entries(self, obj: dict[str, Any], now: dt.datetime, low: dt.datetime | None = None,
                       high: dt.datetime | None = None) -> DlmsData:
        """Buffer entries captured in ``[low, high]`` (default: the last day), as a compact array.

        The first column is the capture time (UTC seconds since 2000 for a double-long-unsigned,
        a COSEM date-time for an octet string); the other columns come from the entry type.
        Entries before the last ``reset`` of the buffer and after the device time do not exist.
        The metering profiles and logs of an ESME come from its consumption model
        (:func:`~smets_emu.emulator.cosem.metering_objects.metered_buffer`).
        """
        from smets_emu.emulator.cosem.metering_logs import metered_buffer

        metered = metered_buffer(self, obj, now, low, high)
        if metered is not None:
            return metered
        spec = obj["buffer"]
        desc = TypeDescription.from_json(spec["description"])
        period = self._capture_period(obj)
        low, high = self.read_window(spec, now, low, high)
        from smets_emu.emulator.metering.events import logged_buffer

        logged = logged_buffer(self.state, obj["obis"], desc, low, high)  # ECS35a / ECS35e: the events logged
        if logged is not None:
            return logged if spec.get("compact", True) else ArrayData(logged.items)
        first, count = capture_span(low, high, period)
        entries = [self._entry(desc, first + n * period, period) for n in range(count)]
        if spec.get("compact", True):
            return CompactArrayData(desc, tuple(entries))
        return ArrayData(tuple(entries))

    def _capture_period(self, obj: dict[str, Any]) -> int:
        value = self.stored_value(obj, 4)
        if isinstance(value, IntegerData) and value.value > 0:
            return value.value
        return int(obj["buffer"].get("period", DEFAULT_CAPTURE_PERIOD))

    @staticmethod
    def _entry(desc: TypeDescription, stamp: int, period: int) -> DlmsData:
        seed = stamp // period
        if desc.tag != DataTag.STRUCTURE or not desc.elements:
            return default_value(desc, seed)
        head = desc.elements[0]
        if head.tag == DataTag.OCTET_STRING:
            first: DlmsData = now_dlms(GBCS_EPOCH + dt.timedelta(seconds=stamp))
        else:
            first = IntegerData(head.tag, stamp) if head.tag in (
                DataTag.DOUBLE_LONG_UNSIGNED, DataTag.LONG64_UNSIGNED) else default_value(head, seed)
        rest = tuple(default_value(e, seed + i) for i, e in enumerate(desc.elements[1:], start=1))
        return StructureData((first, *rest))


def selection_bounds(selector: int | None, parameters: DlmsData | None) -> tuple[dt.datetime | None,
                                                                               dt.datetime | None] | None:
    """The time range of a range selection (Blue Book class 7 selector 1, or the GBCS (from, to) pair).

    Returns None when the selection cannot be understood.
    """
    if parameters is None or isinstance(parameters, NullData):
        return (None, None)
    if not isinstance(parameters, StructureData):
        return None
    items = parameters.items
    if selector == 1 and len(items) >= 3 and isinstance(items[0], StructureData):
        items = items[1:3]
    if len(items) < 2:
        return None
    start, end = _bound(items[0]), _bound(items[1])
    if start is False or end is False:
        return None
    return (start if isinstance(start, dt.datetime) else None, end if isinstance(end, dt.datetime) else None)


def _bound(value: DlmsData) -> dt.datetime | None | bool:
    if isinstance(value, IntegerData):
        return GBCS_EPOCH + dt.timedelta(seconds=value.value)
    if isinstance(value, OctetStringData):
        if len(value.value) != 12:
            return False
        return parse_date_time(value.value)
    return False


def decode_obis(value: DlmsData) -> ObisCode | None:
    """An OBIS code carried as a 6-byte octet string, or None."""
    if isinstance(value, OctetStringData) and len(value.value) == 6:
        try:
            return ObisCode.from_bytes(value.value)
        except FrameError:
            return None
    return None
