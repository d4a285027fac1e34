"""Device Management cluster 0x0708 command payloads (ZigBee SE 1.4 D.10); integers little-endian."""

from __future__ import annotations

from construct import GreedyRange, Int8ub, Int16ul, Int32ul, PrefixedArray, Struct, Switch, this

from smets_emu.protocols.payloads.zcl_cluster_commands import ClusterCommands
from smets_emu.protocols.payloads.zcl_fields import PROVIDER_AND_EVENT_IDS, Empty, HexRest, OctetString, UtcTime

CLUSTER = ClusterCommands(0x0708)

PublishChangeOfTenancy = CLUSTER.s2c(0x00, "Publish Change of Tenancy", Struct(
    *PROVIDER_AND_EVENT_IDS,
    "tariff_type" / Int8ub,
    "implementation_date_time" / UtcTime,
    "proposed_tenancy_change_control" / Int32ul,
))
"""Publish Change of Tenancy, Device Management server->client 0x00 (SE 1.4 D.10.2.4.1)."""

PublishChangeOfSupplier = CLUSTER.s2c(0x01, "Publish Change of Supplier", Struct(
    "current_provider_id" / Int32ul,
    "issuer_event_id" / Int32ul,
    "tariff_type" / Int8ub,
    "proposed_provider_id" / Int32ul,
    "provider_change_implementation_time" / UtcTime,
    "provider_change_control" / Int32ul,
    "proposed_provider_name" / OctetString,
    "proposed_provider_contact_details" / OctetString,
))
"""Publish Change of Supplier, Device Management server->client 0x01 (SE 1.4 D.10.2.4.2)."""

RequestNewPasswordResponse = CLUSTER.s2c(0x02, "Request New Password Response", Struct(
    "issuer_event_id" / Int32ul,
    "implementation_date_time" / UtcTime,
    "duration_in_minutes" / Int16ul,
    "password_type" / Int8ub,
    "password" / OctetString,
))
"""Request New Password Response, Device Management server->client 0x02 (SE 1.4 D.10.2.4.3)."""

UpdateSiteId = CLUSTER.s2c(0x03, "Update Site ID", Struct(
    "issuer_event_id" / Int32ul, "site_id_time" / UtcTime, "provider_id" / Int32ul, "site_id" / OctetString,
))
"""Update SiteID, Device Management server->client 0x03 (SE 1.4 D.10.2.4.4)."""

SetEventConfiguration = CLUSTER.s2c(0x04, "Set Event Configuration", Struct(
    "issuer_event_id" / Int32ul,
    "start_date_time" / UtcTime,
    "event_configuration" / Int8ub,
    "configuration_control" / Int8ub,
    "selection" / Switch(this.configuration_control, {
        0: Struct("event_ids" / PrefixedArray(Int8ub, Int16ul)),
        1: Struct("event_group_id" / Int16ul),
        2: Struct("log_type" / Int8ub),
        3: Struct("configuration_value_match" / Int8ub),
    }, default=Struct("data" / HexRest())),
))
"""Set Event Configuration, Device Management server->client 0x04 (SE 1.4 D.10.2.4.5).

The selection depends on the configuration control: 0 a list of event ids, 1 an event group
id, 2 a log type, 3 a configuration value to match.
"""

GetEventConfiguration = CLUSTER.s2c(0x05, "Get Event Configuration", Struct("event_id" / Int16ul))
"""Get Event Configuration, Device Management server->client 0x05 (SE 1.4 D.10.2.4.6)."""

UpdateCin = CLUSTER.s2c(0x06, "Update CIN", Struct(
    "issuer_event_id" / Int32ul, "cin_implementation_time" / UtcTime, "provider_id" / Int32ul,
    "customer_id_number" / OctetString,
))
"""Update CIN, Device Management server->client 0x06 (SE 1.4 D.10.2.4.7)."""

RequestNewPassword = CLUSTER.c2s(0x02, "Request New Password", Struct("password_type" / Int8ub))
"""Request New Password, Device Management client->server 0x02 (SE 1.4 D.10.2.3.3)."""

ReportEventConfiguration = CLUSTER.c2s(0x04, "Report Event Configuration", Struct(
    "command_index" / Int8ub,
    "total_number_of_commands" / Int8ub,
    "events" / GreedyRange(Struct("event_id" / Int16ul, "event_configuration" / Int8ub)),
))
"""Report Event Configuration, Device Management client->server 0x04 (SE 1.4 D.10.2.3.5)."""


CLUSTER.c2s(0x00, "Get Change of Tenancy", Empty)
CLUSTER.c2s(0x01, "Get Change of Supplier", Empty)
CLUSTER.c2s(0x03, "Get Site ID", Empty)
CLUSTER.c2s(0x05, "Get CIN", Empty)

CLUSTER_ID, COMMANDS = CLUSTER.cluster_id, CLUSTER.commands
"""Device Management commands by (direction, command id) (SE 1.4 D.10)."""
