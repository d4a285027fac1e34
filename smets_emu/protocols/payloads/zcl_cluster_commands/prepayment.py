"""Prepayment cluster 0x0705 command payloads (ZigBee SE 1.4 D.7); integers little-endian."""

from __future__ import annotations

from construct import GreedyRange, Int8ub, Int16ul, Int32sl, Int32ul, Struct

from smets_emu.protocols.payloads.zcl_cluster_commands import ClusterCommands
from smets_emu.protocols.payloads.zcl_cluster_commands.metering import GetSnapshot, PublishSnapshot
from smets_emu.protocols.payloads.zcl_fields import PROVIDER_AND_EVENT_IDS, CharacterString, OctetString, UtcTime

CLUSTER = ClusterCommands(0x0705)

SelectAvailableEmergencyCredit = CLUSTER.c2s(0x00, "Select Available Emergency Credit", Struct(
    "command_issue_date_time" / UtcTime, "originating_device" / Int8ub,
))
"""Select Available Emergency Credit, Prepayment client->server 0x00 (SE 1.4 D.7.2.3.1)."""

ChangeDebt = CLUSTER.c2s(0x02, "Change Debt", Struct(
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
))
"""Change Debt, Prepayment client->server 0x02 (SE 1.4 D.7.2.3.3)."""

EmergencyCreditSetup = CLUSTER.c2s(0x03, "Emergency Credit Setup", Struct(
    "issuer_event_id" / Int32ul,
    "start_time" / UtcTime,
    "emergency_credit_limit" / Int32ul,
    "emergency_credit_threshold" / Int32ul,
))
"""Emergency Credit Setup, Prepayment client->server 0x03 (SE 1.4 D.7.2.3.4)."""

ConsumerTopUp = CLUSTER.c2s(0x04, "Consumer Top Up", Struct(
    "originating_device" / Int8ub, "top_up_code" / CharacterString,
))
"""Consumer Top Up, Prepayment client->server 0x04 (SE 1.4 D.7.2.3.5): the UTRN digits (GBCS 14)."""

CreditAdjustment = CLUSTER.c2s(0x05, "Credit Adjustment", Struct(
    "issuer_event_id" / Int32ul,
    "start_time" / UtcTime,
    "credit_adjustment_type" / Int8ub,
    "credit_adjustment_value" / Int32sl,
))
"""Credit Adjustment, Prepayment client->server 0x05 (SE 1.4 D.7.2.3.6)."""

ChangePaymentMode = CLUSTER.c2s(0x06, "Change Payment Mode", Struct(
    *PROVIDER_AND_EVENT_IDS,
    "implementation_date_time" / UtcTime,
    "proposed_payment_control_configuration" / Int16ul,
    "cut_off_value" / Int32sl,
))
"""Change Payment Mode, Prepayment client->server 0x06 (SE 1.4 D.7.2.3.7)."""

GetTopUpLog = CLUSTER.c2s(0x08, "Get Top Up Log", Struct("latest_end_time" / UtcTime, "number_of_records" / Int8ub))
"""Get Top Up Log, Prepayment client->server 0x08 (SE 1.4 D.7.2.3.9)."""

SetLowCreditWarningLevel = CLUSTER.c2s(0x09, "Set Low Credit Warning Level", Struct(
    "low_credit_warning_level" / Int32ul,
))
"""Set Low Credit Warning Level, Prepayment client->server 0x09 (SE 1.4 D.7.2.3.10)."""

GetDebtRepaymentLog = CLUSTER.c2s(0x0A, "Get Debt Repayment Log", Struct(
    "latest_end_time" / UtcTime, "number_of_debts" / Int8ub, "debt_type" / Int8ub,
))
"""Get Debt Repayment Log, Prepayment client->server 0x0A (SE 1.4 D.7.2.3.11)."""

SetMaximumCreditLimit = CLUSTER.c2s(0x0B, "Set Maximum Credit Limit", Struct(
    *PROVIDER_AND_EVENT_IDS,
    "implementation_date_time" / UtcTime,
    "maximum_credit_level" / Int32ul,
    "maximum_credit_per_top_up" / Int32ul,
))
"""Set Maximum Credit Limit, Prepayment client->server 0x0B (SE 1.4 D.7.2.3.12)."""

SetOverallDebtCap = CLUSTER.c2s(0x0C, "Set Overall Debt Cap", Struct(
    *PROVIDER_AND_EVENT_IDS, "implementation_date_time" / UtcTime, "overall_debt_cap" / Int32sl,
))
"""Set Overall Debt Cap, Prepayment client->server 0x0C (SE 1.4 D.7.2.3.13)."""

ChangePaymentModeResponse = CLUSTER.s2c(0x02, "Change Payment Mode Response", Struct(
    "friendly_credit" / Int8ub,
    "friendly_credit_calendar_id" / Int32ul,
    "emergency_credit_limit" / Int32ul,
    "emergency_credit_threshold" / Int32ul,
))
"""Change Payment Mode Response, Prepayment server->client 0x02 (SE 1.4 D.7.2.4.2)."""

ConsumerTopUpResponse = CLUSTER.s2c(0x03, "Consumer Top Up Response", Struct(
    "result_type" / Int8ub,
    "top_up_value" / Int32sl,
    "source_of_top_up" / Int8ub,
    "credit_remaining" / Int32sl,
))
"""Consumer Top Up Response, Prepayment server->client 0x03 (SE 1.4 D.7.2.4.3)."""

PublishTopUpLog = CLUSTER.s2c(0x05, "Publish Top Up Log", Struct(
    "command_index" / Int8ub,
    "total_number_of_commands" / Int8ub,
    "top_ups" / GreedyRange(Struct(
        "top_up_code" / CharacterString, "top_up_amount" / Int32sl, "top_up_time" / UtcTime,
    )),
))
"""Publish Top Up Log, Prepayment server->client 0x05 (SE 1.4 D.7.2.4.5)."""

PublishDebtLog = CLUSTER.s2c(0x06, "Publish Debt Log", Struct(
    "command_index" / Int8ub,
    "total_number_of_commands" / Int8ub,
    "debts" / GreedyRange(Struct(
        "collection_time" / UtcTime, "amount_collected" / Int32ul, "debt_type" / Int8ub,
        "outstanding_debt" / Int32ul,
    )),
))
"""Publish Debt Log, Prepayment server->client 0x06 (SE 1.4 D.7.2.4.6)."""

CLUSTER.c2s(0x07, "Get Prepay Snapshot", GetSnapshot)
CLUSTER.s2c(0x01, "Publish Prepay Snapshot", PublishSnapshot)

CLUSTER_ID, COMMANDS = CLUSTER.cluster_id, CLUSTER.commands
"""Prepayment commands by (direction, command id) (SE 1.4 D.7)."""
