"""Events cluster 0x0709 command payloads (ZigBee SE 1.4 D.11); integers little-endian.

:data:`COMMANDS` maps (direction, command id) to (name, grammar); GBCS encodes pushes to the
meter as server-to-client "Publish ..." commands (GBCS 7.5).
"""

from __future__ import annotations

from construct import Construct, GreedyRange, Int8ub, Int16ul, Struct

from smets_emu.protocols.payloads.zcl_fields import OctetString, UtcTime, ZclDirection

CLUSTER_ID = 0x0709
C2S = ZclDirection.CLIENT_TO_SERVER
S2C = ZclDirection.SERVER_TO_CLIENT

GetEventLog = Struct(
    "event_control_log_id" / Int8ub,
    "event_id" / Int16ul,
    "start_time" / UtcTime,
    "end_time" / UtcTime,
    "number_of_events" / Int8ub,
    "event_offset" / Int16ul,
)
"""Get Event Log, Events client->server 0x00 (SE 1.4 D.11.2.3.1)."""

ClearEventLogRequest = Struct("log_id" / Int8ub)
"""Clear Event Log Request, Events client->server 0x01 (SE 1.4 D.11.2.3.2)."""

PublishEvent = Struct(
    "log_id" / Int8ub, "event_id" / Int16ul, "event_time" / UtcTime, "event_control" / Int8ub,
    "event_data" / OctetString,
)
"""Publish Event, Events server->client 0x00 (SE 1.4 D.11.2.4.1)."""

PublishEventLog = Struct(
    "total_number_of_matching_events" / Int16ul,
    "command_index" / Int8ub,
    "total_number_of_commands" / Int8ub,
    "number_of_events_and_control" / Int8ub,
    "events" / GreedyRange(Struct(
        "log_id" / Int8ub, "event_id" / Int16ul, "event_time" / UtcTime, "event_data" / OctetString,
    )),
)
"""Publish Event Log, Events server->client 0x01 (SE 1.4 D.11.2.4.2)."""

ClearEventLogResponse = Struct("cleared_event_logs" / Int8ub)
"""Clear Event Log Response, Events server->client 0x02 (SE 1.4 D.11.2.4.3)."""

COMMANDS: dict[tuple[ZclDirection, int], tuple[str, Construct]] = {
    (C2S, 0x00): ("Get Event Log", GetEventLog),
    (C2S, 0x01): ("Clear Event Log Request", ClearEventLogRequest),
    (S2C, 0x00): ("Publish Event", PublishEvent),
    (S2C, 0x01): ("Publish Event Log", PublishEventLog),
    (S2C, 0x02): ("Clear Event Log Response", ClearEventLogResponse),
}
"""Events commands by (direction, command id) (SE 1.4 D.11)."""
