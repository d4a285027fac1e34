"""GBZ components (GBCS 7.5): extended header, optional from-date-time, additional header of an encrypted
component and the ZCL frame, as :class:`GbzComponent`; and the future-dated execution outcome of the
0x00CD alert (GBCS alert codes 0x8F66/0x8F67) as :class:`FutureDatedExecution`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from smets_emu.errors import EncodeError
from smets_emu.protocols.message_codes import lookup
from smets_emu.protocols.payloads import zcl_clusters as clusters
from smets_emu.protocols.payloads.zcl import (
    ZclDirection,
    ZclFrameType,
    ZclHeader,
    iso_of,
)

# --- values ------------------------------------------------------------------------------


def enum_name(enum_cls: type[enum.IntEnum], value: int) -> str | None:
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
