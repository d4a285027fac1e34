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
