"""Executing a DLMS access-request against the COSEM object model (GBCS 5.11; Green Book 9.3 ACCESS).

Each access-request-specification (GET, SET, ACTION, GET/SET with selection) yields one Data
value and one result: data-access-result for GET/SET, action-result for ACTION. With the
break-on-error flag (GBCS commands always set it) the specifications after the first failure
are not executed and answer ``other-reason``. The response carries the command's invoke id.

Activation date-times (GBCS "future-dated" commands): a SET of an activation attribute
(Activity calendar attribute 10, Charge attribute 7, GBCS extended data class 9000 attribute 6,
Account attribute 13) with a time of all zeros activates the passive values at once, with a
time whose fields are all "not specified" cancels a pending activation, and with a later time
records a pending activation in ``state.pending`` that :func:`due_activations` applies when the
device time reaches it (GBCS 5.9 of the digest: alert 0x00CC with 0x8F66 or 0x8F67).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from smets_emu.emulator.component import ALWAYS, earliest_pending
from smets_emu.emulator.cosem.metering_objects import metered_value
from smets_emu.emulator.cosem.methods import METHODS, READ_ONLY_METHODS, READERS, ExecContext
from smets_emu.emulator.cosem.model import CLOCK_OFFSET_KEY, CosemModel, parse_date_time, selection_bounds
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import SmetsError
from smets_emu.protocols.payloads.dlms import (
    AccessRequest,
    AccessRequestKind,
    AccessRequestSpec,
    AccessResponse,
    AccessResponseKind,
    AccessResponseSpec,
    ActionResult,
    DataAccessResult,
    ObisCode,
)
from smets_emu.protocols.payloads.dlms_data import DlmsData, NullData, OctetStringData

log = logging.getLogger(__name__)

SUCCESS = int(DataAccessResult.SUCCESS)
PENDING_KIND = "cosem-activation"

ACTIVATIONS: dict[tuple[int, int], dict[int, int]] = {
    (20, 10): {6: 2, 7: 3, 8: 4, 9: 5},  # Activity calendar: passive season/week/day profiles -> active
    (113, 7): {6: 5},  # Charge: unit charge passive -> active
    (9000, 6): {4: 2, 5: 3},  # GBCS extended data: value and scaler-unit passive -> active
    (111, 13): {},  # Account activation time: the account mode written beside it
}
"""(class id, activation-time attribute) -> {passive attribute: active attribute}."""

CHOICE_ATTRIBUTES = frozenset({(1, 2)})
"""Attributes whose type is a CHOICE (Data.value): any DLMS type may be written."""


# --------------------------------------------------------------------------- single accesses


def read_attribute(ctx: ExecContext, class_id: int, obis: ObisCode | str, attribute_id: int,
                   selector: int | None = None, selection: DlmsData | None = None) -> tuple[int, DlmsData | None]:
    """GET (optionally with selective access): the data-access-result and the value."""
    model = ctx.model
    obj = model.get_object(class_id, obis)
    if obj is None:
        return int(DataAccessResult.OBJECT_UNDEFINED), None
    fault = model.fault("get", class_id, obis, attribute_id)
    if fault is not None:
        return fault, None
    if not model.has_attribute(obj, attribute_id):
        return int(DataAccessResult.OBJECT_UNDEFINED), None
    if class_id == 7 and attribute_id == 2 and "buffer" in obj:
        bounds = selection_bounds(selector, selection) if selector else (None, None)
        if bounds is None:
            return int(DataAccessResult.OTHER_REASON), None
        return SUCCESS, model.buffer_entries(obj, ctx.now, *bounds)
    if selector:
        return int(DataAccessResult.SCOPE_OF_ACCESS_VIOLATED), None
    value = metered_value(model, obj, attribute_id, ctx.now)  # ESME registers from the consumption model
    computed = READERS.get((class_id, attribute_id)) if value is None else None
    if computed is not None:
        value = computed(ctx, obj)
    if value is None:
        value = model.stored_value(obj, attribute_id)
    if value is None:
        return int(DataAccessResult.OBJECT_UNAVAILABLE), None
    return SUCCESS, value


def write_attribute(ctx: ExecContext, class_id: int, obis: ObisCode | str, attribute_id: int,
                    value: DlmsData) -> int:
    """SET: the data-access-result (the value is stored, or an activation scheduled, on success)."""
    model = ctx.model
    obj = model.get_object(class_id, obis, write=True)
    if obj is None:
        return int(DataAccessResult.OBJECT_UNDEFINED)
    fault = model.fault("set", class_id, obis, attribute_id)
    if fault is not None:
        return fault
    if not model.has_attribute(obj, attribute_id):
        return int(DataAccessResult.OBJECT_UNDEFINED)
    if not model.writable(obj, attribute_id):
        return int(DataAccessResult.READ_WRITE_DENIED)
    from smets_emu.emulator.cosem.model import compatible

    choice = (class_id, attribute_id) in CHOICE_ATTRIBUTES
    if not choice and not compatible(model.stored_value(obj, attribute_id), value):
        return int(DataAccessResult.TYPE_UNMATCHED)
    if (class_id, attribute_id) in ACTIVATIONS:
        result = _schedule_activation(ctx, obj, class_id, str(obis), attribute_id, value)
        if result != SUCCESS:
            return result
    model.store(obj, attribute_id, value)
    return SUCCESS


def invoke_method(ctx: ExecContext, class_id: int, obis: ObisCode | str, method_id: int,
                  parameter: DlmsData) -> tuple[int, DlmsData | None]:
    """ACTION: the action-result and the optional return parameters."""
    model = ctx.model
    behaviour = METHODS.get((class_id, method_id))
    changes = behaviour is not None and (class_id, method_id) not in READ_ONLY_METHODS
    obj = model.get_object(class_id, obis, write=changes)  # only a method that changes its object copies it
    if obj is None:
        return int(ActionResult.OBJECT_UNDEFINED), None
    fault = model.fault("action", class_id, obis, method_id)
    if fault is not None:
        return fault, None
    if behaviour is None:
        if method_id in obj.get("methods", ()):
            return int(ActionResult.SUCCESS), None
        return int(ActionResult.OBJECT_UNDEFINED), None
    return behaviour(ctx, obj, parameter)


# --------------------------------------------------------------------------- the access service


def execute(request: AccessRequest, ctx: ExecContext) -> AccessResponse:
    """Run every specification of *request* in order and build the access-response (GBCS 5.11)."""
    data: list[DlmsData] = []
    results: list[AccessResponseSpec] = []
    failed = False
    parameters = list(request.data) + [NullData()] * max(0, len(request.specifications) - len(request.data))
    for spec, parameter in zip(request.specifications, parameters, strict=False):
        kind = _response_kind(spec.kind)
        if failed and request.invoke.break_on_error:
            data.append(NullData())
            results.append(AccessResponseSpec(kind, _result(kind, int(DataAccessResult.OTHER_REASON))))
            continue
        try:
            code, value = _access(ctx, spec, parameter)
            if value is not None:
                value.encode()  # a value the device cannot send is a failure of this access, not of the reply
        except (SmetsError, ValueError, KeyError, TypeError, OverflowError) as exc:
            log.warning("COSEM %s %s/%s/%s failed: %s", spec.kind.json_name, spec.class_id, spec.instance,
                        spec.member_id, exc)
            code, value = int(DataAccessResult.OTHER_REASON), None
        if code != SUCCESS:
            failed = True
            value = None
        data.append(value if value is not None else NullData())
        results.append(AccessResponseSpec(kind, _result(kind, code)))
    return AccessResponse(request.invoke, tuple(data), tuple(results))


def _access(ctx: ExecContext, spec: AccessRequestSpec, parameter: DlmsData) -> tuple[int, DlmsData | None]:
    if spec.kind == AccessRequestKind.GET:
        return read_attribute(ctx, spec.class_id, spec.instance, spec.member_id)
    if spec.kind == AccessRequestKind.GET_WITH_SELECTION:
        return read_attribute(ctx, spec.class_id, spec.instance, spec.member_id, spec.access_selector,
                              spec.access_parameters)
    if spec.kind == AccessRequestKind.SET:
        return write_attribute(ctx, spec.class_id, spec.instance, spec.member_id, parameter), None
    if spec.kind == AccessRequestKind.ACTION:
        return invoke_method(ctx, spec.class_id, spec.instance, spec.member_id, parameter)
    return int(DataAccessResult.SCOPE_OF_ACCESS_VIOLATED), None  # SET with selection: not offered by GBCS


def _response_kind(kind: AccessRequestKind) -> AccessResponseKind:
    if kind == AccessRequestKind.ACTION:
        return AccessResponseKind.ACTION
    if kind in (AccessRequestKind.SET, AccessRequestKind.SET_WITH_SELECTION):
        return AccessResponseKind.SET
    return AccessResponseKind.GET


def _result(kind: AccessResponseKind, code: int) -> ActionResult | DataAccessResult | int:
    enum = ActionResult if kind == AccessResponseKind.ACTION else DataAccessResult
    try:
        return enum(code)
    except ValueError:
        return code


# --------------------------------------------------------------------------- activations


def _same_target(entry: dict[str, Any], class_id: int, obis: str, attribute_id: int) -> bool:
    return (entry.get("kind") == PENDING_KIND and entry.get("class_id") == class_id
            and entry.get("obis") == obis and entry.get("attribute_id") == attribute_id)


def _schedule_activation(ctx: ExecContext, obj: dict[str, Any], class_id: int, obis: str, attribute_id: int,
                         value: DlmsData) -> int:
    if not (isinstance(value, OctetStringData) and len(value.value) == 12):
        return int(DataAccessResult.TYPE_UNMATCHED)
    raw = value.value
    pending: list[dict[str, Any]] = ctx.state.pending
    pending[:] = [p for p in pending if not _same_target(p, class_id, obis, attribute_id)]
    if raw[:9] == b"\xff" * 9:  # every field "not specified": cancel
        return SUCCESS
    when = None if raw[:9] == bytes(9) else parse_date_time(raw)
    if when is None and raw[:9] != bytes(9):
        return int(DataAccessResult.TYPE_UNMATCHED)
    if when is None or when <= ctx.model.device_time(ctx.now):
        apply_activation(ctx.model, class_id, obis, attribute_id)
        return SUCCESS
    pending.append({
        "kind": PENDING_KIND,
        "due": when.isoformat(),
        "message_code": ctx.message_code,
        "originator_counter": ctx.originator_counter,
        "class_id": class_id,
        "obis": obis,
        "attribute_id": attribute_id,
    })
    return SUCCESS


def apply_activation(model: CosemModel, class_id: int, obis: str, attribute_id: int) -> bool:
    """Copy passive attributes to their active counterparts; False when the object is gone."""
    obj = model.get_object(class_id, obis, write=True)
    if obj is None:
        return False
    for passive, active in ACTIVATIONS.get((class_id, attribute_id), {}).items():
        value = model.stored_value(obj, passive)
        if value is not None:
            model.store(obj, active, value)
    return True


def next_activation(state: DeviceState) -> dt.datetime | None:
    """The lab time the earliest pending activation of *state* comes due: its device time less the clock offset."""
    earliest = earliest_pending(state, PENDING_KIND, lambda p: dt.datetime.fromisoformat(p["due"]))
    if earliest is None or earliest == ALWAYS:
        return earliest
    return earliest - dt.timedelta(seconds=float(state.objects_view().get(CLOCK_OFFSET_KEY, 0)))


def due_activations(model: CosemModel, now: dt.datetime) -> list[tuple[dict[str, Any], bool]]:
    """Apply the pending activations whose time has come: [(pending entry, applied)], removed from state."""
    device_now = model.device_time(now)
    done: list[tuple[dict[str, Any], bool]] = []
    keep: list[dict[str, Any]] = []
    for entry in model.state.pending:
        if entry.get("kind") != PENDING_KIND:
            keep.append(entry)
            continue
        try:
            when = dt.datetime.fromisoformat(entry["due"])
        except (KeyError, ValueError):
            done.append((entry, False))
            continue
        if when > device_now:
            keep.append(entry)
            continue
        applied = apply_activation(model, entry["class_id"], entry["obis"], entry["attribute_id"])
        done.append((entry, applied))
    model.state.pending[:] = keep
    return done
