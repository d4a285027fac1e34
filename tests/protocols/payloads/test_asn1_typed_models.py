"""Typed ASN.1 firmware and clock models (CS06, CS08, CS09, CCS08, GCS28, 0x00D5) and the one definition
of the named numbers (asn1_enums -> asn1_types ``_map``)."""

from __future__ import annotations

import datetime as dt
import inspect
from dataclasses import replace

import pytest
from asn1crypto import core

from smets_emu.errors import EncodeError, FrameError
from smets_emu.protocols.payloads import asn1_enums as e
from smets_emu.protocols.payloads import asn1_types as t
from smets_emu.protocols.payloads.asn1 import decode_asn1, sample_asn1
from smets_emu.protocols.payloads.asn1_firmware_models import (
    CANCELLATION_TIME,
    ActivateFirmwareAlert,
    ActivateFirmwareCommand,
    ActivateFirmwareResponse,
    ActivationOutcome,
    FailureToDeliverAlert,
    FirmwareTransferAlert,
    ReadFirmwareVersionAlert,
    ReadFirmwareVersionResponse,
    SetTimeCommand,
    SetTimeResponse,
    version_octets,
)
from smets_emu.protocols.payloads.asn1_models import NullCommand, read, to_payload
from smets_emu.protocols.payloads.asn1_update_models import (
    UpdateSecurityCredentialsAlert,
    UpdateSecurityCredentialsCommand,
    UpdateSecurityCredentialsResponse,
)
from smets_emu.protocols.payloads.base import PayloadContext
from smets_emu.protocols.roles import Role

WHEN = dt.datetime(2030, 1, 15, tzinfo=dt.UTC)

MODELS = [
    (0x0012, 1, ActivateFirmwareCommand), (0x0012, 2, ActivateFirmwareResponse), (0x00CA, 3, ActivateFirmwareAlert),
    (0x0129, 1, NullCommand), (0x0013, 1, NullCommand), (0x0129, 2, ReadFirmwareVersionResponse),
    (0x012B, 3, ReadFirmwareVersionAlert), (0x0128, 3, FirmwareTransferAlert), (0x007F, 1, SetTimeCommand),
    (0x007F, 2, SetTimeResponse), (0x0102, 1, UpdateSecurityCredentialsCommand),
    (0x0125, 1, UpdateSecurityCredentialsCommand), (0x0103, 2, UpdateSecurityCredentialsResponse),
    (0x0126, 2, UpdateSecurityCredentialsResponse), (0x00CB, 3, UpdateSecurityCredentialsAlert),
    (0x0124, 3, UpdateSecurityCredentialsAlert),
]


@pytest.mark.parametrize(("code", "cra", "model"), MODELS)
def test_sample_reads_into_its_model_and_rebuilds_the_same_bytes(code: int, cra: int, model: type) -> None:
    payload = sample_asn1(code, cra)
    if model is UpdateSecurityCredentialsCommand:
        value = UpdateSecurityCredentialsCommand.from_asn1(payload.asn1_value())
    else:
        value = read(payload, model)
    assert to_payload(value, code, cra).encode() == payload.encode()


def test_decoded_payload_reads_its_own_bytes_without_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = sample_asn1(0x0012, 1).encode()
    payload = decode_asn1(wire, PayloadContext(0x0012, 1))
    assert payload.content == wire

    def no_encode(self: object) -> bytes:
        raise AssertionError("asn1_value() encoded the tree again")

    monkeypatch.setattr(type(payload), "encode", no_encode)
    assert read(payload, ActivateFirmwareCommand) == ActivateFirmwareCommand(bytes([0xA1] * 32), 1000)


def test_edited_tree_is_encoded_again_for_the_typed_read() -> None:
    payload = decode_asn1(sample_asn1(0x0012, 1).encode(), PayloadContext(0x0012, 1))
    edited = replace(payload, value={**payload.value, "originatorCounter": 1001})
    assert edited.content is None and edited == replace(payload, value=edited.value)
    assert read(edited, ActivateFirmwareCommand).originator_counter == 1001
    assert read(payload, ActivateFirmwareCommand).originator_counter == 1000
    built = sample_asn1(0x0012, 1)
    assert built.content is None or built.content == built.encode()


