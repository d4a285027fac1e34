"""GBZ payloads: ZigBee SE commands, responses and alerts of GSME and GPF use cases (GBCS 7.5).

Wire shapes::

    command/response: 01 09 <count> <component>*
    alert:            01 09 <count> <alert code BE2> <timestamp BE4> <body>
    component:        <ext. header control> <cluster id BE2> <length BE2>
                      [<from date-time BE4>] [<additional header control> <frame counter>]
                      <ZCL header> <ZCL payload | ciphered length BE2, 31 00000000 || ciphertext || tag>

Alert bodies: components (GCS53 billing data, generic alerts with none), the future-dated
execution outcome (0x00CD), the Firmware Distribution Receipt hash (0x00CF) and the meter
integrity code (0x00F2).
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ClassVar

from construct import (
    Array,
    BitsInteger,
    BitStruct,
    Const,
    Flag,
    GreedyBytes,
    If,
    Int8ub,
    Int16ub,
    Int32ub,
    Int64ub,
    Prefixed,
    PrefixedArray,
    Rebuild,
    Struct,
    Terminated,
    len_,
    this,
)

from smets_emu.errors import EncodeError, FrameError, SmetsError
from smets_emu.protocols import usecases
from smets_emu.protocols.message_codes import lookup
from smets_emu.protocols.payloads import zcl_clusters as clusters
from smets_emu.protocols.payloads.base import Payload, PayloadContext
from smets_emu.protocols.payloads.zcl import (
    ZclDirection,
    ZclFrameControl,
    ZclFrameType,
    ZclHeader,
    ZclHeaderStruct,
    iso_of,
)

PROFILE_ID = b"\x01\x09"
"""ZigBee Smart Energy profile id that opens every GBZ payload."""


class GbzAlertCode(enum.IntEnum):
    """Alert codes carried by GBZ alerts (GBCS Table 16.2, subset)."""

    BILLING_DATA_LOG_UPDATED = 0x8F0A
    FIRMWARE_VERIFICATION_FAILED = 0x8F1C
    SOURCE_DOES_NOT_HAVE_AUTHORITY = 0x8F30
    FUTURE_DATED_COMMAND_ACTIONED = 0x8F66
    FUTURE_DATED_COMMAND_NOT_ACTIONED = 0x8F67
    FIRMWARE_VERIFICATION_SUCCESSFUL = 0x8F72
    CREDIT_ADDED_LOCALLY = 0x810E
    IMMEDIATE_HAN_COMMAND_ACTIONED = 0x8154
    IMMEDIATE_HAN_COMMAND_NOT_ACTIONED = 0x8155
    USER_INTERFACE_COMMAND_ACTIONED = 0x8161
    USER_INTERFACE_COMMAND_NOT_ACTIONED = 0x8162
    METER_INTEGRITY_ISSUE_WARNING = 0x81A0


class MeterIntegrityCode(enum.IntEnum):
    """Smart Meter Integrity Issue codes (GBCS alert 0x81A0 body)."""

    OTHER = 0
    NON_VOLATILE_MEMORY = 1
    PROGRAM_EXECUTION = 2
    PROGRAM_STORAGE = 3
    RAM = 4
    UNEXPECTED_HARDWARE_RESET = 5
    WATCHDOG = 6
    METROLOGY_FIRMWARE_VERIFICATION_FAILURE = 7
    MEASUREMENT_FAULT = 8
    UNSPECIFIED_INTEGRITY_ERROR = 9


class AlertBody(enum.Enum):
    """Shape of what follows the GBZ alert header."""

    COMPONENTS = "components"
    FUTURE_DATED = "future_dated"
    FIRMWARE_RECEIPT = "firmware_receipt"
    METER_INTEGRITY = "meter_integrity"


ALERT_BODY_BY_MESSAGE_CODE: dict[int, AlertBody] = {
    0x00CD: AlertBody.FUTURE_DATED,
    0x00CF: AlertBody.FIRMWARE_RECEIPT,
    0x00F2: AlertBody.METER_INTEGRITY,
}
"""Message codes whose GBZ alert body is not a component list (GBCS 7.5, digest 5.9, 5.10, 5.13)."""

GBZ_MESSAGE_CODES: frozenset[int] = usecases.codes(family="gbz")
"""Message codes whose payload is GBZ, as the use-case table declares: GSME/GPF use cases (GCS*, CS01b,
CS10a/b, CS11, PCS01/02) and the GBZ alerts.

