"""Price cluster 0x0700 command payloads (ZigBee SE 1.4 D.4); integers little-endian."""

from __future__ import annotations

from construct import GreedyRange, Int8ub, Int16ul, Int24ul, Int32ul, Struct

from smets_emu.protocols.payloads.zcl_cluster_commands import ClusterCommands
from smets_emu.protocols.payloads.zcl_fields import (
    COMMAND_INDEX_AND_TOTAL,
    PROVIDER_AND_EVENT_IDS,
    Int48ul,
    OctetString,
    TrailingOptional,
    UtcTime,
)

CLUSTER = ClusterCommands(0x0700)

PublishPrice = CLUSTER.s2c(0x00, "Publish Price", Struct(
    "provider_id" / Int32ul,
    "rate_label" / OctetString,
    "issuer_event_id" / Int32ul,
    "current_time" / UtcTime,
    "unit_of_measure" / Int8ub,
    "currency" / Int16ul,
    "price_trailing_digit_and_tier" / Int8ub,
    "number_of_price_tiers_and_register_tier" / Int8ub,
    "start_time" / UtcTime,
    "duration_in_minutes" / Int16ul,
    "price" / Int32ul,
    "price_ratio" / TrailingOptional(Int8ub),
    "generation_price" / TrailingOptional(Int32ul),
    "generation_price_ratio" / TrailingOptional(Int8ub),
    "alternate_cost_delivered" / TrailingOptional(Int32ul),
    "alternate_cost_unit" / TrailingOptional(Int8ub),
    "alternate_cost_trailing_digit" / TrailingOptional(Int8ub),
    "number_of_block_thresholds" / TrailingOptional(Int8ub),
    "price_control" / TrailingOptional(Int8ub),
    "number_of_generation_tiers" / TrailingOptional(Int8ub),
    "generation_tier" / TrailingOptional(Int8ub),
    "extended_number_of_price_tiers" / TrailingOptional(Int8ub),
    "extended_price_tier" / TrailingOptional(Int8ub),
    "extended_register_tier" / TrailingOptional(Int8ub),
))
"""Publish Price, Price server->client 0x00 (SE 1.4 D.4.2.4.1); later fields optional at the end."""

PublishBlockPeriod = CLUSTER.s2c(0x01, "Publish Block Period", Struct(
    *PROVIDER_AND_EVENT_IDS,
    "block_period_start_time" / UtcTime,
    "block_period_duration" / Int24ul,
    "block_period_control" / Int8ub,
    "block_period_duration_type" / Int8ub,
    "tariff_type" / TrailingOptional(Int8ub),
    "tariff_resolution_period" / TrailingOptional(Int8ub),
))
"""Publish Block Period, Price server->client 0x01 (SE 1.4 D.4.2.4.2)."""

PublishConversionFactor = CLUSTER.s2c(0x02, "Publish Conversion Factor", Struct(
    "issuer_event_id" / Int32ul,
    "start_time" / UtcTime,
    "conversion_factor" / Int32ul,
    "conversion_factor_trailing_digit" / Int8ub,
))
"""Publish Conversion Factor, Price server->client 0x02 (SE 1.4 D.4.2.4.3)."""

PublishCalorificValue = CLUSTER.s2c(0x03, "Publish Calorific Value", Struct(
    "issuer_event_id" / Int32ul,
    "start_time" / UtcTime,
    "calorific_value" / Int32ul,
    "calorific_value_unit" / Int8ub,
    "calorific_value_trailing_digit" / Int8ub,
))
"""Publish Calorific Value, Price server->client 0x03 (SE 1.4 D.4.2.4.4)."""

PublishTariffInformation = CLUSTER.s2c(0x04, "Publish Tariff Information", Struct(
    *PROVIDER_AND_EVENT_IDS,
    "issuer_tariff_id" / Int32ul,
    "start_time" / UtcTime,
    "tariff_type_charging_scheme" / Int8ub,
    "tariff_label" / OctetString,
    "number_of_price_tiers_in_use" / Int8ub,
    "number_of_block_thresholds_in_use" / Int8ub,
    "unit_of_measure" / Int8ub,
    "currency" / Int16ul,
    "price_trailing_digit" / Int8ub,
    "standing_charge" / Int32ul,
    "tier_block_mode" / Int8ub,
    "block_threshold_multiplier" / Int24ul,
    "block_threshold_divisor" / Int24ul,
))
"""Publish Tariff Information, Price server->client 0x04 (SE 1.4 D.4.2.4.5)."""

