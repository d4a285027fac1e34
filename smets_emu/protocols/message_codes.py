"""GBCS message codes: one declaration per code, the use-case table.

Each row names the message code's use case (GBCS Table 13.3.5 family, DUIS category), the payload
family its content is in (ASN.1 DER, DLMS xDLMS or GBZ, GBCS 7.2.10), whether it is a command
(answered by a response) or an alert, whether it is critical (GBCS 4.3.1: signed by a Known Remote
Party; an alert: signed by the device), the remote party roles that may originate it (GBCS 4.3.2,
13.3.2 RemotePartyRole), the device types that accept it (or raise the alert), the GBCS header
rules (response date-time, GBCS 7.2.8; the signed-only form, GBCS 13.3.3.1; the CS02b/CS02g
credentialsReplacementMode it carries, GBCS 13.3.2.5) and its sample folder in the DCC Reference
Test Data Set (RTDS). Where a device type differs (a CHF's commands come from the ACB; CS02b
accessControlBrokerByACB is critical on a CHF), :class:`Rule` overrides hold the difference.

:mod:`smets_emu.protocols.usecases` answers queries over this table.
"""
# ruff: noqa: E501

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from smets_emu.protocols.roles import Role


class Family(enum.StrEnum):
    """Payload family of the message content (GBCS 7.2.10)."""

    ASN1 = "asn1"
    DLMS = "dlms"
    GBZ = "gbz"


class DeviceType(enum.StrEnum):
    """SMETS2 device types a message code is addressed to (or raised by); SAPC is not modelled."""

    ESME = "ESME"
    GSME = "GSME"
    CHF = "CHF"
    GPF = "GPF"
    PPMID = "PPMID"
    HCALCS = "HCALCS"
    SAPC = "SAPC"


@dataclass(frozen=True)
class Rule:
    """How one device type differs from the row: other originator roles or another critical flag."""

    roles: frozenset[Role] | None = None
    critical: bool | None = None


@dataclass(frozen=True)
class UseCase:
    """One message code: its use case and who may send it to which device, under which GBCS header rules."""

    code: int
    use_case: str
    name: str
    category: str  # DUIS message category (SME.C.C, SME.C.NC, SME.A.C ...), "" when DUIS gives none
    families: tuple[Family, ...]  # payload families (generic alerts exist in DLMS and GBZ form)
    alert: bool  # an alert (CRA flag 3) rather than a command answered by a response
    devices: frozenset[DeviceType]
    roles: frozenset[Role] = frozenset()  # originators of the command (empty for an alert)
    critical: bool = False
    date_time: bool | None = None  # response header carries the device's date-time (None: no sample to go by)
    signed_only: bool = False  # may arrive signed without the ACB MAC (GBCS 13.3.3.1)
    variant: bool = False  # has a MAC-only and a signed variant (CS02a, CS02e, CS02f)
    mode: int | None = None  # credentialsReplacementMode carried by CS02b/CS02g (GBCS 13.3.2.5)
    on: Mapping[DeviceType, Rule] = field(default_factory=dict)
    rtds: tuple[str, ...] = ()  # RTDS use-case folders holding its sample messages


SUP, NO, ACB = Role.SUPPLIER, Role.NETWORK_OPERATOR, Role.ACCESS_CONTROL_BROKER
TCOS, REC, WANP, LC, OTHER = Role.TRANSITIONAL_COS, Role.RECOVERY, Role.WAN_PROVIDER, Role.LOAD_CONTROLLER, Role.OTHER
ANY = frozenset(Role)
ASN1, DLMS, GBZ = Family.ASN1, Family.DLMS, Family.GBZ
ESME, GSME, CHF, GPF = DeviceType.ESME, DeviceType.GSME, DeviceType.CHF, DeviceType.GPF
PPMID, HCALCS, SAPC = DeviceType.PPMID, DeviceType.HCALCS, DeviceType.SAPC


def _folders(rtds: str | tuple[str, ...]) -> tuple[str, ...]:
    return (rtds,) if isinstance(rtds, str) else tuple(rtds)


def command(code: int, use_case: str, name: str, category: str, families: tuple[Family, ...],
            devices: Iterable[DeviceType], roles: Iterable[Role], *, critical: bool = False,
            date_time: bool | None = None, signed_only: bool = False, variant: bool = False, mode: int | None = None,
            on: Mapping[DeviceType, Rule] | None = None, rtds: str | tuple[str, ...] = ()) -> UseCase:
    """Declare a command: its response reuses the message code."""
    return UseCase(code, use_case, name, category, families, False, frozenset(devices), frozenset(roles), critical,
                   date_time, signed_only, variant, mode, MappingProxyType(dict(on or {})), _folders(rtds))


def alert(code: int, use_case: str, name: str, category: str, families: tuple[Family, ...],
          devices: Iterable[DeviceType], *, critical: bool = False, rtds: str | tuple[str, ...] = ()) -> UseCase:
    """Declare an alert raised by *devices* (critical: signed by the device, GBCS 7.2.9)."""
    return UseCase(code, use_case, name, category, families, True, frozenset(devices), critical=critical,
                   rtds=_folders(rtds))


