"""What a device keeps across power loss, in typed sections that are stored and written one by one.

Trust anchor cells, anti-replay counters per remote party role (GBCS 4.3.1.5), the device's
own key pairs and certificates, the alert counter, pending future-dated commands, device
logs, firmware slots, the generic object model data (COSEM attributes for DLMS devices, ZCL
attributes for ZigBee devices) and the security log.

The state is split into sections (:data:`SECTION_FIELDS`) so that a handled command writes
only what it changed: a read writes the counters section, a CS02b credential replacement the
anchors and counters. A working copy made by :meth:`DeviceState.clone` shares its parent's
section objects and copies one only when it is first used (:mod:`.copy_on_write`), so the
copy costs nothing for the sections a command never looks at, and whether a used section
changed is one comparison with the parent's object. The security log is append-only: its new
entries are written as rows. :mod:`.key_pair` holds the device's own key pairs,
:mod:`.device_state` the state itself.
"""

from smets_emu.emulator.state.copy_on_write import copy_tree
from smets_emu.emulator.state.device_state import (
    FIELD_SECTION,
    SECTION_FIELDS,
    SECTIONS,
    SECURITY_LOG_LIMIT,
    DeviceState,
    StateDelta,
)
from smets_emu.emulator.state.key_pair import KeyPair

__all__ = [
    "FIELD_SECTION", "SECTIONS", "SECTION_FIELDS", "SECURITY_LOG_LIMIT", "DeviceState", "KeyPair", "StateDelta",
    "copy_tree",
]
