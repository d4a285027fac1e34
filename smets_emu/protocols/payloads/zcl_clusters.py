"""Cluster-specific ZCL command payloads of the Smart Energy clusters GBCS uses (ZigBee SE 1.4).

Each command payload is one named construct; integers are little-endian. The registry maps
(cluster id, direction, command id) to (name, grammar); profile-wide commands come from
:mod:`smets_emu.protocols.payloads.zcl`. Clusters: Basic 0x0000, Price 0x0700 (SE D.4),
Metering 0x0702 (SE D.3), Messaging 0x0703 (SE D.5), Prepayment 0x0705 (SE D.7),
Calendar 0x0707 (SE D.9), Device Management 0x0708 (SE D.10), Events 0x0709 (SE D.11).
Direction names follow ZCL: client-to-server commands are "received" by the server;
GBCS encodes pushes to the meter as server-to-client "Publish ..." commands (GBCS 7.5).
"""

from __future__ import annotations

from typing import Any

from construct import (
    Adapter,
    Array,
    BytesInteger,
    Construct,
    ConstructError,
    Container,
    FocusedSeq,
    FormatField,
    GreedyBytes,
    GreedyRange,
    Int8ub,
    Int16ul,
    Int24ul,
    Int32sl,
    Int32ul,
    PrefixedArray,
    Renamed,
    Struct,
    Subconstruct,
    Switch,
    Terminated,
    stream_seek,
    stream_tell,
    stream_write,
    this,
)
from construct.core import BytesInteger as BytesIntegerClass

from smets_emu.errors import EncodeError
from smets_emu.protocols.payloads.construct_fast import Reader, Writer, fast_codec
from smets_emu.protocols.payloads.zcl import (
    PROFILE_WIDE_COMMANDS,
    CharacterString,
    HexAdapter,
    Latin1Adapter,
    OctetString,
    UtcTime,
    UtcTimeAdapter,
    ZclDate,
    ZclDirection,
    ZclFrameType,
    ZclHeader,
    plain,
)

Int48ul = BytesInteger(6, signed=False, swapped=True)
"""ZCL uint48, little-endian."""

C2S = ZclDirection.CLIENT_TO_SERVER
S2C = ZclDirection.SERVER_TO_CLIENT


class TrailingOptional(Subconstruct):
    """A trailing field that later SE revisions appended: absent (None) when the payload ends first."""

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        here = stream_tell(stream, path)
        if not stream.read(1):
            return None
        stream_seek(stream, here, 0, path)
        return self.subcon._parsereport(stream, context, path)

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        if obj is None:
            return None
        return self.subcon._build(obj, stream, context, path)

    def _sizeof(self, context: Any, path: str) -> int:
        raise ConstructError("trailing optional field has no fixed size", path=path)


class HexRest(Construct):
    """The rest of the payload as hex (sub-payloads whose shape depends on a type field)."""

    def _parse(self, stream: Any, context: Any, path: str) -> str:
        return GreedyBytes._parse(stream, context, path).hex().upper()

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        data = HexAdapter(GreedyBytes)._encode(obj, context, path)
        stream_write(stream, data, len(data), path)
        return obj


CLUSTER_NAMES: dict[int, str] = {
    0x0000: "Basic", 0x0001: "Power Configuration", 0x0003: "Identify", 0x000A: "Time",
    0x0019: "OTA Upgrade", 0x0700: "Price", 0x0701: "Demand Response and Load Control",
    0x0702: "Metering", 0x0703: "Messaging", 0x0704: "Tunneling", 0x0705: "Prepayment",
    0x0706: "Energy Management", 0x0707: "Calendar", 0x0708: "Device Management", 0x0709: "Events",
    0x070A: "MDU Pairing", 0x070B: "Sub-GHz", 0x0800: "Key Establishment",
}
"""ZigBee cluster identifiers (ZCL 1.1, SE 1.4 Table 5-1)."""


def cluster_name(cluster_id: int) -> str | None:
    """Readable cluster name, or None when unknown."""
    return CLUSTER_NAMES.get(cluster_id)


