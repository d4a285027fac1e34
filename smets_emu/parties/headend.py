"""The remote-party side: build, sign and MAC commands as a Known Remote Party and read replies.

Used by tests, the RTDS replay and the ``send`` client. It holds organisation private keys
(from a keystore) and learns device public keys when devices are registered with it.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.serialization import load_der_private_key

from smets_emu.emulator.state import DeviceState
from smets_emu.errors import KeyMaterialError
from smets_emu.protocols import usecases
from smets_emu.protocols.envelope import CraFlag, Envelope, GroupingHeader, OtherInfo, encode_envelope
from smets_emu.protocols.keystore import Keystore, KeyUsage
from smets_emu.protocols.message import Message, decode_message
from smets_emu.protocols.payloads import Payload
from smets_emu.protocols.security import GbcsKeys, SecurityReport, seal, verify_message
from smets_emu.protocols.timestamps import DlmsDateTime

ACB_EUI = bytes.fromhex("90B3D51F30000002")


class HeadEnd:
    """Builds protected commands and checks device responses and alerts."""

    def __init__(self, keystore: Keystore, *, acb: bytes = ACB_EUI) -> None:
        self.keystore = keystore
        self.acb = acb
        self._keys = GbcsKeys(keystore, acb=acb)

    def register_device(self, state: DeviceState) -> None:
        """Learn a device's public keys (from its own key pairs) so MACs and signatures can be checked."""
        for usage, ks_usage in (("ds", KeyUsage.DS), ("ka", KeyUsage.KA)):
            pair = state.keys.get(usage)
            if pair is None:
                continue
            key = load_der_private_key(pair.private_key, None)
            self.keystore.remove(state.eui, ks_usage)  # a stale certificate must not shadow the device's key
            self.keystore.add(state.eui, ks_usage, public_key=key.public_key())  # type: ignore[arg-type]
        self._keys = GbcsKeys(self.keystore, acb=self.acb)

    @property
    def keys(self) -> GbcsKeys:
        """Key resolver over the head-end keystore."""
        return self._keys

    def command(
        self,
        *,
        originator: bytes,
        recipient: bytes,
        message_code: int,
        payload: Payload | bytes,
        counter: int,
        supplementary_id: bytes | None = None,
        supplementary_counter: int | None = None,
        sign: bool | None = None,
        mac: bool = True,
        date_time: DlmsDateTime | None = None,
    ) -> bytes:
        """A command from *originator* to *recipient*, signed when critical, MACed with the ACB key."""
        other = OtherInfo(
            message_code,
            supplementary_remote_party_id=supplementary_id,
            supplementary_remote_party_counter=supplementary_counter if supplementary_id else None,
        )
        header = GroupingHeader(CraFlag.COMMAND, counter, originator, recipient, other, date_time=date_time)
        invoke = getattr(payload, "invoke", None)
        if invoke is not None and not isinstance(payload, bytes):  # DLMS: low 24 bits of the counter (GBCS 7.2.9)
            from dataclasses import replace as _replace

            payload = _replace(payload, invoke=_replace(invoke, invoke_id=counter & 0xFFFFFF))  # type: ignore[type-var]
        content = payload if isinstance(payload, bytes) else payload.encode()
        env = Envelope(header, content)
        do_sign = usecases.is_critical(message_code) if sign is None else sign
        if not do_sign and not mac:
            raise KeyMaterialError("a command needs a MAC or a signature")
        return encode_envelope(seal(env, self._keys, sign=do_sign, mac=mac))

    def reseal(self, data: bytes, *, recipient: bytes | None = None, sign: bool | None = None) -> bytes:
        """Re-address and re-protect an existing command (e.g. an RTDS command for a new device key)."""
        from dataclasses import replace

        from smets_emu.protocols.envelope import decode_envelope

        env = decode_envelope(data)
        if recipient is not None:
            env = replace(env, header=replace(env.header, recipient=recipient))
        do_sign = env.signature is not None if sign is None else sign
        return encode_envelope(seal(env, self._keys, sign=do_sign, mac=env.mac is not None))

    def verify(self, data: bytes) -> SecurityReport:
        """MAC and signature status of a device's response or alert."""
        return verify_message(data, self._keys)

    def decode(self, data: bytes) -> Message:
        """Decode a device message, decrypting protected parts where keys allow."""
        from smets_emu.protocols.envelope import decode_envelope

        header = decode_envelope(data).header
        return decode_message(data, decrypt=self._keys.decryptor(header))
