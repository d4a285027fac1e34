"""HAN joining and device logs: CS03 join, CS04 unjoin, CS07 read, GPF GCS59 restore and GCS62 backup.

A SMETS2 device keeps a Device Log of the HAN devices it may talk to (GBCS 13.3.4-13.3.6, digest 5.5
and 5.8). Joins are validated against the message code (response 1), the device type pairing
(response 2), existing entries (response 3), the log capacity of the device profile (response 4) and,
for a GSME-PPMID Method C join, the PPMID's key agreement certificate (response 11). A GPF tells the
Access Control Broker whenever its log changes with the GCS62 Backup GPF Device Log alert (0x00B2,
alert code 0x8071), so that GCS59 can restore it onto a replacement GPF.

``DeviceState.device_log`` entry format, shared by every device type (the CHF's CCS01-CCS07 and CS14
use the same list)::

    {
        "eui": "00DB123456789098",       # other device entity id, 16 upper-case hex digits
        "device_type": 5,                 # DeviceType INTEGER (digest 5.1): 0 GSME, 1 ESME, 2 CHF, 3 GPF,
                                          # 4 HCALCS, 5 PPMID, 6 type 2 device
        "join_method": 3,                 # joinMethodAndRole that made the entry; None if restored (GCS59)
                                          # or added by a CHF use case
        "joined": "2026-01-01T00:00:00+00:00",  # when the entry was made (ISO 8601)
        "ka_certificate": "3082...",      # optional: the other device's KA certificate (DER hex), GSME-PPMID
    }

Entries are kept in joining order; keys other use cases add are preserved.

A test lab tunes the log through ``state.objects["device_log"]``: ``capacity`` overrides the profile's
capacity and ``faults`` lists injected storage faults, ``"read"`` (CS07 answers readFailure) and
``"write"`` (joins and restores answer writeFailure, unjoins otherFailure).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, TypeVar

from cryptography import x509

from smets_emu.emulator.anchors import CellKeyUsage, Role
from smets_emu.emulator.component import Component, handles
from smets_emu.emulator.device import (
    ALERT_INTEGRITY_FAILURE,
    AlertSpec,
    CommandContext,
    CommandRejected,
    Device,
    HandlerResult,
)
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import FrameError, SmetsError
from smets_emu.protocols.certificates import certificate_eui, certificate_public_key, key_usages, load_certificate
from smets_emu.protocols.payloads.asn1_enums import DeviceType as OtherDeviceType
from smets_emu.protocols.payloads.asn1_enums import JoinMethod, JoinResponse, ReadResponse, UnjoinResponse
from smets_emu.protocols.payloads.asn1_join_models import (
    GPF_DEVICE_LOG_CHANGED,
    DeviceLogEntry,
    GpfDeviceLogBackupAlert,
    GpfDeviceLogRestoreCommand,
    GpfDeviceLogRestoreResponse,
    JoinDeviceCommand,
    ReadDeviceJoinDetailsResponse,
    RestoreOutcome,
    UnjoinCommand,
)
from smets_emu.protocols.payloads.asn1_models import CodeResponse, NullCommand, Readable, read, to_payload

__all__ = [
    "BACKUP_GPF_DEVICE_LOG", "DEVICE_LOG_CAPACITY", "GPF_DEVICE_LOG_CHANGED", "JOIN_MESSAGE_METHOD", "JOIN_PARTNERS",
    "OBJECTS_KEY", "DeviceLogUseCases", "JoinMethod", "JoinResponse", "OtherDeviceType", "UnjoinResponse",
    "check_entry", "check_ka_certificate", "device_log_capacity", "eui_text", "find_entry", "gpf_backup_alert",
    "has_fault", "log_entries", "record_entry", "remove_entry",
]

log = logging.getLogger(__name__)

_M = TypeVar("_M", bound=Readable)

RESPONSE, ALERT = 2, 3

BACKUP_GPF_DEVICE_LOG = 0x00B2
"""Message code of the GCS62 alert."""


JOIN_MESSAGE_METHOD: dict[int, JoinMethod] = {
    0x000D: JoinMethod.METHOD_A_INITIATOR,  # CS03A1 Method A Join (Meter)
    0x00AB: JoinMethod.METHOD_A_RESPONDER,  # CS03A2 Method A Join (non Meter)
    0x000E: JoinMethod.METHOD_B,  # CS03B Method B Join
    0x00AF: JoinMethod.METHOD_C,  # CS03C Method C Join
}
"""The joinMethodAndRole each join message code must carry."""

_T = OtherDeviceType
JOIN_PARTNERS: dict[str, dict[JoinMethod, frozenset[OtherDeviceType]]] = {
    "ESME": {
        JoinMethod.METHOD_A_INITIATOR: frozenset({_T.PPMID, _T.HCALCS}),
        JoinMethod.METHOD_B: frozenset({_T.TYPE2}),
    },
    "GSME": {
        JoinMethod.METHOD_B: frozenset({_T.GPF}),
        JoinMethod.METHOD_C: frozenset({_T.PPMID}),
    },
    "GPF": {
        JoinMethod.METHOD_A_INITIATOR: frozenset({_T.PPMID}),
        JoinMethod.METHOD_B: frozenset({_T.GSME, _T.TYPE2}),
    },
    "PPMID": {
        JoinMethod.METHOD_A_RESPONDER: frozenset({_T.ESME, _T.GPF}),
        JoinMethod.METHOD_C: frozenset({_T.GSME}),
    },
    "HCALCS": {
        JoinMethod.METHOD_A_RESPONDER: frozenset({_T.ESME}),
    },
}
"""Per device type: the join methods it takes part in and the device types it may join that way.

