"""The registry of Smart Energy cluster command behaviours a GSME or GPF answers (SE 1.4 Annex D, GBCS 7.5).

A behaviour is registered by (cluster id, direction of the received command, command id) and
answers one GBZ component from the object model: a list of reply commands (the cluster's
response command, or a Default Response) built from :class:`ZclModel` state. Commands that
change configuration at a start time ("future-dated", GBCS 7.5 / digest 5.9) declare a
``start`` extractor and an ``apply`` function: the engine applies them at once, keeps them in
``state.pending`` until their time, or cancels pending ones (start 0xFFFFFFFE / 0xFFFFFFFF).
This module holds the registry, the execution context and the helpers the cluster modules share.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from smets_emu.emulator.zcl.model import (
    ZclModel,
)
from smets_emu.protocols.payloads.gbz import GbzComponent
from smets_emu.protocols.payloads.zcl import ZclDirection, ZclFrameType, ZclStatus

C2S = ZclDirection.CLIENT_TO_SERVER
S2C = ZclDirection.SERVER_TO_CLIENT

CANCEL_TIMES = frozenset({0xFFFFFFFE, 0xFFFFFFFF})
"""Start times that cancel a pending future-dated command of the same kind (GBCS use cases GCS01a/GCS02)."""

NO_SAMPLE = 0xFFFF
"""Sample id of a Start Sampling Response when sampling could not start (SE 1.4 D.3.2.4.14)."""


@dataclass
class ExecContext:
    """What a behaviour may use while executing one GBZ command."""

    model: ZclModel
    now: dt.datetime
    now_utc: int  # seconds since 2000-01-01 (ZCL UTCTime)
    message_code: int
    originator_counter: int
    requester: bytes
    verify_top_up: Callable[[str], TopUpCheck] | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TopUpCheck:
    """Outcome of checking a UTRN: accepted, or the ZCL Consumer Top Up result type (SE D.7.2.4.3)."""

    result_type: int  # 0 accepted, 1 rejected-invalid, 2 rejected-duplicate, 3 rejected-error
    amount: int = 0  # credit in 1/100000 of the currency unit
    counter: int = 0  # the UTRN's counter (accepted tokens)
    alert_code: int | None = None  # the GBCS alert a refusal raises


@dataclass(frozen=True)
class Reply:
    """One answering ZCL command (becomes one response component with the command's sequence number)."""

    command_id: int
    fields: dict[str, Any]
    frame_type: ZclFrameType = ZclFrameType.CLUSTER_SPECIFIC
    direction: ZclDirection = S2C
    disable_default_response: bool = False
    status: ZclStatus = ZclStatus.SUCCESS  # outcome of the command this reply answers


def default_response(component: GbzComponent, status: ZclStatus, command_id: int | None = None) -> Reply:
    """Default Response (ZCL 2.5.12) in the direction opposite to the received command."""
    answered = component.header.command_id if command_id is None else command_id
    direction = S2C if component.header.direction == C2S else C2S
    return Reply(0x0B, {"command_id": answered, "status": status.name}, ZclFrameType.PROFILE_WIDE, direction,
                 status=status)


Answer = Callable[[ExecContext, GbzComponent, dict[str, Any]], list[Reply]]
Apply = Callable[[ExecContext, dict[str, Any]], None]
Start = Callable[[GbzComponent, dict[str, Any]], int | None]
OnFault = Callable[[GbzComponent, ZclStatus], list[Reply]]


@dataclass(frozen=True)
class Behaviour:
    """How the device answers one cluster command; ``apply`` and ``start`` make it future-datable."""

    name: str
    answer: Answer
    apply: Apply | None = None
    start: Start | None = None
    on_fault: OnFault | None = None
    default_response_direction: ZclDirection | None = None  # when GBCS answers in the command's own direction


BEHAVIOURS: dict[tuple[int, ZclDirection, int], Behaviour] = {}
"""Registered behaviours by (cluster id, direction of the received command, command id)."""


def behaviour(cluster_id: int, direction: ZclDirection, command_id: int, name: str, **kwargs: Any) -> Callable[
        [Answer], Answer]:
    """Register *answer* (and optional apply/start/on_fault) for a received cluster command."""

    def mark(fn: Answer) -> Answer:
        key = (cluster_id, direction, command_id)
        if key in BEHAVIOURS:
            raise TypeError(f"behaviour for 0x{cluster_id:04X}/{command_id:02X} registered twice")
        BEHAVIOURS[key] = Behaviour(name, fn, **kwargs)
        return fn

    return mark


def lookup(cluster_id: int, direction: ZclDirection, command_id: int) -> Behaviour | None:
    """The behaviour of a received cluster command, or None when the device does not support it."""
    return BEHAVIOURS.get((cluster_id, direction, command_id))


# --- helpers -----------------------------------------------------------------------------


def utc(value: Any) -> int:
    """A ZCL UTCTime field (``{"utc": n, ...}`` or int) as seconds since 2000."""
    if isinstance(value, dict):
        value = value.get("utc", 0)
    return int(value or 0)


def field_start(name: str) -> Start:
    """Start time taken from a UTCTime field."""
    return lambda comp, fields: utc(fields.get(name))


def header_start(comp: GbzComponent, fields: dict[str, Any]) -> int | None:
    """Start time taken from the component's from-date-time extended header (GBCS 7.5)."""
    return comp.from_date_time


def ack(ctx: ExecContext, comp: GbzComponent, fields: dict[str, Any]) -> list[Reply]:
    """Acknowledge with a successful Default Response."""
    return [default_response(comp, ZclStatus.SUCCESS)]


def not_found(comp: GbzComponent) -> list[Reply]:
    """Default Response NOT_FOUND: the device holds no matching data."""
    return [default_response(comp, ZclStatus.NOT_FOUND)]


def store(table: str, entry: str | None = None) -> Apply:
    """An apply step keeping the pushed fields in a table (the latest per *entry*)."""

    def apply(ctx: ExecContext, fields: dict[str, Any]) -> None:
        ctx.model.mapping(table)[entry or "latest"] = fields

    return apply


def trailing(value: int) -> int:
    """The low byte of a trailing-digit field."""
    return int(value) & 0xFF


def snapshots(ctx: ExecContext, comp: GbzComponent, f: dict[str, Any], cluster: str, answer: int) -> list[Reply]:
    """Answer a Get Snapshot / Get Prepay Snapshot from the snapshots of *cluster* (SE 1.4 D.3.2.3.7, D.7.2.3.6)."""
    earliest, latest = utc(f.get("earliest_start_time")), utc(f.get("latest_end_time"))
    cause = int(f.get("snapshot_cause", 0xFFFFFFFF))
    table = ctx.model.table("snapshots")
    matches = [
        (index, snap) for index, snap in enumerate(table)
        if snap.get("cluster") == cluster and earliest <= int(snap["time"]) <= latest
        and (cause == 0xFFFFFFFF or int(snap["cause"]) & cause)
    ]
    offset = int(f.get("snapshot_offset", 0))
    if offset >= len(matches):
        return not_found(comp)
    index, snap = matches[offset]
    fields = {
        "snapshot_id": index,
        "snapshot_time": {"utc": int(snap["time"])},
        "total_snapshots_found": len(matches),
        "command_index": 0,
        "total_number_of_commands": 1,
        "snapshot_cause": int(snap["cause"]),
        "snapshot_payload_type": int(snap.get("payload_type", 0)),
        "snapshot_payload": snap.get("payload", ""),
    }
    return [Reply(answer, fields, disable_default_response=True)]