def test_cs06_values_are_typed() -> None:
    command = read(sample_asn1(0x0012, 1), ActivateFirmwareCommand)
    assert command == ActivateFirmwareCommand(bytes([0xA1] * 32), 1000)
    outcome = read(sample_asn1(0x0012, 2), ActivateFirmwareResponse).outcome
    assert outcome == ActivationOutcome(e.ActivateImageCode.SUCCESS, bytes.fromhex("0123ABCD"))
    assert outcome.succeeded and outcome.code_name == "success"
    alert = read(sample_asn1(0x00CA, 3), ActivateFirmwareAlert)
    assert alert.alert_code == e.AlertCode.FUTURE_DATED_COMMAND_ACTIONED and alert.originator_counter == 1001


def test_cs06_cancellation_and_future_dated_alert_codes() -> None:
    cancel = ActivateFirmwareCommand(bytes(32), 7, CANCELLATION_TIME)
    decoded = decode_asn1(to_payload(cancel, 0x0012, 1).encode(), PayloadContext(0x0012, 1))
    assert decoded.value["executionDateTime"] == "99991231235959Z"
    assert read(decoded, ActivateFirmwareCommand).cancels
    failed = ActivateFirmwareAlert.of(WHEN, 7, ActivationOutcome(e.ActivateImageCode.HASH_MISMATCH, b"\x01"))
    assert failed.alert_code == 0x8F67
    assert decode_asn1(to_payload(failed, 0x00CA, 3).encode(), PayloadContext(0x00CA, 3)).value["executionOutcome"] \
        == {"activateImageResponseCode": "hashMismatch(2)", "firmwareVersion": "01"}


def test_ccs08_alert_code_follows_the_response_code() -> None:
    ok = FirmwareTransferAlert.of(WHEN, bytes(8), b"\x01\x02", e.TransferCode.SUCCESS)
    bad = FirmwareTransferAlert.of(WHEN, bytes(8), b"\x01\x02", e.TransferCode.HARDWARE_VERSION_MISMATCH)
    assert (ok.alert_code, bad.alert_code) == (0x8F8A, 0x8F89)
    assert bad.code_name == "hardwareVersionMismatch"
    again = read(decode_asn1(to_payload(bad, 0x0128, 3).encode(), PayloadContext(0x0128, 3)), FirmwareTransferAlert)
    assert again == bad


def test_gcs28_interval_and_failure_to_deliver_alert() -> None:
    command = read(sample_asn1(0x007F, 1), SetTimeCommand)
    assert command.covers(WHEN) and not command.covers(WHEN + dt.timedelta(hours=2))
    alert = FailureToDeliverAlert(WHEN, bytes.fromhex("90B3D51F30010000"), bytes.fromhex("00DB1234567890A0"), 1, 1000)
    decoded = decode_asn1(to_payload(alert, 0x00D5, 3).encode(), PayloadContext(0x00D5, 3)).value
    assert decoded["alertCode"] == "failureToDeliverRemotePartyMessageToEsme(0x8F84)"
    assert decoded["remotePartyMessage"]["originatorCounter"] == 1000


def test_read_refuses_another_schema_and_bad_versions_do_not_encode() -> None:
    with pytest.raises(FrameError):
        read(sample_asn1(0x0012, 1), ActivateFirmwareResponse)
    with pytest.raises(EncodeError):
        version_octets("not hex")


def test_asn1_maps_come_from_the_enums() -> None:
    """Every named-number map of the asn1crypto classes is one of the enums (or the role names)."""
    maps = {name: cls._map for name, cls in vars(t).items()
            if inspect.isclass(cls) and issubclass(cls, core.Asn1Value) and name in t.__all__
            and getattr(cls, "_map", None)}
    enums = {name: cls.asn1_map() for name, cls in vars(e).items()
             if inspect.isclass(cls) and issubclass(cls, e.NamedNumber) and cls is not e.NamedNumber}
    assert maps["RemotePartyRole"] == {int(r): n for r, n in e.ROLE_NAMES.items()}
    assert set(e.ROLE_NAMES) == set(Role)
    unmatched = [name for name, m in maps.items() if name != "RemotePartyRole" and m not in enums.values()]
    assert unmatched == []
    assert t.StatusCode._map[25] == "trustAnchorNotFound" and t.DeviceType._map[6] == "type2Device"
