"""Calendar cluster 0x0707 command payloads (ZigBee SE 1.4 D.9); integers little-endian."""

from __future__ import annotations

from construct import GreedyRange, Int8ub, Int16ul, Int32ul, Struct

from smets_emu.protocols.payloads.zcl_cluster_commands import ClusterCommands
from smets_emu.protocols.payloads.zcl_fields import (
    COMMAND_INDEX_AND_TOTAL,
    PROVIDER_AND_EVENT_IDS,
    Empty,
    OctetString,
    UtcTime,
    ZclDate,
)

CLUSTER = ClusterCommands(0x0707)

_calendar_ids = (*PROVIDER_AND_EVENT_IDS, "issuer_calendar_id" / Int32ul)
"""Provider, issuer event and issuer calendar ids that open the Publish commands (SE 1.4 D.9.2.4)."""

_provider_and_calendar = ("provider_id" / Int32ul, "issuer_calendar_id" / Int32ul)
"""Provider id and issuer calendar id that select a calendar in the Get commands (SE 1.4 D.9.2.3)."""

GetCalendar = CLUSTER.c2s(0x00, "Get Calendar", Struct(
    "earliest_start_time" / UtcTime,
    "min_issuer_event_id" / Int32ul,
    "number_of_calendars" / Int8ub,
    "calendar_type" / Int8ub,
    "provider_id" / Int32ul,
))
"""Get Calendar, Calendar client->server 0x00 (SE 1.4 D.9.2.3.1)."""

GetDayProfiles = CLUSTER.c2s(0x01, "Get Day Profiles", Struct(
    *_provider_and_calendar, "start_day_id" / Int8ub, "number_of_days" / Int8ub,
))
"""Get Day Profiles, Calendar client->server 0x01 (SE 1.4 D.9.2.3.2)."""

GetWeekProfiles = CLUSTER.c2s(0x02, "Get Week Profiles", Struct(
    *_provider_and_calendar, "start_week_id" / Int8ub, "number_of_weeks" / Int8ub,
))
"""Get Week Profiles, Calendar client->server 0x02 (SE 1.4 D.9.2.3.3)."""

GetSeasons = CLUSTER.c2s(0x03, "Get Seasons", Struct(*_provider_and_calendar))
"""Get Seasons, Calendar client->server 0x03 (SE 1.4 D.9.2.3.4)."""

GetSpecialDays = CLUSTER.c2s(0x04, "Get Special Days", Struct(
    "start_time" / UtcTime,
    "number_of_events" / Int8ub,
    "calendar_type" / Int8ub,
    *_provider_and_calendar,
))
"""Get Special Days, Calendar client->server 0x04 (SE 1.4 D.9.2.3.5)."""

PublishCalendar = CLUSTER.s2c(0x00, "Publish Calendar", Struct(
    *_calendar_ids,
    "start_time" / UtcTime,
    "calendar_type" / Int8ub,
    "calendar_time_reference" / Int8ub,
    "calendar_name" / OctetString,
    "number_of_seasons" / Int8ub,
    "number_of_week_profiles" / Int8ub,
    "number_of_day_profiles" / Int8ub,
))
"""Publish Calendar, Calendar server->client 0x00 (SE 1.4 D.9.2.4.1)."""

PublishDayProfile = CLUSTER.s2c(0x01, "Publish Day Profile", Struct(
    *_calendar_ids,
    "day_id" / Int8ub,
    "total_number_of_schedule_entries" / Int8ub,
    *COMMAND_INDEX_AND_TOTAL,
    "calendar_type" / Int8ub,
    "schedule_entries" / GreedyRange(Struct("start_time_minutes" / Int16ul, "value" / Int8ub)),
))
"""Publish Day Profile, Calendar server->client 0x01 (SE 1.4 D.9.2.4.2); value = price tier or switch state."""

PublishWeekProfile = CLUSTER.s2c(0x02, "Publish Week Profile", Struct(
    *_calendar_ids,
    "week_id" / Int8ub,
    "day_id_ref_monday" / Int8ub,
    "day_id_ref_tuesday" / Int8ub,
    "day_id_ref_wednesday" / Int8ub,
    "day_id_ref_thursday" / Int8ub,
    "day_id_ref_friday" / Int8ub,
    "day_id_ref_saturday" / Int8ub,
    "day_id_ref_sunday" / Int8ub,
))
"""Publish Week Profile, Calendar server->client 0x02 (SE 1.4 D.9.2.4.3)."""

PublishSeasons = CLUSTER.s2c(0x03, "Publish Seasons", Struct(
    *_calendar_ids,
    *COMMAND_INDEX_AND_TOTAL,
    "seasons" / GreedyRange(Struct("season_start_date" / ZclDate, "week_id_ref" / Int8ub)),
))
"""Publish Seasons, Calendar server->client 0x03 (SE 1.4 D.9.2.4.4)."""

PublishSpecialDays = CLUSTER.s2c(0x04, "Publish Special Days", Struct(
    *_calendar_ids,
    "start_time" / UtcTime,
    "calendar_type" / Int8ub,
    "total_number_of_special_days" / Int8ub,
    *COMMAND_INDEX_AND_TOTAL,
    "special_days" / GreedyRange(Struct("special_day_date" / ZclDate, "day_id_ref" / Int8ub)),
))
"""Publish Special Days, Calendar server->client 0x04 (SE 1.4 D.9.2.4.5)."""

CancelCalendar = CLUSTER.s2c(0x05, "Cancel Calendar", Struct(
    *_provider_and_calendar, "calendar_type" / Int8ub,
))
"""Cancel Calendar, Calendar server->client 0x05 (SE 1.4 D.9.2.4.6)."""

CLUSTER.c2s(0x05, "Get Calendar Cancellation", Empty)

CLUSTER_ID, COMMANDS = CLUSTER.cluster_id, CLUSTER.commands
"""Calendar commands by (direction, command id) (SE 1.4 D.9)."""
