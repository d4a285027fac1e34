"""DSP and S1SP validation paths, each with both outcomes (SECMP0107, SRPD 6.1/6.2/16.1, S1SR 4.2, PPCT E110101)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import ESME, GPF, krp, request  # type: ignore[import-not-found]

from smets_emu.parties.smets1.dsp import Dsp
from smets_emu.parties.smets1.scenario import (
    ACCESS_CONTROL_BROKER,
    MPAN,
    MPRN,
    NETWORK_OPERATOR_A,
    NETWORK_OPERATOR_B,
    SUPPLIER_A,
    SUPPLIER_B,
    TEMPLATE_FIRMWARE_HASH,
    anchor,
)
from smets_emu.parties.smets1.store import (
    SWITCH_SECMP0107_DSP,
    SWITCH_SECMP0107_S1SP,
    CplEntry,
    Registration,
    Store,
)
from smets_emu.parties.smets1.validation import UserRole
from smets_emu.protocols.duis import RemotePartyRole, ResponseCode, parse_response

CORRECT_NO = NETWORK_OPERATOR_A


def submit(dsp: Dsp, data: bytes, role: UserRole | None = None) -> ResponseCode:
    return parse_response(dsp.submit_xml(data, user_role=role)).response_code


def plant_wrong_network_operator(store: Store, device: bytes = ESME) -> None:
    """The slot holds NO B's certificate while Registration Data names NO A."""
    with store.transaction():
        store.put_anchors([anchor(device, RemotePartyRole.NETWORK_OPERATOR, NETWORK_OPERATOR_B)])


def switches(store: Store, *, dsp: bool, s1sp: bool) -> None:
    store.set_switch(SWITCH_SECMP0107_DSP, dsp)
    store.set_switch(SWITCH_SECMP0107_S1SP, s1sp)


def no_slot(store: Store, device: bytes = ESME) -> bytes:
    slot = store.anchor(device, "NetworkOperator")
    assert slot is not None
    return slot.entity_id


@pytest.mark.parametrize("device", [ESME, GPF])
def test_wrong_network_operator_fixes_its_mistake_with_switch_on(store: Store, dsp: Dsp, device: bytes) -> None:
    plant_wrong_network_operator(store, device)
    switches(store, dsp=True, s1sp=True)
    assert submit(dsp, krp(NETWORK_OPERATOR_B, device, "NetworkOperator", CORRECT_NO)) is ResponseCode.SUCCESS
    assert no_slot(store, device) == CORRECT_NO


def test_wrong_network_operator_rejected_at_dsp_with_switch_off(store: Store, dsp: Dsp) -> None:
    plant_wrong_network_operator(store)
    switches(store, dsp=False, s1sp=False)
    code = submit(dsp, krp(NETWORK_OPERATOR_B, ESME, "NetworkOperator", CORRECT_NO))
    assert code is ResponseCode.USER_NOT_AUTHORISED_FOR_DEVICE
    assert no_slot(store) == NETWORK_OPERATOR_B


def test_s1sp_without_the_change_rejects_with_s1ve4(store: Store, dsp: Dsp) -> None:
    """FIA 5.2: DSP switched on, S1SP not yet changed: the S1SP rejects the NO's request with S1VE4."""
    plant_wrong_network_operator(store)
    switches(store, dsp=True, s1sp=False)
    code = submit(dsp, krp(NETWORK_OPERATOR_B, ESME, "NetworkOperator", CORRECT_NO))
    assert code is ResponseCode.S1SP_REGISTRATION_DATA_CHECK_FAILED
    assert no_slot(store) == NETWORK_OPERATOR_B


def test_registered_network_operator_cannot_replace_a_certificate_it_does_not_own(store: Store, dsp: Dsp) -> None:
    """FIA 3.2 validation #3: the correct NO passes RDP but fails the certificate-owner check."""
    plant_wrong_network_operator(store)
    for on in (False, True):
        switches(store, dsp=on, s1sp=on)
        code = submit(dsp, krp(CORRECT_NO, ESME, "NetworkOperator", CORRECT_NO))
        assert code is ResponseCode.S1SP_CERTIFICATE_OWNER_MISMATCH


def test_old_network_operator_gets_s1ve64_after_the_swap(store: Store, dsp: Dsp) -> None:
    plant_wrong_network_operator(store)
    switches(store, dsp=True, s1sp=True)
    assert submit(dsp, krp(NETWORK_OPERATOR_B, ESME, "NetworkOperator", CORRECT_NO)) is ResponseCode.SUCCESS
    again = submit(dsp, krp(NETWORK_OPERATOR_B, ESME, "NetworkOperator", NETWORK_OPERATOR_B))
    assert again is ResponseCode.S1SP_CERTIFICATE_OWNER_MISMATCH
    assert submit(dsp, krp(CORRECT_NO, ESME, "NetworkOperator", CORRECT_NO)) is ResponseCode.SUCCESS


