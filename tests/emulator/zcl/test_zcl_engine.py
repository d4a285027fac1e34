"""GBZ engine: component execution, sequence numbers, abort rule, encryption, future-dated commands."""

from __future__ import annotations

import datetime as dt

import pytest

from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.zcl.commands import BEHAVIOURS, ExecContext
from smets_emu.emulator.zcl.engine import execute, run_due
from smets_emu.emulator.zcl.model import ZclModel
from smets_emu.emulator.zcl.profiles import apply_profile
from smets_emu.protocols.payloads.base import PayloadContext
from smets_emu.protocols.payloads.gbz import GbzComponent, GbzPayload
from smets_emu.protocols.payloads.gbz_payload import decode_gbz
from smets_emu.protocols.payloads.zcl import ZclDirection, ZclFrameType, ZclHeader, ZclStatus
from smets_emu.protocols.timestamps import datetime_to_gbz_seconds

C2S, S2C = ZclDirection.CLIENT_TO_SERVER, ZclDirection.SERVER_TO_CLIENT
PW, CS = ZclFrameType.PROFILE_WIDE, ZclFrameType.CLUSTER_SPECIFIC
NOW = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def ctx() -> ExecContext:
    state = apply_profile(DeviceState(eui=bytes(8), device_type="GSME"))
    return ExecContext(model=ZclModel(state), now=NOW, now_utc=datetime_to_gbz_seconds(NOW), message_code=0x006F,
                       originator_counter=77, requester=bytes(8))


def command(*parts: tuple[int, ZclFrameType, ZclDirection, int, dict]) -> GbzPayload:
    comps = tuple(GbzComponent(cluster, ZclHeader(ft, d, seq, cmd), fields=fields, last=seq == len(parts) - 1)
                  for seq, (cluster, ft, d, cmd, fields) in enumerate(parts))
    return GbzPayload(components=comps, form="command")


def test_registry_covers_the_gbcs_commands() -> None:
    assert len(BEHAVIOURS) >= 45
    assert (0x0705, C2S, 0x04) in BEHAVIOURS and (0x0707, S2C, 0x00) in BEHAVIOURS


def test_read_attributes_and_default_responses(ctx: ExecContext) -> None:
    result = execute(command(
        (0x0702, PW, C2S, 0x00, {"attribute_ids": [0x0000, 0x1234]}),
        (0x0703, CS, S2C, 0x00, {"message_id": 1, "message_control": 0, "start_time": {"utc": 0},
                                 "duration_in_minutes": 5, "message": "hi", "extended_message_control": None}),
        (0x0702, CS, C2S, 0x42, {}),
    ), ctx)
    a, b, c = result.payload.components
    assert [x.header.sequence_number for x in (a, b, c)] == [0, 1, 2] and c.last and not a.last
    assert [r["status"] for r in a.fields["records"]] == ["SUCCESS", "UNSUPPORTED_ATTRIBUTE"]
    assert (b.header.direction, b.header.command_id, b.fields["status"]) == (C2S, 0x0B, "SUCCESS")
    assert c.fields["status"] == "UNSUP_CLUSTER_COMMAND"
    assert ctx.model.table("messages")[-1]["message"] == "hi"


def test_failure_aborts_the_rest(ctx: ExecContext) -> None:
    ctx.model.inject_attribute_fault(0x0000, 0x0004, ZclStatus.HARDWARE_FAILURE)
    result = execute(command(
        (0x0000, PW, C2S, 0x00, {"attribute_ids": [0x0004]}),
        (0x0702, PW, C2S, 0x00, {"attribute_ids": [0x0000]}),
    ), ctx)
    first, second = result.payload.components
    assert first.fields["records"][0]["status"] == "HARDWARE_FAILURE"
    assert (second.cluster_id, second.fields["command_id"], second.fields["status"]) == (0x0702, 0xFF, "FAILURE")
    assert result.failed


def test_not_found_does_not_abort(ctx: ExecContext) -> None:
    ctx.model.objects["tables"] = {}
    result = execute(command(
        (0x0707, CS, C2S, 0x03, {"provider_id": 0, "issuer_calendar_id": 0xFFFFFFFF}),
        (0x0702, PW, C2S, 0x00, {"attribute_ids": [0x0000]}),
    ), ctx)
    assert result.payload.components[0].fields["status"] == "NOT_FOUND"
    assert result.payload.components[1].header.command_id == 0x01


def test_encrypted_responses_use_the_encryptor(ctx: ExecContext) -> None:
    ctx.message_code = 0x0074
    seen = []

    def encrypt(plaintext: bytes) -> bytes:
        seen.append(plaintext)
        return b"\x31\x00\x00\x00\x00" + plaintext + bytes(12)

    result = execute(command((0x0702, PW, C2S, 0x00, {"attribute_ids": [0x0302]})), ctx, encrypt=encrypt)
    comp = result.payload.components[0]
    assert comp.encrypted and seen and comp.header.disable_default_response
    assert GbzPayload.from_json(result.payload.to_json()).encode() == result.payload.encode()


