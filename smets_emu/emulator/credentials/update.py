"""CS02b/CS02g Update Security Credentials (GBCS 13.3.5; message codes 0x0100-0x0109, 0x0125, 0x0126).

Replace trust anchor cells after certification path validation and re-base anti-replay counters,
immediately or at a future date (the outcome then goes out in alert 0x00CB / 0x0124 with alert code
0x8F66 actioned or 0x8F67 not actioned); an executionDateTime of 9999-12-31 23:59:59 cancels the
pending update of the same message code.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from smets_emu.emulator.anchors import AnchorCell, CellId, CellKeyUsage, Role
from smets_emu.emulator.component import earliest_pending
from smets_emu.emulator.credentials import certpath
from smets_emu.emulator.credentials.common import ALERT, NO_ID, RESPONSE, authorising_cell, payload
from smets_emu.emulator.credentials.faults import update_fault
from smets_emu.emulator.device import (
    ALERT_AUTHENTICATION_FAILURE,
    ALERT_INTEGRITY_FAILURE,
    ALERT_NO_AUTHORITY,
    AlertSpec,
    CommandContext,
    CommandRejected,
    Device,
    HandlerResult,
    Outbound,
    Outcome,
)
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import SmetsError
from smets_emu.protocols import usecases
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.protocols.payloads.asn1_enums import ReplacementMode, StatusCode, future_dated_alert
from smets_emu.protocols.payloads.asn1_models import parse_text_time, read, time_text
from smets_emu.protocols.payloads.asn1_update_models import (
    AuthorisingControl,
    ReplacementOutcome,
    SeqNumberChange,
    UpdateExecutionOutcome,
    UpdateSecurityCredentialsAlert,
    UpdateSecurityCredentialsCommand,
    UpdateSecurityCredentialsResponse,
)

log = logging.getLogger(__name__)

SUP, NO, ACB = Role.SUPPLIER, Role.NETWORK_OPERATOR, Role.ACCESS_CONTROL_BROKER
TCOS, REC, WANP, LC, ROOT = Role.TRANSITIONAL_COS, Role.RECOVERY, Role.WAN_PROVIDER, Role.LOAD_CONTROLLER, Role.ROOT
M = ReplacementMode

CS02B_CODES = tuple(sorted(c for c in usecases.codes(alert=False) if usecases.require(c).use_case == "CS02b"))
CS02G_CODES = tuple(sorted(c for c in usecases.codes(alert=False) if usecases.require(c).use_case == "CS02g"))
CS02B_ALERT, CS02G_ALERT = 0x00CB, 0x0124
PENDING_KIND = "update-security-credentials"
NEVER = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
"""executionDateTime that cancels a pending future-dated command (GBCS 13.3.5)."""

MODE_BY_CODE: dict[int, ReplacementMode] = {
    code: ReplacementMode(mode.mode) for code in CS02B_CODES + CS02G_CODES if (mode := usecases.replacement_mode(code))
}
"""credentialsReplacementMode each message code carries (the use-case table, GBCS 13.3.2.5)."""

AUTHORISING_ROLE: dict[int, Role] = {mode: rule.authorising_role for mode, rule in usecases.MODES.items()}
"""Role of the trust anchor cell that authorises each replacement mode."""

FLOOR_ROLE: dict[int, Role] = {mode: rule.floor_role for mode, rule in usecases.MODES.items()}
"""Role whose counter newRemotePartyFloorSeqNumber re-bases, per mode (RTDS remotePartySeqNumberChanges)."""

TARGET_ROLES: dict[int, frozenset[Role]] = {mode: rule.target_roles for mode, rule in usecases.MODES.items()}
"""Trust anchor cells each replacement mode may replace."""


@dataclass(frozen=True)
class UpdateResult:
    """What executing an update did: the ExecutionOutcome and the roles whose counters were re-based."""

    outcome: UpdateExecutionOutcome
    rebased: frozenset[int]


def update_security_credentials(ctx: CommandContext) -> HandlerResult:
    """CS02b/CS02g: replace trust anchor cells now, at a future date, or cancel (GBCS 13.3.5)."""
    code = ctx.message_code
    command = read(ctx.payload, UpdateSecurityCredentialsCommand)
    control = command.control
    mode = control.mode
    if MODE_BY_CODE[code] != mode:
        raise CommandRejected(ALERT_INTEGRITY_FAILURE, f"mode {mode} does not match message code 0x{code:04X}")
    _check_authoriser(ctx, ReplacementMode(mode), control)
    if control.seq_number != ctx.header.originator_counter:
        raise CommandRejected(ALERT_INTEGRITY_FAILURE, "authorisingRemotePartySeqNumber is not the command counter")
    for replacement in command.replacements:
        target = CellId.from_identifier(replacement.target)
        if target is None:
            raise CommandRejected(ALERT_INTEGRITY_FAILURE, "target trust anchor cell identifier is invalid")
        if target.role not in TARGET_ROLES[mode]:
            raise CommandRejected(ALERT_NO_AUTHORITY, f"mode {mode} may not replace {target.label()}")
    accepted = HandlerResult(payload(UpdateSecurityCredentialsResponse(), code, RESPONSE),
                             date_time=True, sign=True)
    when = command.execution_time
    pending = [p for p in ctx.state.pending if p.get("kind") == PENDING_KIND and p.get("message_code") == code]
    if when == NEVER:
        for entry in pending:
            ctx.state.pending.remove(entry)
        log.info("device %s: %d pending credential update(s) cancelled", ctx.state.eui.hex().upper(), len(pending))
        return accepted
    if when is not None and when > ctx.now:
        for entry in pending:
            ctx.state.pending.remove(entry)
        ctx.state.pending.append(pending_entry(ctx, when))
        return accepted
    result = execute_update(ctx.state, command, ctx.now)
    if int(ctx.role) in result.rebased:
        ctx.counter_rebased = True
    response = UpdateSecurityCredentialsResponse(result.outcome)
    return HandlerResult(payload(response, code, RESPONSE), date_time=True, sign=True)


def pending_entry(ctx: CommandContext, when: dt.datetime) -> dict[str, Any]:
    """The stored form of a future-dated update: its command content (DER hex) and who sent it when."""
    return {
        "kind": PENDING_KIND,
        "message_code": ctx.message_code,
        "execution_date_time": time_text(when),
        "received": ctx.now.isoformat(),
        "originator": ctx.header.originator.hex().upper(),
        "originator_counter": ctx.header.originator_counter,
        "command": ctx.payload.encode().hex().upper(),
    }


def _check_authoriser(ctx: CommandContext, mode: ReplacementMode, control: AuthorisingControl) -> None:
    """The authorising cell fits the mode, names the originator and holds the key that signed."""
    if control.authorising_cell is None:
        if mode is not M.ACB_BY_ACB or ctx.state.device_type == "CHF":
            raise CommandRejected(ALERT_INTEGRITY_FAILURE, "authorising trust anchor cell identifier missing")
        cell = None
        for usage in (CellKeyUsage.KEY_AGREEMENT, CellKeyUsage.DIGITAL_SIGNATURE):
            found = ctx.state.anchors.get(CellId(ACB, usage))
            if found is not None and not found.empty and found.subject_id == ctx.header.originator:
                cell = found
                break
        if cell is None:
            raise CommandRejected(ALERT_NO_AUTHORITY, "originator is not the access control broker")
    else:
        cell = authorising_cell(ctx, control.authorising_cell)
    if cell.cell.role is not AUTHORISING_ROLE[mode]:
        raise CommandRejected(ALERT_NO_AUTHORITY, f"{cell.cell.label()} cannot authorise mode {int(mode)}")
    if ctx.signed:
        signer = ctx.state.anchors.get(CellId(ctx.role, CellKeyUsage.DIGITAL_SIGNATURE))
        if (cell.cell.key_usage is not CellKeyUsage.DIGITAL_SIGNATURE or signer is None
                or signer.public_point != cell.public_point):
            raise CommandRejected(ALERT_AUTHENTICATION_FAILURE, "command not signed with the authorising key")


def execute_update(
    state: DeviceState,
    command: UpdateSecurityCredentialsCommand,
    now: dt.datetime,
    *,
    checked_at: dt.datetime | None = None,
) -> UpdateResult:
    """Validate and apply the replacements on *state* (GBCS 13.3.5, 12 certification path validation).

    Validity is checked at *checked_at* (the receipt time of a future-dated command) or *now*,
    unless applyTimeBasedCPVChecks is disapply. Counters are re-based only for roles whose
    credentials this command changed, so a floor never re-opens a replay window.
    """
    control = command.control
    mode = ReplacementMode(control.mode)
    at = (checked_at or now) if control.apply_time_based_checks else None
    root = state.anchors.get(CellId(ROOT, CellKeyUsage.KEY_CERT_SIGN))
    recovery = state.anchors.get(CellId(REC, CellKeyUsage.DIGITAL_SIGNATURE))
    recovery_key: ec.EllipticCurvePublicKey | None = None
    if recovery is not None and not recovery.empty:
        recovery_key = recovery.public_key()
    path = list(command.certification_path)
    outcomes: list[ReplacementOutcome] = []
    replaced: dict[CellId, AnchorCell] = {}
    for replacement in command.replacements:
        target = CellId.from_identifier(replacement.target)
        if target is None:
            raise ValueError("target trust anchor cell identifier is invalid")
        existing = state.anchors.get(target)
        new: AnchorCell | None = None
        fault = update_fault(state, target)
        if existing is None:
            status = int(StatusCode.TRUST_ANCHOR_NOT_FOUND)
        elif fault is not None:
            status = fault
            log.info("device %s: %s not replaced: injected fault %d", state.eui.hex().upper(), target.label(), fault)
        else:
            result = certpath.check_replacement(
                replacement.certificate, target, path, root,
                at=at, recovery_key=recovery_key, root_authorised=mode is M.ANY_EXCEPT_ABNORMAL_ROOT_BY_RECOVERY,
            )
            status = result.status
            if result.ok and result.certificate is not None:
                new = AnchorCell.from_certificate(target, result.certificate,
                                                  subject_id=NO_ID if target.role is ROOT else None)
            elif not result.ok:
                log.info("device %s: %s not replaced: %s", state.eui.hex().upper(), target.label(), result.reason)
        before = existing or AnchorCell(target)
        after = new or before
        outcomes.append(ReplacementOutcome(
            target.identifier(), status,
            before.subject_id or NO_ID, before.subject_key_id or NO_ID,
            after.subject_id or NO_ID, after.subject_key_id or NO_ID,
        ))
        if new is not None:
            replaced[target] = new
    changes = seq_number_changes(mode, control)
    changed_roles = {int(cell.role) for cell, new in replaced.items()
                     if (state.anchors[cell].public_point != new.public_point
                         or state.anchors[cell].subject_id != new.subject_id)}
    state.anchors.update(replaced)
    rebased: set[int] = set()
    for change in changes:
        if change.role not in changed_roles:
            continue
        state.counters[change.role] = change.floor
        rebased.add(change.role)
        for specialist in change.specialist or ():
            state.specialist_counters[specialist.usage] = specialist.seq_number
    outcome = UpdateExecutionOutcome(control.seq_number, int(mode), changes, tuple(outcomes))
    return UpdateResult(outcome, frozenset(rebased))


def seq_number_changes(mode: ReplacementMode, control: AuthorisingControl) -> tuple[SeqNumberChange, ...]:
    """RemotePartySeqNumberChanges the command asks for: the new floor, then the other roles' changes."""
    changes: list[SeqNumberChange] = []
    if control.new_floor is not None:
        changes.append(SeqNumberChange(int(FLOOR_ROLE[mode]), control.new_floor, control.new_specialist_floor))
    changes.extend(control.other_changes)
    return tuple(changes)