0x1000/0x1001 also exist in a DLMS form; the message layer tells them apart by the ``01 09`` opening.
"""

# --- constructs -------------------------------------------------------------------------

ComponentControl = BitStruct(
    "reserved_high" / BitsInteger(3),
    "from_date_time_present" / Flag,
    "reserved_low" / BitsInteger(2),
    "encrypted" / Flag,
    "last" / Flag,
)
"""Extended header control: bit0 last component, bit1 encrypted, bit4 from-date-time present (GBCS 7.5)."""

AdditionalHeader = Struct("control" / Int8ub, "frame_counter" / Int8ub)
"""Additional header of an encrypted component: control and frame counter (GBCS 7.5)."""

ComponentBody = Struct(
    "from_date_time" / If(this._.control.from_date_time_present, Int32ub),
    "additional_header" / If(this._.control.encrypted, AdditionalHeader),
    "zcl_header" / ZclHeaderStruct,
    "ciphered_information" / If(this._.control.encrypted, Prefixed(Int16ub, GreedyBytes)),
    "zcl_payload" / GreedyBytes,
)
"""What the component length covers: optional from-date-time, additional header, ZCL frame (GBCS 7.5)."""

GbzComponentStruct = Struct(
    "control" / ComponentControl,
    "cluster_id" / Int16ub,
    "body" / Prefixed(Int16ub, ComponentBody),
)
"""GBZ component: extended header (control, cluster id, length) and its body (GBCS 7.5)."""

GbzCommandStruct = Struct(
    Const(PROFILE_ID),
    "components" / PrefixedArray(Int8ub, GbzComponentStruct),
    Terminated,
)
"""GBZ command or response payload: profile id, component count, components (GBCS 7.5)."""

GbzComponentsAlertStruct = Struct(
    Const(PROFILE_ID),
    "count" / Rebuild(Int8ub, len_(this.components)),
    "alert_code" / Int16ub,
    "timestamp" / Int32ub,
    "components" / Array(this.count, GbzComponentStruct),
    Terminated,
)
"""GBZ alert carrying components (GCS53 billing data log) or none (generic alerts) (GBCS 7.5)."""

FutureDatedDetails = Struct(
    "message_code" / Int16ub,
    "originator_counter" / Int64ub,
    "cluster_id" / Int16ub,
    "frame_control" / ZclFrameControl,
    "command_id" / Int8ub,
    Terminated,
)
"""The command a future-dated execution outcome refers to (GBCS alert 0x8F66/0x8F67, message code 0x00CD)."""



def _fixed_body_alert(*body: Any) -> Struct:
    """A GBZ alert with a fixed body (GBCS 7.5): profile id, component count 1, alert code, timestamp, *body*."""
    return Struct(Const(PROFILE_ID + b"\x01"), "alert_code" / Int16ub, "timestamp" / Int32ub, *body, Terminated)


FutureDatedAlertStruct = _fixed_body_alert("details" / Prefixed(Int8ub, FutureDatedDetails))
"""Future Dated Execution Of Instruction Alert, GBZ form (message code 0x00CD)."""

FirmwareReceiptAlertStruct = _fixed_body_alert(Const(b"\x09"), "image_hash" / Prefixed(Int8ub, GreedyBytes))
"""Firmware Distribution Receipt Alert, GBZ form (0x00CF): octet-string tag, length, SHA-256 hash."""

MeterIntegrityAlertStruct = _fixed_body_alert("integrity_code" / Int16ub)
"""Meter Integrity Issue Warning Alert, GBZ form (0x00F2): 2-byte integrity code."""

_ALERT_STRUCTS = {
    AlertBody.COMPONENTS: GbzComponentsAlertStruct,
    AlertBody.FUTURE_DATED: FutureDatedAlertStruct,
    AlertBody.FIRMWARE_RECEIPT: FirmwareReceiptAlertStruct,
    AlertBody.METER_INTEGRITY: MeterIntegrityAlertStruct,
}


# --- values ------------------------------------------------------------------------------


def _enum_name(enum_cls: type[enum.IntEnum], value: int) -> str | None:
    try:
        return enum_cls(value).name
    except ValueError:
        return None


def _use_case(code: int) -> str | None:
    info = lookup(code)
    return info.use_case if info else None


@dataclass(frozen=True)
class GbzComponent:
    """One GBZ component; its length and the from-date-time/encrypted control bits are derived.

    Exactly one of ``fields`` (named ZCL payload fields), ``payload`` (raw ZCL payload) and
    ``ciphered_information`` (``31 00000000`` || ciphertext || tag, encrypted component) carries the
    payload. ``decrypted`` is informative only (the plaintext decoded, when a decryptor was given).
    """

    cluster_id: int
    header: ZclHeader
    fields: dict[str, Any] | None = None
    payload: bytes = b""
    ciphered_information: bytes | None = None
    from_date_time: int | None = None
    last: bool = False
    additional_header_control: int = 0
    additional_frame_counter: int = 0
    reserved_control_bits: int = 0
    decrypted: Any = field(default=None, compare=False)

    @property
    def encrypted(self) -> bool:
        """Extended header control bit 1."""
        return self.ciphered_information is not None

    @property
    def command_name(self) -> str | None:
        """Readable name of the ZCL command."""
        return clusters.command_name(
            self.cluster_id, self.header.frame_type, self.header.direction, self.header.command_id,
        )

    def zcl_payload(self) -> bytes:
        """The plaintext ZCL payload bytes rebuilt from the fields (empty for encrypted components)."""
        if self.encrypted:
            return b""
        if self.fields is not None:
            return clusters.encode_command(self.cluster_id, self.header, self.fields)
        return self.payload

    def plain_bytes(self) -> bytes | None:
        """The component written directly from well-typed fields, as :data:`GbzComponentStruct` builds it.

        None for anything off that path (out-of-range or oddly typed fields), which the construct
        then builds or rejects with its own message.
        """
        bits, cluster, when = self.reserved_control_bits, self.cluster_id, self.from_date_time
        if type(bits) is not int or bits & ~0xEC or type(cluster) is not int or not 0 <= cluster <= 0xFFFF:
            return None
        header = self.header.plain_bytes()
        if header is None:
            return None
        control = bits | (0x01 if self.last else 0)
        parts = []
        if when is not None:
            if type(when) is not int or not 0 <= when <= 0xFFFFFFFF:
                return None
            control |= 0x10
            parts.append(when.to_bytes(4, "big"))
        cipher = self.ciphered_information
        if cipher is not None:
            extra, counter = self.additional_header_control, self.additional_frame_counter
            if (type(cipher) is not bytes or len(cipher) > 0xFFFF or type(extra) is not int or not 0 <= extra <= 0xFF
                    or type(counter) is not int or not 0 <= counter <= 0xFF):
                return None
            control |= 0x02
            parts += (bytes((extra, counter)), header, len(cipher).to_bytes(2, "big"), cipher)
        else:
            payload = self.zcl_payload()
            if type(payload) is not bytes:
                return None
            parts += (header, payload)
        body = b"".join(parts)
        if len(body) > 0xFFFF:
            return None
        return bytes((control, cluster >> 8, cluster & 0xFF)) + len(body).to_bytes(2, "big") + body

    def to_container(self) -> dict[str, Any]:
        """The dict :data:`GbzComponentStruct` builds from."""
        bits = self.reserved_control_bits
        if bits & ~0xEC:
            raise EncodeError(f"reserved control bits 0x{bits:02X} overlap defined flags")
        return {
            "control": {
                "reserved_high": (bits >> 5) & 0x07,
                "from_date_time_present": self.from_date_time is not None,
                "reserved_low": (bits >> 2) & 0x03,
                "encrypted": self.encrypted,
                "last": self.last,
            },
            "cluster_id": self.cluster_id,
            "body": {
                "from_date_time": self.from_date_time,
                "additional_header": {
                    "control": self.additional_header_control,
                    "frame_counter": self.additional_frame_counter,
                },
                "zcl_header": self.header.to_container(),
                "ciphered_information": self.ciphered_information,
                "zcl_payload": self.zcl_payload(),
            },
        }

    def to_json(self) -> dict[str, Any]:
        """JSON form; ``cluster``, ``command``, ISO times, names and ``decrypted`` are informative."""
        out: dict[str, Any] = {
            "last": self.last,
            "encrypted": self.encrypted,
            "cluster_id": self.cluster_id,
        }
        name = clusters.cluster_name(self.cluster_id)
        if name:
            out["cluster"] = name
        if self.reserved_control_bits:
            out["reserved_control_bits"] = self.reserved_control_bits
        if self.from_date_time is not None:
            out["from_date_time"] = self.from_date_time
            out["from_date_time_iso"] = iso_of(self.from_date_time)
        if self.encrypted:
            out["additional_header"] = {
                "control": self.additional_header_control,
                "frame_counter": self.additional_frame_counter,
            }
        zcl = self.header.to_json()
        command = self.command_name
        if command:
            zcl["command"] = command
        if self.encrypted:
            assert self.ciphered_information is not None
            zcl["ciphered_information"] = self.ciphered_information.hex().upper()
            if self.decrypted is not None:
                zcl["decrypted"] = self.decrypted
        elif self.fields is not None:
            zcl["fields"] = clusters.annotate(self.cluster_id, self.header, self.fields)
        else:
            zcl["payload"] = self.payload.hex().upper()
        out["zcl"] = zcl
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> GbzComponent:
        """Inverse of :meth:`to_json` (informative keys ignored)."""
        zcl = obj["zcl"]
        header = ZclHeader.from_json(zcl)
        additional = obj.get("additional_header") or {}
        ciphered = zcl.get("ciphered_information")
        return cls(
            cluster_id=obj["cluster_id"],
            header=header,
            fields=zcl.get("fields") if ciphered is None else None,
            payload=bytes.fromhex(zcl.get("payload", "")) if ciphered is None else b"",
            ciphered_information=bytes.fromhex(ciphered) if ciphered is not None else None,
            from_date_time=obj.get("from_date_time"),
            last=bool(obj.get("last", False)),
            additional_header_control=additional.get("control", 0),
            additional_frame_counter=additional.get("frame_counter", 0),
            reserved_control_bits=obj.get("reserved_control_bits", 0),
        )


@dataclass(frozen=True)
class FutureDatedExecution:
    """Body of alert 0x00CD: which future-dated command was (not) executed."""

    message_code: int
    originator_counter: int
    cluster_id: int
    frame_type: ZclFrameType
    direction: ZclDirection
    command_id: int
    disable_default_response: bool = False
    manufacturer_specific: bool = False
    reserved: int = 0

    def to_container(self) -> dict[str, Any]:
        """The dict :data:`FutureDatedDetails` builds from."""
        return {
            "message_code": self.message_code,
            "originator_counter": self.originator_counter,
            "cluster_id": self.cluster_id,
            "frame_control": {
                "reserved": self.reserved,
                "disable_default_response": self.disable_default_response,
                "direction": int(self.direction),
                "manufacturer_specific": self.manufacturer_specific,
                "frame_type": int(self.frame_type),
            },
            "command_id": self.command_id,
        }

    def to_json(self) -> dict[str, Any]:
        """JSON form with informative use case, cluster and command names."""
        out: dict[str, Any] = {"message_code": self.message_code}
        use_case = _use_case(self.message_code)
        if use_case:
            out["use_case"] = use_case
        out["originator_counter"] = self.originator_counter
        out["cluster_id"] = self.cluster_id
        name = clusters.cluster_name(self.cluster_id)
        if name:
            out["cluster"] = name
        out.update({
            "frame_type": self.frame_type.name,
            "direction": self.direction.name,
            "disable_default_response": self.disable_default_response,
            "manufacturer_specific": self.manufacturer_specific,
        })
        if self.reserved:
            out["reserved"] = self.reserved
        out["command_id"] = self.command_id
        command = clusters.command_name(self.cluster_id, self.frame_type, self.direction, self.command_id)
        if command:
            out["command"] = command
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> FutureDatedExecution:
        """Inverse of :meth:`to_json`."""
        header = ZclHeader.from_json({**obj, "sequence_number": 0})
        return cls(
            message_code=obj["message_code"],
            originator_counter=obj["originator_counter"],
            cluster_id=obj["cluster_id"],
            frame_type=header.frame_type,
            direction=header.direction,
            command_id=obj["command_id"],
            disable_default_response=bool(obj.get("disable_default_response", False)),
            manufacturer_specific=bool(obj.get("manufacturer_specific", False)),
            reserved=obj.get("reserved", 0),
        )


@dataclass(frozen=True)
class GbzAlert:
    """GBZ alert header and body; ``body_kind`` says which of the body fields is used."""

    alert_code: int
    timestamp: int
    body_kind: AlertBody = AlertBody.COMPONENTS
    future_dated: FutureDatedExecution | None = None
    image_hash: bytes | None = None
    integrity_code: int | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON form of the alert header and body (names and ISO time informative)."""
        out: dict[str, Any] = {"alert_code": self.alert_code}
        name = _enum_name(GbzAlertCode, self.alert_code)
        if name:
            out["alert"] = name
        out["timestamp"] = self.timestamp
        out["timestamp_iso"] = iso_of(self.timestamp)
        out["body"] = self.body_kind.value
        if self.body_kind is AlertBody.FUTURE_DATED and self.future_dated is not None:
            out["future_dated"] = self.future_dated.to_json()
        elif self.body_kind is AlertBody.FIRMWARE_RECEIPT and self.image_hash is not None:
            out["image_hash"] = self.image_hash.hex().upper()
        elif self.body_kind is AlertBody.METER_INTEGRITY and self.integrity_code is not None:
            out["integrity_code"] = self.integrity_code
            code_name = _enum_name(MeterIntegrityCode, self.integrity_code)
            if code_name:
                out["integrity"] = code_name
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> GbzAlert:
        """Inverse of :meth:`to_json`."""
        kind = AlertBody(obj.get("body", AlertBody.COMPONENTS.value))
        return cls(
            alert_code=obj["alert_code"],
            timestamp=obj["timestamp"],
            body_kind=kind,
            future_dated=(FutureDatedExecution.from_json(obj["future_dated"])
                          if kind is AlertBody.FUTURE_DATED else None),
            image_hash=bytes.fromhex(obj["image_hash"]) if kind is AlertBody.FIRMWARE_RECEIPT else None,
            integrity_code=obj["integrity_code"] if kind is AlertBody.METER_INTEGRITY else None,
        )


