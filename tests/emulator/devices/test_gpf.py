"""GPF: answers GBZ reads from its copy of the GSME data; refuses GSME-only use cases."""

from __future__ import annotations

import pytest
from gbz_lab import S2C, GbzLab, cluster_command, fields_of, gbz, read

from smets_emu.emulator.devices.gpf import GPF_GBZ_CODES, GasProxyFunction
from smets_emu.emulator.zcl.model import ZclModel


@pytest.fixture
def lab() -> GbzLab:
    return GbzLab("GPF")


def test_registered_codes_are_reads_and_change_of_tenancy() -> None:
    assert {0x0074, 0x0075, 0x0096, 0x00A0, 0x012A, 0x0072} <= GPF_GBZ_CODES
    assert 0x006B not in GPF_GBZ_CODES and 0x0097 not in GPF_GBZ_CODES
    assert GPF_GBZ_CODES <= set(GasProxyFunction._routes)


def test_register_read_from_mirror(lab: GbzLab) -> None:
    model = ZclModel(lab.device.state)
    model.set(0x0702, 0x0000, 987654)
    comps = lab.components(lab.send(0x0074, gbz(read(0x0702, 0x0302, 0x0301, 0x0300, 0x0000))))
    assert comps[0]["encrypted"]
    records = fields_of(comps[0])["records"]
    assert [r["type"] for r in records] == ["UINT24", "UINT24", "ENUM8", "UINT48"]
    assert records[-1]["value"] == 987654


def test_daily_read_log_from_mirror(lab: GbzLab) -> None:
    window = {"earliest_start_time": {"utc": 473209200}, "latest_end_time": {"utc": 473385600},
              "snapshot_offset": 0, "snapshot_cause": 1}
    comps = lab.components(lab.send(0x0096, gbz(cluster_command(0x0705, 0x07, window))))
    assert comps[0]["encrypted"] and comps[0]["zcl"]["command_id"] == 0x01
    assert fields_of(comps[0])["total_snapshots_found"] == 2


def test_change_of_tenancy(lab: GbzLab) -> None:
    tenancy = {"provider_id": 0, "issuer_event_id": 1, "tariff_type": 0,
               "implementation_date_time": {"utc": 0}, "proposed_tenancy_change_control": 0x200}
    comps = lab.components(lab.send(0x0072, gbz(cluster_command(0x0708, 0x00, tenancy, S2C))))
    assert fields_of(comps[0])["status"] == "SUCCESS"
    assert ZclModel(lab.device.state).mapping("device_management")["change_of_tenancy"]["issuer_event_id"] == 1


def test_gsme_only_use_case_is_refused_with_an_alert(lab: GbzLab) -> None:
    message = {"message_id": 1, "message_control": 0, "start_time": {"utc": 0}, "duration_in_minutes": 1,
               "message": "hi", "extended_message_control": None}
    outcome = lab.send(0x0071, gbz(cluster_command(0x0703, 0x00, message, S2C)))
    assert not outcome.accepted and not outcome.responses
    assert outcome.alerts