_TABLE: tuple[UseCase, ...] = (
    command(0x0001, 'CCS01', 'Add Device to CHF device log', 'SME.C.NC', (DLMS,), {CHF}, {ACB}, date_time=False, rtds='8.11_CCS01'),
    command(0x0002, 'CCS02', 'Remove device from CHF device log', 'SME.C.NC', (DLMS,), {CHF}, {ACB}, date_time=False, rtds='8.11_CCS02'),
    command(0x0003, 'CCS03', 'Restore CHF Device Log', 'SME.C.NC', (DLMS,), {CHF}, {ACB}, date_time=False, rtds='8.12.1_CCS03'),
    command(0x0004, 'CCS05/CCS04', 'Read CHF device log / check HAN comms (CHF communications store)', '', (DLMS,), {CHF}, {ACB}, date_time=False, rtds='8.9_CCS05CCS04'),
    command(0x0007, 'CS01a', 'Apply Prepayment Top Up to an ESME', 'SME.C.NC+UTRN', (DLMS,), {ESME}, {SUP}, date_time=True, rtds='2.2_CS01a'),
    command(0x0008, 'CS02a', 'Provide Security Credentials Details', 'Variant', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {SUP, NO, ACB, TCOS}, date_time=False, signed_only=True, variant=True, on={CHF: Rule(roles={ACB})}, rtds=('6.24.1_CS02aMAC', 'NA_CS02aSignature')),
    command(0x000A, 'CS02c', 'Issue Security Credentials', 'SME.C.C', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {SUP}, critical=True, date_time=False, on={CHF: Rule(roles={ACB})}, rtds='6.17_CS02c'),
    command(0x000B, 'CS02d', 'Update Device Certificates on Device', 'SME.C.C', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {SUP}, critical=True, date_time=False, on={CHF: Rule(roles={ACB})}, rtds='6.15.2_CS02d'),
    command(0x000C, 'CS02e', 'Provide Device Certificates from Device', 'Variant', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {SUP}, date_time=False, variant=True, on={CHF: Rule(roles={ACB})}, rtds='6.24.2_CS02e'),
    command(0x000D, 'CS03A1', 'Method A Join (Meter)', 'SME.C.C', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {SUP}, critical=True, date_time=False, on={CHF: Rule(roles={ACB})}, rtds='8.7.1_CS03A1'),
    command(0x000E, 'CS03B', 'Method B Join', 'SME.C.NC', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {SUP, ACB}, date_time=False, on={CHF: Rule(roles={ACB})}, rtds='8.7.2_CS03B'),
    command(0x000F, 'CS04AC', 'Method A or C Unjoin', 'SME.C.C', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {SUP, ACB}, critical=True, date_time=False, on={CHF: Rule(roles={ACB})}, rtds=('8.8.1_CS04ACCritical', '8.8.2_CS04ACNonCritical')),
    command(0x0010, 'CS04B', 'Method B Unjoin', 'SME.C.NC', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {SUP}, date_time=False, on={CHF: Rule(roles={ACB})}, rtds='8.8.2_CS04B'),
    command(0x0012, 'CS06', 'Activate Firmware', 'SME.C.C', (ASN1,), {ESME, GSME, CHF}, {SUP}, critical=True, date_time=True, on={CHF: Rule(roles={ACB})}, rtds='11.3_CS06'),
    command(0x0013, 'CS07', 'Read Device Join Details', 'SME.C.NC', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {SUP, ACB}, date_time=False, on={CHF: Rule(roles={ACB})}, rtds='8.9_CS07'),
    command(0x0014, 'CS10a', 'Read ZigBee Device Event Log', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='6.13_CS10a'),
    command(0x0015, 'CS11', 'Clear ZigBee Device Event Log', 'SME.C.NC', (GBZ,), {GSME}, {SUP}, date_time=False, rtds='3.3_CS11'),
    alert(0x0018, 'CS14', 'Device Addition To / Removal From HAN Whitelist Alerts', 'SME.A.NC', (DLMS,), {CHF}, rtds='NA_CS14'),
    command(0x0019, 'ECS01a', 'Set Tariff and Price on ESME', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=True, rtds='1.1.1_ECS01a'),
    command(0x001A, 'ECS02', 'Set ESME Payment Mode to Credit', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=True, rtds='1.6_ECS02'),
    command(0x001B, 'ECS03', 'Set ESME Payment Mode to Prepayment', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=True, rtds='1.6_ECS03'),
    command(0x001C, 'ECS04a', 'Adjust Meter Balance on the ESME', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=False, rtds='1.5_ECS04a'),
    command(0x001D, 'ECS05', 'Reset Tariff Block Counter Matrix', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=False, rtds='1.7_ECS05'),
    command(0x001E, 'ECS07', 'Manage Debt on the ESME', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=False, rtds='2.3_ECS07'),
    command(0x001F, 'ECS08', 'Update Prepayment Configuration on ESME', '', (DLMS,), {ESME}, {SUP}, critical=True, date_time=True, rtds='2.1_ECS08'),
    command(0x0020, 'ECS09', 'Activate Emergency Credit Remotely on ESME', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=False, rtds='2.5_ECS09'),
    command(0x0021, 'ECS10', 'Send Message to ESME', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='3.1_ECS10'),
    command(0x0022, 'ECS12', 'Set Change of Tenancy date on ESME', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='3.2_ECS12'),
    command(0x0023, 'ECS14', 'Disable Privacy PIN Protection on ESME', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='3.5_ECS14'),
    command(0x0024, 'ECS15a', 'Clear ESME Event Log', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='3.3_ECS15a'),
    command(0x0025, 'ECS16', 'Write Supplier Contact Details on ESME', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='3.4_ECS16'),
    command(0x0026, 'ECS17a', 'Read ESME Energy Registers (Export Energy)', 'SME.C.NC', (DLMS,), {ESME}, {NO}, date_time=True, rtds='4.2_ECS17a'),
    command(0x0027, 'ECS17b', 'Read ESME Energy Registers (Import Energy)', 'SME.C.NC', (DLMS,), {ESME}, {SUP, NO}, date_time=True, rtds='4.1.1_ECS17b'),
    command(0x0028, 'ECS17c', 'Read ESME Energy Registers (Power)', 'SME.C.NC', (DLMS,), {ESME}, {NO}, date_time=True, rtds='4.16_ECS17c'),
    command(0x0029, 'ECS17d', 'Read ESME Energy Register (TOU)', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=True, rtds='4.1.2_ECS17d'),
    command(0x002A, 'ECS17e', 'Read ESME Energy Register (TOU with Blocks)', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=True, rtds='4.1.3_ECS17e'),
    command(0x002B, 'ECS18a', 'Read Maximum Demand Registers (export)', 'SME.C.NC', (DLMS,), {ESME}, {NO}, date_time=True, rtds='4.12.2_ECS18a'),
    command(0x002C, 'ECS18b', 'Read Maximum Demand Registers (import)', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=True, rtds='4.12.1_ECS18b'),
    command(0x002D, 'ECS19', 'Read ESME Prepayment Registers', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=True, rtds='4.3_ECS19'),
    command(0x002E, 'ECS20a', 'Read ESME Billing Data Log (payment based debt payments)', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='4.4.4_ECS20a'),
    command(0x002F, 'ECS20b', 'Read ESME Billing Data Log (change of mode / tariff triggered exc export)', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='4.4.2_ECS20b'),
    command(0x0030, 'ECS20c', 'Read ESME Billing Data Log (billing calendar triggered exc export)', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='4.4.3_ECS20c'),
    command(0x0033, 'ECS21a', 'Read Electricity Daily Read Log (exc export)', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='4.6.1_ECS21a'),
    command(0x0034, 'ECS21b', 'Read Electricity (Prepayment) Daily Read Log', 'SME.C.NC', (DLMS,), {ESME}, {SUP, ACB}, date_time=False, rtds='4.14_ECS21b'),
    command(0x0035, 'ECS21c', 'Read Electricity Daily Read Log (export only)', 'SME.C.NC', (DLMS,), {ESME}, {SUP, ACB}, date_time=False, rtds='4.6.2_ECS21c'),
    command(0x0036, 'ECS22a', 'Read Electricity Half Hour Profile Data (export)', 'SME.C.NC', (DLMS,), {ESME}, {NO}, date_time=False, rtds='4.8.3_ECS22a'),
    command(0x0037, 'ECS22b', 'Read Electricity Half Hour Profile Data (active import)', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='4.8.1_ECS22b'),
    command(0x0038, 'ECS22c', 'Read Electricity Half Hour Profile Data (reactive import)', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='4.8.2_ECS22c'),
    command(0x0039, 'ECS23', 'Read Voltage Operational Data', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=True, rtds='4.10_ECS23'),
    command(0x003A, 'ECS24', 'Read ESME Tariff Data', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='4.11.1_ECS24'),
    command(0x003B, 'ECS26a', 'Read ESME Configuration Data Prepayment', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='4.13_ECS26a'),
    command(0x003C, 'ECS26b', 'Read ESME Configuration Voltage Data', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.2.1_ECS26b'),
    command(0x003D, 'ECS26c', 'Read ESME Configuration Data Device Information (randomisation)', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.2.2_ECS26c'),
    command(0x003E, 'ECS26d', 'Read ESME Configuration Data Device Information (Billing Calendar)', '', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.2.3_ECS26d'),
    command(0x003F, 'ECS26e', 'Read ESME Configuration Data Device Information (device identity exc MPAN)', '', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.2.4_ECS26e'),
    command(0x0040, 'ECS26f', 'Read ESME Configuration Data Device Information (instantaneous power thresholds)', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.2.5_ECS26f'),
    command(0x0042, 'ECS27', 'Read ESME Load Limit Data', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='4.15_ECS27'),
    command(0x0043, 'ECS28a', 'Set Load Limit Configurations - General Settings', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=True, rtds='6.4.1_ECS28a'),
    command(0x0044, 'ECS28b', 'Set Load Limit Configuration Counter Reset', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.4.2_ECS28b'),
    command(0x0045, 'ECS29a', 'Set Voltage Configurations on ESME', 'SME.C.NC', (DLMS,), {ESME}, {NO}, date_time=False, rtds='6.5_ECS29a'),
    command(0x0046, 'ECS30', 'Set Billing Calendar on the ESME', '', (DLMS,), {ESME}, {SUP}, critical=True, date_time=False, rtds='6.8_ECS30'),
    command(0x0047, 'ECS34', 'Set Instantaneous Power Threshold Configuration', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.12_ECS34'),
    command(0x0048, 'ECS35a', 'Read ESME Event Log', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.13_ECS35a'),
    command(0x0049, 'ECS35b', 'Read ESME Security Log', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.13_ECS35b'),
    command(0x004A, 'ECS37', 'Set Maximum Demand Configurable Time Period', 'SME.C.NC', (DLMS,), {ESME}, {NO}, date_time=False, rtds='6.18.1_ECS37'),
    command(0x004B, 'ECS38', 'Update Randomised Offset Limit', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=False, rtds='7.12_ECS38'),
    command(0x004C, 'ECS39a', 'Set MPAN Value on the ESME', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.20.1_ECS39a'),
    command(0x004D, 'ECS39b', 'Set Export MPAN Value on the ESME', 'SME.C.NC', (DLMS,), {ESME}, {SUP, ACB}, date_time=False, rtds='6.20.2_ECS39b'),
    command(0x004E, 'ECS40', 'Read MPAN Value on the ESME', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.2.7_ECS40'),
    command(0x004F, 'ECS42', 'Remotely Close the Load Switch on the ESME', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=False, rtds='7.1_ECS42'),
    command(0x0050, 'ECS43', 'Remotely Open the Load Switch on the ESME', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=False, rtds='7.2_ECS43'),
    command(0x0051, 'ECS44', 'Arm Load Switch in ESME', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=False, rtds='7.3_ECS44'),
    command(0x0052, 'ECS45', 'Read Status of Load Switch in the ESME', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='7.4_ECS45'),
    command(0x0053, 'ECS46a', 'Set HC ALCS or ALCS Labels in ESME', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=False, rtds='6.14.1_ECS46a'),
    command(0x0054, 'ECS46c', 'Set HC ALCS and ALCS configuration in ESME (excluding labels)', '', (DLMS,), {ESME}, {SUP}, critical=True, date_time=True, rtds='6.14.2_ECS46c'),
    command(0x0055, 'ECS47', 'Set or Reset HC ALCS or ALCS State', '', (DLMS,), {ESME}, {SUP}, critical=True, date_time=False, rtds=('7.5_ECS47Activate', '7.6_ECS47Deactivate', '7.8_ECS47Reset')),
    command(0x0058, 'ECS50', 'Send CIN to ESME', 'SME.C.NC', (DLMS,), {ESME}, {SUP, ACB}, date_time=False, rtds='9.1_ECS50'),
    command(0x0059, 'ECS52', 'Read ESME/Comms Hub Firmware Version', 'SME.C.NC', (DLMS,), {ESME, CHF}, {SUP, NO}, date_time=False, on={CHF: Rule(roles={ACB})}, rtds='11.2_ECS52'),
    command(0x005A, 'ECS57', 'Reset ESME Maximum Demand Registers', 'SME.C.NC', (DLMS,), {ESME}, {NO}, date_time=False, rtds='6.18.2_ECS57'),
    command(0x005E, 'ECS61c', 'Read Boost Button Data from ESME', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='7.11_ECS61c'),
    command(0x005F, 'ECS62', 'Set ALCS and Boost Button Association', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds=('7.10_ECS62Remove', '7.9_ECS62Add')),
    command(0x0060, 'ECS66', 'Read ESME Daily Consumption Log', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='4.17_ECS66'),
    alert(0x0061, 'ECS68', 'ESME Critical Sensitive Alert (Billing Data Log)', 'SME.A.C', (DLMS,), {ESME}, critical=True, rtds='NA_ECS68'),
    command(0x0062, 'ECS70', 'Set Clock on ESME', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=False, rtds=('6.11_ECS70', '8.1.1_ECS70Commission')),
    alert(0x0067, 'ECS80', 'Supply Outage Restore Alert from ESME', 'SME.A.C', (DLMS,), {ESME}, critical=True, rtds='NA_ECS80'),
    command(0x0068, 'ECS81', 'Set Supply Tamper State on ESME', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=False, rtds='6.25_ECS81'),
    command(0x0069, 'ECS82', 'Read Meter Balance for ESME', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='4.18_ECS82'),
    command(0x006B, 'GCS01a', 'Set Tariff and Price on GSME', 'SME.C.C', (GBZ,), {GSME}, {SUP}, critical=True, date_time=True, rtds='1.1.1_GCS01a'),
    command(0x006C, 'GCS02', 'Set GSME Payment Mode to Credit', 'SME.C.C', (GBZ,), {GSME}, {SUP}, critical=True, date_time=True, rtds='1.6_GCS02'),
    command(0x006D, 'GCS03', 'Set GSME Payment Mode to Prepayment', 'SME.C.C', (GBZ,), {GSME}, {SUP}, critical=True, date_time=True, rtds='1.6_GCS03'),
    command(0x006E, 'GCS04', 'Manage Debt on the GSME', 'SME.C.C', (GBZ,), {GSME}, {SUP}, critical=True, date_time=False, rtds='2.3_GCS04'),
    command(0x006F, 'GCS05', 'Update Prepayment Configurations on GSME', 'SME.C.C', (GBZ,), {GSME}, {SUP}, critical=True, date_time=True, rtds='2.1_GCS05'),
    command(0x0070, 'GCS06', 'Activate Emergency Credit Remotely on GSME', 'SME.C.C', (GBZ,), {GSME}, {SUP}, critical=True, date_time=False, rtds='2.5_GCS06'),
    command(0x0071, 'GCS07', 'Send Message to GSME', 'SME.C.NC', (GBZ,), {GSME}, {SUP}, date_time=False, rtds='3.1_GCS07'),
    command(0x0072, 'GCS09', 'Set Change of Tenancy date on GPF', 'SME.C.NC', (GBZ,), {GPF}, {SUP}, date_time=False, rtds='3.2_GCS09'),
    command(0x0073, 'GCS11', 'Disable Privacy PIN Protection on GSME', 'SME.C.NC', (GBZ,), {GSME}, {SUP}, date_time=False, rtds='3.5_GCS11'),
    command(0x0074, 'GCS13a', 'Read GSME Consumption Register', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=True, rtds='4.1.1_GCS13a'),
    command(0x0075, 'GCS14', 'Read GSME Prepayment Registers', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=True, rtds='4.3_GCS14'),
    command(0x0076, 'GCS15c', 'Read GSME Billing Data Log (billing calendar triggered)', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='4.4.3_GCS15c'),
    command(0x0077, 'GCS16a', 'Read GSME Daily Read Log', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='4.6.1_GCS16a'),
    command(0x0078, 'GCS17', 'Read GSME Profile Data Log', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='4.8.1_GCS17'),
    command(0x0079, 'GCS18', 'Read Gas Network Data Log', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='4.10_GCS18'),
    command(0x007B, 'GCS21a', 'Read Gas Configuration Data Device Information', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='6.2.8_GCS21a'),
    command(0x007C, 'GCS23', 'Set CV and Conversion Factor Value(s) on the GSME', 'SME.C.C', (GBZ,), {GSME}, {SUP}, critical=True, date_time=False, rtds='6.6_GCS23'),
    command(0x007D, 'GCS24', 'Set Uncontrolled Gas Flow Rate and Supply Tamper State on the GSME', '', (GBZ,), {GSME}, {SUP}, critical=True, date_time=False, rtds='6.7_GCS24'),
    command(0x007E, 'GCS25', 'Set Billing Calendar on the GSME', 'SME.C.C', (GBZ,), {GSME}, {SUP}, critical=True, date_time=False, rtds='6.8_GCS25'),
    command(0x007F, 'GCS28', 'Set Clock on GSME', 'SME.C.C', (ASN1,), {GSME}, {SUP}, critical=True, date_time=False, rtds=('6.11_GCS28', '8.1.1_GCS28Commission')),
    command(0x0080, 'GCS31', 'Start Network Data Log on GSME', 'SME.C.NC', (GBZ,), {GSME}, {SUP, ACB}, date_time=False, rtds='14.1_GCS31'),
    command(0x0081, 'GCS32', 'Remotely close the valve in the GSME', 'SME.C.C', (GBZ,), {GSME}, {SUP}, critical=True, date_time=False, rtds='7.2_GCS32'),
    command(0x0082, 'GCS33', 'Read GSME Valve Status', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='7.4_GCS33'),
    command(0x0083, 'GCS36', 'Send CIN to GSME', 'SME.C.NC', (GBZ,), {GSME}, {SUP, ACB}, date_time=False, rtds='9.1_GCS36'),
    command(0x0084, 'GCS38', 'Read GSME Firmware Version', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='11.2_GCS38'),
    command(0x0085, 'GCS39', 'Arm Valve in GSME', 'SME.C.C', (GBZ,), {GSME}, {SUP}, critical=True, date_time=False, rtds='7.3_GCS39'),
    command(0x0086, 'GCS40a', 'Adjust Prepayment Mode Meter Balance on the GSME', 'SME.C.C', (GBZ,), {GSME}, {SUP}, critical=True, date_time=False, rtds='1.5_GCS40a'),
    command(0x0087, 'GCS41', 'Set MPRN Value on the GSME', 'SME.C.NC', (GBZ,), {GSME}, {SUP}, date_time=False, rtds='6.20.1_GCS41'),
    command(0x0088, 'GCS44', 'Write Contact Details on GSME', 'SME.C.NC', (GBZ,), {GSME}, {SUP}, date_time=False, rtds='3.4_GCS44'),
    command(0x0089, 'GCS46', 'Read MPRN on the GSME', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='6.2.7_GCS46'),
    alert(0x008B, 'GCS53', 'Push Billing Data Log as an Alert', 'SME.A.C', (GBZ,), {GSME}, critical=True, rtds='NA_GCS53'),
    command(0x008C, 'GCS59', 'Restore GPF Device Log', 'SME.C.NC', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {SUP, ACB}, date_time=False, on={CHF: Rule(roles={ACB})}, rtds='8.12.2_GCS59'),
    command(0x008D, 'GCS60', 'Read Meter Balance for GSME', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='4.18_GCS60'),
    command(0x0090, 'PCS02', 'Activate Emergency Credit on GSME from PPMID', 'SME.C.PPMID-GSME', (GBZ,), {GSME}, {OTHER}, date_time=False, rtds='NA_PCS02'),
    command(0x0092, 'ECS26i', 'Read Configuration Data Device Information (CHF identity)', '', (DLMS,), {CHF}, {ACB}, date_time=False, rtds='6.2.4_ECS26i'),
    command(0x0093, 'ECS35c', 'Read CHF Event Log', 'SME.C.NC', (DLMS,), {CHF}, {ACB}, date_time=False, rtds='6.13_ECS35c'),
    command(0x0094, 'ECS35d', 'Read CHF Security Log', 'SME.C.NC', (DLMS,), {CHF}, {ACB}, date_time=False, rtds='6.13_ECS35d'),
    command(0x0096, 'GCS16b', 'Read GSME Daily Read log(s) (prepayment)', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP, ACB}, date_time=False, rtds='4.14_GCS16b'),
    command(0x0097, 'CS01b', 'Apply Prepayment Top Up to a GSME', 'SME.C.NC+UTRN', (GBZ,), {GSME}, {SUP}, date_time=True, rtds='2.2_CS01b'),
    command(0x009B, 'PCS01', 'Apply Prepayment Top Up to a GSME using PPMID', 'SME.C.PPMID-GSME', (GBZ,), {GSME}, {OTHER}, date_time=False, rtds='NA_PCS01'),
    command(0x009D, 'GCS21d', 'Read GSME Configuration Data Device Information (BillingCalendar)', '', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='6.2.3_GCS21d'),
    command(0x009E, 'GCS21e', 'Read GSME/GPF Configuration Data Device Information (device identity)', '', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='6.2.4_GCS21e'),
    command(0x009F, 'GCS21f', 'Read GSME Tariff Data', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='4.11.1_GCS21f'),
    command(0x00A0, 'GCS61', 'Read Gas Daily Consumption Log', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP, ACB}, date_time=False, rtds='4.17_GCS61'),
    command(0x00A1, 'CS10b', 'Read ZigBee Device Security Log', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='6.13_CS10b'),
    command(0x00A2, 'ECS01b', 'Set Price on ESME', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=True, rtds='1.2.1_ECS01b'),
    command(0x00A3, 'GCS01b', 'Set Price on GSME', 'SME.C.C', (GBZ,), {GSME}, {SUP}, critical=True, date_time=True, rtds='1.2.1_GCS01b'),
    command(0x00AB, 'CS03A2', 'Method A Join (non Meter)', 'SME.C.C', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {SUP, ACB}, critical=True, date_time=False, on={CHF: Rule(roles={ACB})}, rtds=('8.7.1_CS03A2Critical', '8.7.2_CS03A2NonCritical')),
    command(0x00AC, 'ECS25a', 'Set Alert Behaviours - ESME - Supplier', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.22_ECS25a'),
    command(0x00AD, 'GCS20', 'Set Alert Behaviours - GSME', 'SME.C.NC', (GBZ,), {GSME}, {SUP}, date_time=False, rtds='6.22_GCS20'),
    command(0x00AE, 'ECS29b', 'Set Voltage Configurations on ESME - 3ph', 'SME.C.NC', (DLMS,), {ESME}, {NO}, date_time=False, rtds='6.5_ECS29b'),
    command(0x00AF, 'CS03C', 'Method C Join', 'SME.C.C', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {SUP, ACB}, critical=True, date_time=False, on={CHF: Rule(roles={ACB})}, rtds=('8.7.1_CS03CCritical', '8.7.2_CS03CNonCritical')),
    command(0x00B0, 'ECS25b', 'Set Alert Behaviours - ESME - Network Operator', 'SME.C.NC', (DLMS,), {ESME}, {NO}, date_time=False, rtds='6.22_ECS25b'),
    alert(0x00B2, 'GCS62', 'Backup GPF Device Log', 'SME.A.NC', (ASN1,), {GPF}, rtds='NA_GCS62'),
    command(0x00B3, 'ECS04b', 'Reset Meter Balance on the ESME', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=False, rtds='1.5_ECS04b'),
    command(0x00B4, 'GCS40b', 'Reset Prepayment Mode Meter Balance on the GSME', 'SME.C.C', (GBZ,), {GSME}, {SUP}, critical=True, date_time=False, rtds='1.5_GCS40b'),
    command(0x00B5, 'GCS21b', 'Read GSME Configuration Data Prepayment', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='4.13_GCS21b'),
    command(0x00B6, 'GCS13c', 'Read GSME Register (TOU)', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=True, rtds='4.1.2_GCS13c'),
    command(0x00B7, 'ECS01c', 'Set Tariff and Price on ESME secondary', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=True, rtds='1.1.2_ECS01c'),
    command(0x00B8, 'GCS13b', 'Read GSME Block Counters', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=True, rtds='4.1.4_GCS13b'),
    command(0x00B9, 'ECS35e', 'Read ESME Power Event Log', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.13_ECS35e'),
    command(0x00BA, 'ECS35f', 'Read ALCS Event Log', '', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.13_ECS35f'),
    command(0x00BB, 'ECS61a', 'Read HC ALCS and ALCS Data from ESME', '', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='7.7_ECS61a'),
    command(0x00BC, 'ECS23b', 'Read Voltage Operational Data - 3 Phase', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=True, rtds='4.10_ECS23b'),
    command(0x00BD, 'ECS24b', 'Read ESME Tariff Data - second element', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='4.11.2_ECS24b'),
    command(0x00BE, 'ECS26j', 'Read ESME Configuration Data Device Information (Payment Mode)', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.2.9_ECS26j'),
    command(0x00BF, 'GCS21j', 'Read GSME Configuration Data Device Information (Payment Mode)', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='6.2.9_GCS21j'),
    command(0x00C0, 'GCS40c', 'Adjust Credit Mode Meter Balance on the GSME', 'SME.C.C', (GBZ,), {GSME}, {SUP}, critical=True, date_time=False, rtds='1.5_GCS40c'),
    command(0x00C1, 'ECS15c', 'Clear ALCS Event Log', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='3.3_ECS15c'),
    command(0x00C2, 'GCS40d', 'Reset Credit Mode Meter Balance on the GSME', 'SME.C.C', (GBZ,), {GSME}, {SUP}, critical=True, date_time=False, rtds='1.5_GCS40d'),
    command(0x00C3, 'GCS15b', 'Read GSME Billing Data Log (change of mode / tariff triggered)', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='4.4.2_GCS15b'),
    command(0x00C4, 'GCS15d', 'Read GSME Billing Data Log (payment-based debt payments)', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP, ACB}, date_time=False, rtds='4.4.4_GCS15d'),
    command(0x00C5, 'GCS15e', 'Read GSME Billing Data Log (prepayment credits)', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='4.4.5_GCS15e'),
    command(0x00C6, 'ECS26k', 'Read ESME Configuration Voltage Data - 3 phase', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.2.1_ECS26k'),
    command(0x00C7, 'ECS01d', 'Set Price on ESME secondary', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=True, rtds='1.2.2_ECS01d'),
    command(0x00C9, 'ECS20d', 'Read ESME Billing Data Log (prepayment credits)', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='4.4.5_ECS20d'),
    alert(0x00CA, 'CS06', 'Futured Dated Firmware Activation Alert', '', (ASN1,), {ESME}, critical=True, rtds='11.3_CS06'),
    alert(0x00CB, 'CS02b', 'Futured Dated Update Security Credentials Alert', '', (ASN1,), {ESME}, critical=True, rtds=('6.15.1_CS02bSupplierBySupplier', '6.23_CS02bSupplierByTransCoS')),
    alert(0x00CC, 'FDA-DLMS', 'Future Dated Execution Of Instruction Alert (DLMS COSEM)', '', (DLMS,), {ESME, SAPC}, critical=True, rtds='1.1.1_ECS01a'),
    alert(0x00CD, 'FDA-ZigBee', 'Future Dated Execution Of Instruction Alert (GBZ)', '', (GBZ,), {GSME}, critical=True, rtds='1.1.1_GCS01a'),
    alert(0x00CE, 'FDRA-DLMS', 'Firmware Distribution Receipt Alert (ESME)', '', (DLMS,), {ESME}, critical=True, rtds='NA_FDRA-DLMS'),
    alert(0x00CF, 'FDRA-ZigBee', 'Firmware Distribution Receipt Alert (GSME)', '', (GBZ,), {GSME}, critical=True, rtds='NA_FDRA-ZigBee'),
    command(0x00D1, 'ECS29c', 'Set Voltage Configurations on ESME without counter reset', 'SME.C.NC', (DLMS,), {ESME}, {NO}, date_time=False, rtds='6.5_ECS29c'),
    command(0x00D2, 'ECS29d', 'Set Voltage Configurations on polyphase ESME without counter reset', 'SME.C.NC', (DLMS,), {ESME}, {NO}, date_time=False, rtds='6.5_ECS29d'),
    command(0x00D3, 'ECS29e', 'Reset RMS Voltage Counters on ESME', 'SME.C.NC', (DLMS,), {ESME}, {NO}, date_time=False, rtds='6.27_ECS29e'),
    command(0x00D4, 'ECS29f', 'Reset RMS Voltage Counters on polyphase ESME', 'SME.C.NC', (DLMS,), {ESME}, {NO}, date_time=False, rtds='6.27_ECS29f'),
    alert(0x00D5, 'FDRPM', 'Failure to Deliver Remote Party Message to ESME Alert', '', (ASN1,), {CHF}),
    command(0x00D7, 'ECS30a', 'Set Billing Calendar on the ESME - all periodicities', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=False, rtds='6.8_ECS30a'),
    command(0x00D8, 'GCS25a', 'Set Billing Calendar on the GSME - all periodicities', 'SME.C.C', (GBZ,), {GSME}, {SUP}, critical=True, date_time=False, rtds='6.8_GCS25a'),
    command(0x00D9, 'ECS26l', 'Read ESME Configuration Data Device Information (Billing Calendar - all periodicities)', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.2.3_ECS26l'),
    command(0x00DA, 'GCS21k', 'Read GSME Configuration Data Device Information (BillingCalendar - all periodicities)', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='6.2.3_GCS21k'),
    command(0x00DB, 'ECS48', 'Configure daily resetting of Tariff Block Counter Matrix', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=False, rtds='6.26_ECS48'),
    command(0x00DE, 'ECS08a', 'Update Prepayment Configuration on ESME', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=True, rtds='2.1_ECS08a'),
    command(0x00EA, 'ECS25a1', 'Set Event Behaviours - ESME to HAN Device - Supplier', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.22_ECS25a1'),
    command(0x00EB, 'ECS25a2', 'Set Event Behaviours - ESME audible alarm - Supplier', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.22_ECS25a2'),
    command(0x00EC, 'ECS25a3', 'Set Event Behaviours - ESME logging - Supplier', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.22_ECS25a3'),
    command(0x00ED, 'ECS25b3', 'Set Event Behaviours - ESME logging - Network Operator', 'SME.C.NC', (DLMS,), {ESME}, {NO}, date_time=False, rtds='6.22_ECS25b3'),
    command(0x00EE, 'ECS25r1', 'Read non-critical event and alert behaviours - ESME - Supplier', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.2.10_ECS25r1'),
    command(0x00EF, 'ECS25r2', 'Read non-critical event and alert behaviours - ESME - Network Operator', 'SME.C.NC', (DLMS,), {ESME}, {NO}, date_time=False, rtds='6.2.10_ECS25r2'),
    alert(0x00F0, 'MIIWA-DLMS', 'Meter Integrity Issue Warning Alert - ESME', '', (DLMS,), {ESME}, rtds='NA_MIIWA-DLMS'),
    command(0x00F1, 'GCS20r', 'Read non-critical event and alert behaviours - GSME - Supplier', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='6.2.10_GCS20r'),
    alert(0x00F2, 'MIIWA-ZigBee', 'Meter Integrity Issue Warning Alert - GSME', '', (GBZ,), {GSME}, rtds='NA_MIIWA-ZigBee'),
    command(0x00F9, 'ECS26m', 'Read ESME Configuration Data Device Information (identity, type and supply tamper state)', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='6.2.4_ECS26m'),
    command(0x00FA, 'ECS26n', 'Read CHF Configuration Data Device Information (CH identity and type)', 'SME.C.NC', (DLMS,), {CHF}, {ACB}, date_time=False, rtds='6.2.4_ECS26n'),
    command(0x00FB, 'GCS21m', 'Read GSME Configuration Data Device Information (identity, type and supply tamper / depletion state)', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=False, rtds='6.2.4_GCS21m'),
    command(0x00FC, 'GCS24a', 'Set Uncontrolled Gas Flow Rate and Supply Tamper State on the GSME (SMETS4)', 'SME.C.C', (GBZ,), {GSME}, {SUP}, critical=True, date_time=False, rtds='6.7_GCS24a'),
    command(0x00FD, 'ECS35g', 'Read ALCS Event Log', 'SME.C.NC', (DLMS,), {ESME}, {SUP, NO}, date_time=False, rtds='6.13_ECS35g'),
    command(0x00FE, 'CCS07', 'Read CHF Device Logs', 'SME.C.NC', (DLMS,), {CHF}, {ACB}, date_time=False, rtds='8.9_CCS07'),
    command(0x0100, 'CS02b', 'Update Security Credentials (rootBySupplier)', 'see GBCS', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {SUP}, critical=True, mode=0),
    command(0x0101, 'CS02b', 'Update Security Credentials (rootByWanProvider)', 'see GBCS', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {WANP}, critical=True, mode=1),
    command(0x0102, 'CS02b', 'Update Security Credentials (supplierBySupplier)', 'see GBCS', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {SUP, ACB}, critical=True, date_time=True, mode=2, rtds=('6.15.1_CS02bSupplierBySupplier', '6.21_CS02bSupplierBySupplierHandover')),
    command(0x0103, 'CS02b', 'Update Security Credentials (networkOperatorByNetworkOperator)', 'see GBCS', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {NO, ACB}, critical=True, date_time=True, mode=3, rtds=('6.15.1_CS02bNOByNO', '6.21_CS02bNOByNOHandover')),
    command(0x0104, 'CS02b', 'Update Security Credentials (accessControlBrokerByACB)', 'see GBCS', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {ACB}, date_time=True, mode=4, on={CHF: Rule(critical=True)}, rtds='8.5_CS02bACBByACB'),
    command(0x0105, 'CS02b', 'Update Security Credentials (wanProviderByWanProvider)', 'see GBCS', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {WANP}, critical=True, date_time=True, mode=5, rtds='NA_CS02bWPByWP'),
    command(0x0106, 'CS02b', 'Update Security Credentials (transCoSByTransCoS)', 'see GBCS', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {TCOS}, critical=True, date_time=True, mode=6, rtds='NA_CS02bTransCoSByTransCoS'),
    command(0x0107, 'CS02b', 'Update Security Credentials (supplierByTransCoS)', 'see GBCS', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {TCOS}, critical=True, date_time=True, mode=7, rtds='6.23_CS02bSupplierByTransCoS'),
    command(0x0108, 'CS02b', 'Update Security Credentials (anyExceptAbnormalRootByRecovery)', 'see GBCS', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {REC}, critical=True, date_time=True, signed_only=True, mode=8, rtds='NA_CS02bAnyExceptAbnormalRootByRecovery'),
    command(0x0109, 'CS02b', 'Update Security Credentials (anyByContingency)', 'see GBCS', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, ANY, critical=True, date_time=True, signed_only=True, mode=9, rtds='NA_CS02bAnyByContingency'),
    command(0x010A, 'DBCH01', 'Read CHF Sub GHz Channel', 'SME.C.NC', (DLMS,), {CHF}, {ACB}, date_time=False, rtds='6.31_DBCH01'),
    command(0x010B, 'DBCH02', 'Read CHF Sub GHz Channel Log', 'SME.C.NC', (DLMS,), {CHF}, {ACB}, date_time=False, rtds='6.32_DBCH02'),
    command(0x010C, 'DBCH03', 'Read CHF Sub GHz Configuration', 'SME.C.NC', (DLMS,), {CHF}, {ACB}, date_time=False, rtds='6.30_DBCH03'),
    command(0x010D, 'DBCH04', 'Set CHF Sub GHz Configuration', 'SME.C.NC', (DLMS,), {CHF}, {ACB}, date_time=False, rtds='6.28_DBCH04'),
    command(0x010E, 'DBCH05', 'Request CHF Sub GHz Channel Scan', 'SME.C.NC', (DLMS,), {CHF}, {ACB}, date_time=False, rtds='6.29_DBCH05'),
    command(0x010F, 'CCS06', 'Read CHF device log and check HAN communications', 'SME.C.NC', (DLMS,), {CHF}, {ACB}, date_time=False, rtds='8.9_CCS06'),
    alert(0x0110, 'DBCH06', 'Limited Duty Cycle Action Taken Sub GHz Alert', 'SME.A.NC', (DLMS,), {CHF}, rtds='NA_DBCH06'),
    alert(0x0111, 'DBCH07', 'Sub GHz Sub GHz Channel Changed Sub GHz Alert', 'SME.A.NC', (DLMS,), {CHF}, rtds='NA_DBCH07'),
    alert(0x0112, 'DBCH08', 'Sub GHz Channel Scan Request Assessment Outcome Sub GHz Alert', 'SME.A.NC', (DLMS,), {CHF}, rtds='NA_DBCH08'),
    alert(0x0113, 'DBCH09', 'Sub GHz Configuration Changed Sub GHz Alert', 'SME.A.NC', (DLMS,), {CHF}, rtds='6.28_DBCH04'),
    alert(0x0114, 'DBCH10', 'Message Discarded Due to Duty Cycle Management Sub GHz Alert', 'SME.A.NC', (DLMS,), {CHF}, rtds='NA_DBCH10'),
    alert(0x0115, 'DBCH11', 'No More Sub GHz Device Capacity Sub GHz Alert', 'SME.A.NC', (DLMS,), {CHF}, rtds='NA_DBCH11'),
    command(0x0116, 'PECS01', 'Apply Prepayment Top Up to an ESME using PPMID', 'ZSE', (), {}, {OTHER}),
    command(0x0117, 'PECS02', 'Activate Emergency Credit on ESME from PPMID', 'ZSE', (), {}, {OTHER}),
    command(0x0118, 'PECS03', 'Request to Enable ESME Supply from PPMID', 'ZSE', (), {}, {OTHER}),
    command(0x0119, 'HECS01', 'Request Control of a HAN Connected Auxiliary Load Control Switch from HCALCS', 'ZSE', (), {}, {OTHER}),
    command(0x011A, 'ECS46d', 'Set Auxiliary Controller Calendar', 'SME.C.C', (DLMS,), {ESME, SAPC}, {SUP}, critical=True, date_time=True, rtds='6.14.3_ECS46d'),
    command(0x011B, 'CS02f', 'Provide Security Credential Details (ESME and SAPC)', 'see GBCS', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS, SAPC}, {SUP, NO, ACB, TCOS}, date_time=False, signed_only=True, variant=True, on={CHF: Rule(roles={ACB})}, rtds=('6.24.1_CS02fMAC', 'NA_CS02fSignature')),
    command(0x011C, 'ECS61d', 'Read Auxiliary Controller Configuration Data', 'SME.C.NC', (DLMS,), {ESME}, {SUP, ACB}, date_time=False, rtds='7.14_ECS61d'),
    command(0x011D, 'ECS61e', 'Read Auxiliary Controller Operational Data', 'SME.C.NC', (DLMS,), {ESME}, {SUP}, date_time=False, rtds='7.15_ECS61e'),
    command(0x011E, 'ECS47a', 'Set Auxiliary Controller [n] State', 'SME.C.C', (DLMS,), {ESME}, {SUP}, critical=True, date_time=False, rtds='7.13_ECS47a'),
    command(0x011F, 'ECS47e', 'Limit APC [n] Level', 'SME.C.C', (DLMS,), {ESME}, {SUP, LC}, critical=True, date_time=False, rtds='7.16_ECS47e'),
    alert(0x0120, 'ECS100', 'Command not supported by Device (alert)', 'see GBCS 7.2.9.1', (DLMS,), {ESME, SAPC}, critical=True, rtds='NA_ECS100'),
    alert(0x0121, 'ECS101', 'Limit APC [n] Level Command processed (alert)', 'SME.A.C', (DLMS,), {ESME}, critical=True, rtds='NA_ECS101'),
    alert(0x0122, 'ECS102', 'Limit APC [n] Level ended or cancelled (alert)', 'SME.A.C', (DLMS,), {ESME, SAPC}, critical=True, rtds='NA_ECS102'),
    alert(0x0123, 'ECS200', 'Operational Update (alert)', 'SME.A.C', (DLMS,), {ESME}, critical=True, rtds='NA_ECS200'),
    alert(0x0124, 'CS02g', 'future-dated Update Security Credentials alert', 'see GBCS', (ASN1,), {ESME, SAPC}, critical=True, rtds=('6.15.1_CS02gLoadControllerBySupplier', 'NA_CS02gLoadControllerByLoadController')),
    command(0x0125, 'CS02g', 'Update Security Credentials (loadControllerByLoadController)', 'see GBCS', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS, SAPC}, {LC}, critical=True, date_time=True, mode=10, rtds='NA_CS02gLoadControllerByLoadController'),
    command(0x0126, 'CS02g', 'Update Security Credentials (loadControllerBySupplier)', 'see GBCS', (ASN1,), {ESME, GSME, CHF, GPF, PPMID, HCALCS}, {SUP}, critical=True, date_time=True, mode=11, rtds='6.15.1_CS02gLoadControllerBySupplier'),
    alert(0x0128, 'CCS08', 'Firmware Transfer Alert', 'see GBCS', (ASN1,), {CHF}, critical=True, rtds='NA_CCS08'),
    command(0x0129, 'CS08', 'Read PPMID/HCALCS Firmware Version', 'see GBCS', (ASN1,), {PPMID, HCALCS}, {SUP, ACB}, date_time=False, rtds='11.2_CS08'),
    command(0x012A, 'GCS60a', 'Read Meter Balance (GSME/GPF)', 'SME.C.NC', (GBZ,), {GSME, GPF}, {SUP}, date_time=True, rtds='4.18_GCS60a'),
    alert(0x012B, 'CS09', 'PPMID Firmware Activation Alert', 'SME.A.C', (ASN1,), {PPMID}, critical=True, rtds='NA_CS09'),
    alert(0x1000, 'GCA', 'Generic Critical Alert', '', (DLMS, GBZ), {ESME, GSME}, critical=True, rtds=('NA_GCA-DLMS', 'NA_GCA-ZigBee')),
    alert(0x1001, 'GNCA', 'Generic Non Critical Alert', '', (DLMS, GBZ), {ESME, GSME}, rtds=('NA_GNCA-DLMS', 'NA_GNCA-ZigBee')),
)

MESSAGE_CODES: dict[int, UseCase] = {row.code: row for row in _TABLE}
"""Message code -> its declaration."""

MessageCodeInfo = UseCase
"""The row type under its earlier name."""


def lookup(code: int) -> UseCase | None:
    """Return the table row for *code*, or None for a code GBCS does not define."""
    return MESSAGE_CODES.get(code)