PublishPriceMatrix = CLUSTER.s2c(0x05, "Publish Price Matrix", Struct(
    *PROVIDER_AND_EVENT_IDS,
    "start_time" / UtcTime,
    "issuer_tariff_id" / Int32ul,
    *COMMAND_INDEX_AND_TOTAL,
    "sub_payload_control" / Int8ub,
    "tier_block_prices" / GreedyRange(Struct("tier_block_id" / Int8ub, "price" / Int32ul)),
))
"""Publish Price Matrix, Price server->client 0x05 (SE 1.4 D.4.2.4.6)."""

PublishBlockThresholds = CLUSTER.s2c(0x06, "Publish Block Thresholds", Struct(
    *PROVIDER_AND_EVENT_IDS,
    "start_time" / UtcTime,
    "issuer_tariff_id" / Int32ul,
    *COMMAND_INDEX_AND_TOTAL,
    "sub_payload_control" / Int8ub,
    "tiers" / GreedyRange(Struct(
        "tier_and_threshold_count" / Int8ub,
        "thresholds" / Int48ul[lambda ctx: ctx.tier_and_threshold_count & 0x0F],
    )),
))
"""Publish Block Thresholds, Price server->client 0x06 (SE 1.4 D.4.2.4.7): tier nibble, count nibble."""

PublishBillingPeriod = CLUSTER.s2c(0x09, "Publish Billing Period", Struct(
    *PROVIDER_AND_EVENT_IDS,
    "billing_period_start_time" / UtcTime,
    "billing_period_duration" / Int24ul,
    "billing_period_duration_type" / Int8ub,
    "tariff_type" / Int8ub,
))
"""Publish Billing Period, Price server->client 0x09 (SE 1.4 D.4.2.4.10)."""

GetCurrentPrice = CLUSTER.c2s(0x00, "Get Current Price", Struct("command_options" / Int8ub))
"""Get Current Price, Price client->server 0x00 (SE 1.4 D.4.2.3.1)."""

GetScheduledPrices = CLUSTER.c2s(0x01, "Get Scheduled Prices", Struct(
    "start_time" / UtcTime, "number_of_events" / Int8ub,
))
"""Get Scheduled Prices, Price client->server 0x01 (SE 1.4 D.4.2.3.2)."""

GetBlockPeriods = CLUSTER.c2s(0x03, "Get Block Periods", Struct(
    "start_time" / UtcTime, "number_of_events" / Int8ub, "tariff_type" / Int8ub,
))
"""Get Block Period(s), Price client->server 0x03 (SE 1.4 D.4.2.3.4)."""

GetEarliestCommands = CLUSTER.c2s(0x04, "Get Conversion Factor", Struct(
    "earliest_start_time" / UtcTime, "min_issuer_event_id" / Int32ul, "number_of_commands" / Int8ub,
))
"""Get Conversion Factor / Get Calorific Value, Price client->server 0x04/0x05 (SE 1.4 D.4.2.3.5-6)."""

GetEarliestTyped = CLUSTER.c2s(0x06, "Get Tariff Information", Struct(
    "earliest_start_time" / UtcTime, "min_issuer_event_id" / Int32ul, "number_of_commands" / Int8ub,
    "tariff_type" / Int8ub,
))
"""Get Tariff Information / Get Billing Period, Price client->server 0x06/0x0B (SE 1.4 D.4.2.3.7, D.4.2.3.12)."""

GetByTariff = CLUSTER.c2s(0x07, "Get Price Matrix", Struct("issuer_tariff_id" / Int32ul))
"""Get Price Matrix / Get Block Thresholds / Get Tier Labels, Price client->server 0x07/0x08/0x0A."""

CLUSTER.c2s(0x05, "Get Calorific Value", GetEarliestCommands)
CLUSTER.c2s(0x08, "Get Block Thresholds", GetByTariff)
CLUSTER.c2s(0x0A, "Get Tier Labels", GetByTariff)
CLUSTER.c2s(0x0B, "Get Billing Period", GetEarliestTyped)

CLUSTER_ID, COMMANDS = CLUSTER.cluster_id, CLUSTER.commands
"""Price commands by (direction, command id) (SE 1.4 D.4)."""
