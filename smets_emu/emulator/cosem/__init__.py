"""The generic COSEM object model of DLMS devices (ESME, CHF) and the access service over it (GBCS 5.11)."""

from smets_emu.emulator.cosem.dlms_device import CHF_DLMS_CODES, ESME_DLMS_CODES, CosemUseCases
from smets_emu.emulator.cosem.engine import execute
from smets_emu.emulator.cosem.methods import ExecContext, ProtectionContext
from smets_emu.emulator.cosem.model import CosemModel

__all__ = [
    "CHF_DLMS_CODES",
    "ESME_DLMS_CODES",
    "CosemModel",
    "CosemUseCases",
    "ExecContext",
    "ProtectionContext",
    "execute",
]
