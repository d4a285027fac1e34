"""Metering cluster 0x0702 command payloads (ZigBee SE 1.4 D.3); integers little-endian."""

from __future__ import annotations

from construct import GreedyRange, Int8ub, Int16ul, Int24ul, Int32ul, Struct

from smets_emu.protocols.payloads.zcl_cluster_commands import ClusterCommands
from smets_emu.protocols.payloads.zcl_fields import PROVIDER_AND_EVENT_IDS, HexRest, UtcTime

CLUSTER = ClusterCommands(0x0702)

GetProfile = CLUSTER.c2s(0x00, "Get Profile", Struct(
    "interval_channel" / Int8ub, "end_time" / UtcTime, "number_of_periods" / Int8ub,
))
"""Get Profile, Metering client->server 0x00 (SE 1.4 D.3.2.3.1)."""

GetProfileResponse = CLUSTER.s2c(0x00, "Get Profile Response", Struct(
    "end_time" / UtcTime, "status" / Int8ub, "profile_interval_period" / Int8ub,
    "number_of_periods_delivered" / Int8ub, "intervals" / GreedyRange(Int24ul),
))
"""Get Profile Response, Metering server->client 0x00 (SE 1.4 D.3.2.4.1)."""

RequestFastPollMode = CLUSTER.c2s(0x03, "Request Fast Poll Mode", Struct(
    "fast_poll_update_period" / Int8ub, "duration_in_minutes" / Int8ub,
))
"""Request Fast Poll Mode, Metering client->server 0x03 (SE 1.4 D.3.2.3.4)."""

TakeSnapshot = CLUSTER.c2s(0x05, "Take Snapshot", Struct("snapshot_cause" / Int32ul))
"""Take Snapshot, Metering client->server 0x05 (SE 1.4 D.3.2.3.6)."""

GetSnapshot = CLUSTER.c2s(0x06, "Get Snapshot", Struct(
    "earliest_start_time" / UtcTime,
    "latest_end_time" / UtcTime,
    "snapshot_offset" / Int8ub,
    "snapshot_cause" / Int32ul,
))
"""Get Snapshot (Metering 0x06) and Get Prepay Snapshot (Prepayment 0x07), client->server (SE 1.4 D.3.2.3.7)."""

StartSampling = CLUSTER.c2s(0x07, "Start Sampling", Struct(
    "issuer_event_id" / Int32ul,
    "start_sampling_time" / UtcTime,
    "sample_type" / Int8ub,
    "sample_request_interval" / Int16ul,
    "max_number_of_samples" / Int16ul,
))
"""Start Sampling, Metering client->server 0x07 (SE 1.4 D.3.2.3.8)."""

GetSampledData = CLUSTER.c2s(0x08, "Get Sampled Data", Struct(
    "sample_id" / Int16ul,
    "earliest_sample_time" / UtcTime,
    "sample_type" / Int8ub,
    "number_of_samples" / Int16ul,
))
"""Get Sampled Data, Metering client->server 0x08 (SE 1.4 D.3.2.3.9)."""

ResetLoadLimitCounter = CLUSTER.c2s(0x0A, "Reset Load Limit Counter", Struct(*PROVIDER_AND_EVENT_IDS))
"""Reset Load Limit Counter, Metering client->server 0x0A (SE 1.4 D.3.2.3.11)."""

ChangeSupply = CLUSTER.c2s(0x0B, "Change Supply", Struct(
    *PROVIDER_AND_EVENT_IDS,
    "request_date_time" / UtcTime,
    "implementation_date_time" / UtcTime,
    "proposed_supply_status" / Int8ub,
    "supply_control_bits" / Int8ub,
))
"""Change Supply, Metering client->server 0x0B (SE 1.4 D.3.2.3.12)."""

LocalChangeSupply = CLUSTER.c2s(0x0C, "Local Change Supply", Struct("proposed_supply_status" / Int8ub))
"""Local Change Supply, Metering client->server 0x0C (SE 1.4 D.3.2.3.13)."""

SetSupplyStatus = CLUSTER.c2s(0x0D, "Set Supply Status", Struct(
    "issuer_event_id" / Int32ul,
    "supply_tamper_state" / Int8ub,
    "supply_depletion_state" / Int8ub,
    "supply_uncontrolled_flow_state" / Int8ub,
    "load_limit_supply_state" / Int8ub,
))
"""Set Supply Status, Metering client->server 0x0D (SE 1.4 D.3.2.3.14)."""

SetUncontrolledFlowThreshold = CLUSTER.c2s(0x0E, "Set Uncontrolled Flow Threshold", Struct(
    *PROVIDER_AND_EVENT_IDS,
    "uncontrolled_flow_threshold" / Int16ul,
    "unit_of_measure" / Int8ub,
    "multiplier" / Int16ul,
    "divisor" / Int16ul,
    "stabilisation_period" / Int8ub,
    "measurement_period" / Int16ul,
))
"""Set Uncontrolled Flow Threshold, Metering client->server 0x0E (SE 1.4 D.3.2.3.15)."""

PublishSnapshot = CLUSTER.s2c(0x06, "Publish Snapshot", Struct(
    "snapshot_id" / Int32ul,
    "snapshot_time" / UtcTime,
    "total_snapshots_found" / Int8ub,
    "command_index" / Int8ub,
    "total_number_of_commands" / Int8ub,
    "snapshot_cause" / Int32ul,
    "snapshot_payload_type" / Int8ub,
    "snapshot_payload" / HexRest(),
))
"""Publish Snapshot (Metering 0x06) / Publish Prepay Snapshot (Prepayment 0x01), server->client.

SE 1.4 D.3.2.4.7 / D.7.2.4.1; the sub-payload depends on the payload type and is kept as hex.
"""

GetSampledDataResponse = CLUSTER.s2c(0x07, "Get Sampled Data Response", Struct(
    "sample_id" / Int16ul,
    "sample_start_time" / UtcTime,
    "sample_type" / Int8ub,
    "sample_request_interval" / Int16ul,
    "number_of_samples" / Int16ul,
    "samples" / GreedyRange(Int24ul),
))
"""Get Sampled Data Response, Metering server->client 0x07 (SE 1.4 D.3.2.4.8)."""

SupplyStatusResponse = CLUSTER.s2c(0x0C, "Supply Status Response", Struct(
    *PROVIDER_AND_EVENT_IDS,
    "implementation_date_time" / UtcTime,
    "supply_status" / Int8ub,
))
"""Supply Status Response, Metering server->client 0x0C (SE 1.4 D.3.2.4.13)."""

StartSamplingResponse = CLUSTER.s2c(0x0D, "Start Sampling Response", Struct("sample_id" / Int16ul))
"""Start Sampling Response, Metering server->client 0x0D (SE 1.4 D.3.2.4.14)."""

CLUSTER_ID, COMMANDS = CLUSTER.cluster_id, CLUSTER.commands
"""Metering commands by (direction, command id) (SE 1.4 D.3)."""
