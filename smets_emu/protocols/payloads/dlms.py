"""DLMS COSEM xDLMS payloads of ESME and CHF messages (GBCS 5.11; DLMS Green Book 9.3 "ACCESS", 9.6 A-XDR).

Three APDUs carry every DLMS use case in GBCS:

- ``access-request`` (``D9``) for commands: invoke id, date-time, then a list of
  access-request-specifications (GET, SET, ACTION, GET/SET with selection) and a list
  of Data (one per specification: null for GET, the value for SET, the parameter for ACTION);
- ``access-response`` (``DA``) for responses: invoke id, date-time, the optional echo of
  the request specifications, a list of Data and a list of access-response-specifications
  (data-access-result or action-result per item);
- ``data-notification`` (``0F``) for alerts: invoke id, date-time and one Data value.

Counts and lengths are A-XDR/BER. ``decode_dlms`` returns one of three frozen dataclasses
sharing the :class:`DlmsPayload` base (family ``"dlms"``).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar

from construct import (
    BitsInteger,
    BitStruct,
    Bytes,
    Check,
    Const,
    Enum,
    Error,
    Flag,
    GreedyBytes,
    If,
    Int8sb,
    Int8ub,
    Int16ub,
    Prefixed,
    PrefixedArray,
    Rebuild,
    Struct,
    Switch,
    this,
)
from construct.core import ConstructError

from smets_emu.errors import EncodeError, FrameError
from smets_emu.protocols.lengths import ber_length, read_length
from smets_emu.protocols.payloads import dlms_write
from smets_emu.protocols.payloads.base import Payload, PayloadContext
from smets_emu.protocols.payloads.cosem_names import class_name, obis_name
from smets_emu.protocols.payloads.dlms_data import (
    PROTECTED_PREFIX,
    ArrayData,
    BitStringData,
    BooleanData,
    CompactArrayData,
    DataTag,
    DlmsData,
    IntegerData,
    NullData,
    OctetStringData,
    StringData,
    StructureData,
    TypeDescription,
    attach_decrypted,
    describe_date_time,
    dlms_data,
    read_data,
)
from smets_emu.protocols.payloads.json_fields import json_bool, json_hex, json_int, json_list

__all__ = [
    "ACCESS_REQUEST_TAG",
    "ACCESS_RESPONSE_TAG",
    "DATA_NOTIFICATION_TAG",
    "AccessRequest",
    "AccessRequestKind",
    "AccessRequestSpec",
    "AccessResponse",
    "AccessResponseKind",
    "AccessResponseSpec",
    "ActionResult",
    "DataAccessResult",
    "DataNotification",
    "DlmsPayload",
    "InvokeIdAndPriority",
    "ObisCode",
    "DLMS_MESSAGE_CODES",
    "decode_dlms",
    "dlms_payload_from_json",
    "sample_dlms",
]

ACCESS_REQUEST_TAG = 0xD9
ACCESS_RESPONSE_TAG = 0xDA
DATA_NOTIFICATION_TAG = 0x0F


# --------------------------------------------------------------------------- enumerations


class _Named(IntEnum):
    """An IntEnum whose JSON form is the lower-case, hyphenated member name."""

    @property
    def json_name(self) -> str:
        return self.name.lower().replace("_", "-")

    @classmethod
    def from_json_value(cls, value: Any) -> Any:
        """A member from its JSON name, or a plain int for a code without a name."""
        if isinstance(value, str):
            try:
                return cls[value.upper().replace("-", "_")]
            except KeyError:
                raise EncodeError(f"unknown {cls.__name__} {value!r}") from None
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return cls(value)
            except ValueError:
                return value
        raise EncodeError(f"{cls.__name__} must be a name or an integer, got {value!r}")


def _enum_json(value: int) -> str | int:
    return value.json_name if isinstance(value, _Named) else int(value)


class AccessRequestKind(_Named):
    """Access-Request-Specification CHOICE (Green Book 9.3 ACCESS service)."""

    GET = 1
    SET = 2
    ACTION = 3
    GET_WITH_SELECTION = 4
    SET_WITH_SELECTION = 5


class AccessResponseKind(_Named):
    """Access-Response-Specification CHOICE (Green Book 9.3 ACCESS service)."""

    GET = 1
    SET = 2
    ACTION = 3


class DataAccessResult(_Named):
    """Data-Access-Result (Green Book 9.5; GBCS 5.11)."""

    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_GET_ABORTED = 15
    NO_LONG_GET_IN_PROGRESS = 16
    LONG_SET_ABORTED = 17
    NO_LONG_SET_IN_PROGRESS = 18
    DATA_BLOCK_NUMBER_INVALID = 19
    OTHER_REASON = 250


class ActionResult(_Named):
    """Action-Result (Green Book 9.5; GBCS 5.11)."""

    SUCCESS = 0
    HARDWARE_FAULT = 1
    TEMPORARY_FAILURE = 2
    READ_WRITE_DENIED = 3
    OBJECT_UNDEFINED = 4
    OBJECT_CLASS_INCONSISTENT = 9
    OBJECT_UNAVAILABLE = 11
    TYPE_UNMATCHED = 12
    SCOPE_OF_ACCESS_VIOLATED = 13
    DATA_BLOCK_UNAVAILABLE = 14
    LONG_ACTION_ABORTED = 15
    NO_LONG_ACTION_IN_PROGRESS = 16
    OTHER_REASON = 250


# --------------------------------------------------------------------------- constructs

LongInvokeIdAndPriority = BitStruct(
    "high_priority" / Flag,
    "confirmed" / Flag,
    "break_on_error" / Flag,
    "self_descriptive" / Flag,
    "reserved" / BitsInteger(4),
    "invoke_id" / BitsInteger(24),
)
"""Long-Invoke-Id-And-Priority, 32 bits MSB first: priority, service class, processing option,
self-descriptive, 4 reserved bits, 24-bit invoke id (Green Book 9.6; GBCS 5.11: ``0x20`` flags and the
low 24 bits of the originator counter)."""

CosemAttributeDescriptor = Struct(
    "class_id" / Int16ub,
    "instance_id" / Bytes(6),
    "attribute_id" / Int8sb,
)
"""Cosem-Attribute-Descriptor: class id, OBIS instance id, attribute id (Green Book 9.5; GBCS 5.11)."""

CosemMethodDescriptor = Struct(
    "class_id" / Int16ub,
    "instance_id" / Bytes(6),
    "method_id" / Int8sb,
)
"""Cosem-Method-Descriptor: class id, OBIS instance id, method id (Green Book 9.5; GBCS 5.11)."""

CosemSelectiveAttributeDescriptor = Struct(
    "class_id" / Int16ub,
    "instance_id" / Bytes(6),
    "attribute_id" / Int8sb,
    "access_selector" / Int8ub,
    "access_parameters" / dlms_data,
)
"""Attribute descriptor followed by Selective-Access-Descriptor (selector, parameters Data) (Green Book 9.5)."""

AccessRequestSpecification = Struct(
    "kind" / Enum(Int8ub, AccessRequestKind),
    "body" / Switch(
        this.kind,
        {
            "GET": CosemAttributeDescriptor,
            "SET": CosemAttributeDescriptor,
            "ACTION": CosemMethodDescriptor,
            "GET_WITH_SELECTION": CosemSelectiveAttributeDescriptor,
            "SET_WITH_SELECTION": CosemSelectiveAttributeDescriptor,
        },
        default=Error,
    ),
)
"""Access-Request-Specification (Green Book 9.3 ACCESS; GBCS 5.11)."""

AccessResponseSpecification = Struct(
    "kind" / Enum(Int8ub, AccessResponseKind),
    "result" / Switch(
        this.kind,
        {
            "GET": Enum(Int8ub, DataAccessResult),
            "SET": Enum(Int8ub, DataAccessResult),
            "ACTION": Enum(Int8ub, ActionResult),
        },
        default=Error,
    ),
)
"""Access-Response-Specification: data-access-result for GET/SET, action-result for ACTION (Green Book 9.3)."""

_ApduDateTime = Prefixed(ber_length, GreedyBytes)

AccessRequestApdu = Struct(
    "tag" / Const(bytes([ACCESS_REQUEST_TAG])),
    "invoke" / LongInvokeIdAndPriority,
    "date_time" / _ApduDateTime,
    "specifications" / PrefixedArray(ber_length, AccessRequestSpecification),
    "data" / PrefixedArray(ber_length, dlms_data),
)
"""access-request ``D9`` (Green Book 9.3 ACCESS service; GBCS 5.11 commands)."""

AccessResponseApdu = Struct(
    "tag" / Const(bytes([ACCESS_RESPONSE_TAG])),
    "invoke" / LongInvokeIdAndPriority,
    "date_time" / _ApduDateTime,
    "echo_present" / Rebuild(Int8ub, lambda ctx: 0 if ctx.request_specifications is None else 1),
    Check(lambda ctx: ctx.echo_present in (0, 1)),
    "request_specifications" / If(this.echo_present == 1, PrefixedArray(ber_length, AccessRequestSpecification)),
    "data" / PrefixedArray(ber_length, dlms_data),
    "results" / PrefixedArray(ber_length, AccessResponseSpecification),
)
"""access-response ``DA`` (Green Book 9.3; GBCS 5.11 responses). The request echo is A-XDR OPTIONAL."""

DataNotificationApdu = Struct(
    "tag" / Const(bytes([DATA_NOTIFICATION_TAG])),
    "invoke" / LongInvokeIdAndPriority,
    "date_time" / _ApduDateTime,
    "body" / dlms_data,
)
"""data-notification ``0F`` (Green Book 9.3 DataNotification; GBCS 5.11 alerts)."""


# --------------------------------------------------------------------------- value types


@dataclass(frozen=True)
class ObisCode:
    """A COSEM logical name (OBIS code), six values A..F (Blue Book 4.1.8; GBCS 5.11)."""

    a: int
    b: int
    c: int
    d: int
    e: int
    f: int

    @classmethod
    def from_bytes(cls, value: bytes) -> ObisCode:
        if len(value) != 6:
            raise FrameError(f"an OBIS code has 6 bytes, got {len(value)}")
        return cls(*value)

    def to_bytes(self) -> bytes:
        try:
            return bytes(self.values)
        except (ValueError, TypeError) as exc:
            raise EncodeError(f"invalid OBIS code {self.values}: {exc}") from exc

    @property
    def values(self) -> tuple[int, int, int, int, int, int]:
        return (self.a, self.b, self.c, self.d, self.e, self.f)

    def __str__(self) -> str:
        return f"{self.a}-{self.b}:{self.c}.{self.d}.{self.e}.{self.f}"

    @classmethod
    def parse(cls, text: str) -> ObisCode:
        """Read ``A-B:C.D.E.F``."""
        try:
            group_ab, group_cf = text.split(":")
            a, b = group_ab.split("-")
            parts = [int(p, 10) for p in (a, b, *group_cf.split("."))]
        except (ValueError, AttributeError):
            raise EncodeError(f"not an OBIS code: {text!r}") from None
        if len(parts) != 6 or not all(0 <= p <= 255 for p in parts):
            raise EncodeError(f"not an OBIS code: {text!r}")
        return cls(*parts)

    @classmethod
    def from_json(cls, value: Any) -> ObisCode:
        """Accept ``"A-B:C.D.E.F"`` or a list of six integers."""
        if isinstance(value, str):
            return cls.parse(value)
        if isinstance(value, list) and len(value) == 6 and all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value
        ):
            return cls(*value)
        raise EncodeError(f"not an OBIS code: {value!r}")


@dataclass(frozen=True)
class InvokeIdAndPriority:
    """Long-Invoke-Id-And-Priority split into its flags and the 24-bit invoke id (Green Book 9.6)."""

    invoke_id: int
    high_priority: bool = False
    confirmed: bool = False
    break_on_error: bool = True
    self_descriptive: bool = False
    reserved: int = 0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, obj: Any) -> InvokeIdAndPriority:
        if not isinstance(obj, dict):
            raise EncodeError(f"invoke must be an object, got {obj!r}")
        return cls(
            invoke_id=json_int(obj, "invoke_id"),
            high_priority=json_bool(obj, "high_priority", False),
            confirmed=json_bool(obj, "confirmed", False),
            break_on_error=json_bool(obj, "break_on_error", True),
            self_descriptive=json_bool(obj, "self_descriptive", False),
            reserved=json_int(obj, "reserved", 0),
        )


@dataclass(frozen=True)
class AccessRequestSpec:
    """One access-request-specification.

    ``member_id`` is the attribute id (GET/SET, with or without selection) or the method
    id (ACTION). ``access_selector``/``access_parameters`` are set only for the
    with-selection kinds. In JSON, ``obis`` (``"A-B:C.D.E.F"`` or a list of six
    integers) is what :meth:`from_json` reads; ``obis_values``, ``class`` and
    ``object`` are informative.
    """

    kind: AccessRequestKind
    class_id: int
    instance: ObisCode
    member_id: int
    access_selector: int | None = None
    access_parameters: DlmsData | None = None

    @property
    def has_selection(self) -> bool:
        return self.kind in (AccessRequestKind.GET_WITH_SELECTION, AccessRequestKind.SET_WITH_SELECTION)

    def to_json(self) -> dict[str, Any]:
        obis = str(self.instance)
        out: dict[str, Any] = {"kind": self.kind.json_name, "class_id": self.class_id}
        name = class_name(self.class_id)
        if name:
            out["class"] = name
        out["obis"] = obis
        out["obis_values"] = list(self.instance.values)
        name = obis_name(obis)
        if name:
            out["object"] = name
        out["method_id" if self.kind == AccessRequestKind.ACTION else "attribute_id"] = self.member_id
        if self.has_selection:
            out["access_selector"] = self.access_selector
            out["access_parameters"] = self.access_parameters.to_json() if self.access_parameters else None
        return out

    @classmethod
    def from_json(cls, obj: Any) -> AccessRequestSpec:
        if not isinstance(obj, dict):
            raise EncodeError(f"access-request-specification must be an object, got {obj!r}")
        kind = AccessRequestKind.from_json_value(obj.get("kind"))
        if not isinstance(kind, AccessRequestKind):
            raise EncodeError(f"unknown access-request kind {obj.get('kind')!r}")
        key = "method_id" if kind == AccessRequestKind.ACTION else "attribute_id"
        spec = cls(kind, json_int(obj, "class_id"), ObisCode.from_json(obj.get("obis")),
                   json_int(obj, key))
        if spec.has_selection:
            return cls(spec.kind, spec.class_id, spec.instance, spec.member_id,
                       json_int(obj, "access_selector"),
                       DlmsData.from_json(obj.get("access_parameters")))
        return spec

    def _container(self) -> dict[str, Any]:
        body: dict[str, Any] = {"class_id": self.class_id, "instance_id": self.instance.to_bytes()}
        if self.kind == AccessRequestKind.ACTION:
            body["method_id"] = self.member_id
        else:
            body["attribute_id"] = self.member_id
        if self.has_selection:
            if self.access_selector is None or self.access_parameters is None:
                raise EncodeError(f"{self.kind.json_name} needs an access selector and parameters")
            body["access_selector"] = self.access_selector
            body["access_parameters"] = self.access_parameters
        return {"kind": self.kind.name, "body": body}


@dataclass(frozen=True)
class AccessResponseSpec:
    """One access-response-specification: the kind of access and its result code."""

    kind: AccessResponseKind
    result: DataAccessResult | ActionResult | int = 0

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.json_name, "result": _enum_json(self.result)}

    @classmethod
    def from_json(cls, obj: Any) -> AccessResponseSpec:
        if not isinstance(obj, dict):
            raise EncodeError(f"access-response-specification must be an object, got {obj!r}")
        kind = AccessResponseKind.from_json_value(obj.get("kind"))
        if not isinstance(kind, AccessResponseKind):
            raise EncodeError(f"unknown access-response kind {obj.get('kind')!r}")
        result_type = ActionResult if kind == AccessResponseKind.ACTION else DataAccessResult
        return cls(kind, result_type.from_json_value(obj.get("result")))

    def _container(self) -> dict[str, Any]:
        return {"kind": self.kind.name, "result": int(self.result)}


# --------------------------------------------------------------------------- payloads


class DlmsPayload(Payload):
    """A decoded DLMS xDLMS APDU (access-request, access-response or data-notification)."""

    family: ClassVar[str] = "dlms"
    apdu: ClassVar[str] = ""
    _tag: ClassVar[int]
    _construct: ClassVar[Any]
    invoke: InvokeIdAndPriority
    date_time: bytes

    def encode(self) -> bytes:
        """The APDU through the direct writer (:mod:`dlms_write`); values off its plain path (compact arrays,
        odd values) are built by the construct."""
        try:
            out = dlms_write.header_bytes(self._tag, self.invoke, self.date_time)
            self._write_body(out)
        except dlms_write.OffPath:
            return self._build_with_constructs()
        return b"".join(out)

    def _build_with_constructs(self) -> bytes:
        """The APDU built through its construct (the definition; also the path off the plain one)."""
        return _build(self._construct, {"invoke": _invoke_container(self.invoke), "date_time": self.date_time,
                                        **self._body_container()})

    def _write_body(self, out: list[bytes]) -> None:
        """Append the body after the invoke id and date-time; raise :class:`dlms_write.OffPath` to leave it to the
        construct."""
        raise NotImplementedError

    def _body_container(self) -> dict[str, Any]:
        """The construct container of the body (everything after invoke id and date-time)."""
        raise NotImplementedError

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> DlmsPayload:
        """Rebuild whichever APDU *obj* describes (dispatching on its ``"apdu"`` key)."""
        return dlms_payload_from_json(obj)

    def _header_json(self, invoke: InvokeIdAndPriority, date_time: bytes) -> dict[str, Any]:
        out: dict[str, Any] = {"family": self.family, "apdu": self.apdu, "invoke": invoke.to_json(),
                               "date_time": date_time.hex().upper()}
        text = describe_date_time(date_time)
        if text:
            out["date_time_text"] = text
        return out


def _build(construct: Any, container: dict[str, Any]) -> bytes:
    try:
        return construct.build(container)
    except EncodeError:
        raise
    except (ConstructError, ValueError, TypeError, OverflowError, struct.error, RecursionError) as exc:
        raise EncodeError(f"cannot encode DLMS APDU: {exc}") from exc


def _invoke_container(invoke: InvokeIdAndPriority) -> dict[str, Any]:
    return dict(invoke.__dict__)


@dataclass(frozen=True)
class AccessRequest(DlmsPayload):
    """access-request ``D9``: a command's specifications and their data (GBCS 5.11)."""

    apdu: ClassVar[str] = "access-request"
    invoke: InvokeIdAndPriority
    specifications: tuple[AccessRequestSpec, ...]
    data: tuple[DlmsData, ...]
    date_time: bytes = b""

    _tag: ClassVar[int] = ACCESS_REQUEST_TAG
    _construct: ClassVar[Any] = AccessRequestApdu

    def _write_body(self, out: list[bytes]) -> None:
        out.append(dlms_write.counted(len(self.specifications)))
        for spec in self.specifications:
            dlms_write.request_spec_bytes(spec, AccessRequestKind, out)
        dlms_write.data_list(self.data, out)

    def _body_container(self) -> dict[str, Any]:
        return {"specifications": [s._container() for s in self.specifications], "data": list(self.data)}

    def to_json(self) -> dict[str, Any]:
        out = self._header_json(self.invoke, self.date_time)
        if len(self.specifications) == len(self.data):
            out["requests"] = [{**s.to_json(), "data": d.to_json()} for s, d in zip(self.specifications, self.data,
                                                                                     strict=True)]
        else:
            out["specifications"] = [s.to_json() for s in self.specifications]
            out["data"] = [d.to_json() for d in self.data]
        return out

    @classmethod
    def _from_json(cls, obj: dict[str, Any]) -> AccessRequest:
        if "requests" in obj:
            requests = json_list(obj, "requests")
            specs = tuple(AccessRequestSpec.from_json(r) for r in requests)
            data = tuple(DlmsData.from_json(r.get("data")) for r in requests)
        else:
            specs = tuple(AccessRequestSpec.from_json(s) for s in json_list(obj, "specifications"))
            data = tuple(DlmsData.from_json(d) for d in json_list(obj, "data"))
        return cls(InvokeIdAndPriority.from_json(obj.get("invoke")), specs, data, json_hex(obj, "date_time", ""))


