"""CS02a/CS02f Provide Security Credential Details (GBCS 13.3.5, message codes 0x0008, 0x011B).

Per requested remote party role the device answers its current anti-replay counter and the subject
unique ID and subject key identifier of each populated trust anchor cell of that role.
"""

from __future__ import annotations

from smets_emu.emulator.anchors import AnchorCell, CellKeyUsage, CellUsage, Role
from smets_emu.emulator.credentials.common import NO_ID, RESPONSE, authorising_cell, payload
from smets_emu.emulator.device import CommandContext, HandlerResult
from smets_emu.protocols.payloads.asn1_enums import StatusCode
from smets_emu.protocols.payloads.asn1_models import (
    CellDetails,
    ProvideSecurityCredentialDetailsCommand,
    ProvideSecurityCredentialDetailsResponse,
    RemotePartyDetails,
    read,
)

CS02A, CS02F = 0x0008, 0x011B

CS02F_UNREPORTED_ROLES = frozenset({Role.TRANSITIONAL_COS})
"""Roles CS02f answers with status other(127) (RTDS 6.24.1_CS02fMAC, NA_CS02fSignature)."""

_USAGE_ORDER = {CellKeyUsage.KEY_CERT_SIGN: 0, CellKeyUsage.DIGITAL_SIGNATURE: 1, CellKeyUsage.KEY_AGREEMENT: 2}


def _cell_sort_key(cell: AnchorCell) -> tuple[int, int, int]:
    return int(cell.cell.role), _USAGE_ORDER[cell.cell.key_usage], int(cell.cell.cell_usage)


def _cell_details(cell: AnchorCell) -> CellDetails:
    usage = cell.cell.cell_usage
    return CellDetails(frozenset({int(cell.cell.key_usage.bit)}),
                       None if usage is CellUsage.MANAGEMENT else int(usage),
                       cell.subject_id or NO_ID, cell.subject_key_id or NO_ID)


def role_details(ctx: CommandContext, role_number: int) -> RemotePartyDetails:
    """The RemotePartyDetails of one requested role."""
    try:
        role = Role(role_number)
    except ValueError:
        return RemotePartyDetails(role_number, StatusCode.OTHER)
    if ctx.message_code == CS02F and role in CS02F_UNREPORTED_ROLES:
        return RemotePartyDetails(int(role), StatusCode.OTHER)
    cells = sorted((c for c in ctx.state.anchors.values() if c.cell.role is role and not c.empty), key=_cell_sort_key)
    if not cells:
        return RemotePartyDetails(int(role), StatusCode.TRUST_ANCHOR_NOT_FOUND)
    return RemotePartyDetails(int(role), StatusCode.SUCCESS, max(0, ctx.state.counters.get(int(role), 0)),
                              tuple(_cell_details(c) for c in cells))


def provide_security_credential_details(ctx: CommandContext) -> HandlerResult:
    """CS02a/CS02f: details of the cells of each requested role (GBCS 13.3.5)."""
    command = read(ctx.payload, ProvideSecurityCredentialDetailsCommand)
    authorising_cell(ctx, command.authorising_cell)
    response = ProvideSecurityCredentialDetailsResponse(tuple(role_details(ctx, r) for r in command.roles))
    return HandlerResult(payload(response, ctx.message_code, RESPONSE), date_time=False)
