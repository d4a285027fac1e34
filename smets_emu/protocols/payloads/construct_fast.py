"""Direct readers and writers derived from construct definitions (ZCL command payloads, GBCS 7.5).

The constructs of :mod:`smets_emu.protocols.payloads.zcl` and ``zcl_clusters`` are the definition
of every ZCL command payload. :func:`fast_codec` walks such a construct once and, when it is made
only of the plain building blocks below, returns a reader and a writer that work on byte strings
and plain values directly, skipping construct's per-field stream and context machinery:

* ``Struct`` of named fields (and ``Pass``), ``FormatField`` integers, ``BytesInteger``,
  ``Enum`` over an integer, ``GreedyRange`` and fixed-count ``Array`` of such values;
* the ZCL adapters ``HexAdapter`` / ``Latin1Adapter`` over ``Prefixed(integer, GreedyBytes)`` and
  ``UtcTimeAdapter`` over an integer (their own ``_decode``/``_encode`` are called);
* Struct fields that read their siblings: ``If`` on a condition of the ZCL grammars and
  ``ZclValue(this.type)`` (its own ``parse_value``/``build_value`` are called).

The reader gives what ``plain(construct.parse(data))`` gives; every block above rebuilds its input
byte for byte, so a value read is a value that rebuilds. The writer gives what ``construct.build``
gives for well-typed values; callers fall back to the construct for anything it rejects (so errors
keep construct's wording). Anything else (``Switch``, ``IfThenElse``, custom constructs ...) has
no fast codec and stays with the construct. The test suite holds both paths to each other.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from typing import Any

import construct as cs

from smets_emu.protocols.payloads import zcl_profile_wide
from smets_emu.protocols.payloads.zcl_fields import HexAdapter, Latin1Adapter, UtcTimeAdapter
from smets_emu.protocols.payloads.zcl_values import ZclValue, build_value, parse_value, type_code

Reader = Callable[[bytes, int], tuple[Any, int]]
Writer = Callable[[Any], bytes]


class Unsupported(Exception):
    """The construct uses a block with no direct codec."""


class Truncated(Exception):
    """The bytes end inside a value."""


_INTEGER_FORMATS = frozenset("bBhHiIlLqQ")


def fast_codec(con: cs.Construct) -> tuple[Reader, Writer] | None:
    """A (reader, writer) pair for *con*, or None when it uses anything outside the plain blocks."""
    try:
        return _codec(con)
    except Unsupported:
        return None


def _codec(con: cs.Construct) -> tuple[Reader, Writer]:  # noqa: C901 - one branch per construct class
    if isinstance(con, cs.Renamed):
        return _codec(con.subcon)
    if isinstance(con, cs.FormatField):
        return _format_field(con)
    if isinstance(con, cs.BytesInteger):
        return _bytes_integer(con)
    if isinstance(con, cs.Enum):
        return _enum(con)
    if type(con) in (HexAdapter, Latin1Adapter):
        return _prefixed_bytes_adapter(con)
    if type(con) is UtcTimeAdapter:
        return _adapted(con, *_codec(con.subcon))
    if isinstance(con, cs.Struct):
        return _struct(con)
    if type(con) is cs.GreedyRange:
        if con.discard:
            raise Unsupported("GreedyRange with discard")
        return _greedy_range(*_codec(con.subcon))
    if type(con) is cs.Array:
        if not isinstance(con.count, int) or con.discard:
            raise Unsupported("Array without a fixed count")
        return _array(con.count, *_codec(con.subcon))
    raise Unsupported(type(con).__name__)


def _format_field(con: cs.FormatField) -> tuple[Reader, Writer]:
    if con.fmtstr[-1] not in _INTEGER_FORMATS or len(con.fmtstr) != 2:
        raise Unsupported(f"format {con.fmtstr}")
    packer = struct.Struct(con.fmtstr)
    size, unpack, pack = packer.size, packer.unpack_from, packer.pack

    def read(data: bytes, pos: int) -> tuple[Any, int]:
        if pos + size > len(data):
            raise Truncated
        return unpack(data, pos)[0], pos + size

    return read, pack


def _bytes_integer(con: cs.BytesInteger) -> tuple[Reader, Writer]:
    length, signed, swapped = con.length, con.signed, con.swapped
    if not isinstance(length, int) or length <= 0 or not isinstance(signed, bool) or not isinstance(swapped, bool):
        raise Unsupported("BytesInteger with computed parameters")
    order = "little" if swapped else "big"

    def read(data: bytes, pos: int) -> tuple[Any, int]:
        if pos + length > len(data):
            raise Truncated
        return int.from_bytes(data[pos:pos + length], order, signed=signed), pos + length

    def write(obj: Any) -> bytes:
        if not isinstance(obj, int) or (obj < 0 and not signed):
            raise TypeError("BytesInteger needs a non-negative int")
        return obj.to_bytes(length, order, signed=signed)

    return read, write


def _enum(con: cs.Enum) -> tuple[Reader, Writer]:
    read_int, write_int = _codec(con.subcon)
    names = {int(k): str(v) for k, v in con.decmapping.items()}
    values = {str(k): int(v) for k, v in con.encmapping.items()}

    def read(data: bytes, pos: int) -> tuple[Any, int]:
        value, pos = read_int(data, pos)
        return names.get(value, value), pos

    def write(obj: Any) -> bytes:
        return write_int(obj if isinstance(obj, int) else values[obj])

    return read, write


def _prefixed_bytes_adapter(con: cs.Adapter) -> tuple[Reader, Writer]:
    inner = con.subcon
    if type(inner) is not cs.Prefixed or inner.includelength or inner.subcon is not cs.GreedyBytes:
        raise Unsupported("adapter over something other than Prefixed(GreedyBytes)")
    read_length, write_length = _codec(inner.lengthfield)
    decode, encode = con._decode, con._encode

    def read(data: bytes, pos: int) -> tuple[Any, int]:
        size, pos = read_length(data, pos)
        end = pos + size
        if end > len(data):
            raise Truncated
        return decode(data[pos:end], None, ""), end

    def write(obj: Any) -> bytes:
        raw = encode(obj, None, "")
        return write_length(len(raw)) + raw

    return read, write


def _adapted(con: cs.Adapter, read_inner: Reader, write_inner: Writer) -> tuple[Reader, Writer]:
    decode, encode = con._decode, con._encode

    def read(data: bytes, pos: int) -> tuple[Any, int]:
        value, pos = read_inner(data, pos)
        return decode(value, None, ""), pos

    def write(obj: Any) -> bytes:
        return write_inner(encode(obj, None, ""))

    return read, write


ContextReader = Callable[[bytes, int, Any], tuple[Any, int]]
ContextWriter = Callable[[Any, Any], bytes]


def _context_codec(con: cs.Construct) -> tuple[ContextReader, ContextWriter] | None:
    """Codecs for Struct fields that read their siblings: ``If`` on a ZCL condition, ``ZclValue(this.type)``.

    The siblings are seen through a :class:`construct.Container` (attribute access), as construct
    shows them: the fields read so far when parsing, the whole value when building.
    """
    sub = con.subcon if isinstance(con, cs.Renamed) else con
    if type(sub) is ZclValue:
        type_func = sub.type_func
        if repr(type_func) != "this['type']":
            raise Unsupported("ZclValue typed by something other than this.type")

        def read_value(data: bytes, pos: int, ctx: Any) -> tuple[Any, int]:
            stream = io.BytesIO(data)
            stream.seek(pos)
            value = parse_value(stream, type_code(ctx["type"], ""), 0, "")
            return value, stream.tell()

        def write_value(obj: Any, ctx: Any) -> bytes:
            stream = io.BytesIO()
            build_value(obj, stream, type_code(ctx["type"], ""), 0, "")
            return stream.getvalue()

        return read_value, write_value
    if type(sub) is cs.IfThenElse and sub.elsesubcon is cs.Pass:
        cond = sub.condfunc
        if not callable(cond) or getattr(cond, "__module__", None) != zcl_profile_wide.__name__:
            raise Unsupported("If on a condition from outside the ZCL grammars")
        inner = _context_codec(sub.thensubcon)
        if inner is None:
            plain_read, plain_write = _codec(sub.thensubcon)
            inner = ((lambda data, pos, ctx: plain_read(data, pos)), (lambda obj, ctx: plain_write(obj)))
        read_inner, write_inner = inner

        def read_if(data: bytes, pos: int, ctx: Any) -> tuple[Any, int]:
            if cond(cs.Container(ctx)):
                return read_inner(data, pos, ctx)
            return None, pos

        def write_if(obj: Any, ctx: Any) -> bytes:
            return write_inner(obj, ctx) if cond(cs.Container(ctx)) else b""

        return read_if, write_if
    return None


def _struct(con: cs.Struct) -> tuple[Reader, Writer]:
    # (name, reader, writer, whether they take the siblings)
    fields: list[tuple[str, Any, Any, bool]] = []
    for sub in con.subcons:
        if sub is cs.Pass or (isinstance(sub, cs.Renamed) and sub.subcon is cs.Pass):
            continue
        name = sub.name
        if not isinstance(name, str) or name.startswith("_"):
            raise Unsupported("unnamed or private Struct field")
        contextual = _context_codec(sub)
        if contextual is None:
            fields.append((name, *_codec(sub), False))
        else:
            fields.append((name, *contextual, True))
    readers = tuple((name, read, ctx) for name, read, _, ctx in fields)
    writers = tuple((name, write, ctx) for name, _, write, ctx in fields)

    def read(data: bytes, pos: int) -> tuple[Any, int]:
        out: dict[str, Any] = {}
        for name, read_field, needs_siblings in readers:
            if needs_siblings:
                out[name], pos = read_field(data, pos, out)
            else:
                out[name], pos = read_field(data, pos)
        return out, pos

    def write(obj: Any) -> bytes:
        if not isinstance(obj, dict):
            raise TypeError("a Struct is built from a dict")
        return b"".join(write_field(obj[name], obj) if needs_siblings else write_field(obj[name])
                        for name, write_field, needs_siblings in writers)

    return read, write


def _greedy_range(read_item: Reader, write_item: Writer) -> tuple[Reader, Writer]:
    def read(data: bytes, pos: int) -> tuple[Any, int]:
        items = []
        end = len(data)
        while pos < end:
            try:
                item, after = read_item(data, pos)
            except Exception:  # noqa: BLE001 - as construct's GreedyRange: a failed item ends the range
                break
            if after == pos:
                break
            items.append(item)
            pos = after
        return items, pos

    def write(obj: Any) -> bytes:
        if not isinstance(obj, list):
            raise TypeError("GreedyRange needs a list")
        return b"".join(write_item(item) for item in obj)

    return read, write


def _array(count: int, read_item: Reader, write_item: Writer) -> tuple[Reader, Writer]:
    def read(data: bytes, pos: int) -> tuple[Any, int]:
        items = []
        for _ in range(count):
            item, pos = read_item(data, pos)
            items.append(item)
        return items, pos

    def write(obj: Any) -> bytes:
        if not isinstance(obj, list) or len(obj) != count:
            raise TypeError(f"Array needs a list of {count}")
        return b"".join(write_item(item) for item in obj)

    return read, write
