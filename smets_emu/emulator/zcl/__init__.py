"""The generic ZigBee (ZCL) object model of the GSME and GPF and the GBZ command engine (GBCS 7.5)."""

from smets_emu.emulator.zcl.commands import BEHAVIOURS, ExecContext, Reply, TopUpCheck
from smets_emu.emulator.zcl.engine import ENCRYPTED_RESPONSES, Execution, execute, run_due
from smets_emu.emulator.zcl.model import AttributeRead, ZclModel
from smets_emu.emulator.zcl.profiles import apply_profile, load_profile

__all__ = [
    "BEHAVIOURS",
    "ENCRYPTED_RESPONSES",
    "AttributeRead",
    "ExecContext",
    "Execution",
    "Reply",
    "TopUpCheck",
    "ZclModel",
    "apply_profile",
    "execute",
    "load_profile",
    "run_due",
]
