"""Price cluster 0x0700 command payloads (ZigBee SE 1.4 D.4); integers little-endian.

:data:`COMMANDS` maps (direction, command id) to (name, grammar); GBCS encodes pushes to the
meter as server-to-client "Publish ..." commands (GBCS 7.5).
"""

from __future__ import annotations

from construct import Construct, GreedyRange, Int8ub, Int16ul, Int24ul, Int32ul, Struct

from smets_emu.protocols.payloads.zcl_fields import (
    PROVIDER_AND_EVENT_IDS,
    Int48ul,
    OctetString,
    TrailingOptional,
    UtcTime,
    ZclDirection,
)

CLUSTER_ID = 0x0700
C2S = ZclDirection.CLIENT_TO_SERVER
S2C = ZclDirection.SERVER_TO_CLIENT

PublishPrice = Struct(
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
)
"""Publish Price, Price server->client 0x00 (SE 1.4 D.4.2.4.1); later fields optional at the end."""

PublishBlockPeriod = Struct(
    *PROVIDER_AND_EVENT_IDS,
    "block_period_start_time" / UtcTime,
    "block_period_duration" / Int24ul,
    "block_period_control" / Int8ub,
    "block_period_duration_type" / Int8ub,
    "tariff_type" / TrailingOptional(Int8ub),
    "tariff_resolution_period" / TrailingOptional(Int8ub),
)
"""Publish Block Period, Price server->client 0x01 (SE 1.4 D.4.2.4.2)."""

PublishConversionFactor = Struct(
    "issuer_event_id" / Int32ul,
    "start_time" / UtcTime,
    "conversion_factor" / Int32ul,
    "conversion_factor_trailing_digit" / Int8ub,
)
"""Publish Conversion Factor, Price server->client 0x02 (SE 1.4 D.4.2.4.3)."""

PublishCalorificValue = Struct(
    "issuer_event_id" / Int32ul,
    "start_time" / UtcTime,
    "calorific_value" / Int32ul,
    "calorific_value_unit" / Int8ub,
    "calorific_value_trailing_digit" / Int8ub,
)
"""Publish Calorific Value, Price server->client 0x03 (SE 1.4 D.4.2.4.4)."""

PublishTariffInformation = Struct(
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
)
"""Publish Tariff Information, Price server->client 0x04 (SE 1.4 D.4.2.4.5)."""

PublishPriceMatrix = Struct(
    *PROVIDER_AND_EVENT_IDS,
    "start_time" / UtcTime,
    "issuer_tariff_id" / Int32ul,
    "command_index" / Int8ub,
    "total_number_of_commands" / Int8ub,
    "sub_payload_control" / Int8ub,
    "tier_block_prices" / GreedyRange(Struct("tier_block_id" / Int8ub, "price" / Int32ul)),
)
"""Publish Price Matrix, Price server->client 0x05 (SE 1.4 D.4.2.4.6)."""

PublishBlockThresholds = Struct(
    *PROVIDER_AND_EVENT_IDS,
    "start_time" / UtcTime,
    "issuer_tariff_id" / Int32ul,
    "command_index" / Int8ub,
    "total_number_of_commands" / Int8ub,
    "sub_payload_control" / Int8ub,
    "tiers" / GreedyRange(Struct(
        "tier_and_threshold_count" / Int8ub,
        "thresholds" / Int48ul[lambda ctx: ctx.tier_and_threshold_count & 0x0F],
    )),
)
"""Publish Block Thresholds, Price server->client 0x06 (SE 1.4 D.4.2.4.7): tier nibble, count nibble."""

PublishBillingPeriod = Struct(
    *PROVIDER_AND_EVENT_IDS,
    "billing_period_start_time" / UtcTime,
    "billing_period_duration" / Int24ul,
    "billing_period_duration_type" / Int8ub,
    "tariff_type" / Int8ub,
)
"""Publish Billing Period, Price server->client 0x09 (SE 1.4 D.4.2.4.10)."""

GetCurrentPrice = Struct("command_options" / Int8ub)
"""Get Current Price, Price client->server 0x00 (SE 1.4 D.4.2.3.1)."""

GetScheduledPrices = Struct("start_time" / UtcTime, "number_of_events" / Int8ub)
"""Get Scheduled Prices, Price client->server 0x01 (SE 1.4 D.4.2.3.2)."""

GetBlockPeriods = Struct("start_time" / UtcTime, "number_of_events" / Int8ub, "tariff_type" / Int8ub)
"""Get Block Period(s), Price client->server 0x03 (SE 1.4 D.4.2.3.4)."""

GetEarliestCommands = Struct(
    "earliest_start_time" / UtcTime, "min_issuer_event_id" / Int32ul, "number_of_commands" / Int8ub,
)
"""Get Conversion Factor / Get Calorific Value, Price client->server 0x04/0x05 (SE 1.4 D.4.2.3.5-6)."""

GetEarliestTyped = Struct(
    "earliest_start_time" / UtcTime, "min_issuer_event_id" / Int32ul, "number_of_commands" / Int8ub,
    "tariff_type" / Int8ub,
)
"""Get Tariff Information / Get Billing Period, Price client->server 0x06/0x0B (SE 1.4 D.4.2.3.7, D.4.2.3.12)."""

GetByTariff = Struct("issuer_tariff_id" / Int32ul)
"""Get Price Matrix / Get Block Thresholds / Get Tier Labels, Price client->server 0x07/0x08/0x0A."""

COMMANDS: dict[tuple[ZclDirection, int], tuple[str, Construct]] = {
    (C2S, 0x00): ("Get Current Price", GetCurrentPrice),
    (C2S, 0x01): ("Get Scheduled Prices", GetScheduledPrices),
    (C2S, 0x03): ("Get Block Periods", GetBlockPeriods),
    (C2S, 0x04): ("Get Conversion Factor", GetEarliestCommands),
    (C2S, 0x05): ("Get Calorific Value", GetEarliestCommands),
    (C2S, 0x06): ("Get Tariff Information", GetEarliestTyped),
    (C2S, 0x07): ("Get Price Matrix", GetByTariff),
    (C2S, 0x08): ("Get Block Thresholds", GetByTariff),
    (C2S, 0x0A): ("Get Tier Labels", GetByTariff),
    (C2S, 0x0B): ("Get Billing Period", GetEarliestTyped),
    (S2C, 0x00): ("Publish Price", PublishPrice),
    (S2C, 0x01): ("Publish Block Period", PublishBlockPeriod),
    (S2C, 0x02): ("Publish Conversion Factor", PublishConversionFactor),
    (S2C, 0x03): ("Publish Calorific Value", PublishCalorificValue),
    (S2C, 0x04): ("Publish Tariff Information", PublishTariffInformation),
    (S2C, 0x05): ("Publish Price Matrix", PublishPriceMatrix),
    (S2C, 0x06): ("Publish Block Thresholds", PublishBlockThresholds),
    (S2C, 0x09): ("Publish Billing Period", PublishBillingPeriod),
}
"""Price commands by (direction, command id) (SE 1.4 D.4)."""
