"""The use-case table against the RTDS corpus, and the payload registries."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from smets_emu.protocols import usecases
from smets_emu.protocols.envelope import CraFlag, decode_envelope
from smets_emu.protocols.payloads import FAILURE_TO_DELIVER_ALERT, payload_family
from smets_emu.protocols.payloads.asn1 import ASN1_MESSAGE_CODES, SCHEMA_TABLE
from smets_emu.protocols.payloads.dlms import DLMS_MESSAGE_CODES
from smets_emu.protocols.payloads.gbz import GBZ_MESSAGE_CODES
from smets_emu.protocols.roles import Role
from smets_emu.protocols.rtds import RtdsFile
from smets_emu.protocols.usecases import DeviceType, Family

RTDS_PARTIES = {
    "90B3D51F30010000": Role.SUPPLIER, "90B3D51F30020000": Role.NETWORK_OPERATOR,
    "90B3D51F30000002": Role.ACCESS_CONTROL_BROKER, "90B3D51F30000004": Role.TRANSITIONAL_COS,
    "90B3D51F30000007": Role.WAN_PROVIDER, "90B3D51F30000001": Role.RECOVERY,
    "90B3D51F30010008": Role.LOAD_CONTROLLER, "00DB1234567890A4": Role.OTHER,
}
"""RTDS remote parties by EUI and the role in their certificate's OU (RTDS keystore)."""

RTDS_DEVICES = {
    "00DB1234567890A0": DeviceType.ESME, "00DB1234567890A1": DeviceType.GSME, "00DB1234567890A2": DeviceType.CHF,
    "00DB1234567890A3": DeviceType.GPF, "00DB1234567890A4": DeviceType.PPMID, "00DB1234567890A5": DeviceType.HCALCS,
    "00DB1234567890A6": DeviceType.SAPC,
}
"""RTDS device EUIs by device type."""


def _eui(raw: bytes) -> str:
    return raw.hex().upper()


@pytest.fixture(scope="module")
def rtds(rtds_files: list[RtdsFile]) -> dict[int, list[tuple[RtdsFile, object]]]:
    by_code: dict[int, list[tuple[RtdsFile, object]]] = defaultdict(list)
    for f in rtds_files:
        env = decode_envelope(f.read())
        by_code[env.header.message_code].append((f, env))
    return by_code


def test_every_rtds_message_code_is_declared_with_its_family_and_kind(rtds: dict) -> None:
    for code, messages in rtds.items():
        row = usecases.require(code)
        for f, env in messages:
            if f.kind == "PRECOMMAND":
                continue
            family = "asn1" if code == FAILURE_TO_DELIVER_ALERT else payload_family(env.content)
            assert Family(family) in row.families, (f.path.name, row.families)
            assert (env.header.cra_flag is CraFlag.ALERT) == row.alert, f.path.name


def test_rtds_originators_devices_and_critical_flags(rtds: dict) -> None:
    for code, messages in rtds.items():
        row = usecases.require(code)
        for f, env in messages:
            h = env.header
            if f.kind == "COMMAND":
                device = RTDS_DEVICES[_eui(h.recipient)]
                assert device in row.devices, (f.path.name, device)
                role = RTDS_PARTIES[_eui(h.originator)]
                if not (code == 0x0008 and device is DeviceType.CHF):  # RTDS asks a CHF for CS02a as the TCoS
                    assert role in usecases.allowed_roles(code, device), (f.path.name, role)
                signed = env.signature is not None
                if not row.variant:
                    assert signed == usecases.is_critical(code, device), f.path.name
                assert env.mac is not None or row.signed_only, f.path.name
            elif f.kind == "RESPONSE":
                assert row.date_time is (h.date_time is not None), f.path.name
            elif f.kind == "ALERT":
                assert RTDS_DEVICES[_eui(h.originator)] in row.devices, f.path.name
                assert (env.signature is not None) == row.critical, f.path.name


def test_rtds_sample_folders_hold_the_code(rtds: dict, rtds_root: Path) -> None:
    folders = {code: {f.use_case_folder for f, _ in messages} for code, messages in rtds.items()}
    for row in usecases.rows():
        assert set(row.rtds) <= folders.get(row.code, set()), (hex(row.code), row.rtds)
        if row.code in folders:
            assert row.rtds, f"0x{row.code:04X} has RTDS samples in {sorted(folders[row.code])[:3]}"


def test_families_match_the_payload_registries() -> None:
    assert usecases.codes(family=Family.DLMS) == DLMS_MESSAGE_CODES
    assert usecases.codes(family=Family.GBZ) == GBZ_MESSAGE_CODES
    assert usecases.codes(family=Family.ASN1) == ASN1_MESSAGE_CODES
    for code, cra in SCHEMA_TABLE:
        row = usecases.require(code)
        assert Family.ASN1 in row.families
        if cra == int(CraFlag.ALERT) and code != 0x0129:  # CS08: a command whose firmware alert reuses the code
            assert row.alert, hex(code)


def test_role_is_one_type() -> None:
    for row in usecases.rows():
        assert all(type(r) is Role for r in row.roles)
        for rule in row.on.values():
            assert rule.roles is None or all(type(r) is Role for r in rule.roles)


def test_device_type_rules() -> None:
    assert usecases.allowed_roles(0x0059, "ESME") == {Role.SUPPLIER, Role.NETWORK_OPERATOR}
    assert usecases.allowed_roles(0x0059, "CHF") == {Role.ACCESS_CONTROL_BROKER}
    assert usecases.is_critical(0x0104, "CHF") and not usecases.is_critical(0x0104, "ESME")
    assert usecases.allowed_roles(0x0104, "CHF") == {Role.ACCESS_CONTROL_BROKER}
    assert usecases.allowed_roles(0x7FFF, "GSME") == usecases.UNDECLARED_ORIGINATORS
    assert usecases.allowed_roles(0x0019, "CHF") == {Role.ACCESS_CONTROL_BROKER}
    assert usecases.allowed_roles(0x1000) == frozenset()
    assert {c for c in range(0x10000) if usecases.signed_only(c)} == {0x0008, 0x011B, 0x0108, 0x0109}


def test_replacement_modes() -> None:
    for code in range(0x0100, 0x010A):
        mode = usecases.replacement_mode(code)
        assert mode is not None and mode.mode == code - 0x0100
    assert usecases.target_roles(0x0102) == {Role.SUPPLIER}
    assert usecases.target_roles(0x0108) == frozenset(Role)
    assert usecases.replacement_mode(0x0126).name == "loadControllerBySupplier"
    assert usecases.replacement_mode(0x0059) is None


def test_one_declaration_per_code() -> None:
    from smets_emu.protocols.message_codes import _TABLE, MESSAGE_CODES

    assert len(_TABLE) == len(MESSAGE_CODES)
    for row in _TABLE:
        assert row.alert == (not row.roles), hex(row.code)  # a command has originators, an alert none
        assert (row.mode is not None) == (row.use_case in ("CS02b", "CS02g") and not row.alert), hex(row.code)
        assert set(row.on) <= row.devices, hex(row.code)
        assert not row.alert or row.date_time is None, hex(row.code)
