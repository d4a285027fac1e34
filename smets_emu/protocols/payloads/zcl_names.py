"""Readable names of ZigBee clusters and Smart Energy attributes (ZCL 1.1, SE 1.4 Table 5-1, D.3-D.7).

Used to annotate decoded ZCL payloads; an unknown id gives None.
"""

from __future__ import annotations

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


def _numbered(first: int, count: int, step: int, labels: dict[int, str]) -> dict[int, str]:
    """*count* numbered sets of attributes from id *first*, *step* apart; a set has *labels* (offset in the set ->
    name, ``{n}`` standing for the set's number from 1), as SE 1.4 lays out tiers, blocks, top-ups and debts."""
    return {first + step * (n - 1) + offset: text.format(n=n)
            for n in range(1, count + 1) for offset, text in labels.items()}


def _block_grid(first: int, prefix: str, suffix: str) -> dict[int, str]:
    """The block x tier grid from id *first* (SE 1.4 D.3.2.2.8, D.4.2.2.5): no-tier blocks 1-16, then tiers 1-15
    at 0x10 steps, each with blocks 1-16."""
    names = _numbered(first, 16, 1, {0: prefix + "NoTierBlock{n}" + suffix})
    for tier in range(1, 16):
        names |= _numbered(first + 0x10 * tier, 16, 1, {0: f"{prefix}Tier{tier}Block{{n}}{suffix}"})
    return names


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
    names |= _numbered(0x0100, 48, 2, {0: "CurrentTier{n}SummationDelivered", 1: "CurrentTier{n}SummationReceived"})
    return names | _block_grid(0x0700, "Current", "SummationDelivered")


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
    names |= _numbered(0x0000, 48, 1, {0: "Tier{n}PriceLabel"}) | _numbered(0x0100, 15, 1, {0: "Block{n}Threshold"})
    return names | _block_grid(0x0400, "", "Price")


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
    names |= _numbered(0x0100, 5, 0x10, {0: "TopUpDateTime{n}", 1: "TopUpAmount{n}", 2: "OriginatingDevice{n}",
                                          3: "TopUpCode{n}"})
    return names | _numbered(0x0210, 3, 0x10, {
        0: "DebtLabel{n}", 1: "DebtAmount{n}", 2: "DebtRecoveryMethod{n}", 3: "DebtRecoveryStartTime{n}",
        4: "DebtRecoveryCollectionTime{n}", 6: "DebtRecoveryFrequency{n}", 7: "DebtRecoveryAmount{n}",
        9: "DebtRecoveryTopUpPercentage{n}",
    })


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
