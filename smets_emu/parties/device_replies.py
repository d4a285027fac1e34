"""What a remote party reads from a device's replies: alert codes and reported firmware versions.

Both come from the typed payloads: the alert code leads a DLMS data-notification body or a GBZ
alert header (GBCS 5.11, 7.5); the running firmware version is the ECS52 Get result (COSEM
0-0:0.2.1.255, an octet-string), the GCS38 Read Attributes Response record (Metering attribute
0x0206) or the CS08 ASN.1 response (GBCS 13.3.3 firmware use cases).
"""

from __future__ import annotations

from smets_emu.protocols.payloads import Payload
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.protocols.payloads.asn1_firmware_models import ReadFirmwareVersionResponse
from smets_emu.protocols.payloads.asn1_models import read
from smets_emu.protocols.payloads.dlms import AccessResponse, DataAccessResult, DataNotification
from smets_emu.protocols.payloads.dlms_data import OctetStringData
from smets_emu.protocols.payloads.gbz import GbzPayload


def alert_code_of(payload: Payload) -> int | None:
    """The alert code of a DLMS data-notification or a GBZ alert; None for anything else."""
    if isinstance(payload, DataNotification):
        return payload.alert_code
    if isinstance(payload, GbzPayload) and payload.alert is not None:
        return payload.alert.alert_code
    return None


def firmware_version_of(payload: Payload) -> str | None:
    """The version (hex) a firmware-version read reports (ECS52, GCS38 or CS08), None when it failed."""
    if isinstance(payload, Asn1Payload):  # CS08
        response = read(payload, ReadFirmwareVersionResponse)
        return response.version.hex().upper() if response.succeeded else None
    if isinstance(payload, AccessResponse):  # ECS52
        for result, data in zip(payload.results, payload.data, strict=False):
            if result.result == DataAccessResult.SUCCESS and isinstance(data, OctetStringData):
                return data.value.hex().upper()
        return None
    if isinstance(payload, GbzPayload):  # GCS38
        for component in payload.components:
            for record in (component.fields or {}).get("records", []):
                if record.get("status") == "SUCCESS":
                    value = record.get("value")
                    return value if isinstance(value, str) else str(value)
    return None
