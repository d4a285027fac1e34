"""A small GBZ test rig: a GSME or GPF provisioned from the project's own test PKI and a head-end."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from smets_emu.emulator.device import Device, Outcome
from smets_emu.emulator.devices import device_for
from smets_emu.emulator.provision import new_device_state
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.message import Message
from smets_emu.protocols.payloads import Payload
from smets_emu.protocols.payloads.gbz import GbzComponent, GbzPayload
from smets_emu.protocols.payloads.zcl import ZclDirection, ZclFrameType, ZclHeader
from smets_emu.protocols.pki import generate_test_pki

GSME = bytes.fromhex("00DB1234567890A1")
GPF = bytes.fromhex("00DB1234567890A3")
SUPPLIER = bytes.fromhex("90B3D51F30010000")
NOW = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)

C2S, S2C = ZclDirection.CLIENT_TO_SERVER, ZclDirection.SERVER_TO_CLIENT
PW, CS = ZclFrameType.PROFILE_WIDE, ZclFrameType.CLUSTER_SPECIFIC

_PKI = None


def pki() -> Any:
    """One deterministic test PKI for the whole session (key generation is slow)."""
    global _PKI
    if _PKI is None:
        _PKI = generate_test_pki(seed=5, devices=[GSME, GPF])
    return _PKI


def read(cluster: int, *attributes: int) -> tuple[int, ZclHeader, dict[str, Any]]:
    return cluster, ZclHeader(PW, C2S, 0, 0x00), {"attribute_ids": list(attributes)}


def cluster_command(cluster: int, command: int, fields: dict[str, Any], direction: ZclDirection = C2S,
                    ) -> tuple[int, ZclHeader, dict[str, Any]]:
    return cluster, ZclHeader(CS, direction, 0, command), fields


def gbz(*parts: tuple[int, ZclHeader, dict[str, Any]], from_date_time: int | None = None) -> GbzPayload:
    """A GBZ command; components are numbered 0, 1, 2 ... and the last one is flagged."""
    comps = []
    for seq, (cluster, header, fields) in enumerate(parts):
        numbered = ZclHeader(header.frame_type, header.direction, seq, header.command_id)
        comps.append(GbzComponent(cluster, numbered, fields=fields, last=seq == len(parts) - 1,
                                  from_date_time=from_date_time))
    return GbzPayload(components=tuple(comps), form="command")


@dataclass
class GbzLab:
    """A device and the head-end talking to it."""

    device_type: str = "GSME"
    counter: int = 0x1000
    device: Device = field(init=False)
    head_end: HeadEnd = field(init=False)

    def __post_init__(self) -> None:
        eui = GSME if self.device_type == "GSME" else GPF
        state = new_device_state(eui, self.device_type, pki().keystore, pki=pki())
        self.head_end = HeadEnd(pki().keystore)
        self.head_end.register_device(state)
        self.device = device_for(state)

    def send(self, code: int, payload: Payload | bytes, now: dt.datetime = NOW, **kwargs: Any) -> Outcome:
        self.counter += 1
        data = self.head_end.command(originator=SUPPLIER, recipient=self.device.eui, message_code=code,
                                     payload=payload, counter=self.counter, **kwargs)
        return self.device.handle(data, now)

    def response(self, outcome: Outcome) -> Message:
        assert outcome.accepted, outcome.reason
        assert len(outcome.responses) == 1
        message = outcome.responses[0].message
        report = self.head_end.verify(message)
        assert "invalid" not in (str(report.mac), str(report.signature)), report
        return self.head_end.decode(message)

    def components(self, outcome: Outcome) -> list[dict[str, Any]]:
        """Response components as JSON (decrypted parts under zcl.decrypted)."""
        return self.response(outcome).payload.to_json()["components"]


def fields_of(component: dict[str, Any]) -> dict[str, Any]:
    zcl = component["zcl"]
    return zcl.get("fields") or (zcl.get("decrypted") or {}).get("fields") or {}
