"""Cluster-specific ZCL command payloads of the Smart Energy clusters GBCS uses (ZigBee SE 1.4).

The registry maps (cluster id, direction, command id) to (name, grammar), gathered from one module
per cluster in :mod:`.zcl_cluster_commands`: Price 0x0700 (SE D.4), Metering 0x0702 (SE D.3),
Messaging 0x0703 (SE D.5), Prepayment 0x0705 (SE D.7), Calendar 0x0707 (SE D.9), Device
Management 0x0708 (SE D.10), Events 0x0709 (SE D.11). Profile-wide commands come from
:mod:`.zcl_profile_wide`; cluster and attribute names from :mod:`.zcl_names`. Direction names
follow ZCL: client-to-server commands are "received" by the server; GBCS encodes pushes to the
meter as server-to-client "Publish ..." commands (GBCS 7.5).
"""

from __future__ import annotations

from typing import Any

from construct import (
    Adapter,
    Array,
    Construct,
    Container,
    FocusedSeq,
    FormatField,
    GreedyRange,
    Renamed,
    Struct,
    Switch,
    Terminated,
)
from construct.core import BytesInteger as BytesIntegerClass

from smets_emu.errors import EncodeError
from smets_emu.protocols.payloads.construct_fast import Reader, Writer, fast_codec
from smets_emu.protocols.payloads.zcl import (
    PROFILE_WIDE_COMMANDS,
    HexAdapter,
    Latin1Adapter,
    UtcTimeAdapter,
    ZclDirection,
    ZclFrameType,
    ZclHeader,
    plain,
)
from smets_emu.protocols.payloads.zcl_cluster_commands import (
    calendar,
    device_management,
    events,
    messaging,
    metering,
    prepayment,
    price,
)
from smets_emu.protocols.payloads.zcl_fields import HexRest, TrailingOptional
from smets_emu.protocols.payloads.zcl_names import ATTRIBUTE_NAMES, CLUSTER_NAMES, attribute_name, cluster_name

__all__ = [
    "ATTRIBUTE_NAMES", "CLUSTER_COMMANDS", "CLUSTER_NAMES", "PROFILE_WIDE_COMMANDS", "annotate", "attribute_name",
    "cluster_name", "command_grammar", "command_name", "decode_command", "encode_command", "example_fields",
]

CLUSTER_COMMANDS: dict[tuple[int, ZclDirection, int], tuple[str, Construct]] = {
    (cluster.CLUSTER_ID, direction, command_id): entry
    for cluster in (price, metering, messaging, prepayment, calendar, device_management, events)
    for (direction, command_id), entry in cluster.COMMANDS.items()
}
"""Cluster-specific command grammars by (cluster, direction, command id) (SE 1.4 Annex D)."""


def command_grammar(cluster_id: int, header: ZclHeader) -> tuple[str | None, Construct | None]:
    """Name and payload grammar of the command a ZCL header announces (None when unknown)."""
    if header.manufacturer_specific:
        return None, None
    if header.frame_type == ZclFrameType.PROFILE_WIDE:
        entry = PROFILE_WIDE_COMMANDS.get(header.command_id)
    elif header.frame_type == ZclFrameType.CLUSTER_SPECIFIC:
        entry = CLUSTER_COMMANDS.get((cluster_id, header.direction, header.command_id))
    else:
        entry = None
    if entry is None:
        return None, None
    return entry


def command_name(cluster_id: int, frame_type: int, direction: int, command_id: int) -> str | None:
    """Readable name of a command, or None when unknown."""
    if frame_type == ZclFrameType.PROFILE_WIDE:
        entry = PROFILE_WIDE_COMMANDS.get(command_id)
    else:
        entry = CLUSTER_COMMANDS.get((cluster_id, ZclDirection(direction & 1), command_id))
    return entry[0] if entry else None


_WHOLE_PAYLOADS: dict[int, tuple[Construct, Construct]] = {}
_FAST_CODECS: dict[int, tuple[Construct, tuple[Reader, Writer] | None]] = {}


def _fast_codec(grammar: Construct) -> tuple[Reader, Writer] | None:
    """The direct reader and writer of *grammar* (see :mod:`.construct_fast`), None when it has none."""
    entry = _FAST_CODECS.get(id(grammar))
    if entry is None or entry[0] is not grammar:
        entry = _FAST_CODECS[id(grammar)] = (grammar, fast_codec(grammar))
    return entry[1]


