"""Typed CS02 / CS03 / CS04 / CS07 / GCS59 / GCS62 models at the ASN.1 codec edge (GBCS 13.3.4-13.3.6)."""

from __future__ import annotations

import datetime as dt

import pytest

from smets_emu.emulator.anchors import CellId, CellKeyUsage, CellUsage, Role
from smets_emu.errors import FrameError
from smets_emu.protocols.payloads.asn1 import Asn1Payload, decode_asn1, placeholder_certificate, sample_asn1
from smets_emu.protocols.payloads.asn1_enums import KeyUsageBit, ReplacementMode, StatusCode
from smets_emu.protocols.payloads.asn1_join_models import (
    DeviceLogEntry,
    GpfDeviceLogBackupAlert,
    GpfDeviceLogRestoreCommand,
    JoinDeviceCommand,
    UnjoinCommand,
)
from smets_emu.protocols.payloads.asn1_models import (
    CellIdentifier,
    CertificateCommand,
    KeyUsageCommand,
    ProvideSecurityCredentialDetailsCommand,
    read,
)
from smets_emu.protocols.payloads.asn1_update_models import (
    ReplacementOutcome,
    SeqNumberChange,
    UpdateExecutionOutcome,
    UpdateSecurityCredentialsAlert,
    UpdateSecurityCredentialsCommand,
    UpdateSecurityCredentialsResponse,
)
from smets_emu.protocols.payloads.base import PayloadContext

COMMAND = 1


def test_cs02a_command_reads_roles_and_the_authorising_cell_as_numbers() -> None:
    payload = sample_asn1(0x0008, COMMAND)
    model = read(payload, ProvideSecurityCredentialDetailsCommand)
    assert model.roles == (Role.SUPPLIER, Role.NETWORK_OPERATOR)
    assert model.authorising_cell == CellIdentifier(4, frozenset({KeyUsageBit.KEY_AGREEMENT}))
    acb_ka = CellId(Role.ACCESS_CONTROL_BROKER, CellKeyUsage.KEY_AGREEMENT)
    assert CellId.from_identifier(model.authorising_cell) == acb_ka


@pytest.mark.parametrize("code", [*range(0x0100, 0x010A), 0x0125, 0x0126])
def test_cs02b_cs02g_commands_carry_typed_control_and_der_certificates(code: int) -> None:
    model = read(sample_asn1(code, COMMAND), UpdateSecurityCredentialsCommand)
    mode = ReplacementMode(model.control.mode)
    assert mode == {0x0125: 10, 0x0126: 11}.get(code, code - 0x0100)
    assert model.control.seq_number == 1000 and model.control.new_floor == 0
    assert model.control.apply_time_based_checks is (mode not in (8, 9, 10))
    assert model.certification_path == (placeholder_certificate(),)
    assert model.replacements[0].certificate == placeholder_certificate()
    assert CellId.from_identifier(model.replacements[0].target) is not None
    assert (model.control.plaintext_symmetric_key is not None) is (mode == 9)


def test_stored_update_command_reads_back_from_its_der() -> None:
    payload = sample_asn1(0x0102, COMMAND)
    model = read(payload, UpdateSecurityCredentialsCommand)
    assert UpdateSecurityCredentialsCommand.from_der(payload.encode()) == model
    with pytest.raises(FrameError):
        UpdateSecurityCredentialsCommand.from_der(b"\x30\x03\x02\x01\x00")


def test_key_usage_commands_name_the_device_key_pair() -> None:
    ka = read(sample_asn1(0x000C, COMMAND), KeyUsageCommand)
    ds = read(sample_asn1(0x000A, COMMAND), KeyUsageCommand)
    assert (ka.device_usage, ds.device_usage) == ("ka", "ds")
    assert KeyUsageCommand(frozenset({0, 4})).device_usage is None
    cert = read(sample_asn1(0x000B, COMMAND), CertificateCommand)
    assert cert.certificate == placeholder_certificate()


def test_read_refuses_another_schema() -> None:
    with pytest.raises(FrameError):
        read(sample_asn1(0x0008, COMMAND), UpdateSecurityCredentialsCommand)


def test_update_response_and_alert_encode_from_typed_values() -> None:
    cell = CellId(Role.SUPPLIER, CellKeyUsage.KEY_AGREEMENT, CellUsage.PREPAYMENT_TOP_UP).identifier()
    outcome = UpdateExecutionOutcome(
        1000, ReplacementMode.SUPPLIER_BY_SUPPLIER, (SeqNumberChange(int(Role.SUPPLIER), 0),),
        (ReplacementOutcome(cell, StatusCode.SUCCESS, bytes(8), bytes(8), bytes.fromhex("90B3D51F30010000"),
                            bytes.fromhex("0102030405060708")),),
    )
    response = Asn1Payload("CS02bResponse", UpdateSecurityCredentialsResponse(outcome).tree(), 0x0102, 2, "long2")
    value = decode_asn1(response.encode(), PayloadContext(0x0102, 2)).value
    replaced = value["executionOutcome"]["replacementOutcomes"][0]
    assert replaced["affectedTrustAnchorCell"] == {
        "remotePartyRole": "supplier(2)", "keyUsage": ["keyAgreement(4)"], "cellUsage": "prePaymentTopUp(1)"}
    assert replaced["statusCode"] == "success(0)" and replaced["replacingSubjectKeyID"] == "0102030405060708"
    when = dt.datetime(2030, 1, 15, tzinfo=dt.UTC)
    alert = Asn1Payload("CS02bAlert", UpdateSecurityCredentialsAlert(0x8F66, when, outcome).tree(), 0x00CB, 3)
    value = decode_asn1(alert.encode(), PayloadContext(0x00CB, 3)).value
    assert value["executionDateTime"] == "20300115000000Z"
    assert value["alertCode"] == "futureDatedCommandActioned(0x8F66)"


def test_join_models() -> None:
    join = read(sample_asn1(0x00AF, COMMAND), JoinDeviceCommand)
    assert (join.method, join.other_device.hex().upper(), join.other_type) == (3, "00DB123456789098", 5)
    assert join.ka_certificate == placeholder_certificate()
    unjoin = read(sample_asn1(0x000F, COMMAND), UnjoinCommand)
    assert unjoin.other_device == bytes.fromhex("00DB123456789098")
    restore = read(sample_asn1(0x008C, COMMAND), GpfDeviceLogRestoreCommand)
    assert restore.entries == (DeviceLogEntry(bytes.fromhex("00DB123456789098"), 5),
                               DeviceLogEntry(bytes.fromhex("00DB123456789099"), 0))
    backup = GpfDeviceLogBackupAlert(dt.datetime(2030, 1, 15, tzinfo=dt.UTC), restore.entries)
    expected = sample_asn1(0x00B2, 3)
    assert Asn1Payload("GCS62Alert", backup.tree(), 0x00B2, 3).encode() == expected.encode()
