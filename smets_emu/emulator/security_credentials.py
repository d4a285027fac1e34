"""Security credential use cases common to every device type (GBCS CS02a-CS02g, 13.3.5).

- CS02a/CS02f (0x0008, 0x011B) Provide Security Credential Details: per requested role the
  device's counter and the subject and key identifiers of its trust anchor cells.
- CS02b (0x0100-0x0109) and CS02g (0x0125, 0x0126) Update Security Credentials: replace trust
  anchor cells after certification path validation, re-base anti-replay counters, immediately
  or at a future date (alerts 0x00CB / 0x0124 with 0x8F66 or 0x8F67).
- CS02c (0x000A) Issue Security Credentials: a new key pair and its PKCS#10 request.
- CS02d (0x000B) Update Device Certificate and CS02e (0x000C) Provide Device Certificate.

Fault injection (``state.objects["faults"]["credentials"]``, see :func:`inject_credential_fault`):
failures inside the device that no command content causes, as a real device reports them after
e.g. a key generation hardware failure or a certificate storage failure:

- ``"issue"``: the CS02c responseCode instead of a new key pair (``keyPairGenerationFailed(2)``,
  ``crProductionFailed(3)``); the device keeps no pending key pair;
- ``"provide"``: the CS02e responseCode instead of the certificate (``certificateRetrievalFailure(3)``);
- ``"update"``: ``{cell label or "*": statusCode}``, the replacement status a CS02b/CS02g
  replacement of that trust anchor cell (``supplier/ds``, ``load_controller/ka`` ...) reports
  instead of being applied, immediately or when a future-dated update comes due.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_private_key

from smets_emu.emulator.anchors import AnchorCell, CellId, CellKeyUsage, CellUsage, Role, point
from smets_emu.emulator.credentials import certpath
from smets_emu.emulator.credentials.tree import (
    GENERALIZED_TIME,
    KEY_USAGE_BITS,
    NEVER,
    cell_from_tree,
    cell_to_tree,
    certificate_der,
    key_usage_of,
    number,
)
from smets_emu.emulator.device import (
    ALERT_AUTHENTICATION_FAILURE,
    ALERT_INTEGRITY_FAILURE,
    ALERT_NO_AUTHORITY,
    AlertSpec,
    CommandContext,
    CommandRejected,
    HandlerResult,
    Outbound,
    Outcome,
    handles,
)
from smets_emu.emulator.provision import private_key_der
from smets_emu.emulator.state import DeviceState, KeyPair
from smets_emu.errors import SmetsError
from smets_emu.protocols.payloads.asn1 import Asn1Payload
from smets_emu.protocols.payloads.asn1_types import (
    IssueSecurityCredentialsResponseCode,
    ProvideDeviceCertificateResponseCode,
)

log = logging.getLogger(__name__)

SUP, NO, ACB = Role.SUPPLIER, Role.NETWORK_OPERATOR, Role.ACCESS_CONTROL_BROKER
TCOS, REC, WANP, LC, ROOT = Role.TRANSITIONAL_COS, Role.RECOVERY, Role.WAN_PROVIDER, Role.LOAD_CONTROLLER, Role.ROOT

CS02B_CODES = tuple(range(0x0100, 0x010A))
CS02G_CODES = (0x0125, 0x0126)
CS02B_ALERT, CS02G_ALERT = 0x00CB, 0x0124
FUTURE_DATED_SUCCESS, FUTURE_DATED_FAILURE = 0x8F66, 0x8F67
PENDING_KIND = "update-security-credentials"

MODE_BY_CODE: dict[int, int] = {**{code: code - 0x0100 for code in CS02B_CODES}, 0x0125: 10, 0x0126: 11}
"""credentialsReplacementMode each message code carries (digest 5.3)."""

ACB_BY_ACB, RECOVERY_MODE, CONTINGENCY_MODE = 4, 8, 9

AUTHORISING_ROLE: dict[int, Role] = {
    0: SUP, 1: WANP, 2: SUP, 3: NO, 4: ACB, 5: WANP, 6: TCOS, 7: TCOS, 8: REC, 9: ROOT, 10: LC, 11: SUP,
}
"""Role of the trust anchor cell that authorises each replacement mode."""

FLOOR_ROLE: dict[int, Role] = {
    0: ROOT, 1: ROOT, 2: SUP, 3: NO, 4: ACB, 5: WANP, 6: TCOS, 7: SUP, 8: REC, 9: ROOT, 10: LC, 11: LC,
}
"""Role whose counter newRemotePartyFloorSeqNumber re-bases, per mode (RTDS remotePartySeqNumberChanges)."""

TARGET_ROLES: dict[int, frozenset[Role]] = {
    0: frozenset({ROOT}), 1: frozenset({ROOT}), 2: frozenset({SUP}), 3: frozenset({NO}), 4: frozenset({ACB}),
    5: frozenset({WANP}), 6: frozenset({TCOS}), 7: frozenset({SUP}), 8: frozenset(Role), 9: frozenset(Role),
    10: frozenset({LC}), 11: frozenset({LC}),
}
"""Trust anchor cells each replacement mode may replace."""

CS02F_UNREPORTED_ROLES = frozenset({TCOS})
"""Roles CS02f answers with status other(127) (RTDS 6.24.1_CS02fMAC, NA_CS02fSignature)."""

FAULTS_KEY, CREDENTIAL_FAULTS = "faults", "credentials"
"""``state.objects[FAULTS_KEY][CREDENTIAL_FAULTS]`` holds the injected credential faults."""
FAULT_OPERATIONS = frozenset({"issue", "provide", "update"})
_FAULT_CODE_NAMES: dict[str, dict[int, str]] = {
    "issue": IssueSecurityCredentialsResponseCode._map,
    "provide": ProvideDeviceCertificateResponseCode._map,
}

_USAGE_ORDER = {CellKeyUsage.KEY_CERT_SIGN: 0, CellKeyUsage.DIGITAL_SIGNATURE: 1, CellKeyUsage.KEY_AGREEMENT: 2}
_NO_ID = bytes(8)
_F = TypeVar("_F", bound=Callable[..., HandlerResult])


def _guarded(fn: _F) -> _F:
    """Turn a value the tree readers refuse into the 0x8F1E alert instead of an exception."""

    @functools.wraps(fn)
    def wrapper(self: Any, ctx: CommandContext) -> HandlerResult:
        try:
            return fn(self, ctx)
        except (KeyError, ValueError, TypeError) as exc:
            raise CommandRejected(ALERT_INTEGRITY_FAILURE, f"unusable command content: {exc}") from exc

    return wrapper  # type: ignore[return-value]


def _fault_code(operation: str, value: Any) -> int:
    """A fault's response or status code as an int (``3``, ``"crProductionFailed"`` or ``"other(127)"``)."""
    if isinstance(value, str):
        names = {name: code for code, name in _FAULT_CODE_NAMES.get(operation, {}).items()}
        if value in names:
            return names[value]
    return number(value)