Meters and the GPF initiate Method A towards a PPMID or HCALCS (the HAN device is the responder);
Method B enters devices that need no key agreement (GSME-GPF, type 2 devices); Method C joins a
sleepy GSME with a PPMID by handing over the PPMID's KA certificate. The CHF's log belongs to the
CCS use cases, so a CHF answers none of these commands.
"""

DEVICE_LOG_CAPACITY: dict[str, dict[str, int]] = {
    "default": {"ESME": 5, "GSME": 5, "GPF": 8, "CHF": 16, "PPMID": 4, "HCALCS": 2},
}
"""Device log capacity per device profile and device type (``default`` for profiles not listed)."""

OBJECTS_KEY = "device_log"
"""Key of the device log settings (capacity override, injected faults) in ``state.objects``."""

_NEEDS_CERTIFICATE = {("GSME", JoinMethod.METHOD_C, _T.PPMID), ("PPMID", JoinMethod.METHOD_C, _T.GSME)}
"""(device type, join method, other device type) joins that carry the other device's KA certificate."""

_UNBOUND_CERTIFICATE = {"PPMID"}
"""Device types that take the Method C partner's KA certificate without binding it to the entity ID
in the command (the DCC reference data joins a PPMID with a GSME certificate naming another EUI)."""


# --- log helpers (usable by every device type) ------------------------------------------------------


def eui_text(eui: bytes) -> str:
    """The entry form of an entity id: 16 upper-case hex digits."""
    return eui.hex().upper()


def _settings(state: DeviceState) -> dict[str, Any]:
    settings = state.objects_view().get(OBJECTS_KEY)  # read only: copies nothing
    return settings if isinstance(settings, dict) else {}


def has_fault(state: DeviceState, fault: str) -> bool:
    """True when a test lab injected *fault* ("read" or "write") into the device log."""
    faults = _settings(state).get("faults", [])
    return isinstance(faults, list) and fault in faults


def device_log_capacity(state: DeviceState) -> int:
    """How many entries the device's log can hold: the lab override, else the profile's capacity."""
    override = _settings(state).get("capacity")
    if isinstance(override, int) and not isinstance(override, bool) and override >= 0:
        return override
    table = DEVICE_LOG_CAPACITY.get(state.profile, DEVICE_LOG_CAPACITY["default"])
    return table.get(state.device_type, DEVICE_LOG_CAPACITY["default"].get(state.device_type, 0))


def find_entry(state: DeviceState, eui: bytes) -> dict[str, Any] | None:
    """The device log entry for *eui*, or None."""
    key = eui_text(eui)
    for entry in state.device_log:
        if entry.get("eui") == key:
            return entry
    return None


def log_entries(state: DeviceState) -> tuple[DeviceLogEntry, ...]:
    """The device log as ASN.1 DeviceLogEntry values (CS07, GCS62)."""
    return tuple(DeviceLogEntry(bytes.fromhex(entry["eui"]), int(entry["device_type"])) for entry in state.device_log)


def check_entry(state: DeviceState, eui: bytes, device_type: int) -> JoinResponse:
    """Whether a (eui, device type) entry fits the log: success, incompatible (3) or full (4)."""
    if eui == state.eui:
        return JoinResponse.INCOMPATIBLE_WITH_EXISTING_ENTRY
    existing = find_entry(state, eui)
    if existing is not None:
        if int(existing["device_type"]) != device_type:
            return JoinResponse.INCOMPATIBLE_WITH_EXISTING_ENTRY
        return JoinResponse.SUCCESS
    if len(state.device_log) >= device_log_capacity(state):
        return JoinResponse.DEVICE_LOG_FULL
    return JoinResponse.SUCCESS


