"""GBCS payload families and the dispatch between them (GBCS 7.2.10 content).

The first content bytes tell the families apart: ``01 09`` GBZ (ZigBee SE profile id),
``D9``/``DA``/``0F`` DLMS xDLMS APDUs, anything else ASN.1 DER.
"""

from __future__ import annotations

from typing import Any

from smets_emu.errors import FrameError
from smets_emu.protocols.payloads.base import Decryptor, Payload, PayloadContext

__all__ = ["Decryptor", "Payload", "PayloadContext", "decode_payload", "payload_from_json", "payload_family"]

DLMS_TAGS = frozenset({0xD9, 0xDA, 0x0F})


def payload_family(content: bytes) -> str:
    """Name the payload family of *content*: ``"gbz"``, ``"dlms"`` or ``"asn1"``."""
    if len(content) >= 2 and content[0] == 0x01 and content[1] == 0x09:
        return "gbz"
    if content and content[0] in DLMS_TAGS:
        return "dlms"
    return "asn1"


FAILURE_TO_DELIVER_ALERT = 0x00D5  # DLMS notification header around raw ASN.1-framed bytes (GBCS 7.2.9.2)


def decode_payload(content: bytes, ctx: PayloadContext) -> Payload:
    """Decode content bytes into the typed payload of its family."""
    family = "asn1" if ctx.message_code == FAILURE_TO_DELIVER_ALERT else payload_family(content)
    if family == "gbz":
        from smets_emu.protocols.payloads.gbz import decode_gbz

        return decode_gbz(content, ctx)
    if family == "dlms":
        from smets_emu.protocols.payloads.dlms import decode_dlms

        return decode_dlms(content, ctx)
    from smets_emu.protocols.payloads.asn1 import decode_asn1

    return decode_asn1(content, ctx)


def payload_from_json(obj: Any) -> Payload:
    """Rebuild a payload from its JSON tree (dispatching on ``"family"``)."""
    if not isinstance(obj, dict):
        raise FrameError("payload must be a JSON object")
    family = obj.get("family")
    if family == "gbz":
        from smets_emu.protocols.payloads.gbz import GbzPayload

        return GbzPayload.from_json(obj)
    if family == "dlms":
        from smets_emu.protocols.payloads import dlms

        loader = getattr(dlms, "dlms_payload_from_json", None) or dlms.DlmsPayload.from_json
        return loader(obj)
    if family == "asn1":
        from smets_emu.protocols.payloads.asn1 import Asn1Payload

        return Asn1Payload.from_json(obj)
    raise FrameError(f"unknown payload family {family!r}")
