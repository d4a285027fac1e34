"""Device profiles: the initial ZigBee object model of a GSME or GPF, as JSON files.

A profile file ``profiles/<type>_<name>.json`` holds ``device_type``, ``name``, ``description``,
``firmware`` (initial ``state.firmware``) and ``objects`` (initial ``state.objects``, see
:mod:`smets_emu.emulator.zcl.model`). The GPF's default profile holds the copy of its GSME's
data it answers reads from (GBCS 7.5, digest 5 "GPF").
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources
from typing import Any

from smets_emu.emulator.state import DeviceState
from smets_emu.errors import SmetsError


class ProfileError(SmetsError):
    """A profile is missing or malformed."""


def profile_names(device_type: str) -> list[str]:
    """The profiles shipped for a device type."""
    prefix = f"{device_type.lower()}_"
    folder = resources.files(__package__).joinpath("profiles")
    return sorted(p.name[len(prefix):-5] for p in folder.iterdir() if p.name.startswith(prefix)
                  and p.name.endswith(".json"))


@lru_cache(maxsize=16)
def _load(device_type: str, name: str) -> str:
    path = resources.files(__package__).joinpath("profiles", f"{device_type.lower()}_{name}.json")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ProfileError(f"no {device_type} profile named {name!r}") from exc


def load_profile(device_type: str, name: str = "default") -> dict[str, Any]:
    """A fresh copy of a profile document."""
    try:
        doc = json.loads(_load(device_type, name))
    except json.JSONDecodeError as exc:
        raise ProfileError(f"{device_type} profile {name!r} is not JSON: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("objects"), dict):
        raise ProfileError(f"{device_type} profile {name!r} has no objects")
    return doc


def apply_profile(state: DeviceState, name: str | None = None) -> DeviceState:
    """Fill an empty object model from the state's profile (or *name*); a populated state is left as is.

    Other groups of ``state.objects`` (the metering configuration a fleet file gives, scheduled
    events) do not make the ZigBee model populated: only its clusters do.
    """
    if "clusters" in state.objects_view():
        return state
    doc = load_profile(state.device_type, name or state.profile or "default")
    for key, value in doc["objects"].items():
        state.objects.setdefault(key, copy.deepcopy(value))
    for item, value in doc.get("firmware", {}).items():
        state.firmware.setdefault(item, value)
    return state
