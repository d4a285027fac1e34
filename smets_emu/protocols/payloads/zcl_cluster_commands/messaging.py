"""Messaging cluster 0x0703 command payloads (ZigBee SE 1.4 D.5); integers little-endian.

:data:`COMMANDS` maps (direction, command id) to (name, grammar); GBCS encodes pushes to the
meter as server-to-client "Publish ..." commands (GBCS 7.5).
"""

from __future__ import annotations

from construct import Construct, Int8ub, Int16ul, Int32ul, Struct

from smets_emu.protocols.payloads.zcl_fields import (
    CharacterString,
    Empty,
    OctetString,
    TrailingOptional,
    UtcTime,
    ZclDirection,
)

CLUSTER_ID = 0x0703
C2S = ZclDirection.CLIENT_TO_SERVER
S2C = ZclDirection.SERVER_TO_CLIENT

DisplayMessage = Struct(
    "message_id" / Int32ul,
    "message_control" / Int8ub,
    "start_time" / UtcTime,
    "duration_in_minutes" / Int16ul,
    "message" / CharacterString,
    "extended_message_control" / TrailingOptional(Int8ub),
)
"""Display Message / Display Protected Message, Messaging server->client 0x00/0x02 (SE 1.4 D.5.2.3.1)."""

CancelMessage = Struct("message_id" / Int32ul, "message_control" / Int8ub)
"""Cancel Message, Messaging server->client 0x01 (SE 1.4 D.5.2.3.2)."""

CancelAllMessages = Struct("implementation_date_time" / UtcTime)
"""Cancel All Messages, Messaging server->client 0x03 (SE 1.4 D.5.2.3.4)."""

MessageConfirmation = Struct(
    "message_id" / Int32ul,
    "confirmation_time" / UtcTime,
    "message_confirmation_control" / TrailingOptional(Int8ub),
    "message_response" / TrailingOptional(OctetString),
)
"""Message Confirmation, Messaging client->server 0x01 (SE 1.4 D.5.2.4.2)."""

COMMANDS: dict[tuple[ZclDirection, int], tuple[str, Construct]] = {
    (C2S, 0x00): ("Get Last Message", Empty),
    (C2S, 0x01): ("Message Confirmation", MessageConfirmation),
    (S2C, 0x00): ("Display Message", DisplayMessage),
    (S2C, 0x01): ("Cancel Message", CancelMessage),
    (S2C, 0x02): ("Display Protected Message", DisplayMessage),
    (S2C, 0x03): ("Cancel All Messages", CancelAllMessages),
}
"""Messaging commands by (direction, command id) (SE 1.4 D.5)."""