@dataclass(frozen=True)
class GbzPayload(Payload):
    """A GBZ payload: components, preceded by an alert header for alerts (GBCS 7.5)."""

    family: ClassVar[str] = "gbz"

    components: tuple[GbzComponent, ...] = ()
    alert: GbzAlert | None = None
    form: str = "command"  # "command", "response" or "alert" (informative for non-alerts)

    def encode(self) -> bytes:
        """Rebuild the payload bytes from the fields."""
        plain_form = self._plain_bytes()
        if plain_form is not None:
            return plain_form
        return self._build_with_constructs()

    def _build_with_constructs(self) -> bytes:
        """The payload built through its constructs (the definition; also the path off the plain one)."""
        try:
            components = [c.to_container() for c in self.components]
            if self.alert is None:
                return GbzCommandStruct.build({"components": components})
            alert = self.alert
            head = {"alert_code": alert.alert_code, "timestamp": alert.timestamp}
            if alert.body_kind is AlertBody.COMPONENTS:
                return GbzComponentsAlertStruct.build({**head, "components": components})
            if self.components:
                raise EncodeError(f"a {alert.body_kind.value} alert carries no components")
            if alert.body_kind is AlertBody.FUTURE_DATED:
                if alert.future_dated is None:
                    raise EncodeError("future-dated alert without details")
                return FutureDatedAlertStruct.build({**head, "details": alert.future_dated.to_container()})
            if alert.body_kind is AlertBody.FIRMWARE_RECEIPT:
                return FirmwareReceiptAlertStruct.build({**head, "image_hash": alert.image_hash})
            return MeterIntegrityAlertStruct.build({**head, "integrity_code": alert.integrity_code})
        except SmetsError:
            raise
        except Exception as exc:  # construct raises several types for bad field values
            raise EncodeError(f"cannot encode GBZ payload: {exc}") from exc

    def _plain_bytes(self) -> bytes | None:
        """Command, response and component-alert payloads written directly (None: leave it to the constructs)."""
        alert = self.alert
        if len(self.components) > 0xFF or (alert is not None and alert.body_kind is not AlertBody.COMPONENTS):
            return None
        parts = [PROFILE_ID, bytes((len(self.components),))]
        if alert is not None:
            code, stamp = alert.alert_code, alert.timestamp
            if type(code) is not int or not 0 <= code <= 0xFFFF or type(stamp) is not int or not 0 <= stamp < 1 << 32:
                return None
            parts += (code.to_bytes(2, "big"), stamp.to_bytes(4, "big"))
        for component in self.components:
            data = component.plain_bytes()
            if data is None:
                return None
            parts.append(data)
        return b"".join(parts)

    def to_json(self) -> dict[str, Any]:
        """JSON tree (see module docstring for the shape)."""
        out: dict[str, Any] = {"family": self.family, "form": self.form}
        if self.alert is not None:
            out.update(self.alert.to_json())
        if self.alert is None or self.alert.body_kind is AlertBody.COMPONENTS:
            out["components"] = [c.to_json() for c in self.components]
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> GbzPayload:
        """Inverse of :meth:`to_json` (informative keys ignored)."""
        try:
            if obj.get("family") != cls.family:
                raise EncodeError(f"not a GBZ payload: family {obj.get('family')!r}")
            form = obj.get("form", "command")
            alert = GbzAlert.from_json(obj) if form == "alert" else None
            components = tuple(GbzComponent.from_json(c) for c in obj.get("components", []))
            return cls(components=components, alert=alert, form=form)
        except SmetsError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise EncodeError(f"invalid GBZ JSON: {exc}") from exc


