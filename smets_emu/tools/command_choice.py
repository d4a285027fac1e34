"""What a remote party sends: the party (by role or EUI), the message code (by number, use case or alias),
a sample payload for a code and the originator counter a payload repeats (GBCS use cases; digest 2.6).
"""

from __future__ import annotations

from typing import Any

from smets_emu.emulator.anchors import Role
from smets_emu.emulator.provision import DEFAULT_PARTIES
from smets_emu.errors import SmetsError
from smets_emu.protocols import usecases
from smets_emu.protocols.envelope import CraFlag
from smets_emu.protocols.payloads import Payload, payload_from_json
from smets_emu.protocols.roles import RoleError, parse_role, valid_roles


class ClientError(SmetsError):
    """The front did not answer, or a command could not be built."""


ROLE_NAMES: dict[str, Role] = {
    "recovery": Role.RECOVERY,
    "supplier": Role.SUPPLIER,
    "network-operator": Role.NETWORK_OPERATOR,
    "acb": Role.ACCESS_CONTROL_BROKER,
    "access-control-broker": Role.ACCESS_CONTROL_BROKER,
    "transitional-cos": Role.TRANSITIONAL_COS,
    "wan-provider": Role.WAN_PROVIDER,
    "load-controller": Role.LOAD_CONTROLLER,
}

USE_CASE_ALIASES: dict[str, int] = {
    "read-firmware": 0x0059,  # ECS52, ESME and CHF
    "read-gas-firmware": 0x0084,  # GCS38
}

READ_FIRMWARE_CODES: dict[str, int] = {"ESME": 0x0059, "CHF": 0x0059, "GSME": 0x0084, "PPMID": 0x0129,
                                       "HCALCS": 0x0129}
"""``read-firmware`` per device type: ECS52 Read ESME/Comms Hub Firmware Version, GCS38 on a GSME, CS08 on a
PPMID or HCALCS (GBCS use cases; a GPF's firmware is the Comms Hub's, read from the CHF)."""

CS01A_TOP_UP = 0x0007
TOP_UP_CODES = frozenset({CS01A_TOP_UP, 0x0097})
"""Apply Prepayment Top Up to an ESME (CS01a, DLMS token gateway) or a GSME (CS01b, ZCL Consumer Top Up)."""

def party_eui(name: str) -> bytes:
    """A remote party by role (any spelling of :mod:`smets_emu.protocols.roles`: ``supplier``, ``IS``,
    ``network-operator``, ``ED``...; the default party of that role) or by EUI (16 hex digits)."""
    role = ROLE_NAMES.get(name.lower().replace("_", "-"))
    if role is not None:
        return DEFAULT_PARTIES[role]
    try:
        spelling = parse_role(name)
    except RoleError:
        spelling = None
    if spelling is not None and Role(spelling.remote_party) in DEFAULT_PARTIES:
        return DEFAULT_PARTIES[Role(spelling.remote_party)]
    digits = "".join(c for c in name if c not in "-: ")
    if len(digits) != 16 or any(c not in "0123456789abcdefABCDEF" for c in digits):
        raise ClientError(f"{name!r} is neither a role ({valid_roles()}) nor an EUI (16 hex digits)")
    return bytes.fromhex(digits)


def default_party(code: int, device_type: str | None = None) -> bytes:
    """The party that sends *code* (to a *device_type*) by default: the supplier when allowed, else another
    allowed role (the ACB for a CHF)."""
    allowed = usecases.allowed_roles(code, device_type)
    if usecases.variant(code) and Role.ACCESS_CONTROL_BROKER in allowed:
        return DEFAULT_PARTIES[Role.ACCESS_CONTROL_BROKER]  # CS02a/CS02f: the MAC-only variant is the ACB's
    for role in (Role.SUPPLIER, Role.NETWORK_OPERATOR, Role.ACCESS_CONTROL_BROKER, Role.RECOVERY,
                 Role.TRANSITIONAL_COS, Role.WAN_PROVIDER, Role.LOAD_CONTROLLER):
        if role in allowed:
            return DEFAULT_PARTIES[role]
    return DEFAULT_PARTIES[Role.SUPPLIER]


def message_code(value: str | int, device_type: str | None = None) -> int:
    """A message code from ``0x0059``, ``89``, a use case (``ECS52``) or an alias (``read-firmware``: the use case
    reading the firmware version of a *device_type*, ECS52 when the type is not known)."""
    if isinstance(value, int):
        return value
    if value.lower() == "read-firmware" and device_type in READ_FIRMWARE_CODES:
        return READ_FIRMWARE_CODES[device_type]
    if value.lower() in USE_CASE_ALIASES:
        return USE_CASE_ALIASES[value.lower()]
    try:
        return int(value, 0)
    except ValueError:
        pass
    from smets_emu.protocols import message_codes

    for code in range(0x10000):
        info = message_codes.lookup(code)
        if info is not None and info.use_case.upper() == value.upper():
            return code
    raise ClientError(f"unknown message code or use case {value!r}")


def sample_payload(code: int) -> Payload:
    """A well-formed command payload for *code* from the codec's sample builders."""
    from smets_emu.protocols.payloads.asn1 import ASN1_MESSAGE_CODES, sample_asn1
    from smets_emu.protocols.payloads.dlms import DLMS_MESSAGE_CODES, sample_dlms
    from smets_emu.protocols.payloads.gbz import GBZ_MESSAGE_CODES, sample_gbz

    try:
        if code in DLMS_MESSAGE_CODES:
            return sample_dlms(code, int(CraFlag.COMMAND))
        if code in GBZ_MESSAGE_CODES:
            return sample_gbz(code, int(CraFlag.COMMAND))
        if code in ASN1_MESSAGE_CODES:
            return sample_asn1(code, int(CraFlag.COMMAND))
    except SmetsError as exc:
        raise ClientError(f"no sample payload for 0x{code:04X}: {exc}") from exc
    raise ClientError(f"no sample payload for 0x{code:04X}; give one")


COUNTER_FIELDS = ("authorisingRemotePartySeqNumber", "originatorCounter")
"""Fields of ASN.1 command payloads that repeat the command's originator counter (CS02b/CS02g, CS06; digest 2.6)."""


def with_counter(payload: Payload, counter: int) -> Payload:
    """*payload* with the originator counter it repeats (CS02b/CS02g/CS06 samples) set to *counter*."""
    if getattr(payload, "family", None) != "asn1":
        return payload
    tree = payload.to_json()

    def patch(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: counter if k in COUNTER_FIELDS and isinstance(v, int) else patch(v) for k, v in node.items()}
        if isinstance(node, list):
            return [patch(v) for v in node]
        return node

    patched = patch(tree)
    return payload if patched == tree else payload_from_json(patched)
