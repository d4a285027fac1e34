"""Creating device states: own key pairs, device certificates and trust anchors from a keystore.

Devices get fresh P-256 key pairs (GBCS 4.3.3 device credentials); when a test PKI is given
their certificates are issued by its device CA. Trust anchor cells are populated from the
organisation certificates in a keystore (GBCS 4.3.2), one party per role.
"""

from __future__ import annotations

from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from smets_emu.emulator.anchors import CELL_LAYOUTS, AnchorCell, CellId, CellKeyUsage, CellUsage, Role
from smets_emu.emulator.state import DeviceState, KeyPair
from smets_emu.errors import KeyMaterialError
from smets_emu.protocols import crypto
from smets_emu.protocols.keystore import Keystore, KeyUsage
from smets_emu.protocols.pki import TestPki

DEFAULT_PARTIES: dict[Role, bytes] = {
    Role.RECOVERY: bytes.fromhex("90B3D51F30000001"),
    Role.SUPPLIER: bytes.fromhex("90B3D51F30010000"),
    Role.NETWORK_OPERATOR: bytes.fromhex("90B3D51F30020000"),
    Role.ACCESS_CONTROL_BROKER: bytes.fromhex("90B3D51F30000002"),
    Role.TRANSITIONAL_COS: bytes.fromhex("90B3D51F30000004"),
    Role.WAN_PROVIDER: bytes.fromhex("90B3D51F30000007"),
    Role.LOAD_CONTROLLER: bytes.fromhex("90B3D51F30010008"),
}
"""The party each role's cells name by default (the RTDS organisations)."""

RTDS_ROOT_SKI = bytes.fromhex("48CF1B32697C4669")

_USAGE_TO_KEYSTORE = {
    (CellKeyUsage.DIGITAL_SIGNATURE, CellUsage.MANAGEMENT): KeyUsage.DS,
    (CellKeyUsage.KEY_AGREEMENT, CellUsage.MANAGEMENT): KeyUsage.KA,
    (CellKeyUsage.KEY_AGREEMENT, CellUsage.PREPAYMENT_TOP_UP): KeyUsage.KA_PREPAYMENT,
}


def private_key_der(key: ec.EllipticCurvePrivateKey) -> bytes:
    """PKCS#8 DER of a private key, as kept in the device state."""
    return key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())


def anchors_from_keystore(
    device_type: str,
    keystore: Keystore,
    *,
    parties: Mapping[Role, bytes] | None = None,
    pki: TestPki | None = None,
) -> dict[CellId, AnchorCell]:
    """Trust anchor cells for *device_type*, populated where the keystore has the certificate."""
    chosen = dict(DEFAULT_PARTIES)
    chosen.update(parties or {})
    cells: dict[CellId, AnchorCell] = {}
    for cell in CELL_LAYOUTS[device_type]:
        if cell.role is Role.ROOT:
            if pki is not None:
                cells[cell] = AnchorCell.from_certificate(cell, pki.root_certificate, subject_id=bytes(8))
            else:
                cells[cell] = AnchorCell(cell, bytes(8), RTDS_ROOT_SKI)
            continue
        eui = chosen.get(cell.role)
        usage = _USAGE_TO_KEYSTORE.get((cell.key_usage, cell.cell_usage))
        cert = keystore.certificate(eui, usage) if eui is not None and usage is not None else None
        if cert is None:
            cells[cell] = AnchorCell(cell)
            continue
        cells[cell] = AnchorCell.from_certificate(cell, cert, subject_id=eui)
    return cells


def new_device_state(
    eui: bytes,
    device_type: str,
    keystore: Keystore,
    *,
    pki: TestPki | None = None,
    parties: Mapping[Role, bytes] | None = None,
    profile: str = "default",
    keys: Mapping[str, ec.EllipticCurvePrivateKey] | None = None,
) -> DeviceState:
    """A commissioned device with its own key pairs and populated trust anchors."""
    if device_type not in CELL_LAYOUTS:
        raise KeyMaterialError(f"unknown device type {device_type!r}")
    if len(eui) != 8:
        raise KeyMaterialError("device EUI must be 8 bytes")
    pairs: dict[str, KeyPair] = {}
    loaded: dict[str, ec.EllipticCurvePrivateKey] = {}
    for usage, ks_usage in (("ds", KeyUsage.DS), ("ka", KeyUsage.KA)):
        key = (keys or {}).get(usage) or keystore.private_key(eui, ks_usage) or ec.generate_private_key(ec.SECP256R1())
        cert_der = None
        if pki is not None:
            cert = pki.issue_device_certificate(eui, ks_usage, key.public_key())
            cert_der = cert.public_bytes(Encoding.DER)
        pairs[usage] = KeyPair(private_key_der(key), cert_der)
        loaded[usage] = key
    anchors = anchors_from_keystore(device_type, keystore, parties=parties, pki=pki)
    acb = anchors.get(CellId(Role.ACCESS_CONTROL_BROKER, CellKeyUsage.KEY_AGREEMENT))
    if acb is not None and acb.public_point is not None:
        # Z with the ACB: every MACed command needs it (GBCS 6.2.4, 6.3.1); the device keeps it from now on
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), acb.public_point)
        pairs["ka"].agreed[acb.public_point] = crypto.ecdh_shared_secret(private_key=loaded["ka"], public_key=peer)
    return DeviceState(eui=eui, device_type=device_type, profile=profile, keys=pairs, anchors=anchors)
