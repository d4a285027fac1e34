"""Which consumption model a device meters with: its :class:`MeteringConfig`, kept in the device state.

A fleet file (or the lab's defaults) picks per device a load shape, an annual figure, a seed, a
CSV of half-hourly data, an export model and the origin. What is not given comes from the
device's EUI: the per-premises scale is seeded from it, so two devices of one fleet differ and
the same EUI always meters the same way. The configuration is stored in
``state.objects["metering"]["config"]`` (JSON), so it survives a restart with the device.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from smets_emu.emulator.metering.consumption import (
    DEFAULT_ORIGIN,
    BillingCalendar,
    ConsumptionModel,
    half_hour_index,
    half_hour_start,
    load_series,
    seed_value,
    shape_named,
)
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import InputError

log = logging.getLogger(__name__)

METERING_KEY = "metering"
"""The group of ``state.objects`` holding metering data (config, prepayment, events, ...)."""
CONFIG_KEY = "config"
TYPICAL_ANNUAL = {"ESME": 2_700_000, "GSME": 1_100_000}
"""A typical GB domestic year: 2,700 kWh of electricity (Wh), 1,100 m3 of gas (dm3) (Ofgem TDCV, medium)."""
DEFAULT_SHAPE = {"ESME": "domestic-electricity", "GSME": "domestic-gas"}
MAX_ANNUAL = 10**12
_FIELDS = ("shape", "annual", "seed", "series", "export_shape", "export_annual", "origin", "start_reading")


def _integer(data: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"metering {name} must be an integer in {low}..{high}, not {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class MeteringConfig:
    """How one device's consumption model is built (every field optional)."""

    shape: str | None = None  # a name in SHAPES; the device type's usual shape when None
    annual: int | None = None  # units a year; seeded around the typical figure when None
    seed: int = 0  # mixed with the EUI
    series: str | None = None  # a CSV of half-hourly data (absolute path) instead of the shape
    export_shape: str | None = None  # "solar" when only export_annual is given
    export_annual: int | None = None  # units exported a year (ESME only); no export when None
    origin: dt.datetime | None = None  # when the model starts counting (the register's start)
    start_reading: int = 0  # the register at the origin

    @classmethod
    def from_json(cls, data: Any) -> MeteringConfig:
        """From a fleet file or the stored state; :class:`InputError` names the bad field."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise InputError("metering must be an object")
        unknown = sorted(set(data) - set(_FIELDS))
        if unknown:
            raise InputError(f"unknown metering field(s): {', '.join(map(str, unknown))[:200]}")
        for name in ("shape", "export_shape"):
            if data.get(name) is not None:
                shape_named(data[name])
        series = data.get("series")
        if series is not None and (not isinstance(series, str) or not series or len(series) > 4096):
            raise InputError("metering series must be a file path")
        origin = data.get("origin")
        when: dt.datetime | None = None
        if origin is not None:
            try:
                when = dt.datetime.fromisoformat(origin) if isinstance(origin, str) else None
            except ValueError:
                when = None
            if when is None or not 1990 <= when.year <= 9000:
                raise InputError(f"metering origin must be an ISO 8601 time, not {str(origin)[:40]!r}")
            when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
        return cls(
            shape=data.get("shape"),
            annual=_integer(data, "annual", 0, MAX_ANNUAL),
            seed=_integer(data, "seed", 0, 2**63 - 1) or 0,
            series=series,
            export_shape=data.get("export_shape"),
            export_annual=_integer(data, "export_annual", 0, MAX_ANNUAL),
            origin=when,
            start_reading=_integer(data, "start_reading", 0, 10**15 - 1) or 0,
        )

    def to_json(self) -> dict[str, Any]:
        """The fields that are set, as JSON."""
        out: dict[str, Any] = {}
        for name in _FIELDS:
            value = getattr(self, name)
            if value is None or (name in ("seed", "start_reading") and value == 0):
                continue
            out[name] = value.isoformat() if isinstance(value, dt.datetime) else value
        return out

    def with_origin(self, origin: dt.datetime) -> MeteringConfig:
        """This configuration starting at *origin* (rounded down to its half-hour)."""
        return replace(self, origin=half_hour_start(half_hour_index(origin)))


def _annual(eui: bytes, device_type: str, seed: int) -> int:
    """A premises' yearly use: log-uniform between half and twice the typical figure, seeded."""
    u = seed_value("scale", eui, seed) / 2**63
    return int(TYPICAL_ANNUAL[device_type] * math.exp(math.log(0.5) + u * math.log(4)))


@lru_cache(maxsize=4096)
def model_for(eui: bytes, device_type: str, config: MeteringConfig | None = None) -> ConsumptionModel | None:
    """The consumption model of a device; None for device types that do not meter (CHF, GPF, ...)."""
    if device_type not in TYPICAL_ANNUAL:
        return None
    config = config or MeteringConfig()
    seed = seed_value("consumption", eui, config.seed)
    origin = DEFAULT_ORIGIN if config.origin is None else half_hour_index(config.origin)
    export = None
    if device_type == "ESME" and config.export_annual is not None:
        export = ConsumptionModel(seed_value("export", eui, config.seed), config.export_annual,
                                  shape_named(config.export_shape or "solar"), origin=origin)
    return ConsumptionModel(
        seed=seed,
        annual=config.annual if config.annual is not None else _annual(eui, device_type, config.seed),
        shape=shape_named(config.shape or DEFAULT_SHAPE[device_type]),
        series=None if config.series is None else load_series(config.series),
        origin=origin,
        start_reading=config.start_reading,
        export=export,
    )


def metering_config(state: DeviceState) -> MeteringConfig:
    """The configuration stored in *state* (the defaults when none is)."""
    group = state.objects_view().get(METERING_KEY) or {}
    return _parsed(group.get(CONFIG_KEY))


def _parsed(data: Any) -> MeteringConfig:
    if not data:
        return MeteringConfig()
    return MeteringConfig.from_json(data)


def device_model(state: DeviceState) -> ConsumptionModel | None:
    """The consumption model of the device whose state this is; None when its type does not meter."""
    if state.device_type not in TYPICAL_ANNUAL:
        return None
    return model_for(state.eui, state.device_type, metering_config(state))


def billing_calendar_of(state: DeviceState) -> BillingCalendar:
    """The billing calendar kept in ``objects["metering"]["billing"]["calendar"]`` (day_of_month, hour); monthly on
    the 1st at 00:00 UTC when none is kept or it is malformed (GSME; an ESME's comes from its ECS30 schedule)."""
    group = state.objects_view().get(METERING_KEY) or {}
    billing = ((group.get("billing") if isinstance(group, dict) else None) or {}).get("calendar")
    if isinstance(billing, dict):
        try:
            return BillingCalendar(int(billing.get("day_of_month", 1)), int(billing.get("hour", 0)))
        except (InputError, TypeError, ValueError):
            log.warning("ignoring a malformed billing calendar %r", billing)
    return BillingCalendar()