def decode_gbz(content: bytes, ctx: PayloadContext) -> GbzPayload:
    """Decode GBZ content bytes; the CRA flag tells alerts apart, the message code the alert body.

    Reads the bytes directly, following the constructs above (the test suite holds it to
    decoding through them). Raises :class:`FrameError` on malformed bytes; a
    ``DecryptionError`` from ``ctx.decrypt`` propagates unchanged.
    """
    content = bytes(content)
    try:
        if ctx.cra_flag == 3:
            kind = ALERT_BODY_BY_MESSAGE_CODE.get(ctx.message_code, AlertBody.COMPONENTS)
            alert, raw = _read_alert(content, kind)
            form = "alert"
        else:
            if content[:2] != PROFILE_ID or len(content) < 3:
                raise FrameError("GBZ payload does not open with the profile id and a component count")
            raw = _read_components(content, 3, content[2])
            alert = None
            form = "response" if ctx.cra_flag == 2 else "command"
        decrypt = ctx.decrypt
        components = tuple(_component_of(r, decrypt) for r in raw)
    except SmetsError:
        raise
    except (ValueError, TypeError, IndexError, KeyError, OverflowError, RecursionError) as exc:
        raise FrameError(f"malformed GBZ payload: {exc}") from exc
    return GbzPayload(components=components, alert=alert, form=form)