def record_entry(
    state: DeviceState,
    eui: bytes,
    device_type: int,
    now: dt.datetime,
    *,
    join_method: int | None = None,
    ka_certificate: bytes | None = None,
) -> None:
    """Enter or refresh a device log entry (after :func:`check_entry` said success)."""
    entry = find_entry(state, eui)
    if entry is None:
        entry = {"eui": eui_text(eui), "device_type": int(device_type)}
        state.device_log.append(entry)
    entry["join_method"] = join_method
    entry["joined"] = now.isoformat()
    if ka_certificate is not None:
        entry["ka_certificate"] = ka_certificate.hex().upper()


def remove_entry(state: DeviceState, eui: bytes) -> bool:
    """Remove the entry for *eui*; False when there was none."""
    key = eui_text(eui)
    kept = [entry for entry in state.device_log if entry.get("eui") != key]
    removed = len(kept) != len(state.device_log)
    state.device_log[:] = kept
    return removed


def check_ka_certificate(der: bytes | None, eui: bytes | None, now: dt.datetime) -> bool:
    """A usable KA certificate of the other device: P-256 key agreement, naming *eui* (unless None), valid *now*."""
    if der is None:
        return False
    try:
        cert = load_certificate(der)
        certificate_public_key(cert)
        usages = key_usages(cert)
        named = certificate_eui(cert)
        not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    except (SmetsError, ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType) as exc:
        log.info("join certificate refused: %s", exc)
        return False
    if "keyAgreement" not in usages or (eui is not None and named != eui):
        return False
    return not_before <= now <= not_after


