"""UTRNs as a supplier mints them for a meter, and the top-up commands that carry them (GBCS 14, CS01a/CS01b).

The supplier holds a prepayment key agreement key (``-pp-ka``, digest 3.7); with the meter's KA
certificate from the keystore it agrees Z and mints the token with
:func:`smets_emu.protocols.utrn.build`. The counter is the supplier's prepayment top-up counter:
bits 32-41 of a 64-bit value (10 bits), so a supplier numbers its tokens 1, 2, 3 ... per meter.
"""

from __future__ import annotations

from smets_emu.errors import KeyMaterialError
from smets_emu.protocols import crypto
from smets_emu.protocols import utrn as codec
from smets_emu.protocols.envelope import CraFlag
from smets_emu.protocols.keystore import Keystore, KeyUsage
from smets_emu.protocols.payloads import Payload, payload_from_json
from smets_emu.protocols.payloads.dlms import sample_dlms
from smets_emu.protocols.payloads.gbz import sample_gbz

CS01A, CS01B, PCS01 = 0x0007, 0x0097, 0x009B


def counter_of(number: int) -> int:
    """The 64-bit UTRN counter of a supplier's *number*-th token (1..1023, in bits 32-41)."""
    if not 0 < number < 1 << 10:
        raise codec.UtrnError("a UTRN counter number is 1..1023")
    return number << 32


def mint(keystore: Keystore, *, supplier: bytes, device: bytes, number: int, pennies: int | None = None,
         pounds: int | None = None) -> str:
    """A UTRN of *pennies* (value class 0) or *pounds* (class 1) for *device*, the supplier's *number*-th token."""
    if (pennies is None) == (pounds is None):
        raise codec.UtrnError("give the value in pennies or in pounds")
    private = keystore.private_key(supplier, KeyUsage.KA_PREPAYMENT)
    public = keystore.public_key(device, KeyUsage.KA)
    if private is None or public is None:
        raise KeyMaterialError(f"no prepayment key for {supplier.hex().upper()} or KA key for {device.hex().upper()}")
    z = crypto.ecdh_shared_secret(private_key=private, public_key=public)
    value, value_class = (pennies, 0) if pennies is not None else (pounds, 1)
    return codec.build(shared_secret=z, supplier=supplier, device=device, counter=counter_of(number),
                       value=int(value or 0), value_class=value_class)


def top_up_payload(message_code: int, utrn: str) -> Payload:
    """The CS01a (Token gateway enter) or CS01b / PCS01 (Consumer Top Up) payload carrying *utrn*."""
    if message_code == CS01A:
        tree = sample_dlms(CS01A, int(CraFlag.COMMAND)).to_json()
        tree["requests"][0]["data"] = {"type": "octet-string", "value": utrn.encode("ascii").hex().upper()}
    elif message_code in (CS01B, PCS01):
        tree = sample_gbz(message_code, int(CraFlag.COMMAND)).to_json()
        tree["components"][0]["zcl"]["fields"]["top_up_code"] = utrn
    else:
        raise codec.UtrnError(f"0x{message_code:04X} is not a top-up use case")
    return payload_from_json(tree)