def test_encrypted_components_number_their_frame_counters(ctx: ExecContext) -> None:
    """The Additional Header Frame Counter numbers a message's encrypted components 0, 1, 2 (GBCS 7.3)."""
    ctx.message_code = 0x0074

    def encrypt(plaintext: bytes) -> bytes:
        return b"\x31\x00\x00\x00\x00" + plaintext + bytes(12)

    read = (0x0702, PW, C2S, 0x00, {"attribute_ids": [0x0000]})
    result = execute(command(read, (0x0000, PW, C2S, 0x00, {"attribute_ids": [0x0004]}), read, read), ctx,
                     encrypt=encrypt)
    comps = result.payload.components
    assert [c.encrypted for c in comps] == [True, False, True, True]
    assert [c.additional_frame_counter for c in comps if c.encrypted] == [0, 1, 2]
    assert comps[-1].last and not any(c.last for c in comps[:-1])
    again = decode_gbz(result.payload.encode(), PayloadContext(message_code=0x0074, cra_flag=2))
    assert [c.additional_frame_counter for c in again.components if c.encrypted] == [0, 1, 2]


def test_get_snapshots_and_day_profiles(ctx: ExecContext) -> None:
    window = {"earliest_start_time": {"utc": 473209200}, "latest_end_time": {"utc": 473385600},
              "snapshot_offset": 0, "snapshot_cause": 1}
    result = execute(command(
        (0x0702, CS, C2S, 0x06, window),
        (0x0702, CS, C2S, 0x06, {**window, "snapshot_offset": 5}),
        (0x0707, CS, C2S, 0x01, {"provider_id": 0, "issuer_calendar_id": 0xFFFFFFFF, "start_day_id": 1,
                                 "number_of_days": 0}),
    ), ctx)
    comps = result.payload.components
    assert comps[0].fields["total_snapshots_found"] == 2
    assert comps[1].fields["status"] == "NOT_FOUND"
    days = [c for c in comps if c.header.sequence_number == 2]
    assert [c.fields["day_id"] for c in days] == [1, 2, 3, 4]


def test_future_dated_and_due(ctx: ExecContext) -> None:
    start = 948013200
    result = execute(command(
        (0x0705, CS, C2S, 0x03, {"issuer_event_id": 1, "start_time": {"utc": start},
                                 "emergency_credit_limit": 42, "emergency_credit_threshold": 7}),
    ), ctx)
    assert result.payload.components[0].fields["status"] == "SUCCESS"
    ctx.model.state.pending.extend(result.pending)
    assert ctx.model.get(0x0705, 0x0010) != 42
    assert run_due(ctx) == []
    ctx.now_utc = start
    (outcome,) = run_due(ctx)
    assert outcome.actioned and ctx.model.get(0x0705, 0x0010) == 42
    fd = outcome.alert.alert.future_dated
    assert (outcome.alert.alert.alert_code, fd.message_code, fd.originator_counter, fd.command_id) == (
        0x8F66, 0x006F, 77, 0x03)
    assert ctx.model.state.pending == []


def test_future_dated_fault_reports_not_actioned(ctx: ExecContext) -> None:
    result = execute(command(
        (0x0705, CS, C2S, 0x0C, {"provider_id": 0, "issuer_event_id": 1, "implementation_date_time": {"utc": 948013200},
                                 "overall_debt_cap": 3}),
    ), ctx)
    ctx.model.state.pending.extend(result.pending)
    ctx.model.inject_command_fault(0x0705, 0x0C, ZclStatus.HARDWARE_FAILURE)
    ctx.now_utc = 948013200
    (outcome,) = run_due(ctx)
    assert not outcome.actioned and outcome.alert.alert.alert_code == 0x8F67


def test_bad_fields_answer_invalid_field(ctx: ExecContext) -> None:
    result = execute(command((0x0705, CS, C2S, 0x09, {"wrong": 1})), ctx)
    assert result.payload.components[0].fields["status"] == "INVALID_FIELD"


def test_from_date_time_header_defers_a_write(ctx: ExecContext) -> None:
    comp = GbzComponent(0x0702, ZclHeader(CS, C2S, 0, 0x0D), fields={
        "issuer_event_id": 1, "supply_tamper_state": 3, "supply_depletion_state": 0,
        "supply_uncontrolled_flow_state": 0, "load_limit_supply_state": 0}, from_date_time=948013200, last=True)
    result = execute(GbzPayload(components=(comp,), form="command"), ctx)
    assert [p["command_id"] for p in result.pending] == [0x0D]
    assert ctx.model.get(0x0702, 0x0608) == 0