def inject_credential_fault(state: DeviceState, operation: str, value: Any) -> None:
    """Make the device's next *operation* (``issue``, ``provide``, ``update``) fail with *value*.

    For ``issue`` and ``provide`` *value* is the response code (number or name); for ``update`` a
    mapping of trust anchor cell label (or ``"*"`` for every cell) to the replacement statusCode.
    The fault stays until :func:`clear_credential_faults`.
    """
    if operation not in FAULT_OPERATIONS:
        raise ValueError(f"unknown credential operation {operation!r}")
    if operation == "update":
        if not isinstance(value, dict):
            raise ValueError("an update fault maps cell labels to status codes")
        stored: Any = {str(cell): _fault_code(operation, code) for cell, code in value.items()}
    else:
        stored = _fault_code(operation, value)
    faults = dict(state.objects.get(FAULTS_KEY) or {})
    faults[CREDENTIAL_FAULTS] = {**(faults.get(CREDENTIAL_FAULTS) or {}), operation: stored}
    state.objects[FAULTS_KEY] = faults


def clear_credential_faults(state: DeviceState) -> None:
    """Remove every injected credential fault."""
    faults = {k: v for k, v in (state.objects.get(FAULTS_KEY) or {}).items() if k != CREDENTIAL_FAULTS}
    if faults:
        state.objects[FAULTS_KEY] = faults
    else:
        state.objects.pop(FAULTS_KEY, None)


