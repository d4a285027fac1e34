"""Whole messages through the API: RTDS round trips (direct and via JSON) and field edits."""

from __future__ import annotations

import copy
import json

import pytest

from smets_emu.protocols.envelope import decode_envelope
from smets_emu.protocols.keystore import Keystore, KeyUsage
from smets_emu.protocols.message import decode_message, encode_message, message_from_json, message_to_json
from smets_emu.protocols.pki import generate_test_pki
from smets_emu.protocols.security import GbcsKeys
from tests_support import RTDS_FILES, rtds_ids


@pytest.fixture(scope="module")
def keys(rtds_keystore_dir) -> GbcsKeys:  # type: ignore[no-untyped-def]
    return GbcsKeys(Keystore.load(rtds_keystore_dir))


def _file(name: str, files) -> bytes:  # type: ignore[no-untyped-def]
    return next(f for f in files if f.path.name == name).read()


def _rebuild(tree: dict) -> bytes:  # type: ignore[type-arg]
    return encode_message(message_from_json(json.loads(json.dumps(tree))))


@pytest.mark.parametrize("item", RTDS_FILES, ids=rtds_ids(RTDS_FILES))
def test_rtds_message_round_trips(item, keys: GbcsKeys) -> None:  # type: ignore[no-untyped-def]
    data = item.read()
    plain = decode_message(data)
    assert encode_message(plain) == data
    assert _rebuild(message_to_json(plain)) == data
    decrypt = keys.decryptor(decode_envelope(data).header)
    with_keys = decode_message(data, decrypt=decrypt)
    assert encode_message(with_keys) == data
    assert _rebuild(message_to_json(with_keys)) == data


def test_edit_originator_counter(rtds_files) -> None:  # type: ignore[no-untyped-def]
    data = _file("ECS52_11.2_SUCCESS_COMMAND_GBCS.HEX", rtds_files)
    tree = message_to_json(decode_message(data))
    tree["header"]["originator_counter"] = 0x0102030405060708
    rebuilt = _rebuild(tree)
    assert rebuilt != data and bytes.fromhex("0102030405060708") in rebuilt
    assert decode_message(rebuilt).header.originator_counter == 0x0102030405060708


def test_edit_obis_code(rtds_files) -> None:  # type: ignore[no-untyped-def]
    data = _file("ECS52_11.2_SUCCESS_COMMAND_GBCS.HEX", rtds_files)
    tree = message_to_json(decode_message(data))
    assert tree["payload"]["requests"][0]["obis"] == "0-0:0.2.1.255"
    tree["payload"]["requests"][0]["obis"] = "0-0:96.1.1.255"
    rebuilt = _rebuild(tree)
    assert bytes.fromhex("00006001 01FF".replace(" ", "")) in rebuilt
    assert bytes.fromhex("0000000201FF") not in rebuilt and len(rebuilt) == len(data)
    again = message_to_json(decode_message(rebuilt))
    assert again["payload"]["requests"][0]["obis"] == "0-0:96.1.1.255"


def test_edit_zcl_attribute(rtds_files) -> None:  # type: ignore[no-untyped-def]
    data = _file("GCS38_11.2_SUCCESS_COMMAND_GBCS.HEX", rtds_files)
    tree = message_to_json(decode_message(data))
    fields = tree["payload"]["components"][0]["zcl"]["fields"]
    assert fields["attribute_ids"] == [0x0206]
    fields["attribute_ids"] = [0x0000, 0x0206]
    rebuilt = _rebuild(tree)
    again = message_to_json(decode_message(rebuilt))
    assert again["payload"]["components"][0]["zcl"]["fields"]["attribute_ids"] == [0x0000, 0x0206]
    assert len(rebuilt) == len(data) + 2


def test_replace_certificate_in_cs02b(rtds_files) -> None:  # type: ignore[no-untyped-def]
    data = _file("CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX", rtds_files)
    tree = message_to_json(decode_message(data))
    pki = generate_test_pki(seed=3)
    supplier = bytes.fromhex("90B3D51F30030000")
    from cryptography.hazmat.primitives.serialization import Encoding

    new_der = pki.keystore.certificate(supplier, KeyUsage.DS).public_bytes(Encoding.DER)  # type: ignore[union-attr]
    edited = copy.deepcopy(tree)
    edited["payload"]["value"]["replacements"][0]["replacementCertificate"]["der"] = new_der.hex().upper()
    rebuilt = _rebuild(edited)
    assert new_der in rebuilt and rebuilt != data
    again = message_to_json(decode_message(rebuilt))
    cert = again["payload"]["value"]["replacements"][0]["replacementCertificate"]
    assert cert["eui"] == "90B3D51F30030000" and cert["der"] == new_der.hex().upper()


def test_informative_keys_do_not_drive_encoding(rtds_files) -> None:  # type: ignore[no-untyped-def]
    data = _file("ECS52_11.2_SUCCESS_COMMAND_GBCS.HEX", rtds_files)
    tree = message_to_json(decode_message(data))
    tree["use_case_comment"] = "ignored"
    tree["payload"]["requests"][0]["object"] = "something else"
    assert _rebuild(tree) == data
