"""Responses and alerts, built and protected once (GBCS 6.2.4, 7.2.8, 7.2.9).

A response echoes the command's originator counter and other-information towards the command's
originator; an alert takes the device's own next originator counter (GBCS 4.3.1.5). Signed
messages (critical commands' responses, critical alerts) are signed with the device's digital
signing key; the rest are MACed with the key derived from the device's key agreement key and the
recipient's (KDF mode 02 response, 03 alert, GBCS 6.3.2). The wire bytes are encoded once and
leave as an :class:`~smets_emu.emulator.kernel.messages.Outbound` with their grouping header.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from smets_emu.emulator.kernel.messages import (
    ALERT_AUTHENTICATION_FAILURE,
    ALERT_NO_AUTHORITY,
    GENERIC_CRITICAL_ALERT,
    GENERIC_NON_CRITICAL_ALERT,
    AlertSpec,
    CommandContext,
    HandlerResult,
    Outbound,
)
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import KeyMaterialError
from smets_emu.protocols import usecases
from smets_emu.protocols.envelope import CraFlag, Envelope, GroupingHeader, OtherInfo
from smets_emu.protocols.payloads import Payload
from smets_emu.protocols.payloads.dlms import AccessRequest, AccessResponse, DataNotification
from smets_emu.protocols.security import maced_wire, message_key, signed_wire
from smets_emu.protocols.timestamps import DlmsDateTime

if TYPE_CHECKING:
    from smets_emu.emulator.device import Device


def protect(device: Device, state: DeviceState, header: GroupingHeader, content: bytes, *, sign: bool) -> bytes:
    """The wire form of one outgoing message: signed-only, or MACed towards its recipient (GBCS 6.2.4)."""
    env = Envelope(header, content, signature=None, mac=None, signature_field=not sign)
    if sign:
        return signed_wire(env, device.private_key(state, "ds"))
    secret = device.party_secret(state, header.recipient)
    if secret is None:
        raise KeyMaterialError(f"no key agreement anchor for {header.recipient.hex().upper()}")
    return maced_wire(env, message_key(secret, header))


@functools.lru_cache(maxsize=8)
def _date_time(now: dt.datetime) -> DlmsDateTime:
    """The response header's date-time (GBCS 7.2.8) for *now*; a burst of commands shares one clock reading."""
    return DlmsDateTime.from_datetime(now)


def response(device: Device, state: DeviceState, ctx: CommandContext, result: HandlerResult) -> Outbound:
    """The response to the command in *ctx* carrying *result*'s payload (GBCS 7.2.8)."""
    cmd = ctx.header
    assert result.payload is not None
    with_time = result.date_time
    if with_time is None:  # the use-case table's rule (GBCS 7.2.8; RTDS), else with a signed command
        declared = usecases.response_date_time(cmd.message_code)
        with_time = ctx.signed if declared is None else declared
    header = GroupingHeader(
        cra_flag=CraFlag.RESPONSE,
        originator_counter=cmd.originator_counter,
        originator=device.eui,
        recipient=cmd.originator,
        other_information=cmd.other_information,
        date_time=_date_time(ctx.now) if with_time else None,
    )
    sign = result.sign if result.sign is not None else ctx.signed
    wire = protect(device, state, header, result.payload.encode(), sign=sign)
    return Outbound("response", cmd.originator, wire, cmd.message_code, header, result.payload)


def alert(device: Device, state: DeviceState, spec: AlertSpec) -> Outbound:
    """Address, number and protect an alert; advances the alert counter of *state* (GBCS 4.3.1.5)."""
    recipient = spec.recipient or device.alert_recipient(state)
    counter = state.next_alert_counter()
    payload = spec.payload
    if isinstance(payload, (DataNotification, AccessResponse, AccessRequest)):
        # DLMS alerts carry the low 24 bits of the alert counter as invoke-id (GBCS 7.2.9)
        payload = replace(payload, invoke=replace(payload.invoke, invoke_id=counter & 0xFFFFFF))
    header = GroupingHeader(
        cra_flag=CraFlag.ALERT,
        originator_counter=counter,
        originator=device.eui,
        recipient=recipient,
        other_information=OtherInfo(
            spec.message_code,
            supplementary_remote_party_id=spec.supplementary_id,
            supplementary_remote_party_counter=spec.supplementary_counter if spec.supplementary_id else None,
        ),
    )
    wire = protect(device, state, header, payload.encode(), sign=spec.critical)
    return Outbound("alert", recipient, wire, spec.message_code, header, payload)


def security_alert(family: str, alert_code: int, now: dt.datetime) -> AlertSpec:
    """A generic alert (0x1000 critical / 0x1001 non-critical) carrying a security event code."""
    critical = alert_code in (ALERT_AUTHENTICATION_FAILURE, ALERT_NO_AUTHORITY)
    message_code = GENERIC_CRITICAL_ALERT if critical else GENERIC_NON_CRITICAL_ALERT
    return AlertSpec(message_code, generic_alert_payload(family, alert_code, now), critical)


def event_alert_spec(
    message_code: int, alert_code: int, items: tuple[Any, ...], now: dt.datetime, *, critical: bool,
    recipient: bytes | None = None, supplementary_id: bytes | None = None,
) -> AlertSpec:
    """A DLMS event alert: a data-notification of alert code, time stamp and *items* (GBCS 7.2.9)."""
    from smets_emu.protocols.payloads.dlms import DataNotification, InvokeIdAndPriority
    from smets_emu.protocols.payloads.dlms_data import DataTag, IntegerData, OctetStringData, StructureData

    body = StructureData((
        IntegerData(DataTag.LONG_UNSIGNED, alert_code),
        OctetStringData(DlmsDateTime.from_datetime(now).to_bytes()),
        *items,
    ))
    return AlertSpec(message_code, DataNotification(InvokeIdAndPriority(0), body), critical, recipient,
                     supplementary_id=supplementary_id)


def generic_alert_payload(family: str, alert_code: int, now: dt.datetime) -> Payload:
    """Generic alert body (GBCS 0x1000/0x1001): DLMS notification or GBZ alert header."""
    if family == "gbz":
        from smets_emu.protocols.payloads.gbz import AlertBody, GbzAlert, GbzPayload
        from smets_emu.protocols.timestamps import datetime_to_gbz_seconds

        return GbzPayload(alert=GbzAlert(alert_code, datetime_to_gbz_seconds(now), AlertBody.COMPONENTS), form="alert")
    return event_alert_spec(GENERIC_NON_CRITICAL_ALERT, alert_code, (), now, critical=False).payload