def credential_fault(state: DeviceState, operation: str) -> Any:
    """The injected fault of *operation* (a code, or the update cell map), or None."""
    faults = state.objects.get(FAULTS_KEY)
    if not isinstance(faults, dict) or not isinstance(faults.get(CREDENTIAL_FAULTS), dict):
        return None
    return faults[CREDENTIAL_FAULTS].get(operation)


def _update_fault(state: DeviceState, cell: CellId) -> int | None:
    """The status an injected update fault gives a replacement of *cell*, or None."""
    fault = credential_fault(state, "update")
    if not isinstance(fault, dict):
        return None
    code = fault.get(cell.label(), fault.get("*"))
    return None if code is None else int(code)


def _hex(data: bytes | None) -> str:
    return (data or _NO_ID).hex().upper()


def _payload(schema: str, value: Any, code: int, cra: int) -> Asn1Payload:
    """A canonical ASN.1 payload; devices write long lengths with two octets (RTDS)."""
    return Asn1Payload.from_json({"family": "asn1", "schema": schema, "message_code": code, "cra_flag": cra,
                                  "length_style": "long2", "value": value})


def _time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, GENERALIZED_TIME).replace(tzinfo=dt.UTC)


def _cell_sort_key(cell: AnchorCell) -> tuple[int, int, int]:
    return int(cell.cell.role), _USAGE_ORDER[cell.cell.key_usage], int(cell.cell.cell_usage)


