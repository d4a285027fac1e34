"""The ESME and GSME forms of the billing data log alert (ECS68, GCS53; GBCS 7.2.9, digest 5.11-5.13).

- :class:`EsmeBilling`: ECS68 (0x0061) is a DLMS data-notification ``{0x8F0A, period end,
  protection-parameters, protected octet string}``; the plaintext is a structure holding the
  billing data log (0-0:98.1.0.255) entry of the period as a compact array, the entry an ECS20c
  read returns for it (:func:`~smets_emu.emulator.cosem.metering_objects.billing_snapshot`).
- :class:`GsmeBilling`: GCS53 (0x008B) is the GBZ alert header ``01 09 01 8F 0A <ts>`` and one
  encrypted Metering Publish Snapshot component, the snapshot a GCS15c read (cause end of billing
  period) returns (:func:`~smets_emu.emulator.zcl.metering_logs.billing_snapshot`).

Both are signed and their content is encrypted for the supplier (KDF mode 04 with the alert's own
originator counter, GBCS 7.3.3).
"""

from __future__ import annotations

import datetime as dt

from smets_emu.emulator.cosem import metering_objects as esme_metering
from smets_emu.emulator.cosem.metering_values import meter_of
from smets_emu.emulator.cosem.methods import ProtectionContext, protection_parameters
from smets_emu.emulator.cosem.model import CosemModel
from smets_emu.emulator.device import AlertSpec
from smets_emu.emulator.kernel.outbound import event_alert_spec
from smets_emu.emulator.metering.billing import (
    BILLING_DATA_LOG_UPDATED,
    ESME_BILLING_ALERT,
    GSME_BILLING_ALERT,
    BillingEntry,
    BillingPeriods,
    supplier_encryptor,
)
from smets_emu.emulator.metering.consumption import BillingCalendar
from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.zcl import metering_logs as gsme_logs
from smets_emu.errors import SmetsError
from smets_emu.protocols.payloads import zcl_clusters
from smets_emu.protocols.payloads.dlms_data import CompactArrayData, OctetStringData, StructureData, TypeDescription
from smets_emu.protocols.payloads.gbz import AlertBody, GbzAlert, GbzComponent, GbzPayload
from smets_emu.protocols.payloads.zcl import ZclDirection, ZclFrameType, ZclHeader
from smets_emu.protocols.timestamps import datetime_to_gbz_seconds

BILLING_DATA_LOG = "0-0:98.1.0.255"
"""The ESME Billing Data Log profile (class 7) ECS20c reads and ECS68 pushes."""
METERING_CLUSTER = 0x0702
PUBLISH_SNAPSHOT = 0x06


class EsmeBilling(BillingPeriods):
    """ESME billing period ends: the billing data log entry pushed as ECS68 (GBCS 7.2.9, digest 5.11)."""

    def calendar(self, state: DeviceState) -> BillingCalendar:
        return esme_metering.billing_calendar(state)  # set by ECS30 / ECS30a

    def device_time(self, state: DeviceState, now: dt.datetime) -> dt.datetime:
        return esme_metering.device_time(state, now)

    def lab_time(self, state: DeviceState, when: dt.datetime) -> dt.datetime:
        return esme_metering.lab_time(state, when)

    def snapshot(self, state: DeviceState, end: dt.datetime) -> BillingEntry | None:
        if meter_of(state) is None:
            return None
        export = esme_metering.export_reading(state, end)
        return BillingEntry(end, esme_metering.import_reading(state, end), export or None)

    def alert(self, state: DeviceState, entry: BillingEntry, counter: int) -> AlertSpec:
        obj = CosemModel(state).get_object(7, BILLING_DATA_LOG)
        if obj is None or "buffer" not in obj:
            raise SmetsError("the ESME has no billing data log profile")
        desc = TypeDescription.from_json(obj["buffer"]["description"])
        log = CompactArrayData(desc, (esme_metering.billing_snapshot(state, entry.end),))
        supplier, encrypt = supplier_encryptor(self.device, state, counter)
        protection = ProtectionContext(counter=counter, originator=state.eui, recipient=supplier, encrypt=encrypt)
        items = (protection_parameters(protection), OctetStringData(encrypt(StructureData((log,)).encode())))
        return event_alert_spec(ESME_BILLING_ALERT, BILLING_DATA_LOG_UPDATED, items, entry.end, critical=True)


class GsmeBilling(BillingPeriods):
    """GSME billing period ends: the billing snapshot pushed as GCS53 (digest 5.12)."""

    def alert(self, state: DeviceState, entry: BillingEntry, counter: int) -> AlertSpec:
        fields = gsme_logs.billing_snapshot(state, entry.end)
        header = ZclHeader(ZclFrameType.CLUSTER_SPECIFIC, ZclDirection.SERVER_TO_CLIENT, 0, PUBLISH_SNAPSHOT,
                           disable_default_response=True)
        _, encrypt = supplier_encryptor(self.device, state, counter)
        plaintext = zcl_clusters.encode_command(METERING_CLUSTER, header, fields)
        component = GbzComponent(METERING_CLUSTER, header, ciphered_information=encrypt(plaintext), last=True)
        alert = GbzAlert(BILLING_DATA_LOG_UPDATED, datetime_to_gbz_seconds(entry.end), AlertBody.COMPONENTS)
        return AlertSpec(GSME_BILLING_ALERT, GbzPayload(components=(component,), alert=alert, form="alert"),
                         critical=True)