@dataclass(frozen=True)
class AccessResponse(DlmsPayload):
    """access-response ``DA``: result data and result codes (GBCS 5.11)."""

    apdu: ClassVar[str] = "access-response"
    invoke: InvokeIdAndPriority
    data: tuple[DlmsData, ...]
    results: tuple[AccessResponseSpec, ...]
    date_time: bytes = b""
    request_specifications: tuple[AccessRequestSpec, ...] | None = None

    _tag: ClassVar[int] = ACCESS_RESPONSE_TAG
    _construct: ClassVar[Any] = AccessResponseApdu

    def _write_body(self, out: list[bytes]) -> None:
        echo = self.request_specifications
        if echo is None:
            out.append(b"\x00")
        else:
            out += (b"\x01", dlms_write.counted(len(echo)))
            for spec in echo:
                dlms_write.request_spec_bytes(spec, AccessRequestKind, out)
        dlms_write.data_list(self.data, out)
        out.append(dlms_write.counted(len(self.results)))
        out += [dlms_write.response_spec_bytes(result, AccessResponseKind) for result in self.results]

    def _body_container(self) -> dict[str, Any]:
        echo = self.request_specifications
        return {
            "request_specifications": None if echo is None else [s._container() for s in echo],
            "data": list(self.data),
            "results": [r._container() for r in self.results],
        }

    def to_json(self) -> dict[str, Any]:
        out = self._header_json(self.invoke, self.date_time)
        if self.request_specifications is not None:
            out["request_specifications"] = [s.to_json() for s in self.request_specifications]
        if len(self.data) == len(self.results):
            out["results"] = [{**r.to_json(), "data": d.to_json()} for r, d in zip(self.results, self.data,
                                                                                   strict=True)]
        else:
            out["data"] = [d.to_json() for d in self.data]
            out["results"] = [r.to_json() for r in self.results]
        return out

    @classmethod
    def _from_json(cls, obj: dict[str, Any]) -> AccessResponse:
        results = json_list(obj, "results")
        specs = tuple(AccessResponseSpec.from_json(r) for r in results)
        if "data" in obj:
            data = tuple(DlmsData.from_json(d) for d in json_list(obj, "data"))
        else:
            data = tuple(DlmsData.from_json(r.get("data")) for r in results)
        echo = obj.get("request_specifications")
        echoed = None if echo is None else tuple(
            AccessRequestSpec.from_json(s) for s in json_list(obj, "request_specifications"))
        invoke = InvokeIdAndPriority.from_json(obj.get("invoke"))
        return cls(invoke, data, specs, json_hex(obj, "date_time", ""), echoed)


