"""What a new governance store starts with: the lab's organisations and the CPL the DSP already used.

The CPL entries are those of the DSP's default scenario (the DUIS-template SMETS1 premises: ESME,
GSME, CHF and GPF of manufacturer ``AB01`` at the current firmware, and the ESME's version
``00000000`` with the hash the SRV 11.3 templates name), so E110101 answers as before the CPL
became a service. The lab's own SMETS2 devices (model ``0F0A030B``) have no entry: firmware for
them is listed by a PPCT pass or by SECAS.
"""

from __future__ import annotations

from smets_emu.parties.governance.model import DeviceModel, PartyRole
from smets_emu.parties.smets1.devices import DeviceType, Generation
from smets_emu.parties.smets1.scenario import CURRENT_FIRMWARE, MANUFACTURER, MODELS, TEMPLATE_FIRMWARE_HASH

DEFAULT_ORGANISATIONS: tuple[tuple[str, str, PartyRole, str | None], ...] = (
    ("mfr-ab01", "Manufacturer AB01", PartyRole.MANUFACTURER, MANUFACTURER),
    ("mfr-cd02", "Manufacturer CD02", PartyRole.MANUFACTURER, "CD02"),
    ("supplier-a", "Supplier A", PartyRole.SUPPLIER, None),
    ("supplier-b", "Supplier B", PartyRole.SUPPLIER, None),
    ("network-operator-a", "Network Operator A", PartyRole.NETWORK_OPERATOR, None),
    ("dcc", "DCC", PartyRole.DCC, None),
    ("secas", "SECAS (for the SSC)", PartyRole.SECAS, None),
)
"""(org id, name, role, manufacturer id): the parties of a new lab."""


def scenario_cpl() -> list[DeviceModel]:
    """The CPL entries of the DSP's default scenario (``seed_default_scenario``)."""
    models = [
        DeviceModel(MANUFACTURER, model, CURRENT_FIRMWARE, bytes([n]) * 32, Generation.SMETS1, kind)
        for n, (kind, model) in enumerate(MODELS.items())
    ]
    models.append(DeviceModel(MANUFACTURER, MODELS[DeviceType.ESME], "00000000", TEMPLATE_FIRMWARE_HASH,
                              Generation.SMETS1, DeviceType.ESME))
    return models