class SecurityCredentials:
    """Mixin holding the CS02 family handlers; mixed into every SMETS2 device model before ``Device``."""

    # -- CS02a / CS02f --------------------------------------------------------------------

    @handles(0x0008, 0x011B)
    @_guarded
    def provide_security_credential_details(self, ctx: CommandContext) -> HandlerResult:
        """CS02a/CS02f: details of the cells of each requested role (GBCS 13.3.5.x, digest 5.2)."""
        value = ctx.payload.value
        self._authorising_cell(ctx, value.get("authorisingRemotePartyTACellIdentifier"))
        details: list[dict[str, Any]] = []
        for item in value["remotePartyRolesCredentialsRequired"]:
            role_number = number(item)
            try:
                role = Role(role_number)
            except ValueError:
                details.append({"remotePartyRole": role_number, "statusCode": certpath.OTHER})
                continue
            if ctx.message_code == 0x011B and role in CS02F_UNREPORTED_ROLES:
                details.append({"remotePartyRole": int(role), "statusCode": certpath.OTHER})
                continue
            cells = sorted((c for c in ctx.state.anchors.values() if c.cell.role is role and not c.empty),
                           key=_cell_sort_key)
            if not cells:
                details.append({"remotePartyRole": int(role), "statusCode": certpath.TRUST_ANCHOR_NOT_FOUND})
                continue
            rows = []
            for cell in cells:
                row: dict[str, Any] = {"keyUsage": [KEY_USAGE_BITS[cell.cell.key_usage]]}
                if cell.cell.cell_usage is not CellUsage.MANAGEMENT:
                    row["cellUsage"] = int(cell.cell.cell_usage)
                row["subjectUniqueID"] = _hex(cell.subject_id)
                row["subjectKeyIdentifier"] = _hex(cell.subject_key_id)
                rows.append(row)
            details.append({
                "remotePartyRole": int(role),
                "statusCode": certpath.SUCCESS,
                "currentSeqNumber": max(0, ctx.state.counters.get(int(role), 0)),
                "trustAnchorCellDetails": rows,
            })
        schema = "CS02aResponse" if ctx.message_code == 0x0008 else "CS02fResponse"
        return HandlerResult(_payload(schema, details, ctx.message_code, 2), date_time=False)

    def _authorising_cell(self, ctx: CommandContext, tree: Any) -> AnchorCell:
        """The populated cell a command names as its authoriser; it must name the originator."""
        cell_id = cell_from_tree(tree)
        if cell_id is None:
            raise CommandRejected(ALERT_INTEGRITY_FAILURE, "authorising trust anchor cell identifier is invalid")
        cell = ctx.state.anchors.get(cell_id)
        if cell is None or cell.empty:
            raise CommandRejected(ALERT_NO_AUTHORITY, f"device holds no {cell_id.label()} cell")
        if cell.subject_id != ctx.header.originator:
            raise CommandRejected(ALERT_NO_AUTHORITY, f"{cell_id.label()} cell does not name the originator")
        return cell

    # -- CS02b / CS02g ----------------------------------------------------------------------

    @handles(*CS02B_CODES, *CS02G_CODES)
    @_guarded
    def update_security_credentials(self, ctx: CommandContext) -> HandlerResult:
        """CS02b/CS02g: replace trust anchor cells now, at a future date, or cancel (GBCS 13.3.5.x)."""
        code = ctx.message_code
        value = ctx.payload.value
        control = value["authorisingRemotePartyControl"]
        mode = number(control["credentialsReplacementMode"])
        if MODE_BY_CODE[code] != mode:
            raise CommandRejected(ALERT_INTEGRITY_FAILURE, f"mode {mode} does not match message code 0x{code:04X}")
        self._check_update_authoriser(ctx, mode, control)
        if number(control["authorisingRemotePartySeqNumber"]) != ctx.header.originator_counter:
            raise CommandRejected(ALERT_INTEGRITY_FAILURE, "authorisingRemotePartySeqNumber is not the command counter")
        for replacement in value["replacements"]:
            target = cell_from_tree(replacement["targetTrustAnchorCell"])
            if target is None:
                raise CommandRejected(ALERT_INTEGRITY_FAILURE, "target trust anchor cell identifier is invalid")
            if target.role not in TARGET_ROLES[mode]:
                raise CommandRejected(ALERT_NO_AUTHORITY, f"mode {mode} may not replace {target.label()}")
        schema = "CS02bResponse" if code in CS02B_CODES else "CS02gResponse"
        when = value.get("executionDateTime")
        pending = [p for p in ctx.state.pending if p.get("kind") == PENDING_KIND and p.get("message_code") == code]
        if when == NEVER:
            for entry in pending:
                ctx.state.pending.remove(entry)
            log.info("device %s: %d pending credential update(s) cancelled", ctx.state.eui.hex().upper(), len(pending))
            return HandlerResult(_payload(schema, {"commandAccepted": None}, code, 2), date_time=True, sign=True)
        if when is not None and _time(when) > ctx.now:
            for entry in pending:
                ctx.state.pending.remove(entry)
            ctx.state.pending.append({
                "kind": PENDING_KIND,
                "message_code": code,
                "execution_date_time": when,
                "received": ctx.now.isoformat(),
                "originator": ctx.header.originator.hex().upper(),
                "originator_counter": ctx.header.originator_counter,
                "value": value,
            })
            return HandlerResult(_payload(schema, {"commandAccepted": None}, code, 2), date_time=True, sign=True)
        outcome, _ok, rebased = self.execute_credential_update(ctx.state, mode, value, ctx.now)
        if int(ctx.role) in rebased:
            ctx.counter_rebased = True
        return HandlerResult(_payload(schema, {"commandAccepted": None, "executionOutcome": outcome}, code, 2),
                             date_time=True, sign=True)

    def _check_update_authoriser(self, ctx: CommandContext, mode: int, control: dict[str, Any]) -> None:
        """The authorising cell fits the mode, names the originator and holds the key that signed."""
        tree = control.get("authorisingRemotePartyTACellIdentifier")
        if tree is None:
            if mode != ACB_BY_ACB or ctx.state.device_type == "CHF":
                raise CommandRejected(ALERT_INTEGRITY_FAILURE, "authorising trust anchor cell identifier missing")
            cell = None
            for usage in (CellKeyUsage.KEY_AGREEMENT, CellKeyUsage.DIGITAL_SIGNATURE):
                found = ctx.state.anchors.get(CellId(ACB, usage))
                if found is not None and not found.empty and found.subject_id == ctx.header.originator:
                    cell = found
                    break
            if cell is None:
                raise CommandRejected(ALERT_NO_AUTHORITY, "originator is not the access control broker")
        else:
            cell = self._authorising_cell(ctx, tree)
        if cell.cell.role is not AUTHORISING_ROLE[mode]:
            raise CommandRejected(ALERT_NO_AUTHORITY, f"{cell.cell.label()} cannot authorise mode {mode}")
        if ctx.signed:
            signer = ctx.state.anchors.get(CellId(ctx.role, CellKeyUsage.DIGITAL_SIGNATURE))
            if (cell.cell.key_usage is not CellKeyUsage.DIGITAL_SIGNATURE or signer is None
                    or signer.public_point != cell.public_point):
                raise CommandRejected(ALERT_AUTHENTICATION_FAILURE, "command not signed with the authorising key")

    def execute_credential_update(
        self,
        state: DeviceState,
        mode: int,
        value: dict[str, Any],
        now: dt.datetime,
        *,
        checked_at: dt.datetime | None = None,
    ) -> tuple[dict[str, Any], bool, set[int]]:
        """Validate and apply the replacements; returns (ExecutionOutcome tree, all succeeded, re-based roles).

        Validity is checked at *checked_at* (the receipt time of a future-dated command) or *now*,
        unless applyTimeBasedCPVChecks is disapply. Counters are re-based only for roles whose
        credentials this command changed, so a floor never re-opens a replay window.
        """
        control = value["authorisingRemotePartyControl"]
        apply_time = number(control.get("applyTimeBasedCPVChecks", 0)) == 0
        at = (checked_at or now) if apply_time else None
        root = state.anchors.get(CellId(ROOT, CellKeyUsage.KEY_CERT_SIGN))
        recovery = state.anchors.get(CellId(REC, CellKeyUsage.DIGITAL_SIGNATURE))
        recovery_key: ec.EllipticCurvePublicKey | None = None
        if recovery is not None and not recovery.empty:
            recovery_key = recovery.public_key()
        path = [certificate_der(c) for c in value["certificationPathCertificates"]]
        outcomes: list[dict[str, Any]] = []
        replaced: dict[CellId, AnchorCell] = {}
        for replacement in value["replacements"]:
            target = cell_from_tree(replacement["targetTrustAnchorCell"])
            assert target is not None
            existing = state.anchors.get(target)
            fault = _update_fault(state, target)
            if existing is None:
                status, new = certpath.TRUST_ANCHOR_NOT_FOUND, None
            elif fault is not None:
                status, new = fault, None
                log.info("device %s: %s not replaced: injected fault %d", state.eui.hex().upper(), target.label(),
                         fault)
            else:
                result = certpath.check_replacement(
                    certificate_der(replacement["replacementCertificate"]), target, path, root,
                    at=at, recovery_key=recovery_key, root_authorised=mode == RECOVERY_MODE,
                )
                status = result.status
                new = None
                if result.ok and result.certificate is not None:
                    new = AnchorCell.from_certificate(
                        target, result.certificate, subject_id=_NO_ID if target.role is ROOT else None
                    )
                elif not result.ok:
                    log.info("device %s: %s not replaced: %s", state.eui.hex().upper(), target.label(), result.reason)
            before = existing or AnchorCell(target)
            after = new or before
            outcomes.append({
                "affectedTrustAnchorCell": cell_to_tree(target),
                "statusCode": status,
                "existingSubjectUniqueID": _hex(before.subject_id),
                "existingSubjectKeyID": _hex(before.subject_key_id),
                "replacingSubjectUniqueID": _hex(after.subject_id),
                "replacingSubjectKeyID": _hex(after.subject_key_id),
            })
            if new is not None:
                replaced[target] = new
        changes = _seq_number_changes(mode, control)
        changed_roles = {int(cell.role) for cell, new in replaced.items()
                         if (state.anchors[cell].public_point != new.public_point
                             or state.anchors[cell].subject_id != new.subject_id)}
        state.anchors.update(replaced)
        rebased: set[int] = set()
        for change in changes:
            role = change["remotePartyRole"]
            if role not in changed_roles:
                continue
            state.counters[role] = change["floorSeqNumber"]
            rebased.add(role)
            for specialist in change.get("specialistFloorSeqNumber", []):
                state.specialist_counters[number(specialist["seqNumberUsage"])] = number(specialist["seqNumber"])
        outcome = {
            "authorisingRemotePartySeqNumber": number(control["authorisingRemotePartySeqNumber"]),
            "credentialsReplacementMode": mode,
            "remotePartySeqNumberChanges": changes,
            "replacementOutcomes": outcomes,
        }
        return outcome, all(o["statusCode"] == certpath.SUCCESS for o in outcomes), rebased

    # -- future-dated execution ---------------------------------------------------------------

    def due(self, now: dt.datetime) -> Outcome:
        """Run the timers of the device model, then any future-dated credential update now due."""
        base: Outcome = super().due(now)  # type: ignore[misc]
        outbound = self.run_due_credential_updates(now)
        if not outbound:
            return base
        return Outcome(self.state, [*base.outbound, *outbound], accepted=True)  # type: ignore[attr-defined]

    def run_due_credential_updates(self, now: dt.datetime) -> list[Outbound]:
        """Execute pending CS02b/CS02g commands whose time has come; alerts 0x00CB/0x0124 (GBCS 13.3.5.x)."""
        state: DeviceState = self.state  # type: ignore[attr-defined]
        ready = [p for p in state.pending
                 if p.get("kind") == PENDING_KIND and _time(p["execution_date_time"]) <= now]
        if not ready:
            return []
        work = state.clone()
        outbound: list[Outbound] = []
        for entry in sorted(ready, key=lambda p: p["execution_date_time"]):
            work.pending = [p for p in work.pending if p != entry]
            code = entry["message_code"]
            try:
                received = dt.datetime.fromisoformat(entry["received"])
                outcome, ok, _ = self.execute_credential_update(
                    work, MODE_BY_CODE[code], entry["value"], now, checked_at=received
                )
                alert_code = 0x00CB if code in CS02B_CODES else 0x0124
                schema = "CS02bAlert" if code in CS02B_CODES else "CS02gAlert"
                body = {
                    "alertCode": FUTURE_DATED_SUCCESS if ok else FUTURE_DATED_FAILURE,
                    "executionDateTime": entry["execution_date_time"],
                    "executionOutcome": outcome,
                }
                spec = AlertSpec(alert_code, _payload(schema, body, alert_code, 3), critical=True,
                                 recipient=bytes.fromhex(entry["originator"]))
                outbound.append(self.build_alert(work, spec, now))  # type: ignore[attr-defined]
            except (SmetsError, KeyError, ValueError) as exc:
                log.warning("device %s: pending credential update dropped: %s", work.eui.hex().upper(), exc)
        self.state = work  # type: ignore[attr-defined]
        return outbound

    # -- CS02c / CS02d / CS02e ------------------------------------------------------------------

    @handles(0x000A)
    @_guarded
    def issue_security_credentials(self, ctx: CommandContext) -> HandlerResult:
        """CS02c: generate a key pair for the usage, keep it pending, answer a PKCS#10 request (GBCS 13.3.5.x)."""
        usage = _device_usage(ctx.payload.value.get("keyUsage"))
        pair = ctx.state.keys.get(usage) if usage else None
        fault = credential_fault(ctx.state, "issue")
        if usage is None:
            value: dict[str, Any] = {"responseCode": 1}
        elif pair is None:
            value = {"responseCode": 2}
        elif fault is not None:
            log.info("device %s: CS02c fails: injected fault %s", ctx.state.eui.hex().upper(), fault)
            value = {"responseCode": int(fault)}
        else:
            key = ec.generate_private_key(ec.SECP256R1())
            pair.pending_private_key = private_key_der(key)
            value = {"certificationRequest": {"der": certpath.certification_request(ctx.state.eui, usage, key).hex()}}
        return HandlerResult(_payload("CS02cResponse", value, ctx.message_code, 2), date_time=False)

    @handles(0x000B)
    @_guarded
    def update_device_certificate(self, ctx: CommandContext) -> HandlerResult:
        """CS02d: install a device certificate for the pending (or current) key pair (GBCS 13.3.5.x)."""
        code, cert, usage = certpath.check_device_certificate(certificate_der(ctx.payload.value), ctx.state.eui)
        if code == certpath.CS02D_SUCCESS and cert is not None and usage is not None:
            code = _install_device_certificate(ctx.state, usage, point(cert.public_key()),  # type: ignore[arg-type]
                                               certificate_der(ctx.payload.value))
        return HandlerResult(_payload("CS02dResponse", code, ctx.message_code, 2), date_time=False)

    @handles(0x000C)
    @_guarded
    def provide_device_certificate(self, ctx: CommandContext) -> HandlerResult:
        """CS02e: the device's current certificate for the key usage (GBCS 13.3.5.x)."""
        usage = _device_usage(ctx.payload.value.get("keyUsage"))
        pair = ctx.state.keys.get(usage) if usage else None
        fault = credential_fault(ctx.state, "provide")
        if usage is None:
            value: dict[str, Any] = {"responseCode": 1}
        elif fault is not None:
            log.info("device %s: CS02e fails: injected fault %s", ctx.state.eui.hex().upper(), fault)
            value = {"responseCode": int(fault)}
        elif pair is None or pair.certificate is None:
            value = {"responseCode": 2}
        else:
            value = {"certificate": {"der": pair.certificate.hex()}}
        return HandlerResult(_payload("CS02eResponse", value, ctx.message_code, 2), date_time=False)


