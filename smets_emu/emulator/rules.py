"""Who may send what: critical flags and valid originator roles per message code.

GBCS sets, per use case, the valid business originator roles and whether the command is
critical (signed by a Known Remote Party, GBCS 4.3.1, Section 17/19 usage rights). This table
follows the DUIS message categories and the originators seen in the DCC reference test data.
"""

from __future__ import annotations

from smets_emu.emulator.anchors import Role
from smets_emu.protocols.message_codes import lookup

SUP, NO, ACB = Role.SUPPLIER, Role.NETWORK_OPERATOR, Role.ACCESS_CONTROL_BROKER
TCOS, REC, WANP, LC = Role.TRANSITIONAL_COS, Role.RECOVERY, Role.WAN_PROVIDER, Role.LOAD_CONTROLLER

# Update Security Credentials (CS02b/CS02g): message code -> (originator roles, signed)
CREDENTIAL_MODES: dict[int, tuple[frozenset[Role], bool]] = {
    0x0100: (frozenset({SUP}), True),  # rootBySupplier
    0x0101: (frozenset({WANP}), True),  # rootByWanProvider
    0x0102: (frozenset({SUP, ACB}), True),  # supplierBySupplier (ACB on a GPF handover)
    0x0103: (frozenset({NO, ACB}), True),  # networkOperatorByNetworkOperator
    0x0104: (frozenset({ACB}), False),  # accessControlBrokerByACB (signed on a CHF)
    0x0105: (frozenset({WANP}), True),  # wanProviderByWanProvider
    0x0106: (frozenset({TCOS}), True),  # transCoSByTransCoS
    0x0107: (frozenset({TCOS}), True),  # supplierByTransCoS
    0x0108: (frozenset({REC}), True),  # anyExceptAbnormalRootByRecovery
    0x0109: (frozenset(Role), True),  # anyByContingency
    0x0125: (frozenset({LC}), True),  # loadControllerByLoadController
    0x0126: (frozenset({SUP}), True),  # loadControllerBySupplier
}

NETWORK_OPERATOR_CODES = frozenset(
    {0x0026, 0x0028, 0x002B, 0x0036, 0x00B0, 0x00ED, 0x00EF, 0x0045, 0x00AE, 0x00D1, 0x00D2, 0x00D3, 0x00D4,
     0x004A, 0x005A}
)
"""Use cases a network operator originates (ECS17a/c, ECS18a, ECS22a, ECS25b/b3/r2, ECS29a-f, ECS37, ECS57)."""

SHARED_SUPPLIER_NO_CODES = frozenset({0x0027, 0x00FD, 0x0059, 0x0008, 0x011B})
"""Use cases both the supplier and the network operator may originate."""

ACB_CODES = frozenset(
    {0x0001, 0x0002, 0x0003, 0x0004, 0x00FE, 0x010F, 0x010A, 0x010B, 0x010C, 0x010D, 0x010E, 0x0092, 0x00FA,
     0x0093, 0x0094, 0x0008, 0x011B, 0x0129, 0x0080, 0x0083, 0x0058, 0x004D, 0x0035, 0x008C, 0x0013, 0x000E,
     0x0034, 0x0096, 0x00A0, 0x00C4, 0x011C, 0x00AB, 0x00AF, 0x000F, 0x0104, 0x0102, 0x0103}
)
"""Use cases the Access Control Broker originates, usually on behalf of a supplementary remote party."""

SIGNED_ONLY_CODES = frozenset({0x0108, 0x0109, 0x0008, 0x011B})
"""Commands that may arrive signed but without the ACB MAC (GBCS 13.3.3.1, CS02a/CS02f signature variants)."""

VARIANT_CODES = frozenset({0x0008, 0x011B, 0x000C})
"""Commands with a MAC-only and a signed variant."""


HAN_DEVICE_CODES = frozenset({0x009B, 0x0090, 0x0116, 0x0117, 0x0118, 0x0119})
"""Commands a HAN device (PPMID, HCALCS) sends to a meter: PCS01/PCS02, PECS01-03, HECS01."""


def is_critical(message_code: int) -> bool:
    """True when a command must carry a Known Remote Party signature."""
    if message_code in CREDENTIAL_MODES:
        return CREDENTIAL_MODES[message_code][1]
    info = lookup(message_code)
    return info is not None and info.category == "SME.C.C"


CHF_ORIGINATORS = frozenset({ACB})
"""Who sends a CHF its commands other than credential updates: the Access Control Broker, on behalf of the
requesting party (GBCS 4.3.2: the CHF's Known Remote Parties are the ACB, the WAN provider and recovery; the DCC
reference test data sends every CCS*, DBCH*, ECS26i/n and ECS35c/d command to the CHF from the ACB). So ECS52
"Read ESME/Comms Hub Firmware Version" is the supplier's or network operator's on an ESME and the ACB's on a CHF."""


def allowed_roles(message_code: int, device_type: str | None = None) -> frozenset[Role]:
    """The remote party roles that may originate *message_code* (to a *device_type*, when given)."""
    if message_code in CREDENTIAL_MODES:
        return CREDENTIAL_MODES[message_code][0]
    if device_type == "CHF":
        return CHF_ORIGINATORS
    if message_code in HAN_DEVICE_CODES:
        return frozenset({Role.OTHER})
    roles: set[Role] = set()
    if message_code in NETWORK_OPERATOR_CODES:
        roles.add(NO)
    else:
        roles.add(SUP)
    if message_code in SHARED_SUPPLIER_NO_CODES:
        roles |= {SUP, NO}
    if message_code in ACB_CODES:
        roles.add(ACB)
    if message_code in (0x0008, 0x011B):
        roles |= {TCOS}
    if message_code == 0x011F:
        roles.add(LC)
    return frozenset(roles)
