"""Injected credential faults: failures inside the device that no command content causes (GBCS 13.3.5).

A real device reports them after e.g. a key generation hardware failure or a certificate storage
failure; a test lab injects them through ``state.objects["faults"]["credentials"]``:

- ``"issue"``: the CS02c responseCode instead of a new key pair (``keyPairGenerationFailed(2)``,
  ``crProductionFailed(3)``); the device keeps no pending key pair;
- ``"provide"``: the CS02e responseCode instead of the certificate (``certificateRetrievalFailure(3)``);
- ``"update"``: ``{cell label or "*": statusCode}``, the replacement status a CS02b/CS02g
  replacement of that trust anchor cell (``supplier/ds``, ``load_controller/ka`` ...) reports
  instead of being applied, immediately or when a future-dated update comes due.

Codes are given as numbers or by their GBCS names (``3``, ``"crProductionFailed"``,
``"crProductionFailed(3)"``).
"""

from __future__ import annotations

from typing import Any

from smets_emu.emulator.anchors import CellId
from smets_emu.emulator.state import DeviceState
from smets_emu.protocols.payloads.asn1_types import (
    IssueSecurityCredentialsResponseCode,
    ProvideDeviceCertificateResponseCode,
    StatusCode,
)

FAULTS_KEY, CREDENTIAL_FAULTS = "faults", "credentials"
"""``state.objects[FAULTS_KEY][CREDENTIAL_FAULTS]`` holds the injected credential faults."""
FAULT_OPERATIONS = frozenset({"issue", "provide", "update"})


def _names(table: dict[int, str]) -> dict[str, int]:
    """Both spellings of each named code: ``name`` and ``name(number)``."""
    return {**{name: code for code, name in table.items()}, **{f"{name}({code})": code for code, name in table.items()}}


_CODE_NAMES: dict[str, dict[str, int]] = {
    "issue": _names(IssueSecurityCredentialsResponseCode._map),
    "provide": _names(ProvideDeviceCertificateResponseCode._map),
    "update": _names(StatusCode._map),
}


def _fault_code(operation: str, value: Any) -> int:
    """A fault's response or status code as an int."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value in _CODE_NAMES[operation]:
        return _CODE_NAMES[operation][value]
    raise ValueError(f"not a {operation} code: {value!r}")


def inject_credential_fault(state: DeviceState, operation: str, value: Any) -> None:
    """Make the device's next *operation* (``issue``, ``provide``, ``update``) fail with *value*.

    For ``issue`` and ``provide`` *value* is the response code (number or name); for ``update`` a
    mapping of trust anchor cell label (or ``"*"`` for every cell) to the replacement statusCode.
    The fault stays until :func:`clear_credential_faults`.
    """
    if operation not in FAULT_OPERATIONS:
        raise ValueError(f"unknown credential operation {operation!r}")
    if operation == "update":
        if not isinstance(value, dict):
            raise ValueError("an update fault maps cell labels to status codes")
        stored: Any = {str(cell): _fault_code(operation, code) for cell, code in value.items()}
    else:
        stored = _fault_code(operation, value)
    faults = dict(state.objects.get(FAULTS_KEY) or {})
    faults[CREDENTIAL_FAULTS] = {**(faults.get(CREDENTIAL_FAULTS) or {}), operation: stored}
    state.objects[FAULTS_KEY] = faults


def clear_credential_faults(state: DeviceState) -> None:
    """Remove every injected credential fault."""
    faults = {k: v for k, v in (state.objects.get(FAULTS_KEY) or {}).items() if k != CREDENTIAL_FAULTS}
    if faults:
        state.objects[FAULTS_KEY] = faults
    else:
        state.objects.pop(FAULTS_KEY, None)


def credential_fault(state: DeviceState, operation: str) -> Any:
    """The injected fault of *operation* (a code, or the update cell map), or None."""
    faults = state.objects_view().get(FAULTS_KEY)  # read only: copies nothing
    if not isinstance(faults, dict) or not isinstance(faults.get(CREDENTIAL_FAULTS), dict):
        return None
    return faults[CREDENTIAL_FAULTS].get(operation)


def update_fault(state: DeviceState, cell: CellId) -> int | None:
    """The status an injected update fault gives a replacement of *cell*, or None."""
    fault = credential_fault(state, "update")
    if not isinstance(fault, dict):
        return None
    code = fault.get(cell.label(), fault.get("*"))
    return None if code is None else int(code)