_RawComponent = tuple[int, int, "int | None", "tuple[int, int] | None", ZclHeader, "bytes | None", bytes]
"""Control byte, cluster id, from-date-time, additional header, ZCL header, ciphered information, payload."""


def _read_components(data: bytes, pos: int, count: int) -> list[_RawComponent]:
    """Exactly *count* :data:`GbzComponentStruct` from *pos* to the end of *data* (Terminated)."""
    end = len(data)
    out: list[_RawComponent] = []
    for _ in range(count):
        if pos + 5 > end:
            raise FrameError("truncated GBZ component header")
        control = data[pos]
        cluster_id = (data[pos + 1] << 8) | data[pos + 2]
        stop = pos + 5 + ((data[pos + 3] << 8) | data[pos + 4])
        if stop > end:
            raise FrameError("GBZ component length runs past the payload")
        pos += 5
        from_date_time = None
        if control & 0x10:
            if pos + 4 > stop:
                raise FrameError("truncated from-date-time")
            from_date_time = int.from_bytes(data[pos:pos + 4], "big")
            pos += 4
        encrypted = control & 0x02
        additional = None
        if encrypted:
            if pos + 2 > stop:
                raise FrameError("truncated additional header")
            additional = (data[pos], data[pos + 1])
            pos += 2
        header, pos = _read_zcl_header(data, pos, stop)
        ciphered = None
        if encrypted:
            if pos + 2 > stop:
                raise FrameError("truncated ciphered information length")
            cipher_end = pos + 2 + ((data[pos] << 8) | data[pos + 1])
            if cipher_end > stop:
                raise FrameError("ciphered information runs past its component")
            ciphered = data[pos + 2:cipher_end]
            pos = cipher_end
        out.append((control, cluster_id, from_date_time, additional, header, ciphered, data[pos:stop]))
        pos = stop
    if pos != end:
        raise FrameError("trailing bytes after the last GBZ component")
    return out


def _read_zcl_header(data: bytes, pos: int, stop: int) -> tuple[ZclHeader, int]:
    """One :data:`ZclHeaderStruct` within ``data[pos:stop]``."""
    if pos + 3 > stop:
        raise FrameError("truncated ZCL header")
    fc = data[pos]
    manufacturer_code = None
    if fc & 0x04:
        if pos + 5 > stop:
            raise FrameError("truncated ZCL header")
        manufacturer_code = data[pos + 1] | (data[pos + 2] << 8)
        pos += 2
    header = ZclHeader(
        _FRAME_TYPES[fc & 0x03], _DIRECTIONS[(fc >> 3) & 1], data[pos + 1], data[pos + 2],
        bool(fc & 0x10), manufacturer_code, fc >> 5,
    )
    return header, pos + 3


_FRAME_TYPES = tuple(ZclFrameType(v) for v in range(4))
_DIRECTIONS = tuple(ZclDirection(v) for v in range(2))


def _read_alert(data: bytes, kind: AlertBody) -> tuple[GbzAlert, list[_RawComponent]]:
    """The alert header and body of one of the ``_ALERT_STRUCTS``."""
    if len(data) < 9 or data[:2] != PROFILE_ID:
        raise FrameError("truncated GBZ alert header")
    count = data[2]
    alert_code = (data[3] << 8) | data[4]
    timestamp = int.from_bytes(data[5:9], "big")
    if kind is AlertBody.COMPONENTS:
        return GbzAlert(alert_code, timestamp, kind), _read_components(data, 9, count)
    if count != 1:
        raise FrameError("GBZ alert with a fixed body must announce one component")
    if kind is AlertBody.FUTURE_DATED:
        if len(data) != 24 or data[9] != 14:
            raise FrameError("future-dated alert details are not 14 bytes")
        fc = data[22]
        details = FutureDatedExecution(
            message_code=(data[10] << 8) | data[11],
            originator_counter=int.from_bytes(data[12:20], "big"),
            cluster_id=(data[20] << 8) | data[21],
            frame_type=_FRAME_TYPES[fc & 0x03],
            direction=_DIRECTIONS[(fc >> 3) & 1],
            command_id=data[23],
            disable_default_response=bool(fc & 0x10),
            manufacturer_specific=bool(fc & 0x04),
            reserved=fc >> 5,
        )
        return GbzAlert(alert_code, timestamp, kind, future_dated=details), []
    if kind is AlertBody.FIRMWARE_RECEIPT:
        if len(data) < 11 or data[9] != 0x09 or len(data) != 11 + data[10]:
            raise FrameError("malformed firmware receipt alert body")
        return GbzAlert(alert_code, timestamp, kind, image_hash=data[11:]), []
    if len(data) != 11:
        raise FrameError("meter integrity alert body is not 2 bytes")
    return GbzAlert(alert_code, timestamp, kind, integrity_code=(data[9] << 8) | data[10]), []


def _component_of(raw: _RawComponent, decrypt: Any) -> GbzComponent:
    """The :class:`GbzComponent` of a component read by :func:`_read_components` (as ``from_container``)."""
    control, cluster_id, from_date_time, additional, header, ciphered, payload = raw
    last = bool(control & 0x01)
    reserved = control & 0xEC
    if ciphered is not None:
        assert additional is not None
        if payload:
            raise FrameError("trailing bytes after the ciphered information of an encrypted component")
        decrypted = None
        if decrypt is not None:
            plaintext = decrypt(ciphered)
            fields = clusters.decode_command(cluster_id, header, plaintext)
            decrypted = (
                {"fields": clusters.annotate(cluster_id, header, fields)} if fields is not None
                else {"payload": plaintext.hex().upper()}
            )
        return GbzComponent(
            cluster_id, header, None, b"", ciphered, from_date_time, last, additional[0], additional[1],
            reserved, decrypted,
        )
    fields = clusters.decode_command(cluster_id, header, payload)
    if fields is not None:
        return GbzComponent(cluster_id, header, fields, b"", None, from_date_time, last, 0, 0, reserved)
    return GbzComponent(cluster_id, header, None, payload, None, from_date_time, last, 0, 0, reserved)



# --- sample builder ---------------------------------------------------------------------

