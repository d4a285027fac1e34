"""Gas Proxy Function (GPF) model."""

from __future__ import annotations

from typing import ClassVar

from smets_emu.emulator.component import Component
from smets_emu.emulator.device import CommandContext, Device, HandlerResult, handles
from smets_emu.emulator.device_log import DeviceLogUseCases
from smets_emu.emulator.security_credentials import SecurityCredentials
from smets_emu.emulator.zcl.device import ZigbeeModel
from smets_emu.protocols import usecases

GPF_GBZ_CODES: frozenset[int] = usecases.accepted_codes("GPF") & usecases.codes(family="gbz")
"""GBZ use cases a GPF answers: reads of its copy of the GSME data, and GCS09 change of tenancy."""


class GpfZigbee(ZigbeeModel):
    """The GPF's GBZ use cases: reads of its copy of the GSME data, and GCS09 (GBCS 7.5)."""

    @handles(*sorted(GPF_GBZ_CODES))
    def gbz_command(self, ctx: CommandContext) -> HandlerResult:
        """Every GBZ use case the GPF supports, executed against its object model."""
        return self.execute_gbz(ctx)


class GasProxyFunction(Device):
    """Gas Proxy Function (GPF): answers GBZ reads from its copy of the GSME's data (GBCS 7.5)."""

    device_type: ClassVar[str] = "GPF"
    payload_family: ClassVar[str] = "gbz"
    component_types: ClassVar[tuple[type[Component], ...]] = (SecurityCredentials, DeviceLogUseCases, GpfZigbee)
