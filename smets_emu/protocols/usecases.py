"""Queries over the use-case table: who may send a message code to which device, and how.

The declarations live in :mod:`smets_emu.protocols.message_codes` (one row per message code).
Authorisation (GBCS 4.3.2 originator roles, 4.3.1 critical commands), the GBCS header rules
(7.2.8 response date-time, 13.3.3.1 signed-only commands, 13.3.2.5 CS02b/CS02g replacement
modes), dispatch checks, the corpus and ``docs/use-cases.md`` all read the table through here.
"""

from __future__ import annotations

from dataclasses import dataclass

from smets_emu.errors import SmetsError
from smets_emu.protocols.message_codes import (
    ACB,
    LC,
    MESSAGE_CODES,
    NO,
    REC,
    SUP,
    TCOS,
    WANP,
    DeviceType,
    Family,
    Rule,
    UseCase,
)
from smets_emu.protocols.roles import Role

__all__ = [
    "DEVICE_ORIGINATORS", "MODES", "UNDECLARED_ORIGINATORS", "DeviceType", "Family", "ModeRule", "Rule",
    "UnknownMessageCode", "UseCase", "accepted_codes", "alert_codes", "allowed_roles", "codes", "is_alert",
    "is_critical", "replacement_mode", "require", "response_date_time", "rows", "signed_only", "target_roles",
    "use_case", "variant",
]


class UnknownMessageCode(SmetsError, KeyError):
    """A message code the use-case table does not declare."""


@dataclass(frozen=True)
class ModeRule:
    """A credentialsReplacementMode of Update Security Credentials (GBCS 13.3.2.5, CS02b/CS02g)."""

    mode: int
    name: str
    authorising_role: Role  # role of the trust anchor cell that authorises the replacement
    target_roles: frozenset[Role]  # trust anchor cells the mode may replace
    floor_role: Role  # role whose counter newRemotePartyFloorSeqNumber re-bases (RTDS remotePartySeqNumberChanges)


ROOT = Role.ROOT
MODES: dict[int, ModeRule] = {m.mode: m for m in (
    ModeRule(0, "rootBySupplier", SUP, frozenset({ROOT}), ROOT),
    ModeRule(1, "rootByWanProvider", WANP, frozenset({ROOT}), ROOT),
    ModeRule(2, "supplierBySupplier", SUP, frozenset({SUP}), SUP),
    ModeRule(3, "networkOperatorByNetworkOperator", NO, frozenset({NO}), NO),
    ModeRule(4, "accessControlBrokerByACB", ACB, frozenset({ACB}), ACB),
    ModeRule(5, "wanProviderByWanProvider", WANP, frozenset({WANP}), WANP),
    ModeRule(6, "transCoSByTransCoS", TCOS, frozenset({TCOS}), TCOS),
    ModeRule(7, "supplierByTransCoS", TCOS, frozenset({SUP}), SUP),
    ModeRule(8, "anyExceptAbnormalRootByRecovery", REC, frozenset(Role), REC),
    ModeRule(9, "anyByContingency", ROOT, frozenset(Role), ROOT),
    ModeRule(10, "loadControllerByLoadController", LC, frozenset({LC}), LC),
    ModeRule(11, "loadControllerBySupplier", SUP, frozenset({LC}), LC),
)}
"""credentialsReplacementMode -> its authorising, target and floor roles."""

UNDECLARED_ORIGINATORS = frozenset(Role) - {Role.OTHER}
"""Who may send a device a command the table does not declare for it: any Known Remote Party (the device
authenticates it, then answers that it is not supported, GBCS 7.2.9.1)."""

DEVICE_ORIGINATORS: dict[DeviceType, frozenset[Role]] = {DeviceType.CHF: frozenset({ACB})}
"""Who sends a device type the commands the table does not declare for it (credential updates aside): a CHF's
commands come from the Access Control Broker on behalf of the requesting party (GBCS 4.3.2; the RTDS sends every
CCS*, DBCH*, ECS26i/n and ECS35c/d command to the CHF from the ACB)."""


def use_case(code: int) -> UseCase | None:
    """The declaration of *code*, or None."""
    return MESSAGE_CODES.get(code)


def require(code: int) -> UseCase:
    """The declaration of *code*; :class:`UnknownMessageCode` when the table has none."""
    row = MESSAGE_CODES.get(code)
    if row is None:
        raise UnknownMessageCode(f"message code 0x{code:04X} is not in the use-case table")
    return row


