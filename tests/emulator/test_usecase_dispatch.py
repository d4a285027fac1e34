"""Dispatch follows the use-case table: a device model handles exactly the commands the table declares for it."""

from __future__ import annotations

import pytest

from smets_emu.emulator.devices.chf import CommsHubFunction
from smets_emu.emulator.devices.esme import ElectricityMeter
from smets_emu.emulator.devices.gpf import GasProxyFunction
from smets_emu.emulator.devices.gsme import GasMeter
from smets_emu.emulator.devices.type1 import HanConnectedLoadSwitch, PrepaymentInterfaceDevice
from smets_emu.protocols import usecases

MODELS = (ElectricityMeter, GasMeter, CommsHubFunction, GasProxyFunction, PrepaymentInterfaceDevice,
          HanConnectedLoadSwitch)


@pytest.mark.parametrize("model", MODELS, ids=[m.device_type for m in MODELS])
def test_dispatch_matches_the_table(model: type) -> None:
    handled = frozenset(model._routes)
    declared = usecases.accepted_codes(model.device_type)
    assert declared - handled == set(), sorted(f"0x{c:04X}" for c in declared - handled)
    assert handled - declared == set(), sorted(f"0x{c:04X}" for c in handled - declared)