class DeviceLogUseCases(Component):
    """The device log component: CS03 joins, CS04 unjoins, CS07 reads and the GPF's GCS59 restore and
    GCS62 backup (GBCS 13.3.4-13.3.6)."""

    def han_peer_certificate(self, state: DeviceState, eui: bytes) -> bytes | None:
        """The key agreement certificate recorded when *eui* joined (CS03A, GBCS 4.3.3.2), if any."""
        wanted = eui_text(eui)
        for entry in state.log_entries():  # read-only: the working copy's log is not copied for a look-up
            if entry.get("eui") == wanted and entry.get("ka_certificate"):
                return bytes.fromhex(entry["ka_certificate"])
        return None

    def _log_device(self) -> dict[JoinMethod, frozenset[OtherDeviceType]]:
        partners = JOIN_PARTNERS.get(self.device.device_type)
        if partners is None:
            raise CommandRejected(ALERT_INTEGRITY_FAILURE,
                                  f"a {self.device.device_type} has no CS03/CS04/CS07 device log")
        return partners

    @handles(0x000D, 0x00AB, 0x000E, 0x00AF)
    def join_device(self, ctx: CommandContext) -> HandlerResult:
        """CS03A1/CS03A2/CS03B/CS03C: enter the other device into the device log (GBCS 13.3.4)."""
        partners = self._log_device()
        command = _command(ctx, JoinDeviceCommand)
        before = list(ctx.state.device_log)
        code = self._join(ctx, partners, command)
        alerts = self._backup_alerts(ctx, before)
        log.info("device %s join %s: %s", ctx.state.eui.hex().upper(), command.other_device.hex().upper(), code.name)
        return HandlerResult(to_payload(CodeResponse(code), ctx.message_code, RESPONSE), alerts)

    def _join(
        self, ctx: CommandContext, partners: dict[JoinMethod, frozenset[OtherDeviceType]], command: JoinDeviceCommand
    ) -> JoinResponse:
        if command.method not in JoinMethod._value2member_map_:
            return JoinResponse.INVALID_JOIN_METHOD_AND_ROLE
        method = JoinMethod(command.method)
        if JOIN_MESSAGE_METHOD.get(ctx.message_code) is not method:
            return JoinResponse.INVALID_MESSAGE_CODE_FOR_JOIN_METHOD_AND_ROLE
        other_type, eui = command.other_type, command.other_device
        if len(eui) != 8 or other_type not in partners.get(method, ()):
            return JoinResponse.INVALID_JOIN_METHOD_AND_ROLE
        fits = check_entry(ctx.state, eui, other_type)
        if fits is not JoinResponse.SUCCESS:
            return fits
        certificate: bytes | None = None
        device_type = self.device.device_type
        if (device_type, method, other_type) in _NEEDS_CERTIFICATE:
            certificate = command.ka_certificate
            bound = None if device_type in _UNBOUND_CERTIFICATE else eui
            if not check_ka_certificate(certificate, bound, ctx.now):
                return JoinResponse.INVALID_OR_MISSING_CERTIFICATE
        if has_fault(ctx.state, "write"):
            return JoinResponse.WRITE_FAILURE
        record_entry(ctx.state, eui, other_type, ctx.now, join_method=int(method), ka_certificate=certificate)
        return JoinResponse.SUCCESS

    @handles(0x000F, 0x0010)
    def unjoin_device(self, ctx: CommandContext) -> HandlerResult:
        """CS04AC/CS04B: remove the other device from the device log (GBCS 13.3.5)."""
        self._log_device()
        eui = _command(ctx, UnjoinCommand).other_device
        before = list(ctx.state.device_log)
        if len(eui) != 8 or (find_entry(ctx.state, eui) is not None and has_fault(ctx.state, "write")):
            code = UnjoinResponse.OTHER_FAILURE
        elif remove_entry(ctx.state, eui):
            code = UnjoinResponse.SUCCESS
        else:
            code = UnjoinResponse.NOT_IN_DEVICE_LOG
        alerts = self._backup_alerts(ctx, before)
        return HandlerResult(to_payload(CodeResponse(code), ctx.message_code, RESPONSE), alerts)

    @handles(0x0013)
    def read_device_join_details(self, ctx: CommandContext) -> HandlerResult:
        """CS07: the device log entries (GBCS 13.3.6)."""
        self._log_device()
        _command(ctx, NullCommand)
        if has_fault(ctx.state, "read"):
            response = ReadDeviceJoinDetailsResponse(ReadResponse.READ_FAILURE)  # no entries
        else:
            response = ReadDeviceJoinDetailsResponse(ReadResponse.SUCCESS, log_entries(ctx.state))
        return HandlerResult(to_payload(response, ctx.message_code, RESPONSE))

    @handles(0x008C)
    def restore_gpf_device_log(self, ctx: CommandContext) -> HandlerResult:
        """GCS59: re-enter backed-up entries into a GPF's log, one join outcome per entry (GBCS 13.3.6)."""
        if self.device.device_type != "GPF":
            raise CommandRejected(ALERT_INTEGRITY_FAILURE, "GCS59 is for a GPF")
        partners = self._log_device()
        allowed = {int(t) for types in partners.values() for t in types}
        command = _command(ctx, GpfDeviceLogRestoreCommand)
        before = list(ctx.state.device_log)
        outcomes = []
        for item in command.entries:
            eui, other_type = item.device_id, item.device_type
            if len(eui) != 8 or other_type not in allowed:
                code = JoinResponse.INVALID_JOIN_METHOD_AND_ROLE
            else:
                code = check_entry(ctx.state, eui, other_type)
                if code is JoinResponse.SUCCESS and find_entry(ctx.state, eui) is None:
                    if has_fault(ctx.state, "write"):
                        code = JoinResponse.WRITE_FAILURE
                    else:
                        record_entry(ctx.state, eui, other_type, ctx.now)
            outcomes.append(RestoreOutcome(item, int(code)))
        alerts = self._backup_alerts(ctx, before)
        response = GpfDeviceLogRestoreResponse(tuple(outcomes))
        return HandlerResult(to_payload(response, ctx.message_code, RESPONSE), alerts)

    def _backup_alerts(self, ctx: CommandContext, before: list[dict[str, Any]]) -> list[AlertSpec]:
        """The GCS62 alert when a GPF's log changed (compared by entity id and device type)."""
        if self.device.device_type != "GPF":
            return []
        key = [(e["eui"], int(e["device_type"])) for e in before]
        if key == [(e["eui"], int(e["device_type"])) for e in ctx.state.device_log]:
            return []
        alert = gpf_backup_alert(ctx.state, ctx.now)
        return [] if alert is None else [alert]


def _command(ctx: CommandContext, model: type[_M]) -> _M:
    """The command content as *model*; content the models refuse is the 0x8F1E alert."""
    try:
        return read(ctx.payload, model)
    except FrameError as exc:
        raise CommandRejected(ALERT_INTEGRITY_FAILURE, str(exc)) from exc


def gpf_backup_alert(state: DeviceState, now: dt.datetime) -> AlertSpec | None:
    """GCS62 Backup GPF Device Log (0x00B2, alert 0x8071): MAC-only to the ACB; None without an ACB KA cell."""
    cell = Device.find_cell(state, Role.ACCESS_CONTROL_BROKER, CellKeyUsage.KEY_AGREEMENT)
    if cell is None or cell.subject_id is None:
        log.warning("GPF %s: no ACB key agreement anchor for the GCS62 alert", state.eui.hex().upper())
        return None
    alert = GpfDeviceLogBackupAlert(now.replace(microsecond=0), log_entries(state))
    payload = to_payload(alert, BACKUP_GPF_DEVICE_LOG, ALERT)
    return AlertSpec(BACKUP_GPF_DEVICE_LOG, payload, critical=False, recipient=cell.subject_id)