_C2S = ZclDirection.CLIENT_TO_SERVER
_S2C = ZclDirection.SERVER_TO_CLIENT
_CS = ZclFrameType.CLUSTER_SPECIFIC
_PW = ZclFrameType.PROFILE_WIDE
_T2015 = 0x1C374A80


@dataclass(frozen=True)
class _Spec:
    cluster: int
    direction: ZclDirection
    command: int
    frame_type: ZclFrameType = _CS
    overrides: dict[str, Any] | None = None
    from_date_time: int | None = None


def _read(cluster: int, *attributes: int) -> _Spec:
    return _Spec(cluster, _C2S, 0x00, _PW, {"attribute_ids": list(attributes)})


def _push(cluster: int, command: int, **overrides: Any) -> _Spec:
    return _Spec(cluster, _S2C, command, _CS, overrides or None)


def _ask(cluster: int, command: int, from_date_time: int | None = None, **overrides: Any) -> _Spec:
    return _Spec(cluster, _C2S, command, _CS, overrides or None, from_date_time)


_PRICE, _METERING, _MESSAGING, _PREPAYMENT, _CALENDAR, _DEVICE_MGMT, _EVENTS = (
    0x0700, 0x0702, 0x0703, 0x0705, 0x0707, 0x0708, 0x0709,
)
_TARIFF = [
    _push(_CALENDAR, 0x00), _push(_CALENDAR, 0x01), _push(_CALENDAR, 0x02), _push(_CALENDAR, 0x03),
    _push(_CALENDAR, 0x04), _push(_PRICE, 0x04), _push(_PRICE, 0x05), _push(_PRICE, 0x06),
]
_SNAPSHOT = {"earliest_start_time": {"utc": _T2015}, "latest_end_time": {"utc": _T2015 + 86400},
             "snapshot_offset": 0, "snapshot_cause": 2}

_SAMPLE_COMMANDS: dict[int, list[_Spec]] = {
    0x0014: [_ask(_EVENTS, 0x00, event_control_log_id=0x13)],
    0x0015: [_ask(_EVENTS, 0x01, log_id=3)],
    0x006B: _TARIFF,
    0x006C: [_ask(_PREPAYMENT, 0x06, proposed_payment_control_configuration=0x0C94)],
    0x006D: [_ask(_PREPAYMENT, 0x06, proposed_payment_control_configuration=0x0897)],
    0x006E: [_ask(_PREPAYMENT, 0x02)],
    0x006F: [_ask(_PREPAYMENT, 0x03), _ask(_PREPAYMENT, 0x09), _ask(_PREPAYMENT, 0x0B), _ask(_PREPAYMENT, 0x0C)],
    0x0070: [_ask(_PREPAYMENT, 0x00)],
    0x0071: [_push(_MESSAGING, 0x00, message="Hello")],
    0x0072: [_push(_DEVICE_MGMT, 0x00)],
    0x0073: [_push(_DEVICE_MGMT, 0x02)],
    0x0074: [_read(_METERING, 0x0302, 0x0301, 0x0300, 0x0000)],
    0x0075: [_read(_PREPAYMENT, 0x0001, 0x0002, 0x0005), _read(_PRICE, 0x0617)],
    0x0076: [_ask(_METERING, 0x06, **_SNAPSHOT), _ask(_PREPAYMENT, 0x07, **_SNAPSHOT)],
    0x0077: [_ask(_METERING, 0x06, **_SNAPSHOT)],
    0x0078: [_ask(_METERING, 0x08, sample_type=0, number_of_samples=48)],
    0x0079: [_ask(_METERING, 0x08, sample_type=2, number_of_samples=24)],
    0x007B: [_read(_METERING, 0x0B13, 0x0B12, 0x0B11, 0x0B10, 0x0B14, 0x0B15)],
    0x007C: [_push(_PRICE, 0x02), _push(_PRICE, 0x03)],
    0x007D: [_ask(_METERING, 0x0E), _ask(_METERING, 0x0D)],
    0x007E: [_push(_PRICE, 0x09)],
    0x0080: [_ask(_METERING, 0x07)],
    0x0081: [_ask(_METERING, 0x0B, proposed_supply_status=2)],
    0x0082: [_read(_METERING, 0x0014)],
    0x0083: [_push(_DEVICE_MGMT, 0x06)],
    0x0084: [_read(_METERING, 0x0206)],
    0x0085: [_ask(_METERING, 0x0B, proposed_supply_status=1)],
    0x0086: [_ask(_PREPAYMENT, 0x05, credit_adjustment_type=0)],
    0x0087: [_push(_DEVICE_MGMT, 0x03)],
    0x0088: [_push(_DEVICE_MGMT, 0x01)],
    0x0089: [_read(_METERING, 0x0307)],
    0x008D: [_read(_PREPAYMENT, 0x0001)],
    0x0090: [_ask(_PREPAYMENT, 0x00, originating_device=2)],
    0x0096: [_ask(_PREPAYMENT, 0x07, **_SNAPSHOT)],
    0x0097: [_ask(_PREPAYMENT, 0x04, originating_device=0, top_up_code="73943165676475758640")],
    0x009B: [_ask(_PREPAYMENT, 0x04, originating_device=2, top_up_code="73941656880950804485")],
    0x009D: [_ask(_PRICE, 0x0B, earliest_start_time={"utc": 0}, min_issuer_event_id=0xFFFFFFFF)],
    0x009E: [_read(0x0000, 0x0004, 0x0005, 0x0003)],
    0x009F: [_read(_PRICE, 0x0202, 0x0203), _ask(_PRICE, 0x00), _ask(_CALENDAR, 0x01), _ask(_CALENDAR, 0x02),
             _ask(_CALENDAR, 0x03), _ask(_CALENDAR, 0x04)],
    0x00A0: [_ask(_METERING, 0x08, sample_type=0, number_of_samples=731)],
    0x00A1: [_ask(_EVENTS, 0x00, event_control_log_id=0x04)],
    0x00A3: [_push(_PRICE, 0x05), _push(_PRICE, 0x06)],
    0x00AD: [_push(_DEVICE_MGMT, 0x04)],
    0x00B4: [_ask(_PREPAYMENT, 0x05, credit_adjustment_type=1)],
    0x00B5: [_read(_PREPAYMENT, 0x0239, 0x0006, 0x0216), _read(_PRICE, 0x0617)],  # as the RTDS GCS21b reads
    0x00B6: [_read(_METERING, 0x0100, 0x0102, 0x0104, 0x0106)],
    0x00B8: [_read(_METERING, 0x0700, 0x0701, 0x0702, 0x0703)],
    0x00BF: [_read(_PREPAYMENT, 0x0000)],
    0x00C0: [_ask(_PREPAYMENT, 0x05, credit_adjustment_type=3)],
    0x00C2: [_ask(_PREPAYMENT, 0x05, credit_adjustment_type=2)],
    0x00C3: [_ask(_METERING, 0x06, **_SNAPSHOT), _ask(_PREPAYMENT, 0x07, **_SNAPSHOT)],
    0x00C4: [_ask(_PREPAYMENT, 0x0A, from_date_time=_T2015, number_of_debts=10, debt_type=2)],
    0x00C5: [_ask(_PREPAYMENT, 0x08, from_date_time=_T2015, number_of_records=5)],
    0x00D8: [_push(_PRICE, 0x09)],
    0x00DA: [_ask(_PRICE, 0x0B, earliest_start_time={"utc": 0}, min_issuer_event_id=0xFFFFFFFF)],
    0x00F1: [_push(_DEVICE_MGMT, 0x05, event_id=0x81FF)],
    0x00FB: [_read(0x0000, 0x0004, 0x0005), _read(_METERING, 0x0608)],
    0x00FC: [_ask(_METERING, 0x0E), _ask(_METERING, 0x0D)],
    0x012A: [_read(_PREPAYMENT, 0x0001), _read(_METERING, 0x0A00)],
}
"""One plausible command per GBZ use case (GBCS use case definitions; shapes as seen in GBCS test data)."""

