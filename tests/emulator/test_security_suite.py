"""Negative security suite: every attack gets the GBCS answer a real device gives and leaves the state alone.

State is compared through ``DeviceState.to_json()`` without the security log and the alert counter
(both record the refusal). Commands refused by a handler after authentication also consume their
originator counter (GBCS 4.3.1.5), so for those the originator role's counter may move as well.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from test_security_credentials import (
    ACB,
    DEVICES,
    DS,
    NETWORK_OPERATOR,
    NOW,
    ROOT_BY_SUPPLIER,
    ROOT_CELL,
    SBS_CONTROL,
    SUPPLIER,
    TCOS,
    Lab,
    _new_root,
    cell,
    command_payload,
    der_hex,
    issue_with_keys,
)

from smets_emu.emulator.anchors import Role
from smets_emu.emulator.device import Outcome
from smets_emu.emulator.devices import device_for
from smets_emu.hosting.store import StateStore
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.keystore import Keystore, KeyUsage

ALERT_INTEGRITY = 0x8F1E
ALERT_AUTHENTICATION = 0x8F3D
ALERT_NO_AUTHORITY = 0x8F30
ALERT_REPLAY = 0x8F53


def comparable(lab: Lab, *, consumed: Role | None = None) -> dict[str, Any]:
    obj = lab.device.state.to_json()
    obj.pop("security_log")
    obj.pop("alert_counter")
    if consumed is not None:
        obj["counters"].pop(str(int(consumed)), None)
    return obj


def assert_refused(lab: Lab, out: Outcome, before: dict[str, Any], alert_code: int, *,
                   consumed: Role | None = None) -> None:
    """Refused with a protected generic alert carrying *alert_code*, no response, state unchanged."""
    assert not out.accepted
    assert out.responses == []
    (alert,) = out.alerts
    assert alert.message_code in (0x1000, 0x1001)
    report = lab.headend.verify(alert.message)
    assert "invalid" not in (report.mac.value, report.signature.value)
    body = lab.headend.decode(alert.message).payload.to_json()
    code = body.get("alert_code") or body.get("alert", {}).get("alert_code")
    assert int(str(code), 16) == alert_code if isinstance(code, str) else code == alert_code
    assert lab.device.state.security_log[-1]["code"] == alert_code
    assert comparable(lab, consumed=consumed) == before


def fresh(device_type: str = "ESME") -> tuple[Lab, dict[str, Any]]:
    lab = Lab(device_type)
    return lab, comparable(lab)


def provide(lab: Lab, originator: bytes = SUPPLIER, **kwargs: Any) -> bytes:
    kwargs.setdefault("sign", True)
    return lab.command(originator, 0x000C, {"keyUsage": DS}, **kwargs)


# --- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize("device_type", list(DEVICES))
def test_tampered_mac(device_type: str) -> None:
    lab, before = fresh(device_type)
    originator = SUPPLIER if device_type != "CHF" else ACB
    data = bytearray(lab.command(originator, 0x0008, {
        "authorisingRemotePartyTACellIdentifier": cell("accessControlBroker", ["keyAgreement"])
        if originator == ACB else cell("supplier", DS),
        "remotePartyRolesCredentialsRequired": ["accessControlBroker"]}))
    data[-1] ^= 0x01
    assert_refused(lab, lab.device.handle(bytes(data), NOW), before, ALERT_AUTHENTICATION)


def test_tampered_signed_content_fails_the_mac() -> None:
    lab, before = fresh()
    data = bytearray(provide(lab))
    data[-(12 + 64 + 2)] ^= 0x80  # last content byte, before the signature and the MAC
    assert_refused(lab, lab.device.handle(bytes(data), NOW), before, ALERT_AUTHENTICATION)


def test_signed_by_another_role() -> None:
    """A command naming the supplier but signed with the network operator's key."""
    lab, before = fresh()
    keystore = Keystore()
    for entry in lab.pki.keystore:
        keystore.add(entry.eui, entry.usage, certificate=entry.certificate, private_key=entry.private_key)
    keystore.add(SUPPLIER, KeyUsage.DS, private_key=lab.pki.keystore.private_key(NETWORK_OPERATOR, KeyUsage.DS))
    forger = HeadEnd(keystore)
    forger.register_device(lab.device.state)
    data = forger.command(originator=SUPPLIER, recipient=lab.eui, message_code=0x000C,
                          payload=command_payload(0x000C, {"keyUsage": DS}), counter=5, sign=True)
    assert_refused(lab, lab.device.handle(data, NOW), before, ALERT_AUTHENTICATION)


