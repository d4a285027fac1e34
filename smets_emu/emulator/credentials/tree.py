"""Reading and writing the ASN.1 value trees of the CS02 payloads (GBCS 13.3.5, digest 5.1-5.4).

:class:`~smets_emu.protocols.payloads.asn1.Asn1Payload` values are JSON-friendly trees: named
numbers read ``"supplier(2)"``, key usages are lists of bit names. These helpers turn the parts
the device model needs into :class:`CellId` and back.
"""

from __future__ import annotations

import re
from typing import Any

from smets_emu.emulator.anchors import CellId, CellKeyUsage, CellUsage, Role

_NAMED = re.compile(r"\((-?\d+|0x[0-9A-Fa-f]+)\)$")

KEY_USAGE_BITS: dict[CellKeyUsage, int] = {
    CellKeyUsage.DIGITAL_SIGNATURE: 0,
    CellKeyUsage.KEY_AGREEMENT: 4,
    CellKeyUsage.KEY_CERT_SIGN: 5,
}
"""KeyUsage BIT STRING bit of each trust anchor cell key usage (RFC 5280 4.2.1.3)."""

GENERALIZED_TIME = "%Y%m%d%H%M%SZ"
NEVER = "99991231235959Z"
"""executionDateTime value that cancels a pending future-dated command (GBCS 13.3.5.x)."""


def number(value: Any) -> int:
    """A named number of the tree (``"supplier(2)"``, ``"alert(0x8F66)"`` or ``2``) as an int."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        match = _NAMED.search(value)
        if match:
            return int(match.group(1), 0)
    raise ValueError(f"not a named number: {value!r}")


def bits(value: Any) -> frozenset[int]:
    """The bit numbers of a KeyUsage list."""
    if not isinstance(value, list):
        raise ValueError(f"not a bit list: {value!r}")
    return frozenset(number(v) for v in value)


def key_usage_of(value: Any) -> CellKeyUsage | None:
    """The cell key usage a KeyUsage list names (exactly one bit), else None."""
    found = bits(value)
    for usage, bit in KEY_USAGE_BITS.items():
        if found == {bit}:
            return usage
    return None


def cell_from_tree(tree: Any) -> CellId | None:
    """A TrustAnchorCellIdentifier tree as a CellId (None when it names no possible cell)."""
    if not isinstance(tree, dict):
        return None
    try:
        role = Role(number(tree["remotePartyRole"]))
        usage = key_usage_of(tree["keyUsage"])
        cell_usage = CellUsage(number(tree.get("cellUsage", 0)))
    except (KeyError, ValueError):
        return None
    if usage is None:
        return None
    return CellId(role, usage, cell_usage)


def cell_to_tree(cell: CellId) -> dict[str, Any]:
    """A CellId as a TrustAnchorCellIdentifier tree (cellUsage omitted for management, as devices send it)."""
    tree: dict[str, Any] = {"remotePartyRole": int(cell.role), "keyUsage": [KEY_USAGE_BITS[cell.key_usage]]}
    if cell.cell_usage is not CellUsage.MANAGEMENT:
        tree["cellUsage"] = int(cell.cell_usage)
    return tree


def hexbytes(value: Any) -> bytes:
    """An OCTET STRING of the tree (upper-case hex) as bytes."""
    if not isinstance(value, str):
        raise ValueError(f"not a hex string: {value!r}")
    return bytes.fromhex(value)


def certificate_der(value: Any) -> bytes:
    """The DER bytes of a certificate node (``{"der": hex, ...}``)."""
    if isinstance(value, dict):
        value = value.get("der")
    return hexbytes(value)