@dataclass(frozen=True)
class DataNotification(DlmsPayload):
    """data-notification ``0F``: an alert body, a structure led by alert code and time stamp (GBCS 5.11)."""

    apdu: ClassVar[str] = "data-notification"
    invoke: InvokeIdAndPriority
    body: DlmsData
    date_time: bytes = b""

    @property
    def alert_code(self) -> int | None:
        """The leading long-unsigned alert code of the body, when it has one."""
        body = self.body
        if isinstance(body, StructureData) and body.items and isinstance(body.items[0], IntegerData):
            return body.items[0].value
        return None

    _tag: ClassVar[int] = DATA_NOTIFICATION_TAG
    _construct: ClassVar[Any] = DataNotificationApdu

    def _write_body(self, out: list[bytes]) -> None:
        dlms_write.write_data(self.body, out)

    def _body_container(self) -> dict[str, Any]:
        return {"body": self.body}

    def to_json(self) -> dict[str, Any]:
        out = self._header_json(self.invoke, self.date_time)
        code = self.alert_code
        if code is not None:
            out["alert_code"] = f"{code:04X}"
        future = _future_dated_target(self.body)
        if future is not None:
            out["future_dated_command"] = future
        out["body"] = self.body.to_json()
        return out

    @classmethod
    def _from_json(cls, obj: dict[str, Any]) -> DataNotification:
        return cls(InvokeIdAndPriority.from_json(obj.get("invoke")), DlmsData.from_json(obj.get("body")),
                   json_hex(obj, "date_time", ""))