def test_signed_with_a_key_not_in_the_cell() -> None:
    lab, before = fresh()
    keystore = Keystore()
    for entry in lab.pki.keystore:
        keystore.add(entry.eui, entry.usage, certificate=entry.certificate, private_key=entry.private_key)
    keystore.add(SUPPLIER, KeyUsage.DS, private_key=ec.generate_private_key(ec.SECP256R1()))
    forger = HeadEnd(keystore)
    forger.register_device(lab.device.state)
    data = forger.command(originator=SUPPLIER, recipient=lab.eui, message_code=0x000C,
                          payload=command_payload(0x000C, {"keyUsage": DS}), counter=5, sign=True)
    assert_refused(lab, lab.device.handle(data, NOW), before, ALERT_AUTHENTICATION)


def test_critical_update_without_signature() -> None:
    lab, before = fresh()
    certs, _ = issue_with_keys(lab, SUPPLIER, 2, (KeyUsage.DS,))
    out = lab.update(SUPPLIER, 0x0102, SBS_CONTROL, [(certs[KeyUsage.DS], cell("supplier", DS))], sign=False)
    assert_refused(lab, out, before, ALERT_AUTHENTICATION)


# --- authorisation --------------------------------------------------------------------------


@pytest.mark.parametrize(("originator", "code"), [(NETWORK_OPERATOR, 0x0102), (NETWORK_OPERATOR, 0x000A),
                                                  (TCOS, 0x0103)])
def test_role_not_allowed_for_the_command(originator: bytes, code: int) -> None:
    lab, before = fresh()
    if code == 0x000A:
        out = lab.send(originator, code, {"keyUsage": DS}, sign=True)
    else:
        certs, _ = issue_with_keys(lab, SUPPLIER, 2, (KeyUsage.DS,))
        out = lab.update(originator, code, SBS_CONTROL, [(certs[KeyUsage.DS], cell("supplier", DS))], sign=True)
    assert_refused(lab, out, before, ALERT_NO_AUTHORITY)


def test_acb_cannot_use_supplier_cells_it_does_not_hold() -> None:
    """On a meter the supplier cells name the supplier: the ACB's supplierBySupplier is refused."""
    lab, before = fresh()
    certs, _ = issue_with_keys(lab, SUPPLIER, 2, (KeyUsage.DS,))
    out = lab.update(ACB, 0x0102, SBS_CONTROL, [(certs[KeyUsage.DS], cell("supplier", DS))], sign=True)
    assert_refused(lab, out, before, ALERT_NO_AUTHORITY, consumed=Role.ACCESS_CONTROL_BROKER)


def test_transitional_cos_cannot_replace_network_operator_cells() -> None:
    lab, before = fresh()
    control = {"credentialsReplacementMode": "supplierByTransCoS",
               "authorisingRemotePartyTACellIdentifier": cell("transitionalCoS", DS)}
    out = lab.update(TCOS, 0x0107, control,
                     [(lab.pki.keystore.certificate(NETWORK_OPERATOR, KeyUsage.DS), cell("networkOperator", DS))])
    assert_refused(lab, out, before, ALERT_NO_AUTHORITY, consumed=Role.TRANSITIONAL_COS)


def test_cs02a_authorising_cell_must_name_the_originator() -> None:
    lab, before = fresh()
    out = lab.send(ACB, 0x0008, {"authorisingRemotePartyTACellIdentifier": cell("supplier", DS),
                                 "remotePartyRolesCredentialsRequired": ["supplier"]})
    assert_refused(lab, out, before, ALERT_NO_AUTHORITY, consumed=Role.ACCESS_CONTROL_BROKER)


# --- anti-replay ---------------------------------------------------------------------------------


def test_replayed_and_lower_counters() -> None:
    lab = Lab()
    data = provide(lab, counter=500)
    assert lab.device.handle(data, NOW).accepted
    before = comparable(lab)
    assert_refused(lab, lab.device.handle(data, NOW), before, ALERT_REPLAY)
    assert_refused(lab, lab.device.handle(provide(lab, counter=499), NOW), before, ALERT_REPLAY)


