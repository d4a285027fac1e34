"""Object catalogues of device profiles: which COSEM objects a device exposes (GBCS 5.11).

A profile file ``profiles/<device type>-<profile>.json`` lists objects by class id and OBIS
code with, per attribute, the DLMS Data value it starts with (JSON form of
:mod:`smets_emu.protocols.payloads.dlms_data`) and its access right (``"r"`` or ``"rw"``),
the methods the object supports, and for Profile generic objects the type description of
a buffer entry (``"buffer"``). The OBIS/class/type catalogue follows the GBCS use cases; the
values are the lab's own defaults.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from smets_emu.errors import SmetsError

PROFILE_DIR = Path(__file__).with_name("profiles")


@cache
def _load(device_type: str, profile: str) -> dict[str, Any]:
    path = PROFILE_DIR / f"{device_type.lower()}-{profile}.json"
    if not path.is_file():
        path = PROFILE_DIR / f"{device_type.lower()}-default.json"
    if not path.is_file():
        raise SmetsError(f"no COSEM profile for device type {device_type!r}")
    with path.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@cache
def shared_profile_objects(device_type: str, profile: str = "default") -> dict[str, dict[str, Any]]:
    """The objects of a profile keyed ``"<class id>/<OBIS>"``, shared between devices: never modify them."""
    data = _load(device_type, profile)
    return {f"{obj['class_id']}/{obj['obis']}": obj for obj in data.get("objects", [])}


def profile_objects(device_type: str, profile: str = "default") -> dict[str, dict[str, Any]]:
    """The objects of a profile keyed ``"<class id>/<OBIS>"`` (a fresh copy the caller may keep)."""
    return copy.deepcopy(shared_profile_objects(device_type, profile))


def has_profile(device_type: str) -> bool:
    """True when the device type has a COSEM object catalogue."""
    return (PROFILE_DIR / f"{device_type.lower()}-default.json").is_file()
