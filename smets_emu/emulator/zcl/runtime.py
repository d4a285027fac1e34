"""Glue between the GBCS device dispatch and the ZigBee object model (GBCS 7.5, 14).

:func:`handle_gbz` is the one handler a GSME or GPF registers for every GBZ use case it
supports: it runs the command through :func:`~smets_emu.emulator.zcl.engine.execute`, encrypts
the response parts GBCS protects (KDF mode 04 between the device KA key and the requester's,
digest 3.6), queues future-dated components and answers with a GBZ response. :func:`due_alerts`
runs the queued components whose time has come and raises one signed 0x00CD alert each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric import ec

from smets_emu.emulator.component import earliest_pending
from smets_emu.emulator.device import AlertSpec, CommandContext, CommandRejected, Device, HandlerResult
from smets_emu.emulator.metering import prepayment_ports
from smets_emu.emulator.metering.utrn import check_utrn
from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.zcl.commands import ExecContext, TopUpCheck
from smets_emu.emulator.zcl.engine import execute, run_due
from smets_emu.emulator.zcl.model import ZclModel
from smets_emu.emulator.zcl.profiles import apply_profile
from smets_emu.errors import KeyMaterialError, SmetsError
from smets_emu.protocols import certificates, crypto
from smets_emu.protocols.envelope import GroupingHeader
from smets_emu.protocols.payloads.gbz import AlertBody, GbzAlert, GbzAlertCode, GbzPayload
from smets_emu.protocols.timestamps import datetime_to_gbz_seconds, gbz_seconds_to_datetime

FUTURE_DATED_ALERT = 0x00CD
METER_INTEGRITY_ALERT = 0x00F2
ALERT_INTEGRITY_FAILURE = 0x8F1E

def payload_encryptor(device: Device, state: DeviceState, header: GroupingHeader) -> Callable[[bytes], bytes]:
    """Encrypt response parts for the requester: supplementary remote party if present, else the originator."""
    oi = header.other_information
    party = oi.supplementary_remote_party_id or header.originator
    counter = (oi.supplementary_originator_counter if oi.supplementary_originator_counter is not None
               else header.originator_counter)

    def encrypt(plaintext: bytes) -> bytes:
        cell = device.party_ka_cell(state, party)
        if cell is not None:
            secret = device.shared_secret(state, cell)
        else:
            secret = crypto.ecdh_shared_secret(private_key=device.private_key(state, "ka"),
                                               public_key=requester_key(party, oi.certificate))
        key = crypto.derive_key(shared_secret=secret, mode=crypto.KdfMode.PAYLOAD_ENCRYPTION,
                                originator=device.eui, counter=counter, recipient=party)
        return crypto.encrypt_protected(key=key, originator=device.eui, plaintext=plaintext)

    return encrypt


def requester_key(party: bytes, certificate: bytes | None) -> ec.EllipticCurvePublicKey:
    """The KA key of a requester without an anchor cell: from the certificate it sent (GBCS 7.2.6 Other User)."""
    if certificate is None:
        raise KeyMaterialError(f"no key agreement anchor or certificate for {party.hex().upper()}")
    cert = certificates.load_certificate(certificate)
    if certificates.certificate_eui(cert) != party or "keyAgreement" not in certificates.key_usages(cert):
        raise KeyMaterialError(f"the certificate sent is not a key agreement certificate of {party.hex().upper()}")
    return certificates.certificate_public_key(cert)


def top_up_verifier(device: Device, state: DeviceState) -> Callable[[str], TopUpCheck]:
    """Check a UTRN as both meters do (:mod:`smets_emu.emulator.metering.utrn`, GBCS 14): the supplier's
    prepayment key agreement anchor and the counters the prepayment engine already accepted."""

    def verify(code: str) -> TopUpCheck:
        check = check_utrn(device, state, code, prepayment_ports.used_utrns(state))
        return TopUpCheck(int(check.result), check.amount, check.counter, check.alert_code)

    return verify


def context(device: Device, state: DeviceState, now: dt.datetime, *, message_code: int = 0,
            originator_counter: int = 0, requester: bytes = bytes(8)) -> ExecContext:
    """An execution context over *state* (its object model filled from the profile when empty)."""
    apply_profile(state)
    return ExecContext(
        model=ZclModel(state, now), now=now, now_utc=datetime_to_gbz_seconds(now), message_code=message_code,
        originator_counter=originator_counter, requester=requester,
        verify_top_up=top_up_verifier(device, state),
    )


def handle_gbz(device: Device, ctx: CommandContext) -> HandlerResult:
    """Execute a GBZ command against the device's object model and build its response (GBCS 7.5)."""
    payload = ctx.payload
    if not isinstance(payload, GbzPayload) or payload.alert is not None or not payload.components:
        raise CommandRejected(ALERT_INTEGRITY_FAILURE, "not a GBZ command payload")
    header = ctx.header
    ectx = context(device, ctx.state, ctx.now, message_code=header.message_code,
                   originator_counter=header.originator_counter, requester=ctx.requester)
    result = execute(payload, ectx, encrypt=payload_encryptor(device, ctx.state, header))
    ctx.state.pending.extend(result.pending)
    return HandlerResult(result.payload)  # the response date-time follows the use-case table (kernel.outbound)


def due_alerts(device: Device, state: DeviceState, now: dt.datetime) -> list[AlertSpec]:
    """Apply due future-dated GBZ commands on *state*; one signed 0x00CD alert each (digest 5.9)."""
    ectx = context(device, state, now)
    return [AlertSpec(FUTURE_DATED_ALERT, outcome.alert, critical=True) for outcome in run_due(ectx)]


def next_command(state: DeviceState) -> dt.datetime | None:
    """When the earliest future-dated GBZ command of *state* starts (digest 5.9); None if none is pending."""
    return earliest_pending(state, "gbz", lambda p: gbz_seconds_to_datetime(int(p["due"])))


def meter_integrity_alert(code: int, now: dt.datetime) -> AlertSpec:
    """Meter Integrity Issue Warning (0x81A0) in its GBZ form, message code 0x00F2 (digest 5.13)."""
    if not 0 <= code <= 0xFFFF:
        raise SmetsError("integrity code out of range")
    alert = GbzAlert(int(GbzAlertCode.METER_INTEGRITY_ISSUE_WARNING), datetime_to_gbz_seconds(now),
                     AlertBody.METER_INTEGRITY, integrity_code=code)
    return AlertSpec(METER_INTEGRITY_ALERT, GbzPayload(alert=alert, form="alert"), critical=False)
