"""Calendar cluster 0x0707 command payloads (ZigBee SE 1.4 D.9); integers little-endian.

:data:`COMMANDS` maps (direction, command id) to (name, grammar); GBCS encodes pushes to the
meter as server-to-client "Publish ..." commands (GBCS 7.5).
"""

from __future__ import annotations

from construct import Construct, GreedyRange, Int8ub, Int16ul, Int32ul, Struct

from smets_emu.protocols.payloads.zcl_fields import Empty, OctetString, UtcTime, ZclDate, ZclDirection

CLUSTER_ID = 0x0707
C2S = ZclDirection.CLIENT_TO_SERVER
S2C = ZclDirection.SERVER_TO_CLIENT

_calendar_ids = ("provider_id" / Int32ul, "issuer_event_id" / Int32ul, "issuer_calendar_id" / Int32ul)

GetCalendar = Struct(
    "earliest_start_time" / UtcTime,
    "min_issuer_event_id" / Int32ul,
    "number_of_calendars" / Int8ub,
    "calendar_type" / Int8ub,
    "provider_id" / Int32ul,
)
"""Get Calendar, Calendar client->server 0x00 (SE 1.4 D.9.2.3.1)."""

GetDayProfiles = Struct(
    "provider_id" / Int32ul, "issuer_calendar_id" / Int32ul, "start_day_id" / Int8ub, "number_of_days" / Int8ub,
)
"""Get Day Profiles, Calendar client->server 0x01 (SE 1.4 D.9.2.3.2)."""

GetWeekProfiles = Struct(
    "provider_id" / Int32ul, "issuer_calendar_id" / Int32ul, "start_week_id" / Int8ub, "number_of_weeks" / Int8ub,
)
"""Get Week Profiles, Calendar client->server 0x02 (SE 1.4 D.9.2.3.3)."""

GetSeasons = Struct("provider_id" / Int32ul, "issuer_calendar_id" / Int32ul)
"""Get Seasons, Calendar client->server 0x03 (SE 1.4 D.9.2.3.4)."""

GetSpecialDays = Struct(
    "start_time" / UtcTime,
    "number_of_events" / Int8ub,
    "calendar_type" / Int8ub,
    "provider_id" / Int32ul,
    "issuer_calendar_id" / Int32ul,
)
"""Get Special Days, Calendar client->server 0x04 (SE 1.4 D.9.2.3.5)."""

PublishCalendar = Struct(
    *_calendar_ids,
    "start_time" / UtcTime,
    "calendar_type" / Int8ub,
    "calendar_time_reference" / Int8ub,
    "calendar_name" / OctetString,
    "number_of_seasons" / Int8ub,
    "number_of_week_profiles" / Int8ub,
    "number_of_day_profiles" / Int8ub,
)
"""Publish Calendar, Calendar server->client 0x00 (SE 1.4 D.9.2.4.1)."""

PublishDayProfile = Struct(
    *_calendar_ids,
    "day_id" / Int8ub,
    "total_number_of_schedule_entries" / Int8ub,
    "command_index" / Int8ub,
    "total_number_of_commands" / Int8ub,
    "calendar_type" / Int8ub,
    "schedule_entries" / GreedyRange(Struct("start_time_minutes" / Int16ul, "value" / Int8ub)),
)
"""Publish Day Profile, Calendar server->client 0x01 (SE 1.4 D.9.2.4.2); value = price tier or switch state."""

PublishWeekProfile = Struct(
    *_calendar_ids,
    "week_id" / Int8ub,
    "day_id_ref_monday" / Int8ub,
    "day_id_ref_tuesday" / Int8ub,
    "day_id_ref_wednesday" / Int8ub,
    "day_id_ref_thursday" / Int8ub,
    "day_id_ref_friday" / Int8ub,
    "day_id_ref_saturday" / Int8ub,
    "day_id_ref_sunday" / Int8ub,
)
"""Publish Week Profile, Calendar server->client 0x02 (SE 1.4 D.9.2.4.3)."""

PublishSeasons = Struct(
    *_calendar_ids,
    "command_index" / Int8ub,
    "total_number_of_commands" / Int8ub,
    "seasons" / GreedyRange(Struct("season_start_date" / ZclDate, "week_id_ref" / Int8ub)),
)
"""Publish Seasons, Calendar server->client 0x03 (SE 1.4 D.9.2.4.4)."""

PublishSpecialDays = Struct(
    *_calendar_ids,
    "start_time" / UtcTime,
    "calendar_type" / Int8ub,
    "total_number_of_special_days" / Int8ub,
    "command_index" / Int8ub,
    "total_number_of_commands" / Int8ub,
    "special_days" / GreedyRange(Struct("special_day_date" / ZclDate, "day_id_ref" / Int8ub)),
)
"""Publish Special Days, Calendar server->client 0x04 (SE 1.4 D.9.2.4.5)."""

CancelCalendar = Struct("provider_id" / Int32ul, "issuer_calendar_id" / Int32ul, "calendar_type" / Int8ub)
"""Cancel Calendar, Calendar server->client 0x05 (SE 1.4 D.9.2.4.6)."""

COMMANDS: dict[tuple[ZclDirection, int], tuple[str, Construct]] = {
    (C2S, 0x00): ("Get Calendar", GetCalendar),
    (C2S, 0x01): ("Get Day Profiles", GetDayProfiles),
    (C2S, 0x02): ("Get Week Profiles", GetWeekProfiles),
    (C2S, 0x03): ("Get Seasons", GetSeasons),
    (C2S, 0x04): ("Get Special Days", GetSpecialDays),
    (C2S, 0x05): ("Get Calendar Cancellation", Empty),
    (S2C, 0x00): ("Publish Calendar", PublishCalendar),
    (S2C, 0x01): ("Publish Day Profile", PublishDayProfile),
    (S2C, 0x02): ("Publish Week Profile", PublishWeekProfile),
    (S2C, 0x03): ("Publish Seasons", PublishSeasons),
    (S2C, 0x04): ("Publish Special Days", PublishSpecialDays),
    (S2C, 0x05): ("Cancel Calendar", CancelCalendar),
}
"""Calendar commands by (direction, command id) (SE 1.4 D.9)."""
