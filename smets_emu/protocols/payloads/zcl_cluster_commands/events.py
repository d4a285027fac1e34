"""Events cluster 0x0709 command payloads (ZigBee SE 1.4 D.11); integers little-endian."""

from __future__ import annotations

from construct import GreedyRange, Int8ub, Int16ul, Struct

from smets_emu.protocols.payloads.zcl_cluster_commands import ClusterCommands
from smets_emu.protocols.payloads.zcl_fields import OctetString, UtcTime

CLUSTER = ClusterCommands(0x0709)

GetEventLog = CLUSTER.c2s(0x00, "Get Event Log", Struct(
    "event_control_log_id" / Int8ub,
    "event_id" / Int16ul,
    "start_time" / UtcTime,
    "end_time" / UtcTime,
    "number_of_events" / Int8ub,
    "event_offset" / Int16ul,
))
"""Get Event Log, Events client->server 0x00 (SE 1.4 D.11.2.3.1)."""

ClearEventLogRequest = CLUSTER.c2s(0x01, "Clear Event Log Request", Struct("log_id" / Int8ub))
"""Clear Event Log Request, Events client->server 0x01 (SE 1.4 D.11.2.3.2)."""

PublishEvent = CLUSTER.s2c(0x00, "Publish Event", Struct(
    "log_id" / Int8ub, "event_id" / Int16ul, "event_time" / UtcTime, "event_control" / Int8ub,
    "event_data" / OctetString,
))
"""Publish Event, Events server->client 0x00 (SE 1.4 D.11.2.4.1)."""

PublishEventLog = CLUSTER.s2c(0x01, "Publish Event Log", Struct(
    "total_number_of_matching_events" / Int16ul,
    "command_index" / Int8ub,
    "total_number_of_commands" / Int8ub,
    "number_of_events_and_control" / Int8ub,
    "events" / GreedyRange(Struct(
        "log_id" / Int8ub, "event_id" / Int16ul, "event_time" / UtcTime, "event_data" / OctetString,
    )),
))
"""Publish Event Log, Events server->client 0x01 (SE 1.4 D.11.2.4.2)."""

ClearEventLogResponse = CLUSTER.s2c(0x02, "Clear Event Log Response", Struct("cleared_event_logs" / Int8ub))
"""Clear Event Log Response, Events server->client 0x02 (SE 1.4 D.11.2.4.3)."""

CLUSTER_ID, COMMANDS = CLUSTER.cluster_id, CLUSTER.commands
"""Events commands by (direction, command id) (SE 1.4 D.11)."""