def test_replay_after_a_restart(tmp_path: Any) -> None:
    lab = Lab()
    data = provide(lab, counter=500)
    out = lab.device.handle(data, NOW)
    path = tmp_path / "devices.sqlite"
    with StateStore(path) as store:
        store.commit(out.state, [(o.kind, o.recipient, o.message) for o in out.outbound])
    with StateStore(path) as store:
        state = store.load(lab.eui)
    assert state is not None
    lab.device = device_for(state)
    before = comparable(lab)
    assert_refused(lab, lab.device.handle(data, NOW), before, ALERT_REPLAY)


# --- certificate checks in CS02b -------------------------------------------------------------


@pytest.mark.parametrize("start", [dt.datetime(2010, 1, 1, tzinfo=dt.UTC), dt.datetime(2030, 1, 1, tzinfo=dt.UTC)],
                         ids=["expired", "not-yet-valid"])
def test_update_with_a_certificate_outside_its_validity(start: dt.datetime) -> None:
    lab, before = fresh()
    certs, _ = issue_with_keys(lab, SUPPLIER, 2, (KeyUsage.DS,), not_before=start)
    out = lab.update(SUPPLIER, 0x0102, SBS_CONTROL, [(certs[KeyUsage.DS], cell("supplier", DS))])
    assert out.accepted
    outcome = lab.value(out.responses[0])["executionOutcome"]
    assert outcome["replacementOutcomes"][0]["statusCode"] == "badCertificate(5)"
    assert outcome["replacementOutcomes"][0]["replacingSubjectKeyID"] == outcome["replacementOutcomes"][0][
        "existingSubjectKeyID"]
    assert comparable(lab, consumed=Role.SUPPLIER) == before
    # the same certificate is taken when the command disapplies the time-based checks
    disapply = {**SBS_CONTROL, "applyTimeBasedCPVChecks": "disapply"}
    out = lab.update(SUPPLIER, 0x0102, disapply, [(certs[KeyUsage.DS], cell("supplier", DS))])
    assert lab.value(out.responses[0])["executionOutcome"]["replacementOutcomes"][0]["statusCode"] == "success(0)"


@pytest.mark.parametrize("mutation", ["wrong-usage", "wrong-role", "foreign-ca"])
def test_update_with_a_certificate_that_does_not_fit(mutation: str) -> None:
    from smets_emu.protocols.pki import generate_test_pki

    lab, before = fresh()
    if mutation == "wrong-usage":
        cert, status = lab.pki.keystore.certificate(SUPPLIER, KeyUsage.KA), "badCertificate(5)"
    elif mutation == "wrong-role":
        cert, status = lab.pki.keystore.certificate(NETWORK_OPERATOR, KeyUsage.DS), "badCertificate(5)"
    else:
        cert = generate_test_pki(seed="foreign").keystore.certificate(SUPPLIER, KeyUsage.DS)
        status = "noTrustAnchor(10)"
    out = lab.update(SUPPLIER, 0x0102, SBS_CONTROL, [(cert, cell("supplier", DS))])
    assert lab.value(out.responses[0])["executionOutcome"]["replacementOutcomes"][0]["statusCode"] == status
    assert comparable(lab, consumed=Role.SUPPLIER) == before


def test_root_replacement_without_the_recovery_key() -> None:
    lab, before = fresh()
    root, _ = _new_root(lab)
    out = lab.update(SUPPLIER, 0x0100, ROOT_BY_SUPPLIER, [(root, ROOT_CELL)])
    outcome = lab.value(out.responses[0])["executionOutcome"]
    assert outcome["replacementOutcomes"][0]["statusCode"] == "noTrustAnchor(10)"
    assert comparable(lab, consumed=Role.SUPPLIER) == before


# --- malformed or unknown commands ----------------------------------------------------------------


def _raw(lab: Lab, code: int, content: bytes, *, sign: bool = False) -> bytes:
    return lab.headend.command(originator=SUPPLIER, recipient=lab.eui, message_code=code, payload=content,
                               counter=lab.next_counter(SUPPLIER), sign=sign)


BAD_COMMANDS: dict[str, Callable[[Lab], bytes]] = {
    "unknown-message-code": lambda lab: _raw(lab, 0x7FFF, b"\x05\x00"),
    "truncated-asn1": lambda lab: _raw(lab, 0x0102, b"\x30\x05\x30\x03\x02\x01", sign=True),
    "trailing-bytes": lambda lab: _raw(lab, 0x000C, command_payload(0x000C, {"keyUsage": DS}).encode() + b"\x00",
                                       sign=True),
    "cs02c-not-asn1": lambda lab: _raw(lab, 0x000A, b"\xd9\x01\x02", sign=True),
}


