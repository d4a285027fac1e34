"""The CHF's ZigBee network control object (class 104): its HAN device log over DLMS (GBCS 5.11, CCS01-CCS07).

register_device / unregister_device add to and remove from the CHF device log (CCS01, CCS02),
restore and backup move (extended PAN id, [(EUI, link key)]) (CCS03, CCS07), and the active
devices attribute lists the log (or the historic log) (CCS04-CCS07). A change of the log sets
``device_log_changed`` so the device raises CS14 (0x0018).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from smets_emu.emulator import device_log
from smets_emu.emulator.cosem.methods import (
    DEVICE_LOG_OBIS,
    OK,
    PAN_ID_KEY,
    ZIGBEE_NETWORK_CONTROL,
    ExecContext,
    integer_of,
    method,
    reader,
)
from smets_emu.emulator.cosem.model import now_dlms
from smets_emu.protocols.payloads.dlms import ActionResult
from smets_emu.protocols.payloads.dlms_data import (
    ArrayData,
    BitStringData,
    DataTag,
    DlmsData,
    IntegerData,
    OctetStringData,
    StructureData,
)


@method(ZIGBEE_NETWORK_CONTROL, 1)
def _register_device(ctx: ExecContext, obj: dict[str, Any], parameter: DlmsData) -> tuple[int, DlmsData | None]:
    """register_device(EUI, device type, install code key, ...): add to the CHF device log (CCS01)."""
    if not (isinstance(parameter, StructureData) and parameter.items
            and isinstance(parameter.items[0], OctetStringData) and len(parameter.items[0].value) == 8):
        return int(ActionResult.TYPE_UNMATCHED), None
    eui = parameter.items[0].value
    device_type = (integer_of(parameter.items[1]) if len(parameter.items) > 1 else None) or 0
    key = parameter.items[2].value if len(parameter.items) > 2 and isinstance(parameter.items[2],
                                                                               OctetStringData) else b""
    if device_log.check_entry(ctx.state, eui, device_type) != device_log.JoinResponse.SUCCESS:
        return int(ActionResult.OTHER_REASON), None
    if device_log.find_entry(ctx.state, eui) is not None:
        # already on the log: the key parameter is discarded unprocessed, the link key kept, and the method
        # succeeds (GBCS CCS01)
        return OK, None
    device_log.record_entry(ctx.state, eui, device_type, ctx.now)
    entry = device_log.find_entry(ctx.state, eui)
    if entry is not None:
        entry["link_key"] = key.hex().upper()
    ctx.device_log_changed = True
    return OK, None


@method(ZIGBEE_NETWORK_CONTROL, 2)
def _unregister_device(ctx: ExecContext, obj: dict[str, Any], parameter: DlmsData) -> tuple[int,
                                                                                           DlmsData | None]:
    """unregister_device(EUI): remove from the CHF device log (CCS02)."""
    if not (isinstance(parameter, OctetStringData) and len(parameter.value) == 8):
        return int(ActionResult.TYPE_UNMATCHED), None
    entry = device_log.find_entry(ctx.state, parameter.value)
    if entry is not None:
        device_log.remove_entry(ctx.state, parameter.value)
        ctx.state.historic_log.append({**entry, "removed": ctx.now.isoformat()})
        del ctx.state.historic_log[:-100]
        ctx.device_log_changed = True
    return OK, None


@method(ZIGBEE_NETWORK_CONTROL, 5)
def _restore_device_log(ctx: ExecContext, obj: dict[str, Any], parameter: DlmsData) -> tuple[int,
                                                                                            DlmsData | None]:
    """Restore the device log from (PAN id, [(EUI, link key)]) (CCS03)."""
    if not (isinstance(parameter, StructureData) and len(parameter.items) == 2
            and isinstance(parameter.items[1], ArrayData)):
        return int(ActionResult.TYPE_UNMATCHED), None
    restored: list[dict[str, Any]] = []
    for item in parameter.items[1].items:
        if not (isinstance(item, StructureData) and len(item.items) == 2
                and isinstance(item.items[0], OctetStringData) and len(item.items[0].value) == 8
                and isinstance(item.items[1], OctetStringData)):
            return int(ActionResult.TYPE_UNMATCHED), None
        old = device_log.find_entry(ctx.state, item.items[0].value) or {}
        restored.append({"eui": item.items[0].value.hex().upper(), "device_type": int(old.get("device_type", 0)),
                         "join_method": None, "joined": ctx.now.isoformat(),
                         "link_key": item.items[1].value.hex().upper()})
    ctx.state.device_log[:] = restored
    if isinstance(parameter.items[0], OctetStringData) and len(parameter.items[0].value) == 8:
        ctx.state.objects[PAN_ID_KEY] = parameter.items[0].value.hex().upper()
    ctx.device_log_changed = True
    return OK, None


@method(ZIGBEE_NETWORK_CONTROL, 4)
def _backup_device_log(ctx: ExecContext, obj: dict[str, Any], parameter: DlmsData) -> tuple[int,
                                                                                           DlmsData | None]:
    """Backup: (time, extended PAN id, [(EUI, link key)]) of the device log or the historic log (CCS07)."""
    entries = ctx.state.device_log if obj["obis"] == DEVICE_LOG_OBIS else ctx.state.historic_log
    items = tuple(
        StructureData((OctetStringData(bytes.fromhex(e["eui"])),
                       OctetStringData(bytes.fromhex(e.get("link_key") or ""))))
        for e in entries
    )
    return OK, StructureData((now_dlms(ctx.model.device_time(ctx.now)), OctetStringData(extended_pan_id(ctx)),
                              ArrayData(items)))


def extended_pan_id(ctx: ExecContext) -> bytes:
    """The HAN's extended PAN id: as restored by CCS03, else the CHF's own EUI."""
    value = ctx.state.objects_view().get(PAN_ID_KEY)
    return bytes.fromhex(value) if isinstance(value, str) else bytes(ctx.state.eui)


@reader(ZIGBEE_NETWORK_CONTROL, 4)
def _active_devices(ctx: ExecContext, obj: dict[str, Any]) -> DlmsData | None:
    """Active devices of the HAN: the CHF device log (or the historic log for instance 1) (CCS04-CCS07)."""
    entries = ctx.state.log_entries() if obj["obis"] == DEVICE_LOG_OBIS else ctx.state.historic_log
    out = []
    for entry in entries:
        try:
            when = dt.datetime.fromisoformat(entry.get("joined") or ctx.now.isoformat())
        except ValueError:
            when = ctx.now
        out.append(StructureData((
            OctetStringData(bytes.fromhex(entry["eui"])),
            BitStringData(8, b"\x00"),
            IntegerData(DataTag.INTEGER, 0), IntegerData(DataTag.INTEGER, 0), IntegerData(DataTag.INTEGER, 0),
            IntegerData(DataTag.UNSIGNED, 0), IntegerData(DataTag.UNSIGNED, 0), IntegerData(DataTag.UNSIGNED, 0),
            now_dlms(when),
            IntegerData(DataTag.UNSIGNED, 0), IntegerData(DataTag.UNSIGNED, 0), IntegerData(DataTag.UNSIGNED, 0),
            IntegerData(DataTag.UNSIGNED, 0), IntegerData(DataTag.UNSIGNED, 0),
        )))
    return ArrayData(tuple(out))