def _future_dated_target(body: DlmsData) -> dict[str, Any] | None:
    """Informative reading of the 19-byte element of a future-dated execution alert (GBCS 5.9 of the digest)."""
    if not (isinstance(body, StructureData) and len(body.items) == 3):
        return None
    target = body.items[2]
    if not (isinstance(target, OctetStringData) and len(target.value) == 19):
        return None
    raw = target.value
    obis = ObisCode.from_bytes(raw[12:18])
    return {
        "message_code": f"{int.from_bytes(raw[0:2], 'big'):04X}",
        "originator_counter": int.from_bytes(raw[2:10], "big"),
        "class_id": int.from_bytes(raw[10:12], "big"),
        "obis": str(obis),
        "attribute_id": raw[18],
    }


_APDUS: dict[str, type[AccessRequest] | type[AccessResponse] | type[DataNotification]] = {
    AccessRequest.apdu: AccessRequest,
    AccessResponse.apdu: AccessResponse,
    DataNotification.apdu: DataNotification,
}


def dlms_payload_from_json(obj: Any) -> DlmsPayload:
    """Rebuild a DLMS payload from its JSON tree (dispatching on ``"apdu"``)."""
    if not isinstance(obj, dict):
        raise EncodeError("a DLMS payload must be a JSON object")
    if obj.get("family", "dlms") != "dlms":
        raise EncodeError(f"not a DLMS payload: family {obj.get('family')!r}")
    kind = _APDUS.get(obj.get("apdu"))  # type: ignore[arg-type]
    if kind is None:
        raise EncodeError(f"unknown DLMS APDU {obj.get('apdu')!r}")
    try:
        return kind._from_json(obj)
    except (KeyError, AttributeError, TypeError) as exc:
        raise EncodeError(f"malformed DLMS payload JSON: {exc!r}") from exc


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


def _read_request_specs(content: bytes, pos: int) -> tuple[tuple[AccessRequestSpec, ...], int]:
    count, pos = read_length(content, pos)
    specs = []
    for _ in range(count):
        _need(content, pos, 10)
        kind = _REQUEST_KINDS.get(content[pos])
        if kind is None:
            raise ConstructError(f"unknown access-request-specification kind {content[pos]}")
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
            _need(content, pos, 2)
            kind = _RESPONSE_KINDS.get(content[pos])
            if kind is None:
                raise ConstructError(f"unknown access-response-specification kind {content[pos]}")
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


# --------------------------------------------------------------------------- message codes and samples


def _codes() -> frozenset[int]:
    from smets_emu.protocols import usecases

    return usecases.codes(family="dlms")


DLMS_MESSAGE_CODES: frozenset[int] = _codes()
"""Message codes whose payload is (or, for 0x1000/0x1001, may be) a DLMS APDU (GBCS 5.11; digest App. A/B), as the
use-case table declares: ECS*, CCS01-CCS07, DBCH*, CS01a, CS14 and the DLMS forms of the device alerts."""