@pytest.mark.parametrize("name", [n for n in BAD_COMMANDS if n != "unknown-message-code"])
def test_malformed_command(name: str) -> None:
    lab, before = fresh()
    out = lab.device.handle(BAD_COMMANDS[name](lab), NOW)
    assert_refused(lab, out, before, ALERT_INTEGRITY)


@pytest.mark.parametrize("device_type", ["GSME", "GPF"])
def test_unknown_message_code(device_type: str) -> None:
    lab, before = fresh(device_type)
    out = lab.device.handle(BAD_COMMANDS["unknown-message-code"](lab), NOW)
    assert_refused(lab, out, before, ALERT_INTEGRITY, consumed=Role.SUPPLIER)


def test_unknown_message_code_on_an_esme_raises_ecs100() -> None:
    """ECS100 Command not supported by Device (0x0120, 0x8F85): code and counter of the command, signed."""
    lab, before = fresh()
    command = BAD_COMMANDS["unknown-message-code"](lab)
    out = lab.device.handle(command, NOW)
    assert not out.accepted and out.responses == []
    (alert,) = out.alerts
    assert alert.message_code == 0x0120 and alert.recipient == SUPPLIER
    assert lab.headend.verify(alert.message).signature.value == "valid"
    body = lab.headend.decode(alert.message).payload.to_json()
    counter = lab.headend.decode(command).header.originator_counter
    assert body["alert_code"] == "8F85"
    assert body["body"]["value"][2]["value"] == "7FFF" + counter.to_bytes(8, "big").hex().upper()
    assert comparable(lab, consumed=Role.SUPPLIER) == before


def test_mode_that_does_not_match_the_message_code() -> None:
    lab, before = fresh()
    certs, _ = issue_with_keys(lab, SUPPLIER, 2, (KeyUsage.DS,))
    control = {**SBS_CONTROL, "credentialsReplacementMode": "networkOperatorByNetworkOperator"}
    out = lab.update(SUPPLIER, 0x0102, control, [(certs[KeyUsage.DS], cell("supplier", DS))])
    assert_refused(lab, out, before, ALERT_INTEGRITY, consumed=Role.SUPPLIER)


def test_seq_number_that_is_not_the_command_counter() -> None:
    lab, before = fresh()
    certs, _ = issue_with_keys(lab, SUPPLIER, 2, (KeyUsage.DS,))
    value = {"authorisingRemotePartyControl": {**SBS_CONTROL, "authorisingRemotePartySeqNumber": 1},
             "replacements": [{"replacementCertificate": der_hex(certs[KeyUsage.DS]),
                               "targetTrustAnchorCell": cell("supplier", DS)}],
             "certificationPathCertificates": []}
    out = lab.send(SUPPLIER, 0x0102, value, counter=2000)
    assert_refused(lab, out, before, ALERT_INTEGRITY, consumed=Role.SUPPLIER)


# --- RTDS: a resealed RTDS command with its content changed -------------------------------------


def test_rtds_command_replayed_after_acceptance(rtds_root: Any, rtds_keystore_dir: Any) -> None:
    from smets_emu.emulator.provision import new_device_state
    from smets_emu.protocols.rtds import list_files

    files = {f.path.name: f for f in list_files(rtds_root)}
    keystore = Keystore.load(rtds_keystore_dir)
    command = files["CS02bSupplierBySupplier_6.15.1_IMMEDIATE_SUCCESS_COMMAND_GBCS.HEX"].read()
    state = new_device_state(DEVICES["ESME"], "ESME", keystore)
    device = device_for(state)
    headend = HeadEnd(keystore)
    headend.register_device(state)
    data = headend.reseal(command)
    now = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    assert device.handle(data, now).accepted
    after = device.state.dumps()
    again = device.handle(data, now)
    assert not again.accepted
    assert device.state.security_log[-1]["code"] in (ALERT_REPLAY, ALERT_AUTHENTICATION)
    trimmed = device.state.to_json()
    reference = type(device.state).loads(after).to_json()
    for obj in (trimmed, reference):
        obj.pop("security_log")
        obj.pop("alert_counter")
    assert trimmed == reference
