"""Messaging cluster 0x0703 command payloads (ZigBee SE 1.4 D.5); integers little-endian."""

from __future__ import annotations

from construct import Int8ub, Int16ul, Int32ul, Struct

from smets_emu.protocols.payloads.zcl_cluster_commands import ClusterCommands
from smets_emu.protocols.payloads.zcl_fields import CharacterString, Empty, OctetString, TrailingOptional, UtcTime

CLUSTER = ClusterCommands(0x0703)

DisplayMessage = CLUSTER.s2c(0x00, "Display Message", Struct(
    "message_id" / Int32ul,
    "message_control" / Int8ub,
    "start_time" / UtcTime,
    "duration_in_minutes" / Int16ul,
    "message" / CharacterString,
    "extended_message_control" / TrailingOptional(Int8ub),
))
"""Display Message / Display Protected Message, Messaging server->client 0x00/0x02 (SE 1.4 D.5.2.3.1)."""

CancelMessage = CLUSTER.s2c(0x01, "Cancel Message", Struct("message_id" / Int32ul, "message_control" / Int8ub))
"""Cancel Message, Messaging server->client 0x01 (SE 1.4 D.5.2.3.2)."""

CancelAllMessages = CLUSTER.s2c(0x03, "Cancel All Messages", Struct("implementation_date_time" / UtcTime))
"""Cancel All Messages, Messaging server->client 0x03 (SE 1.4 D.5.2.3.4)."""

MessageConfirmation = CLUSTER.c2s(0x01, "Message Confirmation", Struct(
    "message_id" / Int32ul,
    "confirmation_time" / UtcTime,
    "message_confirmation_control" / TrailingOptional(Int8ub),
    "message_response" / TrailingOptional(OctetString),
))
"""Message Confirmation, Messaging client->server 0x01 (SE 1.4 D.5.2.4.2)."""

CLUSTER.c2s(0x00, "Get Last Message", Empty)
CLUSTER.s2c(0x02, "Display Protected Message", DisplayMessage)

CLUSTER_ID, COMMANDS = CLUSTER.cluster_id, CLUSTER.commands
"""Messaging commands by (direction, command id) (SE 1.4 D.5)."""
