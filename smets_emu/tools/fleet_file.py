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
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smets_emu.errors import SmetsError

DEVICE_TYPES = ("ESME", "GSME", "CHF", "GPF")
DEFAULT_PREMISES_EUIS: tuple[tuple[str, bytes], ...] = (
    ("ESME", bytes.fromhex("00DB1234567890A0")),
    ("GSME", bytes.fromhex("00DB1234567890A1")),
    ("CHF", bytes.fromhex("00DB1234567890A2")),
    ("GPF", bytes.fromhex("00DB1234567890A3")),
)
"""The default premises: the RTDS device EUIs, so RTDS-shaped commands address them unchanged."""

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
    if devices < 1:
        raise FleetFileError("a fleet needs at least one device")
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


def parse_fleet(data: dict[str, Any], *, source: Path | None = None) -> FleetSpec:
    """A :class:`FleetSpec` from a parsed TOML document."""
    pki = data.get("pki", "own")
    if not isinstance(pki, str) or not pki:
        raise FleetFileError("pki is \"own\" or a keystore folder")
    types = data.get("types", {})
    if not isinstance(types, dict) or any(t not in DEVICE_TYPES for t in types):
        raise FleetFileError(f"[types] keys are device types: {', '.join(DEVICE_TYPES)}")
    premises_in = data.get("premises")
    if not isinstance(premises_in, list) or not premises_in:
        raise FleetFileError("a fleet file declares at least one [[premises]]")
    premises: list[PremisesSpec] = []
    seen: set[bytes] = set()
    for i, entry in enumerate(premises_in):
        where = f"premises[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("devices"), list) or not entry["devices"]:
            raise FleetFileError(f"{where}: needs a devices list")
        count = entry.get("count", 1)
        if not isinstance(count, int) or count < 1:
            raise FleetFileError(f"{where}: count is a positive integer")
        next_eui = int.from_bytes(_eui(entry["first_eui"], where), "big") if "first_eui" in entry else None
        for n in range(count):
            specs: list[DeviceSpec] = []
            for j, dev in enumerate(entry["devices"]):
                dwhere = f"{where}.devices[{j}]"
                if not isinstance(dev, dict) or dev.get("type") not in DEVICE_TYPES:
                    raise FleetFileError(f"{dwhere}: type is one of {', '.join(DEVICE_TYPES)}")
                defaults = types.get(dev["type"], {})
                if "eui" in dev:
                    if count > 1:
                        raise FleetFileError(f"{dwhere}: a repeated premises allocates EUIs from first_eui")
                    eui = _eui(dev["eui"], dwhere)
                elif next_eui is not None:
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
                specs.append(
                    DeviceSpec(
                        dev["type"], eui, str(dev.get("profile", defaults.get("profile", "default"))),
                        None if firmware is None else str(firmware).upper(),
                    )
                )
            name = str(entry.get("name", f"premises-{i}"))
            premises.append(PremisesSpec(name.replace("{n}", str(n)), tuple(specs)))
    seed = data.get("seed")
    return FleetSpec(tuple(premises), pki=pki, seed=seed, source=source)


def load_fleet(path: str | Path) -> FleetSpec:
    """Read a fleet file."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FleetFileError(f"cannot read fleet file {file}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise FleetFileError(f"{file}: not TOML: {exc}") from exc
    return parse_fleet(data, source=file.resolve())

