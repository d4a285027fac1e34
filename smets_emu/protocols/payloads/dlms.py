"""DLMS COSEM xDLMS payloads of ESME and CHF messages (GBCS 5.11; DLMS Green Book 9.3 "ACCESS", 9.6 A-XDR).

Three APDUs carry every DLMS use case in GBCS:

- ``access-request`` (``D9``) for commands: invoke id, date-time, then a list of
  access-request-specifications (GET, SET, ACTION, GET/SET with selection) and a list
  of Data (one per specification: null for GET, the value for SET, the parameter for ACTION);
- ``access-response`` (``DA``) for responses: invoke id, date-time, the optional echo of
  the request specifications, a list of Data and a list of access-response-specifications
  (data-access-result or action-result per item);
- ``data-notification`` (``0F``) for alerts: invoke id, date-time and one Data value.

Counts and lengths are A-XDR/BER. ``decode_dlms`` (here, a direct reader of the APDUs) returns one of
three frozen dataclasses sharing the :class:`DlmsPayload` base (family ``"dlms"``). The parts live in
:mod:`.dlms_types` (enumerations, constructs, value types), :mod:`.dlms_apdus` (the APDU classes and
their JSON), :mod:`.dlms_data` (A-XDR Data) and :mod:`.dlms_samples` (a sample per message code); their
public names are importable from here.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any, TypeVar

from construct.core import ConstructError

from smets_emu.errors import FrameError
from smets_emu.protocols.lengths import read_length
from smets_emu.protocols.payloads.base import PayloadContext
from smets_emu.protocols.payloads.dlms_apdus import (
    AccessRequest,
    AccessResponse,
    DataNotification,
    DlmsPayload,
    dlms_payload_from_json,
)
from smets_emu.protocols.payloads.dlms_data import (
    PROTECTED_PREFIX,
    DlmsData,
    attach_decrypted,
    read_data,
)
from smets_emu.protocols.payloads.dlms_samples import sample_dlms
from smets_emu.protocols.payloads.dlms_types import (
    ACCESS_REQUEST_TAG,
    ACCESS_RESPONSE_TAG,
    DATA_NOTIFICATION_TAG,
    AccessRequestApdu,
    AccessRequestKind,
    AccessRequestSpec,
    AccessResponseApdu,
    AccessResponseKind,
    AccessResponseSpec,
    ActionResult,
    DataAccessResult,
    DataNotificationApdu,
    InvokeIdAndPriority,
    ObisCode,
)

__all__ = [
    "ACCESS_REQUEST_TAG",
    "ACCESS_RESPONSE_TAG",
    "DATA_NOTIFICATION_TAG",
    "AccessRequest",
    "AccessRequestApdu",
    "AccessRequestKind",
    "AccessRequestSpec",
    "AccessResponse",
    "AccessResponseApdu",
    "AccessResponseKind",
    "AccessResponseSpec",
    "ActionResult",
    "DataAccessResult",
    "DataNotification",
    "DataNotificationApdu",
    "DlmsPayload",
    "InvokeIdAndPriority",
    "ObisCode",
    "DLMS_MESSAGE_CODES",
    "decode_dlms",
    "dlms_payload_from_json",
    "sample_dlms",
]


_K = TypeVar("_K", AccessRequestKind, AccessResponseKind)

# --------------------------------------------------------------------------- decoding


def _invoke(c: Any) -> InvokeIdAndPriority:
    return InvokeIdAndPriority(c.invoke_id, c.high_priority, c.confirmed, c.break_on_error, c.self_descriptive,
                               c.reserved)


def _decrypted(values: Iterable[DlmsData], ctx: PayloadContext | None, content: bytes | None = None,
               ) -> tuple[DlmsData, ...]:
    """*values* with protected blobs decrypted; *content*, when given, lets a message without any
    ``31 00000000`` blob prefix skip the walk."""
    if ctx is None or ctx.decrypt is None or (content is not None and PROTECTED_PREFIX not in content):
        return tuple(values)
    return tuple(attach_decrypted(v, ctx.decrypt) for v in values)


def decode_dlms(content: bytes, ctx: PayloadContext | None = None) -> DlmsPayload:
    """Decode the content bytes of an ESME/CHF message into its xDLMS APDU (GBCS 5.11).

    With ``ctx.decrypt``, protected blobs in responses and alerts get their plaintext
    attached (informative); a DecryptionError from the decryptor propagates unchanged.
    """
    if not isinstance(content, (bytes, bytearray, memoryview)):
        raise FrameError("DLMS content must be bytes")
    content = bytes(content)
    if not content:
        raise FrameError("empty DLMS content")
    try:
        return _read_apdu(content, ctx)
    except FrameError:
        raise
    except (ConstructError, ValueError, KeyError, IndexError, struct.error, RecursionError) as exc:
        raise FrameError(f"malformed DLMS APDU: {exc}") from exc


# Direct reader of the APDU constructs above (same grammar and checks, no streams or
# containers); the constructs remain the definition and build the bytes.

_REQUEST_KINDS = {int(kind): kind for kind in AccessRequestKind}
_RESPONSE_KINDS = {int(kind): kind for kind in AccessResponseKind}
_SELECTIVE_KINDS = frozenset({AccessRequestKind.GET_WITH_SELECTION, AccessRequestKind.SET_WITH_SELECTION})
_DESCRIPTOR = struct.Struct(">H6sb")


def _need(content: bytes, pos: int, size: int) -> None:
    if pos + size > len(content):
        raise ConstructError(f"DLMS APDU truncated: {size} bytes needed at offset {pos}")


def _read_invoke_and_date_time(content: bytes) -> tuple[InvokeIdAndPriority, bytes, int]:
    _need(content, 1, 4)
    word = int.from_bytes(content[1:5], "big")
    invoke = InvokeIdAndPriority(
        word & 0xFFFFFF, bool(word >> 31), bool((word >> 30) & 1), bool((word >> 29) & 1), bool((word >> 28) & 1),
        (word >> 24) & 0x0F,
    )
    n, pos = read_length(content, 5)
    _need(content, pos, n)
    return invoke, content[pos : pos + n], pos + n


def _kind_at(content: bytes, pos: int, size: int, kinds: dict[int, _K], what: str) -> _K:
    """The kind byte at *pos* of a specification of at least *size* bytes (Green Book 9.3 access-request and
    access-response specifications)."""
    _need(content, pos, size)
    kind = kinds.get(content[pos])
    if kind is None:
        raise ConstructError(f"unknown {what} kind {content[pos]}")
    return kind


def _read_request_specs(content: bytes, pos: int) -> tuple[tuple[AccessRequestSpec, ...], int]:
    count, pos = read_length(content, pos)
    specs = []
    for _ in range(count):
        kind = _kind_at(content, pos, 10, _REQUEST_KINDS, "access-request-specification")
        class_id, instance, member = _DESCRIPTOR.unpack_from(content, pos + 1)
        pos += 10
        if kind in _SELECTIVE_KINDS:
            _need(content, pos, 1)
            selector = content[pos]
            parameters, pos = read_data(content, pos + 1)
            specs.append(AccessRequestSpec(kind, class_id, ObisCode(*instance), member, selector, parameters))
        else:
            specs.append(AccessRequestSpec(kind, class_id, ObisCode(*instance), member))
    return tuple(specs), pos


def _read_data_list(content: bytes, pos: int) -> tuple[tuple[DlmsData, ...], int]:
    count, pos = read_length(content, pos)
    values = []
    for _ in range(count):
        value, pos = read_data(content, pos)
        values.append(value)
    return tuple(values), pos


def _read_apdu(content: bytes, ctx: PayloadContext | None) -> DlmsPayload:
    tag = content[0]
    if tag not in (ACCESS_REQUEST_TAG, ACCESS_RESPONSE_TAG, DATA_NOTIFICATION_TAG):
        raise FrameError(f"not a DLMS APDU: tag 0x{tag:02X}")
    invoke, date_time, pos = _read_invoke_and_date_time(content)
    if tag == ACCESS_REQUEST_TAG:
        specs, pos = _read_request_specs(content, pos)
        data, pos = _read_data_list(content, pos)
        _check_end(content, pos)
        return AccessRequest(invoke, specs, data, date_time)
    if tag == ACCESS_RESPONSE_TAG:
        _need(content, pos, 1)
        echo_present = content[pos]
        if echo_present not in (0, 1):
            raise ConstructError(f"bad request-echo presence byte {echo_present}")
        echo = None
        if echo_present:
            echo, pos = _read_request_specs(content, pos + 1)
        else:
            pos += 1
        data, pos = _read_data_list(content, pos)
        count, pos = read_length(content, pos)
        results = []
        for _ in range(count):
            kind = _kind_at(content, pos, 2, _RESPONSE_KINDS, "access-response-specification")
            result_type = ActionResult if kind == AccessResponseKind.ACTION else DataAccessResult
            results.append(AccessResponseSpec(kind, result_type.from_json_value(content[pos + 1])))
            pos += 2
        _check_end(content, pos)
        return AccessResponse(invoke, _decrypted(data, ctx, content), tuple(results), date_time, echo)
    body, pos = read_data(content, pos)
    _check_end(content, pos)
    return DataNotification(invoke, _decrypted((body,), ctx, content)[0], date_time)


def _check_end(content: bytes, pos: int) -> None:
    if pos != len(content):
        raise FrameError(f"{len(content) - pos} trailing bytes after DLMS APDU")


# --------------------------------------------------------------------------- message codes


def _codes() -> frozenset[int]:
    from smets_emu.protocols import usecases

    return usecases.codes(family="dlms")


DLMS_MESSAGE_CODES: frozenset[int] = _codes()
"""Message codes whose payload is (or, for 0x1000/0x1001, may be) a DLMS APDU (GBCS 5.11; digest App. A/B), as the
use-case table declares: ECS*, CCS01-CCS07, DBCH*, CS01a, CS14 and the DLMS forms of the device alerts."""

