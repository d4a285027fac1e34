"""Execute a GBZ command component by component and build the GBZ response (GBCS 7.5).

Each command component is answered by one or more response components that reuse its ZCL
transaction sequence number. A component that fails (a status other than success, not found
or unsupported attribute) stops the execution: every later component is answered with a
Default Response naming command 0xFF with status FAILURE, as GBCS devices do (RTDS error
scenarios). Responses that GBCS protects (digest 3.6) carry the ZCL payload of the listed
response commands encrypted with the payload key of the requester (KDF mode 04); their Additional
Header Frame Counters number the encrypted components of the message 0, 1, 2 ... (RTDS GCS15b/c, GCS16a/b).

Future-dated components (a start time after ``now``) are kept in ``state.pending`` and applied
by :func:`run_due`, which reports each with the 0x00CD alert body (alert 0x8F66 or 0x8F67).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from smets_emu.emulator.zcl.commands import (
    CANCEL_TIMES,
    Behaviour,
    ExecContext,
    Reply,
    default_response,
    lookup,
)
from smets_emu.errors import SmetsError
from smets_emu.protocols.payloads import zcl_clusters as clusters
from smets_emu.protocols.payloads.gbz import (
    AlertBody,
    FutureDatedExecution,
    GbzAlert,
    GbzAlertCode,
    GbzComponent,
    GbzPayload,
)
from smets_emu.protocols.payloads.zcl import ZclDirection, ZclFrameType, ZclHeader, ZclStatus

log = logging.getLogger(__name__)

PW = ZclFrameType.PROFILE_WIDE
CS = ZclFrameType.CLUSTER_SPECIFIC
S2C = ZclDirection.SERVER_TO_CLIENT
C2S = ZclDirection.CLIENT_TO_SERVER

READ_ATTRIBUTES, READ_ATTRIBUTES_RESPONSE = 0x00, 0x01
WRITE_ATTRIBUTES, WRITE_ATTRIBUTES_RESPONSE = 0x02, 0x04
NOT_EXECUTED_COMMAND = 0xFF

NON_ABORTING = frozenset({ZclStatus.SUCCESS, ZclStatus.NOT_FOUND, ZclStatus.UNSUPPORTED_ATTRIBUTE})
"""Statuses after which the following components are still executed."""

_METERING, _PREPAYMENT = 0x0702, 0x0705
_READ = (PW, READ_ATTRIBUTES_RESPONSE)
_SNAPSHOT, _PREPAY_SNAPSHOT = (CS, 0x06), (CS, 0x01)
_SAMPLES, _DEBT_LOG = (CS, 0x07), (CS, 0x06)

ENCRYPTED_RESPONSES: dict[int, frozenset[tuple[int, ZclFrameType, int]]] = {
    0x0074: frozenset({(_METERING, *_READ)}),  # GCS13a
    0x00B6: frozenset({(_METERING, *_READ)}),  # GCS13c
    0x00B8: frozenset({(_METERING, *_READ)}),  # GCS13b
    0x0075: frozenset({(_PREPAYMENT, *_READ)}),  # GCS14
    0x00C3: frozenset({(_METERING, *_SNAPSHOT), (_PREPAYMENT, *_PREPAY_SNAPSHOT)}),  # GCS15b
    0x0076: frozenset({(_METERING, *_SNAPSHOT), (_PREPAYMENT, *_PREPAY_SNAPSHOT)}),  # GCS15c
    0x00C4: frozenset({(_PREPAYMENT, *_DEBT_LOG)}),  # GCS15d
    0x0077: frozenset({(_METERING, *_SNAPSHOT)}),  # GCS16a
    0x0096: frozenset({(_PREPAYMENT, *_PREPAY_SNAPSHOT)}),  # GCS16b
    0x0078: frozenset({(_METERING, *_SAMPLES)}),  # GCS17
    0x0079: frozenset({(_METERING, *_SAMPLES)}),  # GCS18
    0x00A0: frozenset({(_METERING, *_SAMPLES)}),  # GCS61
}
"""Per message code, the (cluster, frame type, command id) of response commands sent encrypted (digest 3.6)."""


@dataclass
class Execution:
    """The response payload and whether every component succeeded."""

    payload: GbzPayload
    failed: bool = False
    pending: list[dict[str, Any]] = field(default_factory=list)


def execute(command: GbzPayload, ctx: ExecContext, *, encrypt: Callable[[bytes], bytes] | None = None) -> Execution:
    """Run every component of *command* against the model and build the GBZ response."""
    encrypted = ENCRYPTED_RESPONSES.get(ctx.message_code, frozenset())
    out: list[GbzComponent] = []
    aborted = False
    added: list[dict[str, Any]] = []
    frames = 0
    for comp in command.components:
        if aborted:
            replies = [default_response(comp, ZclStatus.FAILURE, NOT_EXECUTED_COMMAND)]
        else:
            replies = _run(comp, ctx, added)
            aborted = any(r.status not in NON_ABORTING for r in replies)
        for reply in replies:
            protect = (comp.cluster_id, reply.frame_type, reply.command_id) in encrypted
            out.append(_component(comp, reply, encrypt if protect else None, frame=frames))
            frames += protect
    if out:
        out[-1] = replace(out[-1], last=True)
    return Execution(GbzPayload(components=tuple(out), form="response"), aborted, added)


def _component(comp: GbzComponent, reply: Reply, encrypt: Callable[[bytes], bytes] | None, *,
               frame: int = 0) -> GbzComponent:
    """One response component; an encrypted one carries *frame*, its place among the message's encrypted
    components, as its Additional Header Frame Counter (GBCS 7.3: 0, 1, 2 ... per message; one byte)."""
    header = ZclHeader(reply.frame_type, reply.direction, comp.header.sequence_number, reply.command_id,
                       disable_default_response=reply.disable_default_response or encrypt is not None)
    plaintext = clusters.encode_command(comp.cluster_id, header, reply.fields)
    if encrypt is not None:
        return GbzComponent(comp.cluster_id, header, ciphered_information=encrypt(plaintext),
                            additional_frame_counter=frame & 0xFF)
    fields = clusters.decode_command(comp.cluster_id, header, plaintext)
    if fields is None:
        return GbzComponent(comp.cluster_id, header, payload=plaintext)
    return GbzComponent(comp.cluster_id, header, fields=fields)


def _run(comp: GbzComponent, ctx: ExecContext, added: list[dict[str, Any]]) -> list[Reply]:
    header = comp.header
    if comp.encrypted or header.manufacturer_specific:
        return [default_response(comp, ZclStatus.MALFORMED_COMMAND)]
    if header.frame_type == PW:
        return _profile_wide(comp, ctx)
    behaviour = lookup(comp.cluster_id, header.direction, header.command_id)
    if behaviour is None:
        status = ZclStatus.UNSUP_CLUSTER_COMMAND if ctx.model.clusters.get(f"{comp.cluster_id:04X}") is not None \
            or comp.cluster_id in _KNOWN_CLUSTERS else ZclStatus.UNSUPPORTED_CLUSTER
        return [default_response(comp, status)]
    if comp.fields is None:
        return [default_response(comp, ZclStatus.MALFORMED_COMMAND)]
    replies = _run_behaviour(behaviour, comp, ctx, added)
    if behaviour.default_response_direction is not None:
        replies = [replace(r, direction=behaviour.default_response_direction)
                   if (r.frame_type, r.command_id) == (PW, 0x0B) else r for r in replies]
    return replies


def _run_behaviour(behaviour: Behaviour, comp: GbzComponent, ctx: ExecContext,
                   added: list[dict[str, Any]]) -> list[Reply]:
    header = comp.header
    assert comp.fields is not None
    fault = ctx.model.command_fault(comp.cluster_id, header.command_id, header.sequence_number)
    if fault is not None:
        return behaviour.on_fault(comp, fault) if behaviour.on_fault else [default_response(comp, fault)]
    fields = dict(comp.fields)
    try:
        start = behaviour.start(comp, fields) if behaviour.start else None
        if not start and comp.from_date_time:  # the from date-time extended header defers a write (GBCS 7.5)
            start = comp.from_date_time
        if behaviour.apply is not None:
            if start in CANCEL_TIMES:
                _cancel(ctx, comp)
            elif start is not None and start > ctx.now_utc:
                added.append(_pending_entry(comp, fields, start, ctx))
            else:
                behaviour.apply(ctx, fields)
        return behaviour.answer(ctx, comp, fields)
    except (SmetsError, KeyError, TypeError, ValueError) as exc:
        log.info("component 0x%04X/%02X failed: %s", comp.cluster_id, header.command_id, exc)
        return [default_response(comp, ZclStatus.INVALID_FIELD)]


_KNOWN_CLUSTERS = frozenset({0x0000, 0x0700, 0x0702, 0x0703, 0x0705, 0x0707, 0x0708, 0x0709})


def _profile_wide(comp: GbzComponent, ctx: ExecContext) -> list[Reply]:
    header = comp.header
    direction = S2C if header.direction == C2S else C2S
    if header.command_id == READ_ATTRIBUTES and comp.fields is not None:
        records = [ctx.model.read(comp.cluster_id, int(a)) for a in comp.fields.get("attribute_ids", [])]
        worst = next((r.status for r in records if r.status not in NON_ABORTING), ZclStatus.SUCCESS)
        return [Reply(READ_ATTRIBUTES_RESPONSE, {"records": [r.record() for r in records]}, PW, direction,
                      status=worst)]
    if header.command_id == WRITE_ATTRIBUTES and comp.fields is not None:
        failures = []
        for record in comp.fields.get("records", []):
            status = ctx.model.write(comp.cluster_id, int(record["attribute_id"]), record.get("value"),
                                     str(record.get("type")))
            if status is not ZclStatus.SUCCESS:
                failures.append({"status": status.name, "attribute_id": int(record["attribute_id"])})
        records = failures or [{"status": "SUCCESS", "attribute_id": None}]
        return [Reply(WRITE_ATTRIBUTES_RESPONSE, {"records": records}, PW, direction)]
    return [default_response(comp, ZclStatus.UNSUP_GENERAL_COMMAND)]


# --- future-dated commands --------------------------------------------------------------


def _pending_entry(comp: GbzComponent, fields: dict[str, Any], start: int, ctx: ExecContext) -> dict[str, Any]:
    return {
        "kind": "gbz",
        "due": start,
        "message_code": ctx.message_code,
        "originator_counter": ctx.originator_counter,
        "cluster_id": comp.cluster_id,
        "frame_type": int(comp.header.frame_type),
        "direction": int(comp.header.direction),
        "disable_default_response": comp.header.disable_default_response,
        "command_id": comp.header.command_id,
        "fields": fields,
    }


def _cancel(ctx: ExecContext, comp: GbzComponent) -> None:
    pending = ctx.model.state.pending
    keep = [p for p in pending if not (p.get("kind") == "gbz" and p.get("cluster_id") == comp.cluster_id
                                        and p.get("command_id") == comp.header.command_id)]
    if len(keep) != len(pending):
        ctx.notes.append(f"cancelled {len(pending) - len(keep)} pending 0x{comp.cluster_id:04X} commands")
    pending[:] = keep


@dataclass(frozen=True)
class DueOutcome:
    """One future-dated command that was run: its 0x00CD alert payload."""

    entry: dict[str, Any]
    alert: GbzPayload
    actioned: bool


def run_due(ctx: ExecContext) -> list[DueOutcome]:
    """Apply every pending GBZ command whose start time has come; one alert body per command (digest 5.9)."""
    state = ctx.model.state
    due = sorted((p for p in state.pending if p.get("kind") == "gbz" and int(p["due"]) <= ctx.now_utc),
                 key=lambda p: int(p["due"]))
    if not due:
        return []
    state.pending[:] = [p for p in state.pending if not (p.get("kind") == "gbz" and int(p["due"]) <= ctx.now_utc)]
    outcomes = []
    for entry in due:
        behaviour: Behaviour | None = lookup(entry["cluster_id"], ZclDirection(entry["direction"]),
                                             entry["command_id"])
        actioned = False
        if behaviour is not None and behaviour.apply is not None:
            fault = ctx.model.command_fault(entry["cluster_id"], entry["command_id"])
            if fault is None:
                try:
                    behaviour.apply(ctx, entry["fields"])
                    actioned = True
                except (SmetsError, KeyError, TypeError, ValueError) as exc:
                    log.info("future-dated 0x%04X/%02X failed: %s", entry["cluster_id"], entry["command_id"], exc)
        details = FutureDatedExecution(
            message_code=int(entry["message_code"]),
            originator_counter=int(entry["originator_counter"]),
            cluster_id=int(entry["cluster_id"]),
            frame_type=ZclFrameType(int(entry["frame_type"])),
            direction=ZclDirection(int(entry["direction"])),
            command_id=int(entry["command_id"]),
            disable_default_response=bool(entry.get("disable_default_response", False)),
        )
        code = (GbzAlertCode.FUTURE_DATED_COMMAND_ACTIONED if actioned
                else GbzAlertCode.FUTURE_DATED_COMMAND_NOT_ACTIONED)
        alert = GbzAlert(int(code), ctx.now_utc, AlertBody.FUTURE_DATED, future_dated=details)
        outcomes.append(DueOutcome(entry, GbzPayload(alert=alert, form="alert"), actioned))
    return outcomes
