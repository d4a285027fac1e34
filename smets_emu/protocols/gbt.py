"""GBCS General Block Transfer (GBT): segmentation and reassembly of large GBCS messages.

Implements the GBT block format of GBCS 7.2.11 (block transfer of GBCS messages) built from the
DLMS General-Ciphering APDU (used here as a routing header) and the DLMS general-block-transfer
APDU (DLMS/COSEM Green Book, General-Block-Transfer mechanism, tag ``E0``).

Wire shape of one block::

    DD                               general-ciphering tag (routing header)
    09 <CRA> <counter 8>             transaction-id: the CRA flag and originator counter of the message
    08 <originator 8>                originator system title (Business Originator ID)
    08 <recipient 8>                 recipient system title (Business Target ID)
    00                               date-time: absent
    <len> <message code 2>           other-information: the message code only
    00                               key-info: absent
    <len>                            ciphered-content length (see below)
    <SC> <IC 4>                      security control byte, invocation counter
    E0                               general-block-transfer tag
    <BC>                             block control: bit 7 last block, bit 6 streaming, bits 5..0 window
    <BN 2> <BNA 2>                   block number (first block = 1), acknowledged block number
    <len> <block data>               a slice of the complete GBCS message (empty: acknowledgement)

The length after key-info is the length of the General-Ciphering ``ciphered-content`` octet
string, exactly as in the MAC header (GBCS 7.2.7, where it counts the security header, the
signing APDU and the MAC). A GBT block has no MAC of its own (the message it carries is
protected end to end), so here the ciphered-content is the 5-byte security header followed by
the whole general-block-transfer APDU: the length covers every byte from the security control
byte to the end of the block. Decoding requires it to end exactly at the end of the input.

The routing header repeats the CRA flag, counter, system titles and message code of the
carried message's grouping header (GBCS 7.2.8), so a router can forward each block without
reassembling the message. Its other-information carries only the 2-byte message code; the
supplementary fields of a grouping header (GBCS 7.2.8.3) stay inside the carried message, so
the envelope's variable-length other-information construct is not reused here.

Segmentation of a message into blocks and their reassembly are :mod:`smets_emu.protocols.gbt_transfer`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from construct import (
    BitsInteger,
    BitStruct,
    Byte,
    Const,
    ConstructError,
    Flag,
    GreedyBytes,
    Int16ub,
    Int32ub,
    Prefixed,
    Struct,
    Terminated,
)

from smets_emu.errors import EncodeError, FrameError
from smets_emu.protocols.envelope import (
    SECURITY_CONTROL,
    TRANSACTION_ID_AND_PARTIES,
    CraFlag,
    decode_envelope,
)
from smets_emu.protocols.lengths import ber_length

GBT_TAG = 0xE0
GBT_PREFIX = b"\xdd\x09"
MAX_BLOCK_NUMBER = 0xFFFF
MAX_WINDOW = 0x3F
DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024
DEFAULT_MAX_GAP = 1024

RoutingOtherInformation = Prefixed(ber_length, Struct("message_code" / Int16ub, Terminated))
"""Routing-header other-information: BER length ``02`` and the message code (GBCS 7.2.11)."""

RoutingHeaderFrame = Struct(
    "tag" / Const(b"\xdd"),
    *TRANSACTION_ID_AND_PARTIES,
    "date_time" / Const(b"\x00"),
    "other_information" / RoutingOtherInformation,
    "key_info" / Const(b"\x00"),
)
"""GBT routing header: General-Ciphering fields up to key-info (GBCS 7.2.11, DLMS general-ciphering)."""

BlockControl = BitStruct(
    "last_block" / Flag,
    "streaming" / Flag,
    "window" / BitsInteger(6),
)
"""GBT block-control byte: last-block bit 7, streaming bit 6, window bits 5..0 (DLMS Green Book GBT)."""

GeneralBlockTransferApdu = Struct(
    "tag" / Const(bytes([GBT_TAG])),
    "block_control" / BlockControl,
    "block_number" / Int16ub,
    "block_number_ack" / Int16ub,
    "block_data" / Prefixed(ber_length, GreedyBytes),
)
"""The general-block-transfer APDU ``E0`` (DLMS Green Book GBT; GBCS 7.2.11)."""

GbtBlockFrame = Struct(
    "routing_header" / RoutingHeaderFrame,
    "ciphered_content" / Prefixed(
        ber_length,
        Struct(
            "security_control" / Byte,
            "invocation_counter" / Int32ub,
            "apdu" / GeneralBlockTransferApdu,
            Terminated,
        ),
    ),
    Terminated,
)
"""One whole GBT block: routing header, ciphered-content length, security header, GBT APDU (GBCS 7.2.11)."""


@dataclass(frozen=True)
class RoutingHeader:
    """The routing header of a GBT block (GBCS 7.2.11): what a router needs to forward it.

    ``security_control`` and ``invocation_counter`` are the General-Ciphering security header
    fields. GBCS uses ``11`` and zero in the MAC header; the same values are emitted here by
    default (the GBT value is not confirmed) and any decoded value is kept.
    """

    cra_flag: CraFlag
    originator_counter: int
    originator: bytes
    recipient: bytes
    message_code: int
    security_control: int = SECURITY_CONTROL
    invocation_counter: int = 0

    def reversed(self) -> RoutingHeader:
        """The same transaction addressed back to the originator (for acknowledgements)."""
        return replace(self, originator=self.recipient, recipient=self.originator)


@dataclass(frozen=True)
class GbtBlock:
    """One GBT block: routing header, block control fields and the block data (GBCS 7.2.11)."""

    routing: RoutingHeader
    block_number: int
    data: bytes
    last_block: bool
    streaming: bool = False
    window: int = 1
    block_number_ack: int = 0

    @property
    def is_ack(self) -> bool:
        """True for an acknowledgement (a block with no data)."""
        return not self.data


def is_gbt(data: bytes) -> bool:
    """True when *data* starts like a GBT block (``DD 09``) rather than a normal GBCS message."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        return False
    return bytes(data[:2]) == GBT_PREFIX


