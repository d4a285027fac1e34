"""A DLMS device (ESME or CHF) on the project's own test PKI, with a head-end that sends access-requests."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from smets_emu.emulator.device import Device, Outcome
from smets_emu.emulator.devices import device_for
from smets_emu.emulator.provision import new_device_state
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.message import Message
from smets_emu.protocols.payloads.dlms import (
    AccessRequest,
    AccessRequestKind,
    AccessRequestSpec,
    InvokeIdAndPriority,
    ObisCode,
)
from smets_emu.protocols.payloads.dlms_data import DlmsData, NullData
from smets_emu.protocols.pki import TestPki, generate_test_pki

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
SUPPLIER = bytes.fromhex("90B3D51F30010000")
NETWORK_OPERATOR = bytes.fromhex("90B3D51F30020000")
ACB = bytes.fromhex("90B3D51F30000002")
DEVICES = {"ESME": bytes.fromhex("00DB1234567890A0"), "CHF": bytes.fromhex("00DB1234567890A2")}

_PKI: TestPki | None = None


def test_pki() -> TestPki:
    """One PKI per test session (generating it takes a moment)."""
    global _PKI
    if _PKI is None:
        _PKI = generate_test_pki(seed="cosem-devices")
    return _PKI


Access = tuple[AccessRequestKind, int, str, int, DlmsData]


def request(counter: int, *accesses: Access) -> AccessRequest:
    """An access-request whose invoke id is the low 24 bits of the counter (GBCS 5.11)."""
    specs = tuple(AccessRequestSpec(k, c, ObisCode.parse(o), m) for k, c, o, m, _ in accesses)
    return AccessRequest(InvokeIdAndPriority(counter & 0xFFFFFF), specs, tuple(d for *_, d in accesses))


def get(class_id: int, obis: str, attribute_id: int) -> Access:
    return (AccessRequestKind.GET, class_id, obis, attribute_id, NullData())


def set_(class_id: int, obis: str, attribute_id: int, value: DlmsData) -> Access:
    return (AccessRequestKind.SET, class_id, obis, attribute_id, value)


def action(class_id: int, obis: str, method_id: int, parameter: DlmsData) -> Access:
    return (AccessRequestKind.ACTION, class_id, obis, method_id, parameter)


class DlmsLab:
    """One device and a head-end holding every organisation key of the test PKI."""

    def __init__(self, device_type: str = "ESME") -> None:
        pki = test_pki()
        self.eui = DEVICES[device_type]
        state = new_device_state(self.eui, device_type, pki.keystore, pki=pki)
        self.device: Device = device_for(state)
        self.headend = HeadEnd(pki.keystore)
        self.headend.register_device(state)
        self.counters: dict[bytes, int] = defaultdict(lambda: 0x1000)

    def send(self, code: int, *accesses: Access, originator: bytes = SUPPLIER, now: dt.datetime = NOW,
             supplementary: bytes | None = None, **kwargs: Any) -> tuple[Outcome, int]:
        self.counters[originator] += 1
        counter = self.counters[originator]
        data = self.headend.command(originator=originator, recipient=self.eui, message_code=code,
                                    payload=request(counter, *accesses), counter=counter,
                                    supplementary_id=supplementary,
                                    supplementary_counter=counter if supplementary else None, **kwargs)
        return self.device.handle(data, now), counter

    def read(self, message: bytes) -> Message:
        """Decode (and decrypt) a device message after checking its MAC or signature."""
        report = self.headend.verify(message)
        assert "invalid" not in (report.mac.value, report.signature.value), report
        assert "valid" in (report.mac.value, report.signature.value), report
        return self.headend.decode(message)
