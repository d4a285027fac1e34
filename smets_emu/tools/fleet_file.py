"""Fleet files: which premises and devices a lab runs, and which PKI protects them (TOML).

Example::

    pki = "own"                          # or a keystore folder, e.g. "../shared/rtds/keystore"
    seed = 7                             # optional: a reproducible own PKI

    [types.ESME]                         # defaults per device type
    profile = "default"
    firmware = "01000000"

    [[premises]]
    name = "home"
    devices = [
      { type = "ESME", eui = "00DB1234567890A0", firmware = "02000000" },
      { type = "GSME", eui = "00DB1234567890A1" },
      { type = "CHF",  eui = "00DB1234567890A2" },
      { type = "GPF",  eui = "00DB1234567890A3" },
    ]

    [[premises]]                         # an EUI range: 100 premises, EUIs allocated in order
    name = "street-{n}"
    count = 100
    first_eui = "00DB123500000000"
    devices = [{ type = "ESME" }, { type = "GSME" }, { type = "CHF" }, { type = "GPF" }]

Device types are the SMETS2 types (ESME, GSME, CHF, GPF); profiles name a shipped device
profile; firmware is the version string the device reports (hex, GBCS 7).

Meters (ESME, GSME) take a ``metering`` table, per device or under ``[types.ESME]`` for every
device of the type (a device's keys override the type's): the consumption model behind their
registers and profiles (:class:`~smets_emu.emulator.metering.config.MeteringConfig`)::

    [types.ESME]
    metering = { shape = "domestic-electricity", annual = 3100000 }   # Wh a year

    # in a premises' devices list:
    { type = "GSME", eui = "00DB1234567890A1", metering = { series = "gas.csv", seed = 3 } }

Keys: ``shape`` (domestic-electricity, domestic-gas, small-business, solar, flat), ``annual``
(Wh or dm3 a year), ``seed``, ``series`` (a CSV of half-hourly data, relative to the fleet
file; read once here, with the size limits of :mod:`smets_emu.emulator.metering.series`),
``export_shape`` and ``export_annual`` (ESME export), ``origin`` (ISO 8601) and
``start_reading``.

Every key is checked: an unknown key, an unknown profile, a count or fleet beyond
:data:`MAX_DEVICES` or a file over :data:`MAX_FLEET_FILE_BYTES` is refused with the place it
was found, never silently ignored.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smets_emu.emulator.metering.config import MeteringConfig
from smets_emu.emulator.metering.series import load_series
from smets_emu.errors import SmetsError
from smets_emu.inputs import read_file

DEVICE_TYPES = ("ESME", "GSME", "CHF", "GPF")
DEFAULT_PREMISES_EUIS: tuple[tuple[str, bytes], ...] = (
    ("ESME", bytes.fromhex("00DB1234567890A0")),
    ("GSME", bytes.fromhex("00DB1234567890A1")),
    ("CHF", bytes.fromhex("00DB1234567890A2")),
    ("GPF", bytes.fromhex("00DB1234567890A3")),
)
"""The default premises: the RTDS device EUIs, so RTDS-shaped commands address them unchanged."""

MAX_DEVICES = 1_000_000
"""The most devices one lab provisions (a fleet file's premises times their devices, or ``--devices``)."""

MAX_FLEET_FILE_BYTES = 1 << 20
"""The largest fleet file read (1 MiB; EUI ranges make large fleets short)."""

TOP_KEYS = frozenset({"pki", "seed", "types", "premises"})
TYPE_KEYS = frozenset({"profile", "firmware", "metering"})
PREMISES_KEYS = frozenset({"name", "count", "first_eui", "devices"})
DEVICE_KEYS = frozenset({"type", "eui", "profile", "firmware", "metering", "events"})
METERING_TYPES = ("ESME", "GSME")

SCALED_FIRST_EUI = 0x00DB123500000000
"""Where EUIs of a scaled default fleet continue after the default premises."""


class FleetFileError(SmetsError):
    """A fleet file is missing, not TOML or names something unknown."""


@dataclass(frozen=True)
class DeviceSpec:
    """One device of a premises."""

    device_type: str
    eui: bytes
    profile: str = "default"
    firmware: str | None = None
    metering: MeteringConfig | None = None  # the consumption model of a meter (None: the defaults)
    events: tuple[tuple[str, dt.datetime], ...] = ()  # (kind, lab time) of scheduled device events


@dataclass(frozen=True)
class PremisesSpec:
    """A premises: its name and its devices."""

    name: str
    devices: tuple[DeviceSpec, ...]


@dataclass(frozen=True)
class FleetSpec:
    """Everything a lab needs to provision its fleet."""

    premises: tuple[PremisesSpec, ...]
    pki: str = "own"  # "own" or a keystore folder
    seed: int | str | None = None
    source: Path | None = None

    @property
    def devices(self) -> list[DeviceSpec]:
        """Every device, premises by premises."""
        return [d for p in self.premises for d in p.devices]

    @property
    def pki_folder(self) -> Path | None:
        """The keystore folder of an external PKI, resolved against the fleet file, or None for "own"."""
        if self.pki == "own":
            return None
        path = Path(self.pki).expanduser()
        if not path.is_absolute() and self.source is not None:
            path = self.source.parent / path
        return path


def default_fleet(devices: int = 4) -> FleetSpec:
    """The embedded default: premises of ESME, GSME, CHF and GPF, *devices* devices in all."""
    if not 1 <= devices <= MAX_DEVICES:
        raise FleetFileError(f"a fleet has 1 to {MAX_DEVICES:,} devices, not {devices:,}")
    premises: list[PremisesSpec] = []
    made = 0
    index = 0
    while made < devices:
        specs: list[DeviceSpec] = []
        for offset, (device_type, first) in enumerate(DEFAULT_PREMISES_EUIS):
            if made == devices:
                break
            eui = first if index == 0 else (SCALED_FIRST_EUI + (index - 1) * 4 + offset).to_bytes(8, "big")
            specs.append(DeviceSpec(device_type, eui))
            made += 1
        premises.append(PremisesSpec("home" if index == 0 else f"premises-{index}", tuple(specs)))
        index += 1
    return FleetSpec(tuple(premises))


def _eui(value: Any, where: str) -> bytes:
    if isinstance(value, int):
        return value.to_bytes(8, "big")
    if not isinstance(value, str):
        raise FleetFileError(f"{where}: an EUI is a hex string")
    try:
        eui = bytes.fromhex(value.replace("-", "").replace(":", ""))
    except ValueError as exc:
        raise FleetFileError(f"{where}: {value!r} is not hex") from exc
    if len(eui) != 8:
        raise FleetFileError(f"{where}: an EUI-64 is 8 bytes")
    return eui


def _known_keys(table: Any, allowed: frozenset[str], where: str) -> None:
    """Refuse keys a fleet file does not define (a typo must not be silently ignored)."""
    unknown = sorted(set(table) - allowed) if isinstance(table, dict) else []
    if unknown:
        raise FleetFileError(f"{where}: unknown key {', '.join(map(repr, unknown))} "
                             f"(valid: {', '.join(sorted(allowed))})")


def profile_choices(device_type: str) -> list[str]:
    """The device profiles shipped for *device_type* (COSEM for ESME/CHF, ZigBee for GSME/GPF)."""
    if device_type in ("GSME", "GPF"):
        from smets_emu.emulator.zcl.profiles import profile_names

        return profile_names(device_type)
    from smets_emu.emulator.cosem.profiles import PROFILE_DIR

    prefix = f"{device_type.lower()}-"
    names = sorted(p.name[len(prefix):-5] for p in PROFILE_DIR.glob(f"{prefix}*.json"))
    return names or ["default"]


def _profile(value: Any, device_type: str, where: str) -> str:
    choices = profile_choices(device_type)
    if not isinstance(value, str) or value not in choices:
        raise FleetFileError(
            f"{where}: {device_type} profile {value!r} is not shipped (choose from {', '.join(choices)})"
        )
    return value


def _metering(device: dict[str, Any], defaults: dict[str, Any], device_type: str, where: str,
              source: Path | None) -> MeteringConfig | None:
    """The device's metering table over its type's, checked; the CSV path made absolute and read once."""
    own, common = device.get("metering"), defaults.get("metering")
    if own is None and common is None:
        return None
    if device_type not in METERING_TYPES:
        raise FleetFileError(f"{where}: a {device_type} does not meter (metering is for {', '.join(METERING_TYPES)})")
    if not isinstance(own or {}, dict) or not isinstance(common or {}, dict):
        raise FleetFileError(f"{where}: metering is a table")
    merged = {**(common or {}), **(own or {})}
    if isinstance(merged.get("origin"), dt.datetime):  # a TOML date-time
        origin = merged["origin"]
        merged["origin"] = (origin if origin.tzinfo else origin.replace(tzinfo=dt.UTC)).isoformat()
    series = merged.get("series")
    if isinstance(series, str) and series:
        path = Path(series).expanduser()
        if not path.is_absolute() and source is not None:
            path = source.parent / path
        merged["series"] = str(path)
    try:
        config = MeteringConfig.from_json(merged)
        if config.series is not None:
            load_series(config.series)
    except SmetsError as exc:
        raise FleetFileError(f"{where}: metering: {exc}") from exc
    return config


def _events(device: dict[str, Any], device_type: str, where: str) -> tuple[tuple[str, dt.datetime], ...]:
    """Scheduled device events: ``events = [{ kind = "tamper", at = 2026-01-02T03:00:00Z }]``
    (:mod:`smets_emu.emulator.metering.events`: kinds, the device types that have them, time limits)."""
    from smets_emu.emulator.metering.events import EVENT_KINDS, MAX_SCHEDULED, parse_time

    items = device.get("events")
    if items is None:
        return ()
    if not isinstance(items, list) or len(items) > MAX_SCHEDULED:
        raise FleetFileError(f"{where}: events is a list of at most {MAX_SCHEDULED} {{kind, at}} tables")
    out = []
    for k, item in enumerate(items):
        if not isinstance(item, dict) or set(item) - {"kind", "at"} or "at" not in item:
            raise FleetFileError(f"{where}.events[{k}]: a table of kind and at")
        kind, at = item.get("kind"), item["at"]
        spec = EVENT_KINDS.get(kind) if isinstance(kind, str) else None
        if spec is None or device_type not in spec.device_types:
            raise FleetFileError(f"{where}.events[{k}]: a {device_type} has no event {str(kind)[:40]!r}")
        if isinstance(at, dt.datetime):  # a TOML date-time
            at = (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).isoformat()
        try:
            out.append((kind, parse_time(at, dt.datetime.min)))
        except SmetsError as exc:
            raise FleetFileError(f"{where}.events[{k}]: {exc}") from exc
    return tuple(out)


def parse_fleet(data: dict[str, Any], *, source: Path | None = None) -> FleetSpec:
    """A :class:`FleetSpec` from a parsed TOML document."""
    _known_keys(data, TOP_KEYS, "fleet file")
    pki = data.get("pki", "own")
    if not isinstance(pki, str) or not pki:
        raise FleetFileError("pki is \"own\" or a keystore folder")
    types = data.get("types", {})
    if not isinstance(types, dict) or any(t not in DEVICE_TYPES for t in types):
        raise FleetFileError(f"[types] keys are device types: {', '.join(DEVICE_TYPES)}")
    for type_name, defaults in types.items():
        if not isinstance(defaults, dict):
            raise FleetFileError(f"types.{type_name}: a table of {', '.join(sorted(TYPE_KEYS))}")
        _known_keys(defaults, TYPE_KEYS, f"types.{type_name}")
        if "metering" in defaults and type_name not in METERING_TYPES:
            raise FleetFileError(f"types.{type_name}: a {type_name} does not meter")
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | str)):
        raise FleetFileError("seed is an integer or a string")
    premises_in = data.get("premises")
    if not isinstance(premises_in, list) or not premises_in:
        raise FleetFileError("a fleet file declares at least one [[premises]]")
    premises: list[PremisesSpec] = []
    seen: set[bytes] = set()
    for i, entry in enumerate(premises_in):
        where = f"premises[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("devices"), list) or not entry["devices"]:
            raise FleetFileError(f"{where}: needs a devices list")
        _known_keys(entry, PREMISES_KEYS, where)
        count = entry.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise FleetFileError(f"{where}: count is a positive integer")
        if len(seen) + count * len(entry["devices"]) > MAX_DEVICES:
            raise FleetFileError(f"{where}: the fleet would pass {MAX_DEVICES:,} devices")
        next_eui = int.from_bytes(_eui(entry["first_eui"], where), "big") if "first_eui" in entry else None
        for n in range(count):
            specs: list[DeviceSpec] = []
            for j, dev in enumerate(entry["devices"]):
                dwhere = f"{where}.devices[{j}]"
                if not isinstance(dev, dict) or dev.get("type") not in DEVICE_TYPES:
                    raise FleetFileError(f"{dwhere}: type is one of {', '.join(DEVICE_TYPES)}")
                _known_keys(dev, DEVICE_KEYS, dwhere)
                defaults = types.get(dev["type"], {})
                if "eui" in dev:
                    if count > 1:
                        raise FleetFileError(f"{dwhere}: a repeated premises allocates EUIs from first_eui")
                    eui = _eui(dev["eui"], dwhere)
                elif next_eui is not None:
                    if next_eui >= 1 << 64:
                        raise FleetFileError(f"{dwhere}: the EUI range from first_eui runs past FFFFFFFFFFFFFFFF")
                    eui = next_eui.to_bytes(8, "big")
                    next_eui += 1
                else:
                    raise FleetFileError(f"{dwhere}: give an eui, or first_eui on the premises")
                if eui in seen:
                    raise FleetFileError(f"{dwhere}: EUI {eui.hex().upper()} is used twice")
                seen.add(eui)
                firmware = dev.get("firmware", defaults.get("firmware"))
                if firmware is not None:
                    try:
                        bytes.fromhex(str(firmware))
                    except ValueError as exc:
                        raise FleetFileError(f"{dwhere}: firmware version is hex") from exc
                    if len(str(firmware)) != 8:
                        raise FleetFileError(f"{dwhere}: firmware version is 4 bytes (8 hex digits), e.g. 01000000")
                profile = _profile(dev.get("profile", defaults.get("profile", "default")), dev["type"], dwhere)
                specs.append(
                    DeviceSpec(
                        dev["type"], eui, profile,
                        None if firmware is None else str(firmware).upper(),
                        _metering(dev, defaults, dev["type"], dwhere, source),
                        _events(dev, dev["type"], dwhere),
                    )
                )
            name = str(entry.get("name", f"premises-{i}"))
            premises.append(PremisesSpec(name.replace("{n}", str(n)), tuple(specs)))
    return FleetSpec(tuple(premises), pki=pki, seed=seed, source=source)


def load_fleet(path: str | Path) -> FleetSpec:
    """Read a fleet file."""
    file = Path(path)
    try:
        data = tomllib.loads(read_file(file, MAX_FLEET_FILE_BYTES, what="fleet file").decode("utf-8"))
    except SmetsError as exc:
        raise FleetFileError(f"cannot read fleet file: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise FleetFileError(f"{file}: not UTF-8 text: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise FleetFileError(f"{file}: not TOML: {exc}") from exc
    return parse_fleet(data, source=file.resolve())