def _metering_attributes() -> dict[int, str]:
    names = {
        0x0000: "CurrentSummationDelivered", 0x0001: "CurrentSummationReceived",
        0x0002: "CurrentMaxDemandDelivered", 0x0003: "CurrentMaxDemandReceived", 0x0004: "DFTSummation",
        0x0005: "DailyFreezeTime", 0x0006: "PowerFactor", 0x0007: "ReadingSnapshotTime",
        0x000A: "DefaultUpdatePeriod", 0x000B: "FastPollUpdatePeriod",
        0x000C: "CurrentBlockPeriodConsumptionDelivered", 0x000D: "DailyConsumptionTarget",
        0x000E: "CurrentBlock", 0x000F: "ProfileIntervalPeriod", 0x0011: "PresetReadingTime",
        0x0012: "VolumePerReport", 0x0013: "FlowRestriction", 0x0014: "SupplyStatus",
        0x0200: "Status", 0x0201: "RemainingBatteryLife", 0x0202: "HoursInOperation", 0x0203: "HoursInFault",
        0x0204: "ExtendedStatus", 0x0205: "RemainingBatteryLifeInDays", 0x0206: "CurrentMeterID",
        0x0207: "AmbientConsumptionIndicator",
        0x0300: "UnitOfMeasure", 0x0301: "Multiplier", 0x0302: "Divisor", 0x0303: "SummationFormatting",
        0x0304: "DemandFormatting", 0x0305: "HistoricalConsumptionFormatting", 0x0306: "MeteringDeviceType",
        0x0307: "SiteID", 0x0308: "MeterSerialNumber", 0x0309: "EnergyCarrierUnitOfMeasure",
        0x0400: "InstantaneousDemand", 0x0401: "CurrentDayConsumptionDelivered",
        0x0402: "CurrentDayConsumptionReceived", 0x0403: "PreviousDayConsumptionDelivered",
        0x0404: "PreviousDayConsumptionReceived",
        0x0600: "MaxNumberOfPeriodsDelivered", 0x0601: "CurrentDemandDelivered", 0x0602: "DemandLimit",
        0x0603: "DemandIntegrationPeriod", 0x0604: "NumberOfDemandSubintervals",
        0x0605: "DemandLimitArmDuration", 0x0606: "LoadLimitSupplyState", 0x0607: "LoadLimitCounter",
        0x0608: "SupplyTamperState", 0x0609: "SupplyDepletionState", 0x060A: "SupplyUncontrolledFlowState",
        0x0A00: "BillToDateDelivered", 0x0A01: "BillToDateTimeStampDelivered", 0x0A02: "ProjectedBillDelivered",
        0x0A03: "ProjectedBillTimeStampDelivered", 0x0A04: "BillDeliveredTrailingDigit",
        0x0B00: "ProposedChangeSupplyImplementationTime", 0x0B01: "ProposedChangeSupplyStatus",
        0x0B10: "UncontrolledFlowThreshold", 0x0B11: "UncontrolledFlowThresholdUnitOfMeasure",
        0x0B12: "UncontrolledFlowMultiplier", 0x0B13: "UncontrolledFlowDivisor",
        0x0B14: "FlowStabilisationPeriod", 0x0B15: "FlowMeasurementPeriod",
    }
    for tier in range(1, 49):
        names[0x0100 + 2 * (tier - 1)] = f"CurrentTier{tier}SummationDelivered"
        names[0x0101 + 2 * (tier - 1)] = f"CurrentTier{tier}SummationReceived"
    for block in range(1, 17):
        names[0x0700 + block - 1] = f"CurrentNoTierBlock{block}SummationDelivered"
        for tier in range(1, 16):
            names[0x0700 + 0x10 * tier + block - 1] = f"CurrentTier{tier}Block{block}SummationDelivered"
    return names


def _price_attributes() -> dict[int, str]:
    names = {
        0x0200: "StartOfBlockPeriod", 0x0201: "BlockPeriodDuration", 0x0202: "ThresholdMultiplier",
        0x0203: "ThresholdDivisor", 0x0204: "BlockPeriodDurationType",
        0x0300: "CommodityType", 0x0301: "StandingCharge", 0x0302: "ConversionFactor",
        0x0303: "ConversionFactorTrailingDigit", 0x0304: "CalorificValue", 0x0305: "CalorificValueUnit",
        0x0306: "CalorificValueTrailingDigit",
        0x0610: "TariffLabel", 0x0611: "NumberOfPriceTiersInUse", 0x0612: "NumberOfBlockThresholdsInUse",
        0x0613: "TierBlockMode", 0x0615: "UnitOfMeasure", 0x0616: "Currency", 0x0617: "PriceTrailingDigit",
        0x0619: "TariffResolutionPeriod",
    }
    for tier in range(1, 49):
        names[tier - 1] = f"Tier{tier}PriceLabel"
    for block in range(1, 16):
        names[0x0100 + block - 1] = f"Block{block}Threshold"
    for block in range(1, 17):
        names[0x0400 + block - 1] = f"NoTierBlock{block}Price"
        for tier in range(1, 16):
            names[0x0400 + 0x10 * tier + block - 1] = f"Tier{tier}Block{block}Price"
    return names


def _prepayment_attributes() -> dict[int, str]:
    names = {
        0x0000: "PaymentControlConfiguration", 0x0001: "CreditRemaining", 0x0002: "EmergencyCreditRemaining",
        0x0003: "CreditStatus", 0x0004: "CreditRemainingTimeStamp", 0x0005: "AccumulatedDebt",
        0x0006: "OverallDebtCap", 0x0010: "EmergencyCreditLimitAllowance", 0x0011: "EmergencyCreditThreshold",
        0x0020: "TotalCreditAdded", 0x0021: "MaxCreditLimit", 0x0022: "MaxCreditPerTopUp",
        0x0030: "FriendlyCreditWarning", 0x0031: "LowCreditWarningLevel", 0x0032: "IHDLowCreditWarningLevel",
        0x0033: "InterruptSuspendTime", 0x0034: "RemainingFriendlyCreditTime", 0x0035: "NextFriendlyCreditPeriod",
        0x0040: "CutOffValue", 0x0080: "TokenCarrierID",
    }
    for n in range(1, 6):
        names[0x0100 + 0x10 * (n - 1)] = f"TopUpDateTime{n}"
        names[0x0101 + 0x10 * (n - 1)] = f"TopUpAmount{n}"
        names[0x0102 + 0x10 * (n - 1)] = f"OriginatingDevice{n}"
        names[0x0103 + 0x10 * (n - 1)] = f"TopUpCode{n}"
    for n in range(1, 4):
        base = 0x0210 + 0x10 * (n - 1)
        for offset, label in ((0, "DebtLabel"), (1, "DebtAmount"), (2, "DebtRecoveryMethod"),
                              (3, "DebtRecoveryStartTime"), (4, "DebtRecoveryCollectionTime"),
                              (6, "DebtRecoveryFrequency"), (7, "DebtRecoveryAmount"),
                              (9, "DebtRecoveryTopUpPercentage")):
            names[base + offset] = f"{label}{n}"
    return names


