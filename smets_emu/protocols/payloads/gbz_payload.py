"""The GBZ payload (GBCS 7.5): :class:`GbzPayload` (components, after an alert header for alerts),
:class:`GbzAlert` and the direct reader :func:`decode_gbz`, held to the constructs of :mod:`.gbz_structs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from smets_emu.errors import EncodeError, FrameError, SmetsError
from smets_emu.protocols.payloads import zcl_clusters as clusters
from smets_emu.protocols.payloads.base import Payload, PayloadContext
from smets_emu.protocols.payloads.gbz_components import FutureDatedExecution, GbzComponent, enum_name
from smets_emu.protocols.payloads.gbz_structs import (
    ALERT_BODY_BY_MESSAGE_CODE,
    PROFILE_ID,
    AlertBody,
    FirmwareReceiptAlertStruct,
    FutureDatedAlertStruct,
    GbzAlertCode,
    GbzCommandStruct,
    GbzComponentsAlertStruct,
    MeterIntegrityAlertStruct,
    MeterIntegrityCode,
)
from smets_emu.protocols.payloads.zcl import (
    ZclDirection,
    ZclFrameType,
    ZclHeader,
    iso_of,
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
        name = enum_name(GbzAlertCode, self.alert_code)
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
            code_name = enum_name(MeterIntegrityCode, self.integrity_code)
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
    """The alert header and body of one of the ``ALERT_STRUCTS``."""
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
