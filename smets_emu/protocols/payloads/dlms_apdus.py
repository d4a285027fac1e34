"""The three DLMS APDUs of GBCS as frozen dataclasses (GBCS 5.11; Green Book 9.3 "ACCESS", 9.6).

``access-request`` (``D9``), ``access-response`` (``DA``) and ``data-notification`` (``0F``): their
direct writers (:mod:`.dlms_write`) with the constructs of :mod:`.dlms_types` as definition and
fallback, and their JSON forms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from smets_emu.errors import EncodeError
from smets_emu.protocols.payloads import dlms_types, dlms_write
from smets_emu.protocols.payloads.base import Payload
from smets_emu.protocols.payloads.dlms_data import (
    DlmsData,
    IntegerData,
    OctetStringData,
    StructureData,
    build_checked,
    describe_date_time,
)
from smets_emu.protocols.payloads.json_fields import json_hex, json_list

# --------------------------------------------------------------------------- payloads


class DlmsPayload(Payload):
    """A decoded DLMS xDLMS APDU (access-request, access-response or data-notification)."""

    family: ClassVar[str] = "dlms"
    apdu: ClassVar[str] = ""
    _tag: ClassVar[int]
    _construct: ClassVar[Any]
    invoke: dlms_types.InvokeIdAndPriority
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
        container = {"invoke": _invoke_container(self.invoke), "date_time": self.date_time, **self._body_container()}
        return build_checked(self._construct, container, "DLMS APDU")

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

    def _header_json(self, invoke: dlms_types.InvokeIdAndPriority, date_time: bytes) -> dict[str, Any]:
        out: dict[str, Any] = {"family": self.family, "apdu": self.apdu, "invoke": invoke.to_json(),
                               "date_time": date_time.hex().upper()}
        text = describe_date_time(date_time)
        if text:
            out["date_time_text"] = text
        return out


def _invoke_container(invoke: dlms_types.InvokeIdAndPriority) -> dict[str, Any]:
    return dict(invoke.__dict__)


def _put_paired(out: dict[str, Any], paired_key: str, specs_key: str, specs: Sequence[Any],
                data: Sequence[DlmsData], *, data_first: bool = False) -> dict[str, Any]:
    """*out* with the specifications beside their data under *paired_key* when they pair one to one (the usual
    form, Green Book 9.3 access-request/response lists), else the two lists apart (*specs_key*, ``"data"``)."""
    if len(specs) == len(data):
        out[paired_key] = [{**s.to_json(), "data": d.to_json()} for s, d in zip(specs, data, strict=True)]
        return out
    apart = {specs_key: [s.to_json() for s in specs], "data": [d.to_json() for d in data]}
    for key in (("data", specs_key) if data_first else (specs_key, "data")):
        out[key] = apart[key]
    return out


@dataclass(frozen=True)
class AccessRequest(DlmsPayload):
    """access-request ``D9``: a command's specifications and their data (GBCS 5.11)."""

    apdu: ClassVar[str] = "access-request"
    invoke: dlms_types.InvokeIdAndPriority
    specifications: tuple[dlms_types.AccessRequestSpec, ...]
    data: tuple[DlmsData, ...]
    date_time: bytes = b""

    _tag: ClassVar[int] = dlms_types.ACCESS_REQUEST_TAG
    _construct: ClassVar[Any] = dlms_types.AccessRequestApdu

    def _write_body(self, out: list[bytes]) -> None:
        out.append(dlms_write.counted(len(self.specifications)))
        for spec in self.specifications:
            dlms_write.request_spec_bytes(spec, dlms_types.AccessRequestKind, out)
        dlms_write.data_list(self.data, out)

    def _body_container(self) -> dict[str, Any]:
        return {"specifications": [s._container() for s in self.specifications], "data": list(self.data)}

    def to_json(self) -> dict[str, Any]:
        out = self._header_json(self.invoke, self.date_time)
        return _put_paired(out, "requests", "specifications", self.specifications, self.data)

    @classmethod
    def _from_json(cls, obj: dict[str, Any]) -> AccessRequest:
        if "requests" in obj:
            requests = json_list(obj, "requests")
            specs = tuple(dlms_types.AccessRequestSpec.from_json(r) for r in requests)
            data = tuple(DlmsData.from_json(r.get("data")) for r in requests)
        else:
            specs = tuple(dlms_types.AccessRequestSpec.from_json(s) for s in json_list(obj, "specifications"))
            data = tuple(DlmsData.from_json(d) for d in json_list(obj, "data"))
        invoke = dlms_types.InvokeIdAndPriority.from_json(obj.get("invoke"))
        return cls(invoke, specs, data, json_hex(obj, "date_time", ""))