def _u8(v: int) -> DlmsData:
    return IntegerData(DataTag.UNSIGNED, v)


def _u16(v: int) -> DlmsData:
    return IntegerData(DataTag.LONG_UNSIGNED, v)


def _u32(v: int) -> DlmsData:
    return IntegerData(DataTag.DOUBLE_LONG_UNSIGNED, v)


def _i8(v: int) -> DlmsData:
    return IntegerData(DataTag.INTEGER, v)


def _i16(v: int) -> DlmsData:
    return IntegerData(DataTag.LONG, v)


def _charge(scaler: int, price_scaler: int, register: tuple[int, str, int], prices: tuple[tuple[str, int], ...]
            ) -> DlmsData:
    """A Charge (class 113) unit_charge: (commodity and price scalers, charge-per-unit scaler definition (class id,
    OBIS, attribute), charge table of (index, price)), as ECS01/ECS07 set it (GBCS 5.11; the DCC reference test
    data 1.1-2.3)."""
    class_id, obis, attribute = register
    table = tuple(_st(_os(index), _i16(price)) for index, price in prices)
    return _st(_st(_i8(scaler), _i8(price_scaler)),
               _st(_u16(class_id), _os(ObisCode.parse(obis).to_bytes().hex()), _i8(attribute)), _ar(*table))


def _i32(v: int) -> DlmsData:
    return IntegerData(DataTag.DOUBLE_LONG, v)


def _enum(v: int) -> DlmsData:
    return IntegerData(DataTag.ENUM, v)


def _os(hex_text: str) -> DlmsData:
    return OctetStringData(bytes.fromhex(hex_text))


def _vs(text: str) -> DlmsData:
    return StringData(DataTag.VISIBLE_STRING, text.encode("ascii"))


def _st(*items: DlmsData) -> DlmsData:
    return StructureData(tuple(items))


def _ar(*items: DlmsData) -> DlmsData:
    return ArrayData(tuple(items))


_TRUE = BooleanData(0xFF)
_NULL_VALUE = NullData()
_DATE_TIME = "07E9010FFF090000008000FF"  # 2025-01-15 09:00, weekday and deviation not specified
_WILD_DATE_TIME = "FFFFFFFFFFFFFFFFFF8000FF"
_DEVICE = "00DB1234567890A0"
_SUPPLIER = "90B3D51F30010000"
_SCALER_UNIT = _st(_i8(0), _enum(30))  # 10^0 Wh
_BITS = BitStringData(64, bytes(8))
_SCRIPT = _u16(1)
_RANGE = "range"  # marks a GET-with-selection by date range (selector 1, GBCS restricting object)

_K = AccessRequestKind
_SampleSpec = tuple[AccessRequestKind, int, str, int, Any]