ATTRIBUTE_NAMES: dict[int, dict[int, str]] = {
    0x0000: {
        0x0000: "ZCLVersion", 0x0001: "ApplicationVersion", 0x0002: "StackVersion", 0x0003: "HWVersion",
        0x0004: "ManufacturerName", 0x0005: "ModelIdentifier", 0x0006: "DateCode", 0x0007: "PowerSource",
        0x4000: "SWBuildID",
    },
    0x0700: _price_attributes(),
    0x0702: _metering_attributes(),
    0x0705: _prepayment_attributes(),
}
"""Attribute names per cluster (ZCL 3.2, SE 1.4 D.3-D.7)."""


def attribute_name(cluster_id: int, attribute_id: int) -> str | None:
    """Readable attribute name, or None when unknown."""
    return ATTRIBUTE_NAMES.get(cluster_id, {}).get(attribute_id)


_ids = ("provider_id" / Int32ul, "issuer_event_id" / Int32ul)

# --- Price cluster (SE 1.4 D.4) -----------------------------------------------------------

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
    *_ids,
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
    *_ids,
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
    *_ids,
    "start_time" / UtcTime,
    "issuer_tariff_id" / Int32ul,
    "command_index" / Int8ub,
    "total_number_of_commands" / Int8ub,
    "sub_payload_control" / Int8ub,
    "tier_block_prices" / GreedyRange(Struct("tier_block_id" / Int8ub, "price" / Int32ul)),
)
"""Publish Price Matrix, Price server->client 0x05 (SE 1.4 D.4.2.4.6)."""

