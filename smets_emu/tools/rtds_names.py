"""What the names of the DCC reference test data (RTDS) say: device identities and scenario words.

RTDS file names carry the scenario (``_SUCCESS_``, ``_ERROR_``, ``_NOT_FOUND_``, ``_TWIN_``,
``_FUTURE_DATED_`` ...); the RTDS device EUIs say which device type answered. See
:mod:`smets_emu.tools.rtds_scenarios` for what each scenario presumes of the device.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

DEVICE_TYPES: dict[bytes, str] = {
    bytes.fromhex("00DB1234567890A0"): "ESME",
    bytes.fromhex("00DB1234567890A1"): "GSME",
    bytes.fromhex("00DB1234567890A2"): "CHF",
    bytes.fromhex("00DB1234567890A3"): "GPF",
    bytes.fromhex("00DB1234567890A4"): "PPMID",
    bytes.fromhex("00DB1234567890A5"): "HCALCS",
    bytes.fromhex("00DB1234567890A6"): "ESME",
}
"""RTDS device identities and the emulated type behind each."""

NOT_EMULATED: dict[bytes, str] = {}
"""RTDS devices that are not emulated: commands to them are unsupported."""

SUPPLIER = bytes.fromhex("90B3D51F30010000")
SELF_CONTAINED_SCENARIOS = ("CS02b", "CS02g", "CS06_")
"""Use cases whose scenarios each run on a fresh device (see :func:`device_group`)."""


def tags(name: str) -> frozenset[str]:
    """The scenario words of an RTDS file name (``ERROR``, ``SUCCESS``, ``NOT_FOUND``, ``TWIN`` ...)."""
    words = set(name.removesuffix(".HEX").split("_"))
    if "_NOT_FOUND_" in name:
        words.add("NOT_FOUND")
    if "_FUTURE_DATED_" in name:
        words.add("FUTURE_DATED")
    return frozenset(words)


def is_error(name: str) -> bool:
    """True for an RTDS ERROR scenario file."""
    return "ERROR" in tags(name)


def profile_for(name: str) -> str:
    """The device profile a command addresses: ``twin`` for RTDS TWIN scenarios, else ``default``."""
    return "twin" if "TWIN" in tags(name) else "default"


def response_name(command_name: str) -> str:
    """The RTDS RESPONSE file answering a COMMAND file."""
    return command_name.replace("_COMMAND_", "_RESPONSE_", 1)


_ALERT_CODE_WORD = re.compile(r"^[0-9A-F]{4}$")


def scenario_alert(command_name: str, alert_names: Iterable[str]) -> str | None:
    """The RTDS ALERT file of the same scenario as a COMMAND file (``..._8F67_FUTURE_DATED_ERROR_ALERT_...``)."""
    words = tags(command_name) - {"COMMAND"}
    for name in sorted(alert_names):
        if {w for w in tags(name) - {"ALERT"} if not _ALERT_CODE_WORD.match(w)} == words:
            return name
    return None


def device_group(name: str) -> str:
    """Which fresh device a command's scenario runs on, within its folder.

    Scenarios share the folder's devices in originator-counter order (a CS03 error presumes the
    success join before it), except trust anchor replacements (CS02b, CS02g): each of their
    scenarios presumes the anchors as provisioned, so IMMEDIATE SUCCESS, IMMEDIATE ERROR and
    FUTURE_DATED ERROR run on devices of their own, and a CANCELLATION shares the device of the
    FUTURE_DATED SUCCESS command it cancels. Activate Firmware (CS06) scenarios are grouped the
    same way: each presumes its own firmware slots.
    """
    if not name.startswith(SELF_CONTAINED_SCENARIOS):
        return ""
    words = tags(name)
    if "CANCELLATION" in words or ("FUTURE_DATED" in words and "SUCCESS" in words):
        return "future-dated"
    return "-".join(w for w in ("IMMEDIATE", "FUTURE_DATED", "SUCCESS", "ERROR") if w in words)