_SAMPLE_SPECS: dict[int, tuple[_SampleSpec, ...]] = {
    # CCS01 registers the ESME (device type 1), CCS02 removes a device the default premises does not hold (the
    # RTDS PPMID), CCS03 restores the default premises' log (ESME, GSME, GPF): a sample leaves the lab's HAN intact.
    0x0001: ((_K.ACTION, 104, "0-0:30.3.0.255", 1, _st(_os(_DEVICE), _enum(1), _os("30313233343536373839414243444546"),
                                                        _enum(0))),
             (_K.SET, 104, "0-0:30.3.0.255", 3, _u16(90)),
             (_K.SET, 104, "0-0:30.3.0.255", 2, _TRUE)),
    0x0002: ((_K.ACTION, 104, "0-0:30.3.0.255", 2, _os("00DB1234567890A4")),),
    0x0003: ((_K.ACTION, 104, "0-0:30.3.0.255", 5, _st(_os("0000000000000140"), _ar(
        *(_st(_os(eui), _os("")) for eui in (_DEVICE, "00DB1234567890A1", "00DB1234567890A3"))))),),
    0x0004: ((_K.GET, 104, "0-0:30.3.0.255", 4, _ar(_st(_os("00DB1234567890A1"), _enum(1), _os(_DATE_TIME)))),),
    0x0007: ((_K.ACTION, 115, "0-0:19.40.0.255", 1, _os(b"73946144332040217315".hex())),),  # a 20-digit UTRN
    0x0019: ((_K.SET, 20, "0-0:13.0.0.255", 7, _ar(_st(_os("01"), _os("0000"), _os("01")))),
             (_K.SET, 20, "0-0:13.0.0.255", 10, _os(_DATE_TIME))),
    0x001A: ((_K.SET, 111, "0-1:19.0.0.255", 2, _st(_enum(1), _enum(1))),),
    0x001B: ((_K.SET, 111, "0-1:19.0.0.255", 2, _st(_enum(1), _enum(2))),),
    0x001C: ((_K.ACTION, 112, "0-0:19.10.0.255", 1, _i32(1000)),),
    0x001D: ((_K.ACTION, 9, "0-0:10.0.100.255", 1, _SCRIPT),),
    0x001E: ((_K.SET, 113, "0-0:19.20.1.255", 6, _charge(0, -1, (0, "0-0:0.0.0.0", 0), (("", 3),))),),
    0x0020: ((_K.ACTION, 112, "0-0:19.10.1.255", 3, _i8(0)),),
    0x0021: ((_K.SET, 1, "0-2:96.13.1.255", 2, _os("48656C6C6F")),),
    0x0022: ((_K.SET, 1, "0-0:94.44.3.2", 2, _os(_DATE_TIME)),),
    0x0023: ((_K.SET, 1, "0-0:94.44.3.1", 2, _os("00")),),
    0x0024: ((_K.ACTION, 7, "0-0:99.98.0.255", 1, _i8(0)),),
    0x0025: ((_K.SET, 9000, "0-0:96.13.0.255", 2, _os("5375707072")),),
    0x0026: ((_K.GET, 3, "1-0:2.8.0.255", 2, _u32(1234)), (_K.GET, 3, "1-0:2.8.0.255", 3, _SCALER_UNIT)),
    0x0028: ((_K.GET, 1, "0-0:94.44.34.20", 2, _st(_i32(0), _i32(0))),),
    0x002B: ((_K.GET, 4, "1-0:2.6.0.255", 2, _u32(0)),),
    0x002C: ((_K.GET, 4, "1-0:1.6.0.255", 2, _u32(0)),),
    0x002E: ((_K.GET_WITH_SELECTION, 7, "0-0:98.1.4.255", 2, _RANGE),),
    0x0035: ((_K.GET_WITH_SELECTION, 7, "0-0:98.1.10.255", 2, _RANGE),),
    0x0036: ((_K.GET_WITH_SELECTION, 7, "0-0:99.1.1.255", 2, _RANGE),),
    0x0038: ((_K.GET_WITH_SELECTION, 7, "0-0:99.1.2.255", 2, _RANGE),),
    0x0039: ((_K.GET, 3, "1-0:32.32.0.4", 2, _u32(0)), (_K.GET, 3, "1-0:32.32.0.4", 3, _SCALER_UNIT)),
    0x003A: ((_K.GET, 3, "0-0:94.44.1.7", 2, _u32(0)), (_K.GET, 20, "0-0:13.0.0.255", 3, _ar())),
    0x003B: ((_K.GET, 113, "0-0:19.20.1.255", 5, _st(_os(_DATE_TIME), _u16(0))),),
    0x003C: ((_K.GET, 71, "0-0:17.0.1.255", 4, _u32(0)),),
    0x003D: ((_K.GET, 1, "0-0:94.44.0.0", 2, _u16(0)),),
    0x003E: ((_K.GET, 22, "0-0:15.0.0.255", 4, _ar(_st(_os("FFFFFFFF"), _os("FFFFFF01FF")))),),
    0x003F: ((_K.GET, 1, "0-0:96.1.1.255", 2, _os(_DEVICE)), (_K.GET, 1, "0-0:96.1.4.255", 2, _os("01"))),
    0x0040: ((_K.GET, 21, "0-0:16.0.0.255", 2, _ar(_u32(0))),),
    0x0042: ((_K.GET, 9000, "0-0:94.44.0.3", 2, _TRUE), (_K.GET, 3, "0-0:94.44.42.255", 2, _u32(0))),
    0x0043: ((_K.SET, 9000, "0-0:94.44.0.3", 4, _TRUE), (_K.SET, 9000, "0-0:94.44.128.7", 4, _u32(0))),
    0x0044: ((_K.ACTION, 3, "0-0:94.44.42.255", 1, _i8(0)),),
    0x0045: ((_K.SET, 7, "1-0:32.24.0.255", 4, _u32(900)),),
    0x0046: ((_K.SET, 22, "0-0:15.0.0.255", 4, _ar(_st(_os("00000000"), _os("FFFFFF01FF")))),),
    0x0047: ((_K.SET, 21, "0-0:16.0.0.255", 2, _ar(_u32(0))),),
    0x0048: ((_K.GET_WITH_SELECTION, 7, "0-0:99.98.0.255", 2, _RANGE),),
    0x0049: ((_K.GET_WITH_SELECTION, 7, "0-0:99.98.1.255", 2, _RANGE),),
    0x004A: ((_K.SET, 10, "0-0:12.0.0.255", 2, _ar()),),
    0x004B: ((_K.SET, 1, "0-0:94.44.0.1", 2, _u16(60)),),
    0x004C: ((_K.SET, 1, "0-0:94.44.34.11", 2, _os("31323334353637383930313233")),),
    0x004D: ((_K.SET, 1, "1-0:0.0.2.255", 2, _os("31323334353637383930313233")),),
    0x004E: ((_K.GET, 1, "0-0:94.44.34.11", 2, _os("31323334353637383930313233")),),
    0x004F: ((_K.ACTION, 9, "0-0:10.0.106.255", 1, _u16(0x33)),),
    0x0050: ((_K.ACTION, 9, "0-0:10.0.106.255", 1, _u16(0x34)),),
    0x0051: ((_K.ACTION, 9, "0-0:10.0.106.255", 1, _u16(0x35)),),
    0x0052: ((_K.GET, 70, "0-0:96.3.10.255", 3, _enum(1)),),
    0x0053: ((_K.SET, 1, "0-0:94.44.0.11", 2, _vs("Storage heater")),),
    0x0054: ((_K.SET, 1, "0-0:94.44.0.21", 2, _os("00")),),
    0x0055: ((_K.SET, 1, "0-0:94.44.117.1", 2, _u16(1)), (_K.ACTION, 9, "0-0:10.0.103.255", 1, _SCRIPT)),
    0x0058: ((_K.SET, 1, "0-3:96.13.1.255", 2, _os("0102030405060708")),),
    0x0059: ((_K.GET, 1, "0-0:0.2.1.255", 2, _os("0123ABCD")),),
    0x005A: ((_K.ACTION, 4, "1-0:1.6.0.255", 1, _i8(0)),),
    0x005E: ((_K.GET, 1, "0-0:94.44.7.255", 2, _TRUE),),
    0x005F: ((_K.SET, 1, "0-0:94.44.6.1", 2, _TRUE),),
    0x0062: ((_K.SET, 8, "0-0:1.0.0.255", 9, _enum(1)),
             (_K.ACTION, 8, "0-0:1.0.0.255", 5, _st(_os(_WILD_DATE_TIME), _os(_DATE_TIME), _os(_DATE_TIME))),
             (_K.GET, 8, "0-0:1.0.0.255", 2, _os(_DATE_TIME))),
    0x0068: ((_K.SET, 1, "0-0:94.44.0.4", 2, _TRUE),),
    0x0069: ((_K.GET, 112, "0-0:19.10.0.255", 2, _i32(1000)),),
    0x0092: ((_K.GET, 1, "0-0:96.1.1.255", 2, _os(_DEVICE)), (_K.GET, 1, "0-0:96.1.4.255", 2, _os("02"))),
    0x0093: ((_K.GET_WITH_SELECTION, 7, "0-0:99.98.0.255", 2, _RANGE),),
    0x0094: ((_K.GET_WITH_SELECTION, 7, "0-0:99.98.1.255", 2, _RANGE),),
    0x00A2: ((_K.SET, 113, "0-0:19.20.4.255", 6, _charge(0, -5, (0, "0-0:0.0.0.0", 0), (("", 20000),))),),
    0x00AC: ((_K.SET, 1, "0-30:97.98.11.255", 2, _BITS),),
    0x00AE: ((_K.SET, 7, "1-0:32.24.0.255", 4, _u32(900)),),
    0x00B0: ((_K.SET, 1, "0-33:97.98.11.255", 2, _BITS),),
    0x00B3: ((_K.ACTION, 112, "0-0:19.10.0.255", 2, _i32(0)),),
    0x00B7: ((_K.SET, 113, "0-0:19.20.5.255", 6, _charge(3, -5, (3, "1-20:1.8.0.255", 2), (("01", 10100),))),),
    0x00B9: ((_K.GET_WITH_SELECTION, 7, "0-0:99.98.4.255", 2, _RANGE),),
    0x00BA: ((_K.GET_WITH_SELECTION, 7, "0-17:99.98.2.255", 2, _RANGE),),
    0x00BB: ((_K.GET, 1, "0-0:94.44.0.11", 2, _vs("Storage heater")),),
    0x00BC: ((_K.GET, 3, "1-0:32.32.0.4", 2, _u32(0)),),
    0x00BD: ((_K.GET, 3, "0-0:94.44.1.8", 2, _u32(0)),),
    0x00BE: ((_K.GET, 111, "0-0:19.0.0.255", 2, _st(_enum(1), _enum(1))),),
    0x00C1: ((_K.ACTION, 7, "0-17:99.98.2.255", 1, _i8(0)),),
    0x00C6: ((_K.GET, 71, "0-0:17.0.1.255", 4, _u32(0)),),
    0x00C7: ((_K.SET, 113, "0-0:19.20.5.255", 6, _charge(3, -5, (3, "1-20:1.8.0.255", 2), (("01", 1010),))),),
    0x00C9: ((_K.GET_WITH_SELECTION, 7, "0-0:98.1.5.255", 2, _RANGE),),
    0x00D1: ((_K.SET, 1, "1-0:32.31.0.4", 2, _u32(2530)),),
    0x00D2: ((_K.SET, 1, "1-0:52.31.0.4", 2, _u32(2530)),),
    0x00D3: ((_K.ACTION, 3, "1-0:32.32.0.4", 1, _i8(0)),),
    0x00D4: ((_K.ACTION, 3, "1-0:52.32.0.4", 1, _i8(0)),),
    0x00D7: ((_K.SET, 22, "0-0:15.0.0.255", 4, _ar(_st(_os("00000000"), _os("FFFFFF01FF")))),),
    0x00D9: ((_K.GET, 22, "0-0:15.0.0.255", 4, _ar(_st(_os("00000000"), _os("FFFFFF01FF")))),),
    0x00DB: ((_K.SET, 22, "0-0:15.1.0.255", 4, _ar(_st(_os("00000000"), _os("FFFFFFFFFF")))),),
    0x00EA: ((_K.SET, 1, "0-30:97.98.12.255", 2, _BITS),),
    0x00EB: ((_K.SET, 1, "0-30:97.98.13.255", 2, _BITS),),
    0x00EC: ((_K.SET, 1, "0-30:97.98.14.255", 2, _BITS),),
    0x00ED: ((_K.SET, 1, "0-33:97.98.14.255", 2, _BITS),),
    0x00EE: ((_K.GET, 1, "0-30:97.98.15.255", 2, _BITS),),
    0x00EF: ((_K.GET, 1, "0-33:97.98.15.255", 2, _BITS),),
    0x00F9: ((_K.GET, 1, "0-0:96.1.2.255", 2, _os("01")), (_K.GET, 1, "0-0:96.1.4.255", 2, _os("01"))),
    0x00FA: ((_K.GET, 1, "0-0:96.1.4.255", 2, _os("02")), (_K.GET, 1, "0-0:96.1.6.255", 2, _os(_DEVICE[4:]))),
    0x00FD: ((_K.GET_WITH_SELECTION, 7, "0-17:99.98.2.255", 2, _RANGE),),
    0x00FE: ((_K.ACTION, 104, "0-0:30.3.0.255", 4, _NULL_VALUE),),
    0x010A: ((_K.GET, 1, "0-0:94.44.10.2", 2, BitStringData(32, bytes(4))),),
    0x010B: ((_K.GET_WITH_SELECTION, 7, "0-0:94.44.10.3", 2, _RANGE),),
    0x010C: ((_K.GET, 1, "0-0:94.44.10.0", 2, _st(_u8(0), _u8(0))),),
    0x010D: ((_K.SET, 1, "0-0:94.44.10.0", 2, _st(_u8(0), _u8(0))),),
    0x010E: ((_K.SET, 1, "0-0:94.44.10.1", 2, _u8(1)),),
    0x010F: ((_K.GET, 104, "0-0:30.3.0.255", 4, _ar(_st(_os("00DB1234567890A1"), _enum(1), _os(_DATE_TIME)))),),
    0x011A: ((_K.SET, 11, "0-1:11.0.3.255", 2, _ar()),),
    0x011C: ((_K.GET, 1, "0-0:94.44.0.11", 2, _vs("Storage heater")),),
    0x011D: ((_K.GET, 1, "0-0:94.44.0.21", 2, _os("00")),),
    0x011E: ((_K.SET, 1, "0-0:94.44.121.1", 2, _os("01")), (_K.ACTION, 9, "0-0:10.0.103.255", 1, _SCRIPT)),
    0x011F: ((_K.SET, 1, "0-0:94.44.119.3", 2, _os("01")), (_K.ACTION, 9, "0-0:10.0.107.255", 1, _SCRIPT)),
}
"""Per message code, the COSEM objects a plausible command addresses, with the SET/ACTION parameter or
the GET result value (facts from GBCS use cases; values are illustrative)."""