_ENCRYPTED_RESPONSES = frozenset({0x0074, 0x0075, 0x0076, 0x0077, 0x0078, 0x0079, 0x0096, 0x00A0,
                                  0x00B6, 0x00B8, 0x00C3, 0x00C4})
"""Use cases whose response carries encrypted components (GBCS 7.5, digest 3.6)."""

_RESPONSE_OF: dict[tuple[int, int], int] = {
    (_PRICE, 0x00): 0x00, (_PRICE, 0x0B): 0x09,
    (_METERING, 0x06): 0x06, (_METERING, 0x07): 0x0D, (_METERING, 0x08): 0x07, (_METERING, 0x0B): 0x0C,
    (_PREPAYMENT, 0x04): 0x03, (_PREPAYMENT, 0x06): 0x02, (_PREPAYMENT, 0x07): 0x01, (_PREPAYMENT, 0x08): 0x05,
    (_PREPAYMENT, 0x0A): 0x06,
    (_CALENDAR, 0x00): 0x00, (_CALENDAR, 0x01): 0x01, (_CALENDAR, 0x02): 0x02, (_CALENDAR, 0x03): 0x03,
    (_CALENDAR, 0x04): 0x04,
    (_EVENTS, 0x00): 0x01, (_EVENTS, 0x01): 0x02,
}
"""Cluster command -> the server's answering command id (SE 1.4 Annex D)."""

_ATTRIBUTE_SAMPLES: dict[tuple[int, int], tuple[str, Any]] = {
    (_METERING, 0x0000): ("UINT48", 1234567), (_METERING, 0x0206): ("OCTET_STRING", "0123ABCD"),
    (_METERING, 0x0300): ("ENUM8", 1), (_METERING, 0x0301): ("UINT24", 1), (_METERING, 0x0302): ("UINT24", 1000),
    (_METERING, 0x0307): ("OCTET_STRING", "31323334353637383930"), (_METERING, 0x0014): ("ENUM8", 1),
    (_METERING, 0x0608): ("ENUM8", 0), (_PRICE, 0x0617): ("BITMAP8", 0x50),
    (0x0000, 0x0003): ("UINT8", 1), (0x0000, 0x0004): ("CHARACTER_STRING", "Manufacturer"),
    (0x0000, 0x0005): ("CHARACTER_STRING", "GSME model"),
    (_PREPAYMENT, 0x0000): ("BITMAP16", 0x0C94), (_PREPAYMENT, 0x0001): ("INT32", 2500000),
}


def _spec_fields(spec: _Spec) -> dict[str, Any]:
    if spec.frame_type == _PW:
        return dict(spec.overrides or {})
    _name, grammar = clusters.CLUSTER_COMMANDS[(spec.cluster, spec.direction, spec.command)]
    fields = clusters.example_fields(grammar)
    fields.update(spec.overrides or {})
    return fields


_SAMPLE_ENCRYPTOR: ContextVar[Callable[[bytes], bytes] | None] = ContextVar("sample_encryptor", default=None)


def _fake_ciphered(plaintext: bytes, seed: bytes) -> bytes:
    stream = hashlib.sha256(seed).digest()
    while len(stream) < len(plaintext) + 12:
        stream += hashlib.sha256(stream).digest()
    cipher = bytes(p ^ k for p, k in zip(plaintext, stream, strict=False))
    return b"\x31\x00\x00\x00\x00" + cipher + stream[len(plaintext):len(plaintext) + 12]


def _component(cluster: int, header: ZclHeader, fields: dict[str, Any], *, encrypt: bool = False,
               from_date_time: int | None = None) -> GbzComponent:
    plaintext = clusters.encode_command(cluster, header, fields)
    if not encrypt:
        canonical = clusters.decode_command(cluster, header, plaintext)
        return GbzComponent(cluster, header, fields=canonical if canonical is not None else fields,
                            from_date_time=from_date_time)
    encryptor = _SAMPLE_ENCRYPTOR.get()
    if encryptor is not None:
        blob = encryptor(plaintext)
    else:
        blob = _fake_ciphered(
            plaintext, bytes([cluster >> 8, cluster & 0xFF, header.command_id, header.sequence_number])
        )
    return GbzComponent(cluster, header, ciphered_information=blob, from_date_time=from_date_time)


