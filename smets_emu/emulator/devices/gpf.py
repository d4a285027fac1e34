"""Gas Proxy Function (GPF) model."""

from __future__ import annotations

from typing import ClassVar

from smets_emu.emulator.device import CommandContext, Device, HandlerResult, handles
from smets_emu.emulator.device_log import DeviceLogUseCases
from smets_emu.emulator.devices.gsme import GBZ_ALERT_CODES, GPF_ONLY_CODES
from smets_emu.emulator.security_credentials import SecurityCredentials
from smets_emu.emulator.zcl import runtime
from smets_emu.emulator.zcl.device import ZigbeeModelDevice
from smets_emu.protocols.message_codes import lookup
from smets_emu.protocols.payloads.gbz import GBZ_MESSAGE_CODES


def _is_read(code: int) -> bool:
    info = lookup(code)
    return info is not None and info.name.startswith("Read")


GPF_GBZ_CODES: frozenset[int] = frozenset(
    code for code in GBZ_MESSAGE_CODES - GBZ_ALERT_CODES if _is_read(code)
) | GPF_ONLY_CODES
"""GBZ use cases a GPF answers: reads of its copy of the GSME data, and GCS09 change of tenancy."""


class GasProxyFunction(ZigbeeModelDevice, SecurityCredentials, DeviceLogUseCases, Device):
    """Gas Proxy Function (GPF): answers GBZ reads from its copy of the GSME's data (GBCS 7.5)."""

    device_type: ClassVar[str] = "GPF"
    payload_family: ClassVar[str] = "gbz"

    @handles(*sorted(GPF_GBZ_CODES))
    def _gbz_command(self, ctx: CommandContext) -> HandlerResult:
        """Every GBZ use case the GPF supports, executed against its object model."""
        return runtime.handle_gbz(self, ctx)