def decode_gbt_block(data: bytes) -> GbtBlock:
    """Decode one GBT block; raises :class:`FrameError` for anything malformed."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FrameError("GBT block must be bytes")
    data = bytes(data)
    if not is_gbt(data):
        raise FrameError("not a GBT block (expected DD 09)")
    try:
        c = GbtBlockFrame.parse(data)
        rh = c.routing_header
        cc = c.ciphered_content
        apdu = cc.apdu
        bc = apdu.block_control
        routing = RoutingHeader(
            cra_flag=CraFlag(int(rh.cra_flag)),
            originator_counter=rh.originator_counter,
            originator=rh.originator,
            recipient=rh.recipient,
            message_code=rh.other_information.message_code,
            security_control=cc.security_control,
            invocation_counter=cc.invocation_counter,
        )
        return GbtBlock(
            routing=routing,
            block_number=apdu.block_number,
            data=apdu.block_data,
            last_block=bool(bc.last_block),
            streaming=bool(bc.streaming),
            window=bc.window,
            block_number_ack=apdu.block_number_ack,
        )
    except (ConstructError, ValueError, KeyError, TypeError, OverflowError, AttributeError) as exc:
        raise FrameError(f"malformed GBT block: {exc}") from exc


def _check_range(name: str, value: Any, upper: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= upper:
        raise EncodeError(f"{name} must be an int in 0..{upper}, got {value!r}")


def encode_gbt_block(block: GbtBlock) -> bytes:
    """Build the wire bytes of one GBT block from its fields."""
    r = block.routing
    try:
        cra = CraFlag(r.cra_flag)
    except (ValueError, TypeError) as exc:
        raise EncodeError(f"bad CRA flag {r.cra_flag!r}") from exc
    _check_range("originator counter", r.originator_counter, 2**64 - 1)
    _check_range("message code", r.message_code, 0xFFFF)
    _check_range("security control byte", r.security_control, 0xFF)
    _check_range("invocation counter", r.invocation_counter, 2**32 - 1)
    _check_range("block number", block.block_number, MAX_BLOCK_NUMBER)
    _check_range("acknowledged block number", block.block_number_ack, MAX_BLOCK_NUMBER)
    _check_range("window", block.window, MAX_WINDOW)
    for name, eui in (("originator", r.originator), ("recipient", r.recipient)):
        if not isinstance(eui, (bytes, bytearray)) or len(eui) != 8:
            raise EncodeError(f"{name} must be 8 bytes")
    if not isinstance(block.data, (bytes, bytearray)):
        raise EncodeError("block data must be bytes")
    obj = {
        "routing_header": {
            "cra_flag": int(cra),
            "originator_counter": r.originator_counter,
            "originator": bytes(r.originator),
            "recipient": bytes(r.recipient),
            "other_information": {"message_code": r.message_code},
        },
        "ciphered_content": {
            "security_control": r.security_control,
            "invocation_counter": r.invocation_counter,
            "apdu": {
                "block_control": {
                    "last_block": bool(block.last_block),
                    "streaming": bool(block.streaming),
                    "window": block.window,
                },
                "block_number": block.block_number,
                "block_number_ack": block.block_number_ack,
                "block_data": bytes(block.data),
            },
        },
    }
    try:
        return GbtBlockFrame.build(obj)
    except (ConstructError, ValueError, TypeError, OverflowError) as exc:
        raise EncodeError(f"cannot encode GBT block: {exc}") from exc


def routing_header_for(message: bytes) -> RoutingHeader:
    """The routing header for a complete GBCS message, taken from its grouping header (GBCS 7.2.8)."""
    header = decode_envelope(message).header
    return RoutingHeader(
        cra_flag=header.cra_flag,
        originator_counter=header.originator_counter,
        originator=header.originator,
        recipient=header.recipient,
        message_code=header.message_code,
    )


def block_to_json(block: GbtBlock) -> dict[str, Any]:
    """JSON form of a GBT block (readable and complete enough to rebuild it)."""
    r = block.routing
    return {
        "routing": {
            "cra_flag": r.cra_flag.name.lower(),
            "originator_counter": r.originator_counter,
            "originator": r.originator.hex().upper(),
            "recipient": r.recipient.hex().upper(),
            "message_code": f"0x{r.message_code:04X}",
            "security_control": r.security_control,
            "invocation_counter": r.invocation_counter,
        },
        "block_number": block.block_number,
        "block_number_ack": block.block_number_ack,
        "last_block": block.last_block,
        "streaming": block.streaming,
        "window": block.window,
        "data": block.data.hex().upper(),
    }


def block_from_json(obj: dict[str, Any]) -> GbtBlock:
    """Inverse of :func:`block_to_json`; raises :class:`EncodeError` on a malformed tree."""
    try:
        r = obj["routing"]
        cra = r["cra_flag"]
        code = r["message_code"]
        routing = RoutingHeader(
            cra_flag=CraFlag[cra.upper()] if isinstance(cra, str) else CraFlag(cra),
            originator_counter=int(r["originator_counter"]),
            originator=bytes.fromhex(r["originator"]),
            recipient=bytes.fromhex(r["recipient"]),
            message_code=int(code, 0) if isinstance(code, str) else int(code),
            security_control=int(r.get("security_control", SECURITY_CONTROL)),
            invocation_counter=int(r.get("invocation_counter", 0)),
        )
        return GbtBlock(
            routing=routing,
            block_number=int(obj["block_number"]),
            data=bytes.fromhex(obj["data"]),
            last_block=bool(obj["last_block"]),
            streaming=bool(obj.get("streaming", False)),
            window=int(obj.get("window", 1)),
            block_number_ack=int(obj.get("block_number_ack", 0)),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise EncodeError(f"bad GBT block JSON: {exc!r}") from exc