@dataclass(frozen=True)
class AccessResponse(DlmsPayload):
    """access-response ``DA``: result data and result codes (GBCS 5.11)."""

    apdu: ClassVar[str] = "access-response"
    invoke: dlms_types.InvokeIdAndPriority
    data: tuple[DlmsData, ...]
    results: tuple[dlms_types.AccessResponseSpec, ...]
    date_time: bytes = b""
    request_specifications: tuple[dlms_types.AccessRequestSpec, ...] | None = None

    _tag: ClassVar[int] = dlms_types.ACCESS_RESPONSE_TAG
    _construct: ClassVar[Any] = dlms_types.AccessResponseApdu

    def _write_body(self, out: list[bytes]) -> None:
        echo = self.request_specifications
        if echo is None:
            out.append(b"\x00")
        else:
            out += (b"\x01", dlms_write.counted(len(echo)))
            for spec in echo:
                dlms_write.request_spec_bytes(spec, dlms_types.AccessRequestKind, out)
        dlms_write.data_list(self.data, out)
        out.append(dlms_write.counted(len(self.results)))
        out += [dlms_write.response_spec_bytes(result, dlms_types.AccessResponseKind) for result in self.results]

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
        return _put_paired(out, "results", "results", self.results, self.data, data_first=True)

    @classmethod
    def _from_json(cls, obj: dict[str, Any]) -> AccessResponse:
        results = json_list(obj, "results")
        specs = tuple(dlms_types.AccessResponseSpec.from_json(r) for r in results)
        if "data" in obj:
            data = tuple(DlmsData.from_json(d) for d in json_list(obj, "data"))
        else:
            data = tuple(DlmsData.from_json(r.get("data")) for r in results)
        echo = obj.get("request_specifications")
        echoed = None if echo is None else tuple(
            dlms_types.AccessRequestSpec.from_json(s) for s in json_list(obj, "request_specifications"))
        invoke = dlms_types.InvokeIdAndPriority.from_json(obj.get("invoke"))
        return cls(invoke, data, specs, json_hex(obj, "date_time", ""), echoed)


@dataclass(frozen=True)
class DataNotification(DlmsPayload):
    """data-notification ``0F``: an alert body, a structure led by alert code and time stamp (GBCS 5.11)."""

    apdu: ClassVar[str] = "data-notification"
    invoke: dlms_types.InvokeIdAndPriority
    body: DlmsData
    date_time: bytes = b""

    @property
    def alert_code(self) -> int | None:
        """The leading long-unsigned alert code of the body, when it has one."""
        body = self.body
        if isinstance(body, StructureData) and body.items and isinstance(body.items[0], IntegerData):
            return body.items[0].value
        return None

    _tag: ClassVar[int] = dlms_types.DATA_NOTIFICATION_TAG
    _construct: ClassVar[Any] = dlms_types.DataNotificationApdu

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
        return cls(dlms_types.InvokeIdAndPriority.from_json(obj.get("invoke")), DlmsData.from_json(obj.get("body")),
                   json_hex(obj, "date_time", ""))


def _future_dated_target(body: DlmsData) -> dict[str, Any] | None:
    """Informative reading of the 19-byte element of a future-dated execution alert (GBCS 5.9 of the digest)."""
    if not (isinstance(body, StructureData) and len(body.items) == 3):
        return None
    target = body.items[2]
    if not (isinstance(target, OctetStringData) and len(target.value) == 19):
        return None
    raw = target.value
    obis = dlms_types.ObisCode.from_bytes(raw[12:18])
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
