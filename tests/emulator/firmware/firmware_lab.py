"""A HAN lab for firmware tests: CHF, ESME and GSME with a generated PKI, a head-end and a signing supplier."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import ec

from smets_emu.emulator.anchors import Role
from smets_emu.emulator.device import Device, Outbound
from smets_emu.emulator.devices import device_for
from smets_emu.emulator.firmware.codes import payload_of
from smets_emu.emulator.provision import DEFAULT_PARTIES, new_device_state
from smets_emu.emulator.state import DeviceState
from smets_emu.hosting.han_network import HanLink, HanNetwork
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.firmware import UpgradeImage, sign_image
from smets_emu.protocols.keystore import Keystore, KeyUsage
from smets_emu.protocols.pki import generate_test_pki

SEED = 11
ESME_EUI = bytes.fromhex("00DB1234567890A0")
GSME_EUI = bytes.fromhex("00DB1234567890A1")
CHF_EUI = bytes.fromhex("00DB1234567890A2")
SUPPLIER = DEFAULT_PARTIES[Role.SUPPLIER]
START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
LATER = START + dt.timedelta(hours=1)


def keystore() -> Keystore:
    """The deterministic test keystore (a fresh object each time: the head-end changes its own)."""
    return generate_test_pki(seed=SEED).keystore


def supplier_key() -> ec.EllipticCurvePrivateKey:
    key = keystore().private_key(SUPPLIER, KeyUsage.DS)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def make_image(*, manufacturer: int = 0x121D, image_type: int = 0x0000, version: int = 0x01000001,
               hardware: tuple[int, int] | None = (0x1100, 0x1300), size: int = 700, signed: bool = True,
               key: ec.EllipticCurvePrivateKey | None = None) -> UpgradeImage:
    """A supplier-signed image for the lab's devices (ESME image type 0, GSME 1, CHF 2)."""
    body = bytes((i * 7 + version) & 0xFF for i in range(size))
    image = UpgradeImage(manufacturer, image_type, version, body, f"test image {version:08X}", hardware)
    return sign_image(image, key or supplier_key()) if signed else image


@dataclass
class Lab:
    """Devices on one HAN and the remote parties talking to them."""

    esme: Device
    gsme: Device
    chf: Device
    headend: HeadEnd
    net: HanNetwork
    counter: int = 5000
    sent: list[Outbound] = field(default_factory=list)

    def next_counter(self) -> int:
        self.counter += 1
        return self.counter

    def distribute(self, data: bytes, targets: list[bytes], *, until: dt.datetime = LATER) -> list[Outbound]:
        out = self.net.update_firmware(data, targets, START)
        return out + self.net.run(until)


def alerts(out: list[Outbound], code: int) -> list[dict]:
    """Decoded payload JSON of the messages with *code*."""
    return [payload_of(o).to_json() for o in out if o.message_code == code]


def build_lab(states: dict[bytes, DeviceState] | None = None, *, link: HanLink | None = None) -> Lab:
    ks = keystore()
    if states is None:
        states = {eui: new_device_state(eui, kind, ks) for eui, kind in
                  ((ESME_EUI, "ESME"), (GSME_EUI, "GSME"), (CHF_EUI, "CHF"))}
    devices = {eui: device_for(state) for eui, state in states.items()}
    headend = HeadEnd(keystore())
    for device in devices.values():
        headend.register_device(device.state)
    net = HanNetwork.of(devices[CHF_EUI], [devices[ESME_EUI], devices[GSME_EUI]], link=link)
    return Lab(devices[ESME_EUI], devices[GSME_EUI], devices[CHF_EUI], headend, net)
