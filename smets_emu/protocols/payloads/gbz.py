"""GBZ payloads: ZigBee SE commands, responses and alerts of GSME and GPF use cases (GBCS 7.5).

Wire shapes::

    command/response: 01 09 <count> <component>*
    alert:            01 09 <count> <alert code BE2> <timestamp BE4> <body>
    component:        <ext. header control> <cluster id BE2> <length BE2>
                      [<from date-time BE4>] [<additional header control> <frame counter>]
                      <ZCL header> <ZCL payload | ciphered length BE2, 31 00000000 || ciphertext || tag>

Alert bodies: components (GCS53 billing data, generic alerts with none), the future-dated
execution outcome (0x00CD), the Firmware Distribution Receipt hash (0x00CF) and the meter
integrity code (0x00F2).
"""

from __future__ import annotations

from smets_emu.protocols.payloads.gbz_components import FutureDatedExecution, GbzComponent
from smets_emu.protocols.payloads.gbz_payload import GbzAlert, GbzPayload, decode_gbz
from smets_emu.protocols.payloads.gbz_samples import sample_gbz
from smets_emu.protocols.payloads.gbz_structs import (
    ALERT_BODY_BY_MESSAGE_CODE,
    GBZ_MESSAGE_CODES,
    PROFILE_ID,
    AdditionalHeader,
    AlertBody,
    ComponentBody,
    ComponentControl,
    FirmwareReceiptAlertStruct,
    FutureDatedAlertStruct,
    FutureDatedDetails,
    GbzAlertCode,
    GbzCommandStruct,
    GbzComponentsAlertStruct,
    GbzComponentStruct,
    MeterIntegrityAlertStruct,
    MeterIntegrityCode,
)
from smets_emu.protocols.payloads.zcl import ZclHeader

__all__ = [
    "ALERT_BODY_BY_MESSAGE_CODE",
    "AdditionalHeader",
    "AlertBody",
    "ComponentBody",
    "ComponentControl",
    "FirmwareReceiptAlertStruct",
    "FutureDatedAlertStruct",
    "FutureDatedDetails",
    "FutureDatedExecution",
    "GBZ_MESSAGE_CODES",
    "GbzAlert",
    "GbzAlertCode",
    "GbzCommandStruct",
    "GbzComponent",
    "GbzComponentStruct",
    "GbzComponentsAlertStruct",
    "GbzPayload",
    "MeterIntegrityAlertStruct",
    "MeterIntegrityCode",
    "PROFILE_ID",
    "ZclHeader",
    "decode_gbz",
    "sample_gbz",
]


