"""Type 1 HAN devices: the Prepayment Interface Device (PPMID) and the HAN-Connected Auxiliary
Load Control Switch (HCALCS).

They join meters over the HAN (CS03A2 Method A as responder, CS03C Method C with a GSME), leave
them (CS04AC), report their firmware version (CS08, GBCS 13.3.x) and raise the firmware
activation alert (CS09, message code 0x012B, alert code 0x8F8B) when a new image runs.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from smets_emu.emulator.component import Component
from smets_emu.emulator.device import AlertSpec, CommandContext, Device, HandlerResult, Outcome, handles
from smets_emu.emulator.device_log import DeviceLogUseCases, has_fault
from smets_emu.emulator.security_credentials import SecurityCredentials
from smets_emu.emulator.state import DeviceState
from smets_emu.protocols.payloads.asn1_enums import ActivateImageResult, AlertCode, ReadResponse
from smets_emu.protocols.payloads.asn1_firmware_models import (
    ReadFirmwareVersionAlert,
    ReadFirmwareVersionResponse,
    version_octets,
)
from smets_emu.protocols.payloads.asn1_models import to_payload

READ_FIRMWARE_VERSION = 0x0129  # CS08
FIRMWARE_ACTIVATION_ALERT = 0x012B  # CS09
READ_FIRMWARE_VERSION_ALERT_CODE = AlertCode.READ_FIRMWARE_VERSION
DEFAULT_VERSION = "01000000"


def firmware_version(state: DeviceState) -> str:
    """The running firmware version as upper-case hex (shared key with the firmware slots)."""
    return str(state.firmware.get("version") or DEFAULT_VERSION).upper()


class Type1Firmware(Component):
    """A Type 1 device's firmware: CS08 read and the CS09 activation alert (GBCS 13.3.x)."""

    @handles(READ_FIRMWARE_VERSION)
    def read_firmware_version(self, ctx: CommandContext) -> HandlerResult:
        """CS08: the running firmware version, or readFailure when the version store has a fault."""
        failed = has_fault(ctx.state, "read")  # an injected read fault of the device's stores
        if failed:
            response = ReadFirmwareVersionResponse(bytes(4), ReadResponse.READ_FAILURE)
        else:
            response = ReadFirmwareVersionResponse(version_octets(firmware_version(ctx.state)))
        return HandlerResult(to_payload(response, READ_FIRMWARE_VERSION, 2))

    def activate_firmware(self, state: DeviceState, version: str, now: dt.datetime, *,
                          success: bool = True) -> Outcome:
        """Switch a copy of *state* to *version* (hex) and raise CS09 to the responsible supplier (signed)."""
        work = state.clone()
        if success:
            work.firmware["version"] = version.upper()
        value = ReadFirmwareVersionAlert(now, version_octets(firmware_version(work)),
                                         ActivateImageResult.SUCCESS if success else ActivateImageResult.FAILURE)
        alert = AlertSpec(FIRMWARE_ACTIVATION_ALERT, to_payload(value, FIRMWARE_ACTIVATION_ALERT, 3), True)
        return Outcome(work, [self.device.build_alert(work, alert, now)], accepted=True)


class Type1Device(Device):
    """Common behaviour of the PPMID and the HCALCS."""

    payload_family: ClassVar[str] = "gbz"
    component_types: ClassVar[tuple[type[Component], ...]] = (SecurityCredentials, DeviceLogUseCases, Type1Firmware)


class PrepaymentInterfaceDevice(Type1Device):
    """PPMID: a HAN display that joins the ESME/GPF (Method A) and the GSME (Method C)."""

    device_type: ClassVar[str] = "PPMID"


class HanConnectedLoadSwitch(Type1Device):
    """HCALCS: a HAN-connected auxiliary load control switch joined to an ESME (Method A)."""

    device_type: ClassVar[str] = "HCALCS"