def test_supplier_6151_is_still_rdp_checked(store: Store, dsp: Dsp) -> None:
    switches(store, dsp=True, s1sp=True)
    code = submit(dsp, krp(SUPPLIER_B, ESME, "NetworkOperator", CORRECT_NO))
    assert code is ResponseCode.USER_NOT_AUTHORISED_FOR_DEVICE
    code = submit(dsp, krp(SUPPLIER_B, ESME, "Supplier", SUPPLIER_B))
    assert code is ResponseCode.USER_NOT_AUTHORISED_FOR_DEVICE


def test_registered_supplier_replaces_its_own_certificate(store: Store, dsp: Dsp) -> None:
    assert submit(dsp, krp(SUPPLIER_A, ESME, "Supplier", SUPPLIER_A)) is ResponseCode.SUCCESS


def test_network_operator_targeting_supplier_slot_is_rdp_checked(store: Store, dsp: Dsp) -> None:
    switches(store, dsp=True, s1sp=True)
    code = submit(dsp, krp(NETWORK_OPERATOR_B, ESME, "Supplier", NETWORK_OPERATOR_B, role_code=2))
    assert code is ResponseCode.USER_NOT_AUTHORISED_FOR_DEVICE


def test_replacement_certificate_role_must_match_slot(store: Store, dsp: Dsp) -> None:
    code = submit(dsp, krp(NETWORK_OPERATOR_A, ESME, "NetworkOperator", NETWORK_OPERATOR_A, role_code=2))
    assert code is ResponseCode.REQUEST_INVALID


def test_registration_change_moves_rdp(store: Store, dsp: Dsp) -> None:
    with store.transaction():
        store.put_registrations([Registration(MPAN, SUPPLIER_B, NETWORK_OPERATOR_A)])
    read = request(SUPPLIER_A, ESME, "11.2", "<sr:ReadFirmwareVersion/>")
    assert submit(dsp, read) is ResponseCode.USER_NOT_AUTHORISED_FOR_DEVICE
    assert submit(dsp, request(SUPPLIER_B, ESME, "11.2", "<sr:ReadFirmwareVersion/>")) is ResponseCode.SUCCESS


def test_other_user_exempt_from_rdp(dsp: Dsp) -> None:
    read = request(ACCESS_CONTROL_BROKER, ESME, "11.2", "<sr:ReadFirmwareVersion/>")
    assert submit(dsp, read) is ResponseCode.SUCCESS


def test_user_role_must_be_held_and_permitted(dsp: Dsp) -> None:
    read = request(SUPPLIER_A, ESME, "11.2", "<sr:ReadFirmwareVersion/>")
    assert submit(dsp, read, UserRole.ELECTRICITY_DISTRIBUTOR) is ResponseCode.INVALID_USER_ROLE
    activate = request(
        NETWORK_OPERATOR_A,
        ESME,
        "11.3",
        f"<sr:ActivateFirmware><sr:FirmwareHash>{'00' * 32}</sr:FirmwareHash></sr:ActivateFirmware>",
    )
    assert submit(dsp, activate) is ResponseCode.USER_ROLE_NOT_PERMITTED_FOR_SRV


def test_unknown_device_and_sender(dsp: Dsp) -> None:
    assert submit(dsp, request(SUPPLIER_A, bytes(8), "11.2", "<sr:ReadFirmwareVersion/>")) is (
        ResponseCode.DEVICE_DOES_NOT_EXIST
    )
    assert submit(dsp, request(bytes(8), ESME, "11.2", "<sr:ReadFirmwareVersion/>")) is ResponseCode.INVALID_USER_ROLE


def _activate(hash_hex: str) -> bytes:
    return request(
        SUPPLIER_A,
        ESME,
        "11.3",
        f"<sr:ActivateFirmware><sr:FirmwareHash>{hash_hex}</sr:FirmwareHash></sr:ActivateFirmware>",
    )


def _update(version: str, device: str = "00-DB-12-34-56-78-90-A0") -> bytes:
    body = (
        f"<sr:UpdateFirmware><sr:FirmwareImage>AAECAw==</sr:FirmwareImage><sr:FirmwareVersion>{version}"
        f"</sr:FirmwareVersion><sr:DeviceIDList>{device}</sr:DeviceIDList></sr:UpdateFirmware>"
    )
    return request(SUPPLIER_A, bytes.fromhex("90B3D51F30000002"), "11.1", body)


def test_11_3_cpl_check(store: Store, dsp: Dsp) -> None:
    assert submit(dsp, _activate("11" * 32)) is ResponseCode.FIRMWARE_VERSION_NOT_ON_CPL
    assert submit(dsp, _activate(TEMPLATE_FIRMWARE_HASH.hex())) is ResponseCode.SUCCESS
    device = store.device(ESME)
    assert device is not None and device.firmware_version == "00000000"


