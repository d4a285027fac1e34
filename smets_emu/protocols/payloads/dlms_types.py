"""DLMS xDLMS building blocks of the GBCS APDUs (GBCS 5.11; DLMS Green Book 9.3 "ACCESS", 9.5).

APDU tags, the access-request/response kinds and result enumerations (Data-Access-Result,
Action-Result), the constructs of the access-request and access-response specifications and of the
three APDUs, and the value types OBIS code, invoke-id-and-priority and the specifications.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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

from smets_emu.errors import EncodeError, FrameError
from smets_emu.protocols.lengths import ber_length
from smets_emu.protocols.payloads.cosem_names import class_name, obis_name
from smets_emu.protocols.payloads.dlms_data import (
    DlmsData,
    dlms_data,
)
from smets_emu.protocols.payloads.dlms_enums import (
    AccessRequestKind,
    AccessResponseKind,
    ActionResult,
    DataAccessResult,
    enum_json,
)
from smets_emu.protocols.payloads.json_fields import json_bool, json_int

ACCESS_REQUEST_TAG = 0xD9
ACCESS_RESPONSE_TAG = 0xDA
DATA_NOTIFICATION_TAG = 0x0F


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
        return {"kind": self.kind.json_name, "result": enum_json(self.result)}

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