def _device_usage(tree: Any) -> str | None:
    try:
        usage = key_usage_of(tree)
    except ValueError:
        return None
    return {CellKeyUsage.DIGITAL_SIGNATURE: "ds", CellKeyUsage.KEY_AGREEMENT: "ka"}.get(usage)  # type: ignore[arg-type]


def _public_point(private_der: bytes) -> bytes:
    key = load_der_private_key(private_der, None)
    return point(key.public_key())  # type: ignore[arg-type]


def _install_device_certificate(state: DeviceState, usage: str, cert_point: bytes, der: bytes) -> int:
    pair = state.keys.get(usage)
    if pair is None:
        return certpath.CS02D_NO_KEY_PAIR
    if pair.pending_private_key is not None and _public_point(pair.pending_private_key) == cert_point:
        state.keys[usage] = KeyPair(pair.pending_private_key, der, None)
        return certpath.CS02D_SUCCESS
    if _public_point(pair.private_key) == cert_point:
        pair.certificate = der
        return certpath.CS02D_SUCCESS
    return certpath.CS02D_WRONG_PUBLIC_KEY if pair.pending_private_key is not None else certpath.CS02D_NO_KEY_PAIR


def _seq_number_changes(mode: int, control: dict[str, Any]) -> list[dict[str, Any]]:
    """RemotePartySeqNumberChanges the command asks for: the new floor, then the other roles' changes."""
    changes: list[dict[str, Any]] = []
    if "newRemotePartyFloorSeqNumber" in control:
        change: dict[str, Any] = {"remotePartyRole": int(FLOOR_ROLE[mode]),
                                  "floorSeqNumber": number(control["newRemotePartyFloorSeqNumber"])}
        if "newRemotePartySpecialistFloorSeqNumber" in control:
            change["specialistFloorSeqNumber"] = [
                {"seqNumberUsage": number(s["seqNumberUsage"]), "seqNumber": number(s["seqNumber"])}
                for s in control["newRemotePartySpecialistFloorSeqNumber"]
            ]
        changes.append(change)
    for other in control.get("otherRemotePartySeqNumberChanges", []):
        change = {"remotePartyRole": number(other["remotePartyRole"]),
                  "floorSeqNumber": number(other["floorSeqNumber"])}
        if "specialistFloorSeqNumber" in other:
            change["specialistFloorSeqNumber"] = [
                {"seqNumberUsage": number(s["seqNumberUsage"]), "seqNumber": number(s["seqNumber"])}
                for s in other["specialistFloorSeqNumber"]
            ]
        changes.append(change)
    return changes
