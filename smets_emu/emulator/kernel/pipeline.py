"""The pure GBCS command pipeline: one parsed message in, one :class:`Outcome` out, no state assigned.

:func:`process` runs, in the order GBCS sets, on the envelope parsed once into an
:class:`Inbound`: recipient check (GBCS 7.2.8 business target), MAC with the key derived from the
ACB key agreement cell (GBCS 6.2.4, KDF mode 01, 6.3.2), Known Remote Party signature for critical
commands (GBCS 4.3.1, 6.2.4), role authorisation against the trust anchor cells (GBCS 4.3.2),
anti-replay originator counter (GBCS 4.3.1.5), lifecycle gate, then the handler registered for the
message code, the response and alerts. The checks read the committed state; only an accepted or
rejected command works on a copy, which the returned Outcome carries for the committer to store and
adopt. A command failing a check is discarded and reported by alert: 0x8F1E (integrity of content
or format), 0x8F3D (trusted source authentication), 0x8F30 (no authority), 0x8F53 (replayed counter).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smets_emu.emulator.anchors import CellKeyUsage
from smets_emu.emulator.kernel import outbound
from smets_emu.emulator.kernel.keys import cell_public_key, find_cell, role_of, roles_of
from smets_emu.emulator.kernel.messages import (
    ALERT_AUTHENTICATION_FAILURE,
    ALERT_INTEGRITY_FAILURE,
    ALERT_NO_AUTHORITY,
    ALERT_OTHER_AUTH_FAILURE,
    CommandContext,
    CommandRejected,
    Inbound,
    Outbound,
    Outcome,
)
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import CryptoError, SmetsError
from smets_emu.protocols import crypto, usecases
from smets_emu.protocols.envelope import CraFlag, Envelope, GroupingHeader, WireSpans
from smets_emu.protocols.payloads import Payload, PayloadContext, decode_payload
from smets_emu.protocols.roles import Role

if TYPE_CHECKING:
    from smets_emu.emulator.device import Device

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Checked:
    """What the security checks established about a command."""

    role: Role
    requester: bytes
    requester_role: Role | None
    critical: bool
    signed: bool
    payload: Payload


def authenticate(device: Device, state: DeviceState, env: Envelope, spans: WireSpans) -> Checked:
    """MAC, signature, role, counter and lifecycle checks on a parsed command; reads *state* only.

    Raises :class:`CommandRejected` with the alert code GBCS prescribes for the first failed check.
    """
    header = env.header
    code = header.message_code
    role = role_of(state, header.originator)
    allowed = usecases.allowed_roles(code, device.device_type)
    if role is not None and role not in allowed:
        # a party holding several roles' cells (e.g. the ACB on a GPF before handover) acts in an allowed one
        held = roles_of(state, header.originator, CellKeyUsage.DIGITAL_SIGNATURE)
        role = next((r for r in held if r in allowed), role)
    han_peer = role is None and device.han_peer_key(state, header.originator) is not None
    if han_peer:
        role = Role.OTHER  # a HAN device joined to this one (e.g. a PPMID), GBCS 4.3.3.2
    if env.mac is None:
        if not usecases.signed_only(code) or env.signature is None:
            raise CommandRejected(ALERT_AUTHENTICATION_FAILURE, "command without MAC")
    else:
        _check_mac(device, state, env, spans, han_peer=han_peer)
    if role is None:
        raise CommandRejected(ALERT_NO_AUTHORITY, f"originator {header.originator.hex().upper()} is unknown")
    critical = usecases.is_critical(code, device.device_type)
    if env.signature is not None:
        cell = find_cell(state, role, CellKeyUsage.DIGITAL_SIGNATURE)
        if cell is None:
            raise CommandRejected(ALERT_AUTHENTICATION_FAILURE, "no signing anchor for the originator")
        try:
            crypto.verify_signature(public_key=cell_public_key(cell), data=spans.signed, signature=env.signature)
        except CryptoError as exc:
            raise CommandRejected(ALERT_AUTHENTICATION_FAILURE, f"signature check failed: {exc}") from exc
    elif critical:
        raise CommandRejected(ALERT_AUTHENTICATION_FAILURE, "critical command is not signed")
    if role not in allowed:
        raise CommandRejected(ALERT_NO_AUTHORITY, f"{role.name} may not send 0x{code:04X}")
    last = state.last_counter(int(role))
    if header.originator_counter <= last:
        raise CommandRejected(
            ALERT_OTHER_AUTH_FAILURE, f"originator counter {header.originator_counter} not above {last}"
        )
    if state.lifecycle == "decommissioned":
        raise CommandRejected(ALERT_NO_AUTHORITY, "device is decommissioned")
    supplementary = header.other_information.supplementary_remote_party_id
    requester = supplementary or header.originator
    requester_role = role_of(state, requester) if supplementary else role
    try:
        payload = decode_payload(env.content, PayloadContext(code, int(CraFlag.COMMAND)))
    except SmetsError as exc:
        raise CommandRejected(ALERT_INTEGRITY_FAILURE, f"malformed payload: {exc}") from exc
    return Checked(role, requester, requester_role, critical, env.signature is not None, payload)


def _check_mac(device: Device, state: DeviceState, env: Envelope, spans: WireSpans, *, han_peer: bool) -> None:
    """The command MAC: device KA with the ACB KA cell, or with a joined HAN device (GBCS 6.2.4)."""
    header = env.header
    assert env.mac is not None
    acb = None
    if not han_peer:
        acb = find_cell(state, Role.ACCESS_CONTROL_BROKER, CellKeyUsage.KEY_AGREEMENT)
        if acb is None:
            raise CommandRejected(ALERT_AUTHENTICATION_FAILURE, "no ACB key agreement anchor")
    try:
        secret = device.han_peer_secret(state, header.originator) if acb is None else device.shared_secret(state, acb)
        key = crypto.derive_key(
            shared_secret=secret,
            mode=crypto.KdfMode.COMMAND,
            originator=header.originator,
            counter=header.originator_counter,
            recipient=header.recipient,
        )
        crypto.verify_mac(key=key, originator=header.originator, signing_apdu=spans.signing_apdu, mac=env.mac)
    except CryptoError as exc:
        raise CommandRejected(ALERT_AUTHENTICATION_FAILURE, f"MAC check failed: {exc}") from exc


def process(device: Device, state: DeviceState, inbound: Inbound, now: dt.datetime) -> Outcome:
    """Handle one parsed message against *state*; the Outcome's state is *state* itself if nothing changed."""
    env, spans = inbound.envelope, inbound.spans
    if env is None or spans is None:
        work = state.clone()
        reason = f"malformed message: {inbound.error}"
        work.log_security_event(ALERT_INTEGRITY_FAILURE, now.isoformat(), reason)
        return Outcome(work, reason=reason, inbound=inbound)
    header = env.header
    if header.recipient != device.eui:
        return Outcome(state, reason="not addressed to this device", inbound=inbound)
    if header.cra_flag is not CraFlag.COMMAND:
        return Outcome(state, reason="not a command", inbound=inbound)
    try:
        checked = authenticate(device, state, env, spans)
    except CommandRejected as exc:
        return reject(device, state.clone(), header, now, exc.alert_code, str(exc), inbound)
    work = state.clone()
    ctx = CommandContext(
        device=device, state=work, header=header, payload=checked.payload, now=now, role=checked.role,
        requester=checked.requester, requester_role=checked.requester_role, critical=checked.critical,
        signed=checked.signed,
    )
    handler = device.handler(header.message_code)
    if handler is None:
        accept_counter(work, ctx)
        spec = device.unsupported_command_alert(header, now)
        reason = "message code not supported by device"
        if spec is None:
            return reject(device, work, header, now, ALERT_INTEGRITY_FAILURE, reason, inbound)
        work.log_security_event(ALERT_INTEGRITY_FAILURE, now.isoformat(), reason)
        return Outcome(work, [outbound.alert(device, work, spec)], reason=reason, inbound=inbound)
    try:
        result = handler(ctx)
    except CommandRejected as exc:
        accept_counter(work, ctx)
        return reject(device, work, header, now, exc.alert_code, str(exc), inbound)
    except SmetsError as exc:
        log.info("device %s: command 0x%04X failed: %s", device.eui.hex(), header.message_code, exc)
        work = state.clone()
        accept_counter(work, ctx)
        return reject(device, work, header, now, ALERT_INTEGRITY_FAILURE, f"command failed: {exc}", inbound)
    accept_counter(work, ctx)
    sent: list[Outbound] = []
    if result.payload is not None:
        sent.append(outbound.response(device, work, ctx, result))
    sent.extend(outbound.alert(device, work, spec) for spec in result.alerts)
    return Outcome(work, sent, accepted=True, inbound=inbound)


def accept_counter(state: DeviceState, ctx: CommandContext) -> None:
    """Raise the originator role's counter floor to the accepted command's counter (GBCS 4.3.1.5)."""
    if ctx.counter_rebased:
        return
    role = int(ctx.role)
    state.counters[role] = max(state.counters.get(role, -1), ctx.header.originator_counter)


def reject(
    device: Device, work: DeviceState, header: GroupingHeader, now: dt.datetime, alert_code: int, reason: str,
    inbound: Inbound | None = None,
) -> Outcome:
    """Discard a command: log the security event in *work* and raise the generic alert for *alert_code*."""
    log.info("device %s rejected 0x%04X: %s", device.eui.hex().upper(), header.message_code, reason)
    work.log_security_event(alert_code, now.isoformat(), reason)
    try:
        sent = [outbound.alert(device, work, device.security_alert(alert_code, now))]
    except SmetsError as exc:  # no key to protect an alert with: log only
        log.warning("device %s cannot raise alert 0x%04X: %s", device.eui.hex().upper(), alert_code, exc)
        sent = []
    return Outcome(work, sent, accepted=False, reason=reason, inbound=inbound)
