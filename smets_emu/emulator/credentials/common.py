"""What the CS02 use cases share (GBCS 13.3.5): the authorising cell check, content guards, payloads.

A command whose content the typed models refuse (a malformed certificate, a value the ASN.1 type
cannot hold) is answered with the 0x8F1E alert, integrity check of content or format failed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from smets_emu.emulator.anchors import AnchorCell, CellId
from smets_emu.emulator.device import (
    ALERT_INTEGRITY_FAILURE,
    ALERT_NO_AUTHORITY,
    CommandContext,
    CommandRejected,
    HandlerResult,
)
from smets_emu.errors import FrameError
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.protocols.payloads.asn1_models import Asn1Model, CellIdentifier, to_payload

RESPONSE, ALERT = 2, 3
NO_ID = bytes(8)
"""Subject unique ID and key identifier reported for an empty cell (and the root cell's subject)."""

_S = TypeVar("_S")


def guarded(fn: Callable[[_S, CommandContext], HandlerResult]) -> Callable[[_S, CommandContext], HandlerResult]:
    """Turn command content the typed models refuse into the 0x8F1E alert instead of an exception."""

    @functools.wraps(fn)
    def wrapper(self: _S, ctx: CommandContext) -> HandlerResult:
        try:
            return fn(self, ctx)
        except (FrameError, KeyError, ValueError, TypeError) as exc:
            raise CommandRejected(ALERT_INTEGRITY_FAILURE, f"unusable command content: {exc}") from exc

    return wrapper


def payload(model: Asn1Model, code: int, cra: int) -> Asn1Payload:
    """A device's ASN.1 payload of *model*; devices write long lengths with two octets (RTDS)."""
    return to_payload(model, code, cra, "long2")


def authorising_cell(ctx: CommandContext, ident: CellIdentifier | None) -> AnchorCell:
    """The populated cell a command names as its authoriser; it must name the originator (GBCS 13.3.5)."""
    cell_id = None if ident is None else CellId.from_identifier(ident)
    if cell_id is None:
        raise CommandRejected(ALERT_INTEGRITY_FAILURE, "authorising trust anchor cell identifier is invalid")
    cell = ctx.state.anchors.get(cell_id)
    if cell is None or cell.empty:
        raise CommandRejected(ALERT_NO_AUTHORITY, f"device holds no {cell_id.label()} cell")
    if cell.subject_id != ctx.header.originator:
        raise CommandRejected(ALERT_NO_AUTHORITY, f"{cell_id.label()} cell does not name the originator")
    return cell