# -- future-dated execution -----------------------------------------------------------------


def _pending_command(entry: dict[str, Any]) -> UpdateSecurityCredentialsCommand:
    """The command a pending entry holds (its DER content; stores written before hold the value tree)."""
    if "command" in entry:
        return UpdateSecurityCredentialsCommand.from_der(bytes.fromhex(entry["command"]))
    legacy = Asn1Payload("CS02bCommand", entry["value"], entry["message_code"], 1)
    return UpdateSecurityCredentialsCommand.from_asn1(legacy.asn1_value())


def next_update(state: DeviceState) -> dt.datetime | None:
    """When the earliest pending CS02b/CS02g command of *state* comes due (GBCS 13.3.5); None if none."""
    return earliest_pending(state, PENDING_KIND, lambda p: parse_text_time(p["execution_date_time"]))


def due_updates(device: Device, state: DeviceState, now: dt.datetime) -> Outcome | None:
    """Execute the pending CS02b/CS02g commands of *state* whose time has come (GBCS 13.3.5).

    Works on a copy of *state*; each update raises its signed outcome alert (0x00CB for CS02b,
    0x0124 for CS02g, alert code 0x8F66 or 0x8F67) to the command's originator. None when nothing
    is due.
    """
    ready = [p for p in state.pending
             if p.get("kind") == PENDING_KIND and parse_text_time(p["execution_date_time"]) <= now]
    if not ready:
        return None
    work = state.clone()
    outbound: list[Outbound] = []
    for entry in sorted(ready, key=lambda p: p["execution_date_time"]):
        work.pending = [p for p in work.pending if p != entry]
        code = entry["message_code"]
        try:
            received = dt.datetime.fromisoformat(entry["received"])
            result = execute_update(work, _pending_command(entry), now, checked_at=received)
            alert = UpdateSecurityCredentialsAlert(
                future_dated_alert(result.outcome.succeeded),
                parse_text_time(entry["execution_date_time"]), result.outcome)
            alert_code = CS02B_ALERT if code in CS02B_CODES else CS02G_ALERT
            spec = AlertSpec(alert_code, payload(alert, alert_code, ALERT), critical=True,
                             recipient=bytes.fromhex(entry["originator"]))
            outbound.append(device.build_alert(work, spec, now))
        except (SmetsError, KeyError, ValueError) as exc:
            log.warning("device %s: pending credential update dropped: %s", work.eui.hex().upper(), exc)
    return Outcome(work, outbound, accepted=True, reason="future-dated credential update")