PublishBlockThresholds = Struct(
    *_ids,
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
    *_ids,
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

# --- Metering cluster (SE 1.4 D.3) ------------------------------------------------------

GetProfile = Struct("interval_channel" / Int8ub, "end_time" / UtcTime, "number_of_periods" / Int8ub)
"""Get Profile, Metering client->server 0x00 (SE 1.4 D.3.2.3.1)."""

GetProfileResponse = Struct(
    "end_time" / UtcTime, "status" / Int8ub, "profile_interval_period" / Int8ub,
    "number_of_periods_delivered" / Int8ub, "intervals" / GreedyRange(Int24ul),
)
"""Get Profile Response, Metering server->client 0x00 (SE 1.4 D.3.2.4.1)."""

RequestFastPollMode = Struct("fast_poll_update_period" / Int8ub, "duration_in_minutes" / Int8ub)
"""Request Fast Poll Mode, Metering client->server 0x03 (SE 1.4 D.3.2.3.4)."""

TakeSnapshot = Struct("snapshot_cause" / Int32ul)
"""Take Snapshot, Metering client->server 0x05 (SE 1.4 D.3.2.3.6)."""

GetSnapshot = Struct(
    "earliest_start_time" / UtcTime,
    "latest_end_time" / UtcTime,
    "snapshot_offset" / Int8ub,
    "snapshot_cause" / Int32ul,
)
"""Get Snapshot (Metering 0x06) and Get Prepay Snapshot (Prepayment 0x07), client->server (SE 1.4 D.3.2.3.7)."""

StartSampling = Struct(
    "issuer_event_id" / Int32ul,
    "start_sampling_time" / UtcTime,
    "sample_type" / Int8ub,
    "sample_request_interval" / Int16ul,
    "max_number_of_samples" / Int16ul,
)
"""Start Sampling, Metering client->server 0x07 (SE 1.4 D.3.2.3.8)."""

GetSampledData = Struct(
    "sample_id" / Int16ul,
    "earliest_sample_time" / UtcTime,
    "sample_type" / Int8ub,
    "number_of_samples" / Int16ul,
)
"""Get Sampled Data, Metering client->server 0x08 (SE 1.4 D.3.2.3.9)."""

ResetLoadLimitCounter = Struct(*_ids)
"""Reset Load Limit Counter, Metering client->server 0x0A (SE 1.4 D.3.2.3.11)."""

ChangeSupply = Struct(
    *_ids,
    "request_date_time" / UtcTime,
    "implementation_date_time" / UtcTime,
    "proposed_supply_status" / Int8ub,
    "supply_control_bits" / Int8ub,
)
"""Change Supply, Metering client->server 0x0B (SE 1.4 D.3.2.3.12)."""

LocalChangeSupply = Struct("proposed_supply_status" / Int8ub)
"""Local Change Supply, Metering client->server 0x0C (SE 1.4 D.3.2.3.13)."""

SetSupplyStatus = Struct(
    "issuer_event_id" / Int32ul,
    "supply_tamper_state" / Int8ub,
    "supply_depletion_state" / Int8ub,
    "supply_uncontrolled_flow_state" / Int8ub,
    "load_limit_supply_state" / Int8ub,
)
"""Set Supply Status, Metering client->server 0x0D (SE 1.4 D.3.2.3.14)."""

SetUncontrolledFlowThreshold = Struct(
    *_ids,
    "uncontrolled_flow_threshold" / Int16ul,
    "unit_of_measure" / Int8ub,
    "multiplier" / Int16ul,
    "divisor" / Int16ul,
    "stabilisation_period" / Int8ub,
    "measurement_period" / Int16ul,
)
"""Set Uncontrolled Flow Threshold, Metering client->server 0x0E (SE 1.4 D.3.2.3.15)."""

PublishSnapshot = Struct(
    "snapshot_id" / Int32ul,
    "snapshot_time" / UtcTime,
    "total_snapshots_found" / Int8ub,
    "command_index" / Int8ub,
    "total_number_of_commands" / Int8ub,
    "snapshot_cause" / Int32ul,
    "snapshot_payload_type" / Int8ub,
    "snapshot_payload" / HexRest(),
)
"""Publish Snapshot (Metering 0x06) / Publish Prepay Snapshot (Prepayment 0x01), server->client.

SE 1.4 D.3.2.4.7 / D.7.2.4.1; the sub-payload depends on the payload type and is kept as hex.
"""

GetSampledDataResponse = Struct(
    "sample_id" / Int16ul,
    "sample_start_time" / UtcTime,
    "sample_type" / Int8ub,
    "sample_request_interval" / Int16ul,
    "number_of_samples" / Int16ul,
    "samples" / GreedyRange(Int24ul),
)
"""Get Sampled Data Response, Metering server->client 0x07 (SE 1.4 D.3.2.4.8)."""

SupplyStatusResponse = Struct(
    *_ids,
    "implementation_date_time" / UtcTime,
    "supply_status" / Int8ub,
)
"""Supply Status Response, Metering server->client 0x0C (SE 1.4 D.3.2.4.13)."""

StartSamplingResponse = Struct("sample_id" / Int16ul)
"""Start Sampling Response, Metering server->client 0x0D (SE 1.4 D.3.2.4.14)."""

# --- Messaging cluster (SE 1.4 D.5) -----------------------------------------------------

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

# --- Prepayment cluster (SE 1.4 D.7) ----------------------------------------------------

SelectAvailableEmergencyCredit = Struct("command_issue_date_time" / UtcTime, "originating_device" / Int8ub)
"""Select Available Emergency Credit, Prepayment client->server 0x00 (SE 1.4 D.7.2.3.1)."""

ChangeDebt = Struct(
    "issuer_event_id" / Int32ul,
    "debt_label" / OctetString,
    "debt_amount" / Int32sl,
    "debt_recovery_method" / Int8ub,
    "debt_amount_type" / Int8ub,
    "debt_recovery_start_time" / UtcTime,
    "debt_recovery_collection_time" / Int16ul,
    "debt_recovery_frequency" / Int8ub,
    "debt_recovery_amount" / Int32sl,
    "debt_recovery_balance_percentage" / Int16ul,
)
"""Change Debt, Prepayment client->server 0x02 (SE 1.4 D.7.2.3.3)."""

EmergencyCreditSetup = Struct(
    "issuer_event_id" / Int32ul,
    "start_time" / UtcTime,
    "emergency_credit_limit" / Int32ul,
    "emergency_credit_threshold" / Int32ul,
)
"""Emergency Credit Setup, Prepayment client->server 0x03 (SE 1.4 D.7.2.3.4)."""

ConsumerTopUp = Struct("originating_device" / Int8ub, "top_up_code" / CharacterString)
"""Consumer Top Up, Prepayment client->server 0x04 (SE 1.4 D.7.2.3.5): the UTRN digits (GBCS 14)."""

CreditAdjustment = Struct(
    "issuer_event_id" / Int32ul,
    "start_time" / UtcTime,
    "credit_adjustment_type" / Int8ub,
    "credit_adjustment_value" / Int32sl,
)
"""Credit Adjustment, Prepayment client->server 0x05 (SE 1.4 D.7.2.3.6)."""

ChangePaymentMode = Struct(
    *_ids,
    "implementation_date_time" / UtcTime,
    "proposed_payment_control_configuration" / Int16ul,
    "cut_off_value" / Int32sl,
)
"""Change Payment Mode, Prepayment client->server 0x06 (SE 1.4 D.7.2.3.7)."""

GetTopUpLog = Struct("latest_end_time" / UtcTime, "number_of_records" / Int8ub)
"""Get Top Up Log, Prepayment client->server 0x08 (SE 1.4 D.7.2.3.9)."""

SetLowCreditWarningLevel = Struct("low_credit_warning_level" / Int32ul)
"""Set Low Credit Warning Level, Prepayment client->server 0x09 (SE 1.4 D.7.2.3.10)."""

GetDebtRepaymentLog = Struct("latest_end_time" / UtcTime, "number_of_debts" / Int8ub, "debt_type" / Int8ub)
"""Get Debt Repayment Log, Prepayment client->server 0x0A (SE 1.4 D.7.2.3.11)."""

SetMaximumCreditLimit = Struct(
    *_ids,
    "implementation_date_time" / UtcTime,
    "maximum_credit_level" / Int32ul,
    "maximum_credit_per_top_up" / Int32ul,
)
"""Set Maximum Credit Limit, Prepayment client->server 0x0B (SE 1.4 D.7.2.3.12)."""

SetOverallDebtCap = Struct(*_ids, "implementation_date_time" / UtcTime, "overall_debt_cap" / Int32sl)
"""Set Overall Debt Cap, Prepayment client->server 0x0C (SE 1.4 D.7.2.3.13)."""

ChangePaymentModeResponse = Struct(
    "friendly_credit" / Int8ub,
    "friendly_credit_calendar_id" / Int32ul,
    "emergency_credit_limit" / Int32ul,
    "emergency_credit_threshold" / Int32ul,
)
"""Change Payment Mode Response, Prepayment server->client 0x02 (SE 1.4 D.7.2.4.2)."""

ConsumerTopUpResponse = Struct(
    "result_type" / Int8ub,
    "top_up_value" / Int32sl,
    "source_of_top_up" / Int8ub,
    "credit_remaining" / Int32sl,
)
"""Consumer Top Up Response, Prepayment server->client 0x03 (SE 1.4 D.7.2.4.3)."""

PublishTopUpLog = Struct(
    "command_index" / Int8ub,
    "total_number_of_commands" / Int8ub,
    "top_ups" / GreedyRange(Struct(
        "top_up_code" / CharacterString, "top_up_amount" / Int32sl, "top_up_time" / UtcTime,
    )),
)
"""Publish Top Up Log, Prepayment server->client 0x05 (SE 1.4 D.7.2.4.5)."""

PublishDebtLog = Struct(
    "command_index" / Int8ub,
    "total_number_of_commands" / Int8ub,
    "debts" / GreedyRange(Struct(
        "collection_time" / UtcTime, "amount_collected" / Int32ul, "debt_type" / Int8ub,
        "outstanding_debt" / Int32ul,
    )),
)
"""Publish Debt Log, Prepayment server->client 0x06 (SE 1.4 D.7.2.4.6)."""

# --- Calendar cluster (SE 1.4 D.9) ------------------------------------------------------

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

# --- Device Management cluster (SE 1.4 D.10) --------------------------------------------

PublishChangeOfTenancy = Struct(
    *_ids,
    "tariff_type" / Int8ub,
    "implementation_date_time" / UtcTime,
    "proposed_tenancy_change_control" / Int32ul,
)
"""Publish Change of Tenancy, Device Management server->client 0x00 (SE 1.4 D.10.2.4.1)."""

PublishChangeOfSupplier = Struct(
    "current_provider_id" / Int32ul,
    "issuer_event_id" / Int32ul,
    "tariff_type" / Int8ub,
    "proposed_provider_id" / Int32ul,
    "provider_change_implementation_time" / UtcTime,
    "provider_change_control" / Int32ul,
    "proposed_provider_name" / OctetString,
    "proposed_provider_contact_details" / OctetString,
)
"""Publish Change of Supplier, Device Management server->client 0x01 (SE 1.4 D.10.2.4.2)."""

RequestNewPasswordResponse = Struct(
    "issuer_event_id" / Int32ul,
    "implementation_date_time" / UtcTime,
    "duration_in_minutes" / Int16ul,
    "password_type" / Int8ub,
    "password" / OctetString,
)
"""Request New Password Response, Device Management server->client 0x02 (SE 1.4 D.10.2.4.3)."""

UpdateSiteId = Struct(
    "issuer_event_id" / Int32ul, "site_id_time" / UtcTime, "provider_id" / Int32ul, "site_id" / OctetString,
)
"""Update SiteID, Device Management server->client 0x03 (SE 1.4 D.10.2.4.4)."""

SetEventConfiguration = Struct(
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
)
"""Set Event Configuration, Device Management server->client 0x04 (SE 1.4 D.10.2.4.5).

The selection depends on the configuration control: 0 a list of event ids, 1 an event group
id, 2 a log type, 3 a configuration value to match.
"""

GetEventConfiguration = Struct("event_id" / Int16ul)
"""Get Event Configuration, Device Management server->client 0x05 (SE 1.4 D.10.2.4.6)."""

UpdateCin = Struct(
    "issuer_event_id" / Int32ul, "cin_implementation_time" / UtcTime, "provider_id" / Int32ul,
    "customer_id_number" / OctetString,
)
"""Update CIN, Device Management server->client 0x06 (SE 1.4 D.10.2.4.7)."""

RequestNewPassword = Struct("password_type" / Int8ub)
"""Request New Password, Device Management client->server 0x02 (SE 1.4 D.10.2.3.3)."""

ReportEventConfiguration = Struct(
    "command_index" / Int8ub,
    "total_number_of_commands" / Int8ub,
    "events" / GreedyRange(Struct("event_id" / Int16ul, "event_configuration" / Int8ub)),
)
"""Report Event Configuration, Device Management client->server 0x04 (SE 1.4 D.10.2.3.5)."""

Empty = Struct()
"""A command without payload."""

# --- Events cluster (SE 1.4 D.11) -------------------------------------------------------

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

# --- registry ---------------------------------------------------------------------------

CLUSTER_COMMANDS: dict[tuple[int, ZclDirection, int], tuple[str, Construct]] = {
    # Price
    (0x0700, C2S, 0x00): ("Get Current Price", GetCurrentPrice),
    (0x0700, C2S, 0x01): ("Get Scheduled Prices", GetScheduledPrices),
    (0x0700, C2S, 0x03): ("Get Block Periods", GetBlockPeriods),
    (0x0700, C2S, 0x04): ("Get Conversion Factor", GetEarliestCommands),
    (0x0700, C2S, 0x05): ("Get Calorific Value", GetEarliestCommands),
    (0x0700, C2S, 0x06): ("Get Tariff Information", GetEarliestTyped),
    (0x0700, C2S, 0x07): ("Get Price Matrix", GetByTariff),
    (0x0700, C2S, 0x08): ("Get Block Thresholds", GetByTariff),
    (0x0700, C2S, 0x0A): ("Get Tier Labels", GetByTariff),
    (0x0700, C2S, 0x0B): ("Get Billing Period", GetEarliestTyped),
    (0x0700, S2C, 0x00): ("Publish Price", PublishPrice),
    (0x0700, S2C, 0x01): ("Publish Block Period", PublishBlockPeriod),
    (0x0700, S2C, 0x02): ("Publish Conversion Factor", PublishConversionFactor),
    (0x0700, S2C, 0x03): ("Publish Calorific Value", PublishCalorificValue),
    (0x0700, S2C, 0x04): ("Publish Tariff Information", PublishTariffInformation),
    (0x0700, S2C, 0x05): ("Publish Price Matrix", PublishPriceMatrix),
    (0x0700, S2C, 0x06): ("Publish Block Thresholds", PublishBlockThresholds),
    (0x0700, S2C, 0x09): ("Publish Billing Period", PublishBillingPeriod),
    # Metering
    (0x0702, C2S, 0x00): ("Get Profile", GetProfile),
    (0x0702, C2S, 0x03): ("Request Fast Poll Mode", RequestFastPollMode),
    (0x0702, C2S, 0x05): ("Take Snapshot", TakeSnapshot),
    (0x0702, C2S, 0x06): ("Get Snapshot", GetSnapshot),
    (0x0702, C2S, 0x07): ("Start Sampling", StartSampling),
    (0x0702, C2S, 0x08): ("Get Sampled Data", GetSampledData),
    (0x0702, C2S, 0x0A): ("Reset Load Limit Counter", ResetLoadLimitCounter),
    (0x0702, C2S, 0x0B): ("Change Supply", ChangeSupply),
    (0x0702, C2S, 0x0C): ("Local Change Supply", LocalChangeSupply),
    (0x0702, C2S, 0x0D): ("Set Supply Status", SetSupplyStatus),
    (0x0702, C2S, 0x0E): ("Set Uncontrolled Flow Threshold", SetUncontrolledFlowThreshold),
    (0x0702, S2C, 0x00): ("Get Profile Response", GetProfileResponse),
    (0x0702, S2C, 0x06): ("Publish Snapshot", PublishSnapshot),
    (0x0702, S2C, 0x07): ("Get Sampled Data Response", GetSampledDataResponse),
    (0x0702, S2C, 0x0C): ("Supply Status Response", SupplyStatusResponse),
    (0x0702, S2C, 0x0D): ("Start Sampling Response", StartSamplingResponse),
    # Messaging
    (0x0703, C2S, 0x00): ("Get Last Message", Empty),
    (0x0703, C2S, 0x01): ("Message Confirmation", MessageConfirmation),
    (0x0703, S2C, 0x00): ("Display Message", DisplayMessage),
    (0x0703, S2C, 0x01): ("Cancel Message", CancelMessage),
    (0x0703, S2C, 0x02): ("Display Protected Message", DisplayMessage),
    (0x0703, S2C, 0x03): ("Cancel All Messages", CancelAllMessages),
    # Prepayment
    (0x0705, C2S, 0x00): ("Select Available Emergency Credit", SelectAvailableEmergencyCredit),
    (0x0705, C2S, 0x02): ("Change Debt", ChangeDebt),
    (0x0705, C2S, 0x03): ("Emergency Credit Setup", EmergencyCreditSetup),
    (0x0705, C2S, 0x04): ("Consumer Top Up", ConsumerTopUp),
    (0x0705, C2S, 0x05): ("Credit Adjustment", CreditAdjustment),
    (0x0705, C2S, 0x06): ("Change Payment Mode", ChangePaymentMode),
    (0x0705, C2S, 0x07): ("Get Prepay Snapshot", GetSnapshot),
    (0x0705, C2S, 0x08): ("Get Top Up Log", GetTopUpLog),
    (0x0705, C2S, 0x09): ("Set Low Credit Warning Level", SetLowCreditWarningLevel),
    (0x0705, C2S, 0x0A): ("Get Debt Repayment Log", GetDebtRepaymentLog),
    (0x0705, C2S, 0x0B): ("Set Maximum Credit Limit", SetMaximumCreditLimit),
    (0x0705, C2S, 0x0C): ("Set Overall Debt Cap", SetOverallDebtCap),
    (0x0705, S2C, 0x01): ("Publish Prepay Snapshot", PublishSnapshot),
    (0x0705, S2C, 0x02): ("Change Payment Mode Response", ChangePaymentModeResponse),
    (0x0705, S2C, 0x03): ("Consumer Top Up Response", ConsumerTopUpResponse),
    (0x0705, S2C, 0x05): ("Publish Top Up Log", PublishTopUpLog),
    (0x0705, S2C, 0x06): ("Publish Debt Log", PublishDebtLog),
    # Calendar
    (0x0707, C2S, 0x00): ("Get Calendar", GetCalendar),
    (0x0707, C2S, 0x01): ("Get Day Profiles", GetDayProfiles),
    (0x0707, C2S, 0x02): ("Get Week Profiles", GetWeekProfiles),
    (0x0707, C2S, 0x03): ("Get Seasons", GetSeasons),
    (0x0707, C2S, 0x04): ("Get Special Days", GetSpecialDays),
    (0x0707, C2S, 0x05): ("Get Calendar Cancellation", Empty),
    (0x0707, S2C, 0x00): ("Publish Calendar", PublishCalendar),
    (0x0707, S2C, 0x01): ("Publish Day Profile", PublishDayProfile),
    (0x0707, S2C, 0x02): ("Publish Week Profile", PublishWeekProfile),
    (0x0707, S2C, 0x03): ("Publish Seasons", PublishSeasons),
    (0x0707, S2C, 0x04): ("Publish Special Days", PublishSpecialDays),
    (0x0707, S2C, 0x05): ("Cancel Calendar", CancelCalendar),
    # Device Management
    (0x0708, C2S, 0x00): ("Get Change of Tenancy", Empty),
    (0x0708, C2S, 0x01): ("Get Change of Supplier", Empty),
    (0x0708, C2S, 0x02): ("Request New Password", RequestNewPassword),
    (0x0708, C2S, 0x03): ("Get Site ID", Empty),
    (0x0708, C2S, 0x04): ("Report Event Configuration", ReportEventConfiguration),
    (0x0708, C2S, 0x05): ("Get CIN", Empty),
    (0x0708, S2C, 0x00): ("Publish Change of Tenancy", PublishChangeOfTenancy),
    (0x0708, S2C, 0x01): ("Publish Change of Supplier", PublishChangeOfSupplier),
    (0x0708, S2C, 0x02): ("Request New Password Response", RequestNewPasswordResponse),
    (0x0708, S2C, 0x03): ("Update Site ID", UpdateSiteId),
    (0x0708, S2C, 0x04): ("Set Event Configuration", SetEventConfiguration),
    (0x0708, S2C, 0x05): ("Get Event Configuration", GetEventConfiguration),
    (0x0708, S2C, 0x06): ("Update CIN", UpdateCin),
    # Events
    (0x0709, C2S, 0x00): ("Get Event Log", GetEventLog),
    (0x0709, C2S, 0x01): ("Clear Event Log Request", ClearEventLogRequest),
    (0x0709, S2C, 0x00): ("Publish Event", PublishEvent),
    (0x0709, S2C, 0x01): ("Publish Event Log", PublishEventLog),
    (0x0709, S2C, 0x02): ("Clear Event Log Response", ClearEventLogResponse),
}
"""Cluster-specific command grammars by (cluster, direction, command id) (SE 1.4 Annex D)."""


def command_grammar(cluster_id: int, header: ZclHeader) -> tuple[str | None, Construct | None]:
    """Name and payload grammar of the command a ZCL header announces (None when unknown)."""
    if header.manufacturer_specific:
        return None, None
    if header.frame_type == ZclFrameType.PROFILE_WIDE:
        entry = PROFILE_WIDE_COMMANDS.get(header.command_id)
    elif header.frame_type == ZclFrameType.CLUSTER_SPECIFIC:
        entry = CLUSTER_COMMANDS.get((cluster_id, header.direction, header.command_id))
    else:
        entry = None
    if entry is None:
        return None, None
    return entry


def command_name(cluster_id: int, frame_type: int, direction: int, command_id: int) -> str | None:
    """Readable name of a command, or None when unknown."""
    if frame_type == ZclFrameType.PROFILE_WIDE:
        entry = PROFILE_WIDE_COMMANDS.get(command_id)
    else:
        entry = CLUSTER_COMMANDS.get((cluster_id, ZclDirection(direction & 1), command_id))
    return entry[0] if entry else None


_WHOLE_PAYLOADS: dict[int, tuple[Construct, Construct]] = {}
_FAST_CODECS: dict[int, tuple[Construct, tuple[Reader, Writer] | None]] = {}


def _fast_codec(grammar: Construct) -> tuple[Reader, Writer] | None:
    """The direct reader and writer of *grammar* (see :mod:`.construct_fast`), None when it has none."""
    entry = _FAST_CODECS.get(id(grammar))
    if entry is None or entry[0] is not grammar:
        entry = _FAST_CODECS[id(grammar)] = (grammar, fast_codec(grammar))
    return entry[1]


def _whole_payload(grammar: Construct) -> Construct:
    """*grammar* filling the whole payload, compiled once per grammar (construct's compiler).

    The compiled parser and builder are equivalent to the interpreted ones; a grammar that
    does not compile falls back to the interpreted form.
    """
    entry = _WHOLE_PAYLOADS.get(id(grammar))
    if entry is None or entry[0] is not grammar:
        whole = FocusedSeq("v", "v" / grammar, Terminated)
        try:
            compiled = whole.compile()
        except Exception:  # noqa: BLE001 - any compiler limitation keeps the interpreted form
            compiled = whole
        entry = _WHOLE_PAYLOADS[id(grammar)] = (grammar, compiled)
    return entry[1]


def decode_command(cluster_id: int, header: ZclHeader, payload: bytes) -> dict[str, Any] | None:
    """Decode a command payload into named fields, or None when no grammar fits it byte for byte."""
    _, grammar = command_grammar(cluster_id, header)
    if grammar is None:
        return None
    codec = _fast_codec(grammar)
    if codec is not None:
        try:
            fields, end = codec[0](payload, 0)
        except Exception:  # noqa: BLE001 - any failure simply means "keep the bytes raw"
            return None
        return fields if end == len(payload) else None
    whole = _whole_payload(grammar)
    try:
        fields = plain(whole.parse(payload))
        if whole.build(fields) != payload:
            return None
    except Exception:  # any library failure simply means "keep the bytes raw"
        return None
    return fields


def encode_command(cluster_id: int, header: ZclHeader, fields: dict[str, Any]) -> bytes:
    """Build a command payload from named fields."""
    name, grammar = command_grammar(cluster_id, header)
    if grammar is None:
        raise EncodeError(
            f"no grammar for cluster 0x{cluster_id:04X} command 0x{header.command_id:02X}; give raw payload"
        )
    codec = _fast_codec(grammar)
    if codec is not None:
        try:
            return codec[1](fields)
        except Exception:  # noqa: BLE001, S110 - the construct below rebuilds it or says why not
            pass
    try:
        return grammar.build(fields)
    except Exception as exc:  # construct raises several types for bad field values
        raise EncodeError(f"cannot encode {name}: {exc}") from exc


def annotate(cluster_id: int, header: ZclHeader, fields: Any) -> Any:
    """A copy of decoded fields with informative names (attributes, answered command) added."""
    if isinstance(fields, list):
        return [annotate(cluster_id, header, f) for f in fields]
    if not isinstance(fields, dict):
        return fields
    out = {k: annotate(cluster_id, header, v) for k, v in fields.items()}
    if isinstance(out.get("attribute_id"), int):
        name = attribute_name(cluster_id, out["attribute_id"])
        if name:
            out["attribute"] = name
    ids = out.get("attribute_ids")
    if isinstance(ids, list):
        out["attributes"] = [attribute_name(cluster_id, i) if isinstance(i, int) else None for i in ids]
    if (header.frame_type == ZclFrameType.PROFILE_WIDE and header.command_id == 0x0B
            and isinstance(out.get("command_id"), int)):
        # a Default Response answers a cluster-specific command sent the other way
        answered = CLUSTER_COMMANDS.get((cluster_id, ZclDirection(1 - header.direction), out["command_id"]))
        if answered:
            out["command"] = answered[0]
    return out



def example_fields(grammar: Construct) -> Any:
    """Plausible field values for a cluster command grammar (used by sample builders and tests).

    Integers default to 1, times to 2015-01-01, strings to short text, repeated groups to one entry.
    """
    return _example(grammar, {})


def _example(sc: Any, partial: dict[str, Any]) -> Any:
    if isinstance(sc, Renamed):
        return _example(sc.subcon, partial)
    if isinstance(sc, Struct):
        out: dict[str, Any] = {}
        for sub in sc.subcons:
            if sub.name:
                out[sub.name] = _example(sub, out)
        return out
    if isinstance(sc, TrailingOptional):
        return None
    if isinstance(sc, UtcTimeAdapter):
        return {"utc": 0x1C374A80}
    if isinstance(sc, Latin1Adapter):
        return "GBCS"
    if isinstance(sc, HexAdapter) or isinstance(sc, HexRest):
        return ""
    if isinstance(sc, Adapter):
        return _example(sc.subcon, partial)
    if isinstance(sc, FormatField | BytesIntegerClass):
        return 1
    if isinstance(sc, GreedyRange | Array):
        return [_example(sc.subcon, {})]
    if isinstance(sc, FocusedSeq):
        target = next(sub for sub in sc.subcons if sub.name == sc.parsebuildfrom)
        return _example(target, partial)
    if isinstance(sc, Switch):
        key = sc.keyfunc(Container(partial)) if callable(sc.keyfunc) else sc.keyfunc
        return _example(sc.cases.get(key, sc.default), partial)
    raise TypeError(f"no example for {sc!r}")