def test_11_1_cpl_check(store: Store, dsp: Dsp) -> None:
    response = parse_response(dsp.submit_xml(_update("00099999")))
    assert response.response_code is ResponseCode.FIRMWARE_VERSION_NOT_ON_CPL
    assert submit(dsp, _update("00000000")) is ResponseCode.ACKNOWLEDGEMENT


def test_11_1_then_11_3_upgrades_the_device(store: Store, dsp: Dsp) -> None:
    assert submit(dsp, _update("0002012F")) is ResponseCode.ACKNOWLEDGEMENT
    device = store.device(ESME)
    assert device is not None and device.pending_firmware_version == "0002012F"
    assert device.pending_firmware_hash is not None
    assert submit(dsp, _activate(device.pending_firmware_hash.hex())) is ResponseCode.SUCCESS


def test_11_3_from_a_supplier_that_lost_its_slot_gets_s1ve64(store: Store, dsp: Dsp) -> None:
    with store.transaction():
        store.put_anchors([anchor(ESME, RemotePartyRole.SUPPLIER, SUPPLIER_B)])
    assert submit(dsp, _activate(TEMPLATE_FIRMWARE_HASH.hex())) is ResponseCode.S1SP_CERTIFICATE_OWNER_MISMATCH


def test_smets2_route_without_a_gateway(store: Store, dsp: Dsp) -> None:
    """Without an emulated SMETS2 fleet the DSP still runs its own checks, then answers X4."""
    entry = store.device(bytes.fromhex("00DB1234567890A6"))
    assert entry is not None
    store.put_cpl_entries([CplEntry(entry.manufacturer, entry.model, "01020304", bytes(32))])
    read = request(SUPPLIER_A, bytes.fromhex("00DB1234567890A6"), "11.2", "<sr:ReadFirmwareVersion/>")
    assert submit(dsp, read) is ResponseCode.NOT_SUPPORTED_FOR_SMETS2
    listed = _update("01020304", "00-DB-12-34-56-78-90-A6")
    assert submit(dsp, listed) is ResponseCode.NOT_SUPPORTED_FOR_SMETS2
    assert submit(dsp, _update("00000000", "00-DB-12-34-56-78-90-A6")) is ResponseCode.FIRMWARE_VERSION_NOT_ON_CPL


def test_smets2_gateway_is_pluggable(store: Store) -> None:
    from smets_emu.protocols.duis import DuisResponse

    seen = []

    class Gateway:
        def submit(self, request, *, user_role, device, now):  # type: ignore[no-untyped-def]
            seen.append((request.srv, user_role, device.device_type))
            return DuisResponse(
                str(request.header.request_id), ResponseCode.SUCCESS, request.srv, response_datetime=now
            )

    dsp = Dsp(store, smets2=Gateway())
    read = request(SUPPLIER_A, bytes.fromhex("00DB1234567890A6"), "11.2", "<sr:ReadFirmwareVersion/>")
    assert submit(dsp, read) is ResponseCode.SUCCESS
    assert seen == [("11.2", UserRole.IMPORT_SUPPLIER, "ESME")]


def test_unsupported_srv_and_bad_xml(dsp: Dsp) -> None:
    assert submit(dsp, request(SUPPLIER_A, ESME, "1.1.1", "<sr:Foo/>")) is ResponseCode.NOT_SUPPORTED
    assert submit(dsp, b"<not-xml") is ResponseCode.REQUEST_REFUSED
    xxe = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    assert submit(dsp, xxe) is ResponseCode.REQUEST_REFUSED
    assert submit(dsp, request(SUPPLIER_A, ESME, "6.15.1", "<sr:UpdateSecurityCredentialsKRP/>")) is (
        ResponseCode.REQUEST_INVALID
    )


def test_gas_default_roles_and_mprn(store: Store, dsp: Dsp) -> None:
    response = parse_response(dsp.submit_xml(request(NETWORK_OPERATOR_A, GPF, "11.2", "<sr:ReadFirmwareVersion/>")))
    assert response.response_code is ResponseCode.SUCCESS
    registration = store.registration(MPRN)
    assert registration is not None and registration.network_operator_id == NETWORK_OPERATOR_A


def test_failed_request_leaves_state_unchanged(store: Store, dsp: Dsp) -> None:
    before = store.anchor(ESME, "NetworkOperator")
    switches(store, dsp=False, s1sp=False)
    plant_wrong_network_operator(store)
    before = store.anchor(ESME, "NetworkOperator")
    submit(dsp, krp(CORRECT_NO, ESME, "NetworkOperator", CORRECT_NO))
    assert store.anchor(ESME, "NetworkOperator") == before


def test_fixed_clock_is_used(dsp: Dsp) -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    response = parse_response(dsp.submit_xml(request(SUPPLIER_A, ESME, "11.2", "<sr:ReadFirmwareVersion/>"), now=now))
    assert response.response_datetime == now