def rows() -> tuple[UseCase, ...]:
    """Every declaration, by message code."""
    return tuple(MESSAGE_CODES[c] for c in sorted(MESSAGE_CODES))


_DEVICE_TYPES = {d.value: d for d in DeviceType}


def _rule(row: UseCase, device_type: str) -> Rule | None:
    device = _DEVICE_TYPES.get(device_type)
    return None if device is None else row.on.get(device)


def allowed_roles(code: int, device_type: str | None = None) -> frozenset[Role]:
    """The remote party roles that may originate *code* (to a *device_type*, when given; GBCS 4.3.2).

    Without a device type: the roles any device type that accepts it allows. A command the table does not
    declare for *device_type* (or at all) may come from any of the device type's Known Remote Parties
    (:data:`UNDECLARED_ORIGINATORS`): the device authenticates it and answers that it is not supported
    (GBCS 7.2.9.1). An alert: nobody.
    """
    row = MESSAGE_CODES.get(code)
    if row is not None and row.alert:
        return frozenset()
    if device_type is None:
        if row is None:
            return UNDECLARED_ORIGINATORS
        roles = set(row.roles)
        for rule in row.on.values():
            roles |= rule.roles or frozenset()
        return frozenset(roles)
    if row is None or (row.mode is None and device_type not in row.devices):
        device = _DEVICE_TYPES.get(device_type)
        return UNDECLARED_ORIGINATORS if device is None else DEVICE_ORIGINATORS.get(device, UNDECLARED_ORIGINATORS)
    rule = _rule(row, device_type)
    if rule is not None and rule.roles is not None:
        return rule.roles
    return row.roles


def is_critical(code: int, device_type: str | None = None) -> bool:
    """True when *code* must carry a Known Remote Party signature (GBCS 4.3.1), or is a device-signed alert."""
    row = MESSAGE_CODES.get(code)
    if row is None:
        return False
    rule = None if device_type is None else _rule(row, device_type)
    if rule is not None and rule.critical is not None:
        return rule.critical
    return row.critical


def is_alert(code: int) -> bool:
    """True when *code* names an alert (CRA flag 3) rather than a command."""
    row = MESSAGE_CODES.get(code)
    return row is not None and row.alert


def signed_only(code: int) -> bool:
    """True when *code* may arrive signed without the ACB MAC (GBCS 13.3.3.1: CS02a/CS02f signed variants,
    CS02b recovery and contingency)."""
    row = MESSAGE_CODES.get(code)
    return row is not None and row.signed_only


def variant(code: int) -> bool:
    """True when *code* has a MAC-only and a signed variant (CS02a, CS02e, CS02f)."""
    row = MESSAGE_CODES.get(code)
    return row is not None and row.variant


def response_date_time(code: int) -> bool | None:
    """Whether the response to *code* carries the device's date-time (GBCS 7.2.8); None when not declared."""
    row = MESSAGE_CODES.get(code)
    return None if row is None else row.date_time


def replacement_mode(code: int) -> ModeRule | None:
    """The credentialsReplacementMode a CS02b/CS02g message code carries, or None."""
    row = MESSAGE_CODES.get(code)
    return None if row is None or row.mode is None else MODES[row.mode]


def target_roles(code: int) -> frozenset[Role]:
    """The trust anchor cells the CS02b/CS02g *code* may replace (empty for other codes)."""
    mode = replacement_mode(code)
    return frozenset() if mode is None else mode.target_roles


def codes(*, family: Family | str | None = None, alert: bool | None = None,
          device_type: str | None = None) -> frozenset[int]:
    """Message codes matching every filter given: payload family, alert or command, device type."""
    out = set()
    for row in MESSAGE_CODES.values():
        if family is not None and Family(family) not in row.families:
            continue
        if alert is not None and row.alert != alert:
            continue
        if device_type is not None and device_type not in row.devices:
            continue
        out.add(row.code)
    return frozenset(out)


def accepted_codes(device_type: str) -> frozenset[int]:
    """The commands a *device_type* accepts (it has a handler for each)."""
    return codes(alert=False, device_type=device_type)


def alert_codes(device_type: str | None = None) -> frozenset[int]:
    """The alert message codes (raised by *device_type*, when given)."""
    return codes(alert=True, device_type=device_type)
