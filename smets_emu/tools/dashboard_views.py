"""What the dashboard's device page shows: trust anchors with their certificates, own certificates, slots, logs."""

from __future__ import annotations

from typing import Any

from cryptography import x509

from smets_emu.emulator.anchors import AnchorCell
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import SmetsError
from smets_emu.protocols.certificates import LIBRARY_ERRORS, certificate_details
from smets_emu.tools.control_views import role_name

LOG_ROWS = 100
"""Device-log and security-log entries shown on a device page (newest)."""


def certificate_json(der: bytes | None) -> dict[str, Any] | None:
    """The SMKI fields of a DER certificate (subject EUI, role, key usage, SKI, validity); None when absent.

    A certificate that does not parse is shown as ``{"error": reason}``.
    """
    if not der:
        return None
    try:
        details = certificate_details(x509.load_der_x509_certificate(der))
    except (SmetsError, *LIBRARY_ERRORS) as exc:
        return {"error": f"unreadable certificate: {exc}"[:200]}
    body = details.to_json()
    body["roleName"] = None if details.role is None else role_name(details.role)
    body["size"] = len(der)
    return body


def anchor_cell_json(cell: AnchorCell) -> dict[str, Any]:
    """One trust anchor cell, named as ``GET /devices/{eui}`` names it, with its certificate's details."""
    cid = cell.cell
    return {
        "cell": f"{cid.role.name.lower()}/{cid.key_usage.name.lower()}/{cid.cell_usage.name.lower()}",
        "label": cid.label(),
        "role": cid.role.name.lower(),
        "key_usage": cid.key_usage.name.lower(),
        "cell_usage": cid.cell_usage.name.lower(),
        "party": None if cell.subject_id is None else cell.subject_id.hex().upper(),
        "subject_key_id": None if cell.subject_key_id is None else cell.subject_key_id.hex().upper(),
        "empty": cell.empty,
        "certificate": certificate_json(cell.certificate),
    }


def anchors_json(state: DeviceState) -> list[dict[str, Any]]:
    """The device's trust anchor cells in the order ``GET /devices/{eui}`` lists them."""
    return [anchor_cell_json(cell) for cell in state.anchors.values()]


def own_certificates_json(state: DeviceState) -> dict[str, dict[str, Any] | None]:
    """The device's own certificates by key usage (``ds``, ``ka``); never the private keys."""
    return {usage: certificate_json(pair.certificate) for usage, pair in sorted(state.keys.items())}


def logs_json(state: DeviceState) -> dict[str, list[dict[str, Any]]]:
    """The newest entries of the device log (HAN whitelist), the historic log and the security log."""
    return {"device_log": state.device_log[-LOG_ROWS:], "historic_log": state.historic_log[-LOG_ROWS:],
            "security_log": state.security_log[-LOG_ROWS:]}