def _response_to(spec: _Spec, seq: int, encrypt: bool) -> GbzComponent:
    if spec.frame_type == _PW:
        records = []
        for attribute in (spec.overrides or {}).get("attribute_ids", []):
            kind, value = _ATTRIBUTE_SAMPLES.get((spec.cluster, attribute), ("UINT32", 0))
            records.append({"attribute_id": attribute, "status": "SUCCESS", "type": kind, "value": value})
        header = ZclHeader(_PW, _S2C, seq, 0x01, disable_default_response=encrypt)
        return _component(spec.cluster, header, {"records": records}, encrypt=encrypt)
    if spec.direction == _S2C:
        header = ZclHeader(_PW, _C2S, seq, 0x0B)
        return _component(spec.cluster, header, {"command_id": spec.command, "status": "SUCCESS"})
    answer = _RESPONSE_OF.get((spec.cluster, spec.command))
    if answer is None:
        header = ZclHeader(_PW, _S2C, seq, 0x0B)
        return _component(spec.cluster, header, {"command_id": spec.command, "status": "SUCCESS"})
    header = ZclHeader(_CS, _S2C, seq, answer, disable_default_response=encrypt)
    _name, grammar = clusters.CLUSTER_COMMANDS[(spec.cluster, _S2C, answer)]
    return _component(spec.cluster, header, clusters.example_fields(grammar), encrypt=encrypt)


def _with_last(components: list[GbzComponent]) -> tuple[GbzComponent, ...]:
    out = []
    for index, comp in enumerate(components):
        out.append(GbzComponent(
            comp.cluster_id, comp.header, comp.fields, comp.payload, comp.ciphered_information,
            comp.from_date_time, last=index == len(components) - 1,
        ))
    return tuple(out)


def _sample_alert(message_code: int) -> GbzPayload:
    if message_code == 0x00CD:
        details = FutureDatedExecution(0x006B, 0x03ED, _PRICE, _CS, _S2C, 0x05)
        alert = GbzAlert(GbzAlertCode.FUTURE_DATED_COMMAND_ACTIONED, _T2015 + 0x1C4B4610,
                         AlertBody.FUTURE_DATED, future_dated=details)
        return GbzPayload(alert=alert, form="alert")
    if message_code == 0x00CF:
        alert = GbzAlert(GbzAlertCode.FIRMWARE_VERIFICATION_SUCCESSFUL, _T2015, AlertBody.FIRMWARE_RECEIPT,
                         image_hash=hashlib.sha256(b"manufacturer image").digest())
        return GbzPayload(alert=alert, form="alert")
    if message_code == 0x00F2:
        alert = GbzAlert(GbzAlertCode.METER_INTEGRITY_ISSUE_WARNING, _T2015, AlertBody.METER_INTEGRITY,
                         integrity_code=MeterIntegrityCode.UNEXPECTED_HARDWARE_RESET)
        return GbzPayload(alert=alert, form="alert")
    if message_code == 0x008B:
        header = ZclHeader(_CS, _S2C, 0, 0x06, disable_default_response=True)
        _name, grammar = clusters.CLUSTER_COMMANDS[(_METERING, _S2C, 0x06)]
        comp = _component(_METERING, header, clusters.example_fields(grammar), encrypt=True)
        alert = GbzAlert(GbzAlertCode.BILLING_DATA_LOG_UPDATED, _T2015)
        return GbzPayload(components=_with_last([comp]), alert=alert, form="alert")
    code = (GbzAlertCode.SOURCE_DOES_NOT_HAVE_AUTHORITY if message_code == 0x1000
            else GbzAlertCode.CREDIT_ADDED_LOCALLY)
    return GbzPayload(alert=GbzAlert(code, _T2015), form="alert")


def sample_gbz(
    message_code: int, cra_flag: int, *, encrypt: Callable[[bytes], bytes] | None = None
) -> GbzPayload:
    """A plausible GBZ payload for a message code and CRA flag, built from scratch.

    ``encrypt`` turns a plaintext ZCL payload into a protected blob (GBCS 7.3.3); without it
    encrypted components carry a placeholder that no key decrypts.

    Commands carry one component per ZCL command of the use case; responses answer each
    component (Default Response to pushes, Read Attributes Response, or the cluster's response
    command, encrypted where GBCS encrypts it with a placeholder ciphertext). Alerts: 0x00CD,
    0x00CF, 0x00F2, 0x008B and the generic 0x1000/0x1001.
    """
    token = _SAMPLE_ENCRYPTOR.set(encrypt)
    try:
        return _sample(message_code, cra_flag)
    finally:
        _SAMPLE_ENCRYPTOR.reset(token)


def _sample(message_code: int, cra_flag: int) -> GbzPayload:
    if cra_flag == 3:
        if message_code not in {0x00CD, 0x00CF, 0x00F2, 0x008B, 0x1000, 0x1001}:
            raise EncodeError(f"no GBZ alert sample for message code 0x{message_code:04X}")
        return _sample_alert(message_code)
    specs = _SAMPLE_COMMANDS.get(message_code)
    if specs is None or cra_flag not in (1, 2):
        raise EncodeError(f"no GBZ sample for message code 0x{message_code:04X} CRA {cra_flag}")
    if cra_flag == 1:
        components = [
            _component(s.cluster, ZclHeader(s.frame_type, s.direction, seq, s.command), _spec_fields(s),
                       from_date_time=s.from_date_time)
            for seq, s in enumerate(specs)
        ]
        return GbzPayload(components=_with_last(components), form="command")
    encrypt = message_code in _ENCRYPTED_RESPONSES
    components = [_response_to(s, seq, encrypt and s.direction == _C2S) for seq, s in enumerate(specs)]
    return GbzPayload(components=_with_last(components), form="response")
