"""The access service over the object model: results, break-on-error, activations (GBCS 5.11, 5.9)."""

from __future__ import annotations

import datetime as dt

from smets_emu.emulator.cosem.engine import due_activations, execute
from smets_emu.emulator.cosem.methods import ExecContext
from smets_emu.emulator.cosem.model import CosemModel
from smets_emu.emulator.state import DeviceState
from smets_emu.protocols.payloads.dlms import (
    AccessRequest,
    AccessRequestKind,
    AccessRequestSpec,
    InvokeIdAndPriority,
    ObisCode,
)
from smets_emu.protocols.payloads.dlms_data import (
    BooleanData,
    DataTag,
    DlmsData,
    IntegerData,
    NullData,
    OctetStringData,
)
from smets_emu.protocols.timestamps import DlmsDateTime

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
K = AccessRequestKind


def run(state: DeviceState, *accesses: tuple[AccessRequestKind, int, str, int, DlmsData],
        break_on_error: bool = True) -> list[int]:
    request = AccessRequest(
        InvokeIdAndPriority(77, break_on_error=break_on_error),
        tuple(AccessRequestSpec(k, c, ObisCode.parse(o), m) for k, c, o, m, _ in accesses),
        tuple(d for *_, d in accesses),
    )
    response = execute(request, ExecContext(CosemModel(state), NOW, message_code=0x0019, originator_counter=5))
    assert response.invoke.invoke_id == 77
    assert len(response.data) == len(response.results) == len(accesses)
    return [int(r.result) for r in response.results]


def esme() -> DeviceState:
    return DeviceState(bytes.fromhex("00DB1234567890A0"), "ESME")


def when(value: dt.datetime) -> OctetStringData:
    return OctetStringData(DlmsDateTime.from_datetime(value).to_bytes())


def test_result_codes() -> None:
    state = esme()
    assert run(state, (K.GET, 1, "0-0:0.2.1.255", 2, NullData())) == [0]
    assert run(state, (K.GET, 1, "1-2:3.4.5.6", 2, NullData())) == [4]  # object-undefined
    assert run(state, (K.GET, 1, "0-0:0.2.1.255", 9, NullData())) == [4]
    assert run(state, (K.SET, 1, "0-0:0.2.1.255", 2, OctetStringData(b"1234"))) == [3]  # read-write-denied
    assert run(state, (K.SET, 113, "0-0:19.20.5.255", 7, BooleanData())) == [12]  # type-unmatched
    assert run(state, (K.ACTION, 1, "0-0:0.2.1.255", 9, NullData())) == [4]


def test_break_on_error() -> None:
    state = esme()
    accesses = ((K.GET, 1, "1-2:3.4.5.6", 2, NullData()), (K.GET, 1, "0-0:0.2.1.255", 2, NullData()))
    assert run(state, *accesses) == [4, 250]
    assert run(state, *accesses, break_on_error=False) == [4, 0]


def test_set_is_stored() -> None:
    state = esme()
    assert run(state, (K.SET, 1, "0-0:94.44.0.4", 2, BooleanData(0xFF))) == [0]
    assert CosemModel(state).read_value(1, "0-0:94.44.0.4", 2) == BooleanData(0xFF)


def test_immediate_future_and_cancelled_activation() -> None:
    state = esme()
    assert run(state, (K.SET, 9000, "0-0:94.44.128.7", 4, IntegerData(DataTag.DOUBLE_LONG_UNSIGNED, 9)),
               (K.SET, 9000, "0-0:94.44.128.7", 6, OctetStringData(bytes(9) + b"\x80\x00\xff"))) == [0, 0]
    model = CosemModel(state)
    assert model.read_value(9000, "0-0:94.44.128.7", 2) == IntegerData(DataTag.DOUBLE_LONG_UNSIGNED, 9)
    later = NOW + dt.timedelta(days=1)
    assert run(state, (K.SET, 9000, "0-0:94.44.128.7", 4, IntegerData(DataTag.DOUBLE_LONG_UNSIGNED, 10)),
               (K.SET, 9000, "0-0:94.44.128.7", 6, when(later))) == [0, 0]
    assert state.pending[0]["message_code"] == 0x0019 and state.pending[0]["originator_counter"] == 5
    assert model.read_value(9000, "0-0:94.44.128.7", 2) == IntegerData(DataTag.DOUBLE_LONG_UNSIGNED, 9)
    assert due_activations(model, NOW) == []
    done = due_activations(model, later)
    assert [(e["class_id"], ok) for e, ok in done] == [(9000, True)]
    assert model.read_value(9000, "0-0:94.44.128.7", 2) == IntegerData(DataTag.DOUBLE_LONG_UNSIGNED, 10)
    run(state, (K.SET, 9000, "0-0:94.44.128.7", 6, when(later)))
    run(state, (K.SET, 9000, "0-0:94.44.128.7", 6, OctetStringData(b"\xff" * 9 + b"\x80\x00\xff")))
    assert not state.pending


def test_any_parameter_on_any_catalogued_member_gives_an_encodable_response() -> None:
    """Wrong-typed parameters and values never escape as exceptions (GBCS: error results, not crashes)."""
    odd: list[DlmsData] = [NullData(), BooleanData(0), OctetStringData(b"\xff" * 12), IntegerData(DataTag.ENUM, 3),
                           OctetStringData(bytes(9) + b"\x80\x00\xff")]
    for device_type in ("ESME", "CHF"):
        state = DeviceState(bytes.fromhex("00DB1234567890A0"), device_type)
        for obj in list(CosemModel(state).objects.values()):
            for member in [*map(int, obj["attributes"]), *obj.get("methods", []), 1]:
                for value in odd:
                    for kind in (K.GET, K.SET, K.ACTION):
                        request = AccessRequest(InvokeIdAndPriority(1), (AccessRequestSpec(
                            kind, obj["class_id"], ObisCode.parse(obj["obis"]), member),), (value,))
                        execute(request, ExecContext(CosemModel(state), NOW)).encode()