_PROTECTED_READS: dict[int, tuple[str, tuple[tuple[int, str, bool], ...]]] = {
    0x0027: ("0-0:43.2.8.255", ((1, "0-0:94.44.34.10", False),)),  # ECS17b import energy registers
    0x0029: ("0-0:43.2.9.255", ((1, "0-0:94.44.34.1", False),)),  # ECS17d TOU registers
    0x002A: ("0-0:43.2.10.255", ((1, "0-0:94.44.34.2", False),)),  # ECS17e TOU with blocks registers
    0x002D: ("0-0:43.2.1.255", ((1, "0-0:94.44.34.30", False),)),  # ECS19 prepayment registers
    0x002F: ("0-0:43.2.3.255", ((7, "0-0:98.1.2.255", True),)),  # ECS20b billing data log (mode/tariff change)
    0x0030: ("0-0:43.2.2.255", ((7, "0-0:98.1.0.255", True), (7, "0-0:98.1.1.255", True))),  # ECS20c
    0x0033: ("0-0:43.2.5.255", ((7, "0-0:98.1.9.255", True),)),  # ECS21a daily read log
    0x0034: ("0-0:43.2.6.255", ((7, "0-0:98.1.8.255", True),)),  # ECS21b prepayment daily read log
    0x0037: ("0-0:43.2.7.255", ((7, "0-0:99.1.0.255", True),)),  # ECS22b half-hour profile (active import)
    0x0060: ("0-0:43.2.4.255", ((7, "0-0:99.1.3.255", True),)),  # ECS66 daily consumption log
}
"""Use cases read through Data protection "get protected attributes" (class 30, method 1): the Data protection
object and the objects its object list names (class id, OBIS, attribute 2; buffers read over a date range), as the
GBCS use cases address them (the DCC reference test data, 4.1-4.17)."""

_ALERT_CODES: dict[int, int] = {
    0x0018: 0x8F12, 0x0061: 0x8F0A, 0x0067: 0x8F36, 0x00CC: 0x8F66, 0x00CE: 0x8F72,
    0x00F0: 0x81A0, 0x0110: 0x8F20, 0x0111: 0x8F26, 0x0112: 0x8F28, 0x0113: 0x8F2A, 0x0114: 0x8F2C,
    0x0115: 0x8F2D, 0x0120: 0x8F85, 0x0121: 0x8F86, 0x0122: 0x8F87, 0x0123: 0x8F88, 0x1000: 0x8F30,
    0x1001: 0x810E,
}
"""Alert code carried by each DLMS alert message code (GBCS 5.9, 5.10, 5.13 of the digest; Appendix C)."""