def _whole_payload(grammar: Construct) -> Construct:
    """*grammar* filling the whole payload, compiled once per grammar (construct's compiler).

    The compiled parser and builder are equivalent to the interpreted ones; a grammar that
    does not compile falls back to the interpreted form.
    """
    entry = _WHOLE_PAYLOADS.get(id(grammar))
    if entry is None or entry[0] is not grammar:
        whole = FocusedSeq("v", "v" / grammar, Terminated)
        try:
            compiled = whole.compile()
        except Exception:  # noqa: BLE001 - any compiler limitation keeps the interpreted form
            compiled = whole
        entry = _WHOLE_PAYLOADS[id(grammar)] = (grammar, compiled)
    return entry[1]


def decode_command(cluster_id: int, header: ZclHeader, payload: bytes) -> dict[str, Any] | None:
    """Decode a command payload into named fields, or None when no grammar fits it byte for byte."""
    _, grammar = command_grammar(cluster_id, header)
    if grammar is None:
        return None
    codec = _fast_codec(grammar)
    if codec is not None:
        try:
            fields, end = codec[0](payload, 0)
        except Exception:  # noqa: BLE001 - any failure simply means "keep the bytes raw"
            return None
        return fields if end == len(payload) else None
    whole = _whole_payload(grammar)
    try:
        fields = plain(whole.parse(payload))
        if whole.build(fields) != payload:
            return None
    except Exception:  # any library failure simply means "keep the bytes raw"
        return None
    return fields


def encode_command(cluster_id: int, header: ZclHeader, fields: dict[str, Any]) -> bytes:
    """Build a command payload from named fields."""
    name, grammar = command_grammar(cluster_id, header)
    if grammar is None:
        raise EncodeError(
            f"no grammar for cluster 0x{cluster_id:04X} command 0x{header.command_id:02X}; give raw payload"
        )
    codec = _fast_codec(grammar)
    if codec is not None:
        try:
            return codec[1](fields)
        except Exception:  # noqa: BLE001, S110 - the construct below rebuilds it or says why not
            pass
    try:
        return grammar.build(fields)
    except Exception as exc:  # construct raises several types for bad field values
        raise EncodeError(f"cannot encode {name}: {exc}") from exc


def annotate(cluster_id: int, header: ZclHeader, fields: Any) -> Any:
    """A copy of decoded fields with informative names (attributes, answered command) added."""
    if isinstance(fields, list):
        return [annotate(cluster_id, header, f) for f in fields]
    if not isinstance(fields, dict):
        return fields
    out = {k: annotate(cluster_id, header, v) for k, v in fields.items()}
    if isinstance(out.get("attribute_id"), int):
        name = attribute_name(cluster_id, out["attribute_id"])
        if name:
            out["attribute"] = name
    ids = out.get("attribute_ids")
    if isinstance(ids, list):
        out["attributes"] = [attribute_name(cluster_id, i) if isinstance(i, int) else None for i in ids]
    if (header.frame_type == ZclFrameType.PROFILE_WIDE and header.command_id == 0x0B
            and isinstance(out.get("command_id"), int)):
        # a Default Response answers a cluster-specific command sent the other way
        answered = CLUSTER_COMMANDS.get((cluster_id, ZclDirection(1 - header.direction), out["command_id"]))
        if answered:
            out["command"] = answered[0]
    return out


def example_fields(grammar: Construct) -> Any:
    """Plausible field values for a cluster command grammar (used by sample builders and tests).

    Integers default to 1, times to 2015-01-01, strings to short text, repeated groups to one entry.
    """
    return _example(grammar, {})


def _example(sc: Any, partial: dict[str, Any]) -> Any:
    if isinstance(sc, Renamed):
        return _example(sc.subcon, partial)
    if isinstance(sc, Struct):
        out: dict[str, Any] = {}
        for sub in sc.subcons:
            if sub.name:
                out[sub.name] = _example(sub, out)
        return out
    if isinstance(sc, TrailingOptional):
        return None
    if isinstance(sc, UtcTimeAdapter):
        return {"utc": 0x1C374A80}
    if isinstance(sc, Latin1Adapter):
        return "GBCS"
    if isinstance(sc, HexAdapter) or isinstance(sc, HexRest):
        return ""
    if isinstance(sc, Adapter):
        return _example(sc.subcon, partial)
    if isinstance(sc, FormatField | BytesIntegerClass):
        return 1
    if isinstance(sc, GreedyRange | Array):
        return [_example(sc.subcon, {})]
    if isinstance(sc, FocusedSeq):
        target = next(sub for sub in sc.subcons if sub.name == sc.parsebuildfrom)
        return _example(target, partial)
    if isinstance(sc, Switch):
        key = sc.keyfunc(Container(partial)) if callable(sc.keyfunc) else sc.keyfunc
        return _example(sc.cases.get(key, sc.default), partial)
    raise TypeError(f"no example for {sc!r}")
