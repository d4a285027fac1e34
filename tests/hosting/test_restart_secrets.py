"""An ECDH secret a device derives after provisioning is stored with its key pair: a restart never derives it again."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from smets_emu.emulator.anchors import CellId, CellKeyUsage
from smets_emu.emulator.kernel import keys
from smets_emu.emulator.provision import new_device_state
from smets_emu.emulator.state import DeviceState, KeyPair
from smets_emu.hosting.fleet import Fleet
from smets_emu.hosting.store import StateStore
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols import crypto
from smets_emu.protocols.pki import generate_test_pki
from smets_emu.protocols.roles import Role

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from kill_restart import _read_firmware  # noqa: E402

ESME = bytes.fromhex("00DB1234567890A0")
SUPPLIER = bytes.fromhex("90B3D51F30010000")
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _raw(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, bytes]]:
    """Every ECDH performed (the head end's too), as (own public point, peer public point)."""
    seen: list[tuple[bytes, bytes]] = []
    derive = crypto.ecdh_shared_secret

    def counted(*, private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey) -> bytes:
        seen.append((_raw(private_key.public_key()), _raw(public_key)))
        return derive(private_key=private_key, public_key=public_key)

    monkeypatch.setattr(crypto, "ecdh_shared_secret", counted)
    return seen


def _point(state: DeviceState, role: Role) -> bytes:
    cell = state.anchor(CellId(role, CellKeyUsage.KEY_AGREEMENT))
    assert cell is not None and cell.public_point is not None
    return cell.public_point


@pytest.mark.parametrize("provisioned", [True, False], ids=["provisioned", "built-without-secrets"])
def test_restart_derives_no_secret_on_the_first_command(tmp_path: Path, derivations: list[tuple[bytes, bytes]],
                                                        provisioned: bool) -> None:
    pki = generate_test_pki(seed=11)
    headend = HeadEnd(pki.keystore)
    state = new_device_state(ESME, "ESME", pki.keystore, pki=pki)
    if not provisioned:  # as a state built outside new_device_state: no secret kept at all
        state.keys = {usage: KeyPair(pair.private_key, pair.certificate) for usage, pair in state.keys.items()}
    headend.register_device(state)
    path = tmp_path / "fleet.sqlite"
    fleet = Fleet(StateStore(path))
    fleet.add(state)
    commands = [headend.command(originator=SUPPLIER, recipient=ESME, message_code=0x0059,
                                payload=_read_firmware(counter), counter=counter) for counter in (1001, 1002, 1003)]
    keys.SECRETS.clear()
    derivations.clear()  # the head end's own
    ka = _raw(keys.DeviceKeys().private_key(state, "ka").public_key())

    def by_device() -> list[bytes]:
        return [peer for own, peer in derivations if own == ka]

    sent = fleet.deliver(commands[0], NOW)
    assert [o.kind for o in sent] == ["response"]  # MACed for the supplier: Z with its KA cell (GBCS 6.2.4)
    supplier, acb = _point(state, Role.SUPPLIER), _point(state, Role.ACCESS_CONTROL_BROKER)
    assert by_device() == ([supplier] if provisioned else [acb, supplier])
    fleet.store.close()

    keys.SECRETS.clear()  # a new process
    derivations.clear()
    restarted = Fleet(StateStore(path))
    stored = restarted.devices[ESME].state.key_pair("ka")
    assert stored is not None
    assert set(stored.agreed) == {acb, supplier}
    sent = restarted.deliver(commands[1], NOW)
    assert [o.kind for o in sent] == ["response"]
    assert by_device() == []
    before = restarted.store.stats.sections
    restarted.deliver(commands[2], NOW)
    assert restarted.store.stats.sections == before + 1  # the counters only: the secrets were written once
    restarted.store.close()


def test_secrets_of_replaced_anchor_keys_are_dropped() -> None:
    pki = generate_test_pki(seed=11)
    state = new_device_state(ESME, "ESME", pki.keystore, pki=pki)
    acb = _point(state, Role.ACCESS_CONTROL_BROKER)
    stale = b"\x04" + bytes(64)
    work = state.clone()
    work.keep_agreed("ka", {stale: bytes(32)})
    work = work.clone()
    work.keep_agreed("ka", {_point(state, Role.SUPPLIER): bytes(32)})
    pair = work.key_pair("ka")
    assert pair is not None and set(pair.agreed) == {acb, _point(state, Role.SUPPLIER)}
    provisioned = state.key_pair("ka")
    assert provisioned is not None and set(provisioned.agreed) == {acb}  # the committed state is unchanged