def _protection_parameters(counter: int, originator: str, recipient: str) -> DlmsData:
    """Blue Book class 30 protection parameters: authenticated encryption, agreed key C(0e, 2s) (GBCS 5.11)."""
    options = _st(
        _os("04" + f"{counter:016X}"), _os(originator), _os(recipient), _os(""),
        _st(_enum(2), _st(_os("02"), _os(""))),
    )
    return _ar(_st(_enum(2), options))


def _fake_protect(plaintext: bytes) -> bytes:
    return PROTECTED_PREFIX + bytes(len(plaintext)) + bytes(12)


_RANGE_FROM = 0x2F19B700  # 2025-01-15 00:00:00 UTC, seconds since 2000-01-01 (GBCS UTC)
_RANGE_TO = _RANGE_FROM + 86400


def _range_parameters() -> DlmsData:
    """Selector 1 (range descriptor, Blue Book class 7) as GBCS uses it: the restricting object is the GBCS UTC
    time (class 1 ``0-0:94.44.100.255`` attribute 2), from and to are UTC seconds since 2000, all columns."""
    restricting = _st(_u16(1), _os("00005E2C64FF"), _i8(2), _u16(0))
    return _st(restricting, _u32(_RANGE_FROM), _u32(_RANGE_TO), _ar())


def _protected_object_list(code: int) -> DlmsData:
    """The object list of a "get protected attributes" parameter: per object (class id, OBIS, attribute 2,
    data index 0, access selection), a buffer restricted to one day by date-time range (GBCS 5.11)."""
    entries = []
    for class_id, obis, ranged in _PROTECTED_READS[code][1]:
        selection = (_st(_enum(1), _st(_os("07E9010FFF000000008000FF"), _os("07E90110FF000000008000FF")))
                     if ranged else _st(_enum(0), _NULL_VALUE))
        entries.append(_st(_u16(class_id), _os(ObisCode.parse(obis).to_bytes().hex()), _i8(2), _u16(0), selection))
    return _ar(*entries)


def _sample_specs(code: int) -> tuple[_SampleSpec, ...]:
    if code in _PROTECTED_READS:
        return ((_K.ACTION, 30, _PROTECTED_READS[code][0], 1, None),)
    return _SAMPLE_SPECS.get(code, ((_K.GET, 1, "0-0:0.2.1.255", 2, _os("0123ABCD")),))


def _sample_alert(code: int, counter: int, protect: Callable[[bytes], bytes]) -> DlmsData:
    items: list[DlmsData] = [_u16(_ALERT_CODES.get(code, 0x8F30)), _os(_DATE_TIME)]
    if code == 0x00CC:
        target = (0x0019).to_bytes(2, "big") + (1000).to_bytes(8, "big") + (20).to_bytes(2, "big")
        items.append(OctetStringData(target + bytes.fromhex("00000D0000FF") + b"\x0a"))
    elif code == 0x00CE:
        items.append(OctetStringData(bytes([0xA1]) * 32))
    elif code == 0x00F0:
        items.append(_os("0001"))
    elif code == 0x0018:
        items.append(_st(_os(_DATE_TIME), _os("0001020304050607"), _ar(_st(_os("00DB1234567890A1"), _os("00" * 16)))))
    elif code == 0x0061:
        log = _ar(_st(_os(_DATE_TIME), _u32(1234), _i32(0)))
        items += [_protection_parameters(counter, _DEVICE, _SUPPLIER), OctetStringData(protect(log.encode()))]
    elif code == 0x0067:
        items += [_os(_DATE_TIME), _os(_DATE_TIME)]
    elif 0x0110 <= code <= 0x0115:
        items.append(_os("00DB1234567890A1"))
    elif code == 0x0123:
        items.append(StringData(DataTag.UTF8_STRING, b'{"status":"ok"}'))
    return StructureData(tuple(items))


def sample_dlms(
    message_code: int, cra_flag: int, *, invoke_id: int = 1000, encrypt: Callable[[bytes], bytes] | None = None
) -> DlmsPayload:
    """Build a plausible DLMS payload for *message_code* and CRA flag (1 command, 2 response, 3 alert).

    ``encrypt`` (plaintext -> ``31 00000000`` || ciphertext || tag) encrypts the protected parts of
    Data-protection responses and the ECS68 alert; without it they carry a zero placeholder blob.
    Unknown codes get a generic firmware-version read.
    """
    protect = encrypt or _fake_protect
    invoke = InvokeIdAndPriority(invoke_id & 0xFFFFFF)
    if cra_flag == 3:
        return DataNotification(invoke, _sample_alert(message_code, invoke_id, protect))
    if cra_flag not in (1, 2):
        raise EncodeError(f"CRA flag must be 1, 2 or 3, got {cra_flag}")
    specs: list[AccessRequestSpec] = []
    command_data: list[DlmsData] = []
    response_data: list[DlmsData] = []
    for kind, class_id, obis, member, value in _sample_specs(message_code):
        selector, parameters = (1, _range_parameters()) if value is _RANGE else (None, None)
        specs.append(AccessRequestSpec(kind, class_id, ObisCode.parse(obis), member, selector, parameters))
        if class_id == 30:
            request = _st(_protected_object_list(message_code), _protection_parameters(invoke_id, _SUPPLIER, _DEVICE))
            reading = _st(_st(_u32(1234), _st(_i8(0), _enum(30))))
            command_data.append(request)
            response_data.append(_st(_protection_parameters(invoke_id, _DEVICE, _SUPPLIER),
                                     OctetStringData(protect(reading.encode()))))
        elif kind in (_K.GET, _K.GET_WITH_SELECTION):
            command_data.append(_NULL_VALUE)
            response_data.append(_sample_profile() if value is _RANGE else value)
        else:
            command_data.append(value)
            response_data.append(_NULL_VALUE)
    if cra_flag == 1:
        return AccessRequest(invoke, tuple(specs), tuple(command_data))
    results = tuple(
        AccessResponseSpec(AccessResponseKind.ACTION, ActionResult.SUCCESS) if s.kind == _K.ACTION
        else AccessResponseSpec(AccessResponseKind.SET if s.kind in (_K.SET, _K.SET_WITH_SELECTION)
                                else AccessResponseKind.GET, DataAccessResult.SUCCESS)
        for s in specs
    )
    return AccessResponse(invoke, tuple(response_data), results)


def _sample_profile() -> DlmsData:
    """A profile buffer as GBCS devices return it: a compact array of (date-time, value) entries."""
    description = TypeDescription(DataTag.STRUCTURE, (TypeDescription(DataTag.OCTET_STRING),
                                                      TypeDescription(DataTag.DOUBLE_LONG_UNSIGNED)))
    entries = tuple(_st(_os(_DATE_TIME), _u32(n)) for n in (100, 200))
    return CompactArrayData(description, entries)
