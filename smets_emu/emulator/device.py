"""The sans-IO SMETS2 device: GBCS dispatch, protection and outbound messages.

``Device.handle(data, now)`` runs the GBCS order for every inbound message: decode, recipient
check, MAC (ACB key agreement cell, GBCS 6.2.4), Known Remote Party signature for critical
commands, role authorisation against the trust anchor cells, anti-replay originator counter
(GBCS 4.3.1.5), lifecycle gate, the handler registered for the message code, then the response
and alerts, MACed or signed as GBCS requires. It works on a copy of the state: the caller
commits the returned state and messages together (see :mod:`smets_emu.hosting.store`).

A command that fails a security check is discarded and reported with an alert, never with a
Python exception on the wire: 0x8F1E (integrity check of content or format failed), 0x8F3D
(trusted source authentication failure), 0x8F30 (source does not have authority for command)
and 0x8F53 (other authentication or authorisation failure, used for replayed counters).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, TypeVar

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_private_key

from smets_emu.emulator import rules
from smets_emu.emulator.anchors import AnchorCell, CellId, CellKeyUsage, CellUsage, Role
from smets_emu.emulator.component import Component, collect_handlers
from smets_emu.emulator.component import handles as handles
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import CryptoError, FrameError, KeyMaterialError, SmetsError
from smets_emu.protocols import crypto
from smets_emu.protocols.envelope import (
    CraFlag,
    Envelope,
    GroupingHeader,
    OtherInfo,
    WireSpans,
    append_signature,
    decode_envelope_with_spans,
    encode_envelope,
    encode_maced,
    encode_signed_span,
)
from smets_emu.protocols.message_codes import lookup
from smets_emu.protocols.payloads import Payload, PayloadContext, decode_payload
from smets_emu.protocols.timestamps import DlmsDateTime

log = logging.getLogger(__name__)

ALERT_INTEGRITY_FAILURE = 0x8F1E
ALERT_AUTHENTICATION_FAILURE = 0x8F3D
ALERT_NO_AUTHORITY = 0x8F30
ALERT_OTHER_AUTH_FAILURE = 0x8F53
GENERIC_CRITICAL_ALERT = 0x1000
GENERIC_NON_CRITICAL_ALERT = 0x1001


class CommandRejected(SmetsError):
    """A handler refuses a command; the device raises *alert_code* instead of responding."""

    def __init__(self, alert_code: int, detail: str) -> None:
        super().__init__(detail)
        self.alert_code = alert_code


@dataclass(frozen=True)
class Outbound:
    """A message the device sends."""

    kind: str  # "response" or "alert"
    recipient: bytes
    message: bytes
    message_code: int


@dataclass
class Outcome:
    """What handling one inbound message produced."""

    state: DeviceState
    outbound: list[Outbound] = field(default_factory=list)
    accepted: bool = False
    reason: str = ""

    @property
    def responses(self) -> list[Outbound]:
        """The responses among the outbound messages."""
        return [o for o in self.outbound if o.kind == "response"]

    @property
    def alerts(self) -> list[Outbound]:
        """The alerts among the outbound messages."""
        return [o for o in self.outbound if o.kind == "alert"]


@dataclass(frozen=True)
class AlertSpec:
    """An alert a handler asks the device to send."""

    message_code: int
    payload: Payload
    critical: bool
    recipient: bytes | None = None  # default: the party responsible for the device's alerts
    supplementary_id: bytes | None = None  # alert addressed via another party (other-information)
    supplementary_counter: int | None = None


@dataclass
class HandlerResult:
    """A handler's answer: the response payload (None for no response) and any alerts."""

    payload: Payload | None
    alerts: list[AlertSpec] = field(default_factory=list)
    date_time: bool | None = None  # response header date-time; default: present for critical commands
    sign: bool | None = None  # sign the response; default: when the command was signed


@dataclass
class CommandContext:
    """Everything a handler may use about the command being handled."""

    device: Device
    state: DeviceState  # the working copy the handler may change
    header: GroupingHeader
    payload: Payload
    now: dt.datetime
    role: Role  # role of the grouping-header originator
    requester: bytes  # supplementary remote party if present, else the originator
    requester_role: Role | None
    critical: bool
    signed: bool
    counter_rebased: bool = False  # a handler set a new floor for the originator's own counter (CS02b)

    @property
    def message_code(self) -> int:
        return self.header.message_code


Handler = Callable[[Any, CommandContext], HandlerResult]

C = TypeVar("C", bound=Component)


class Device:
    """Base of the ESME, GSME, CHF and GPF models: the kernel plus the model's components."""

    device_type: ClassVar[str] = ""
    payload_family: ClassVar[str] = "dlms"  # family of generic alerts: "dlms" or "gbz"
    component_types: ClassVar[tuple[type[Component], ...]] = ()
    _routes: ClassVar[dict[int, tuple[int, str]]] = {}  # message code -> (component index or -1, method)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        routes: dict[int, tuple[int, str]] = {code: (-1, name) for code, name in collect_handlers(cls).items()}
        for index, kind in enumerate(cls.component_types):
            for code, name in kind.handlers.items():
                if code in routes:
                    raise TypeError(f"{cls.__name__}: message code 0x{code:04X} handled twice ({kind.__name__}.{name})")
                routes[code] = (index, name)
        cls._routes = routes

    def __init__(self, state: DeviceState) -> None:
        if state.device_type != self.device_type:
            raise KeyMaterialError(f"state of a {state.device_type} given to a {self.device_type} model")
        self.state = state
        self.components: tuple[Component, ...] = tuple(kind(self) for kind in self.component_types)
        self._secrets = crypto.SharedSecretCache(max_entries=64)
        self._key_cache: dict[bytes, ec.EllipticCurvePrivateKey] = {}
        self._pub_cache: dict[bytes, ec.EllipticCurvePublicKey] = {}

    def find(self, kind: type[C]) -> C | None:
        """This device's component of *kind* (or of a subclass of it), or None."""
        for component in self.components:
            if isinstance(component, kind):
                return component
        return None

    def component(self, kind: type[C]) -> C:
        """This device's component of *kind*; a :class:`SmetsError` if the model has none."""
        found = self.find(kind)
        if found is None:
            raise SmetsError(f"a {self.device_type} has no {kind.__name__}")
        return found

    def handler(self, message_code: int) -> Callable[[CommandContext], HandlerResult] | None:
        """The bound handler registered for *message_code*, or None."""
        route = self._routes.get(message_code)
        if route is None:
            return None
        index, name = route
        owner: object = self if index < 0 else self.components[index]
        method: Callable[[CommandContext], HandlerResult] = getattr(owner, name)
        return method

    # -- identities and keys ------------------------------------------------------------

    @property
    def eui(self) -> bytes:
        return self.state.eui

    def private_key(self, state: DeviceState, usage: str) -> ec.EllipticCurvePrivateKey:
        """The device's own private key ("ds" or "ka")."""
        pair = state.keys.get(usage)
        if pair is None:
            raise KeyMaterialError(f"device has no {usage} key pair")
        key = self._key_cache.get(pair.private_key)
        if key is None:
            loaded = load_der_private_key(pair.private_key, None)
            if not isinstance(loaded, ec.EllipticCurvePrivateKey):
                raise KeyMaterialError("device keys are P-256")
            key = self._key_cache[pair.private_key] = loaded
        return key

    def cell_public_key(self, cell: AnchorCell) -> ec.EllipticCurvePublicKey:
        """Cached public key of a populated anchor cell."""
        assert cell.public_point is not None
        key = self._pub_cache.get(cell.public_point)
        if key is None:
            key = self._pub_cache[cell.public_point] = cell.public_key()
        return key

    @staticmethod
    def role_of(state: DeviceState, eui: bytes, usage: CellKeyUsage | None = None) -> Role | None:
        """The role whose anchor cell names *eui* (digital signing cells first)."""
        order = [usage] if usage else [CellKeyUsage.DIGITAL_SIGNATURE, CellKeyUsage.KEY_AGREEMENT]
        for wanted in order:
            for cell in state.anchors.values():
                if cell.cell.key_usage is wanted and cell.subject_id == eui and not cell.empty:
                    return cell.cell.role
        return None

    @staticmethod
    def find_cell(state: DeviceState, role: Role, usage: CellKeyUsage, prepayment: bool = False) -> AnchorCell | None:
        """The populated anchor cell for (role, usage), or None."""
        cell_usage = CellUsage.PREPAYMENT_TOP_UP if prepayment else CellUsage.MANAGEMENT
        cell = state.anchors.get(CellId(role, usage, cell_usage))
        return None if cell is None or cell.empty else cell

    def party_ka_cell(self, state: DeviceState, eui: bytes) -> AnchorCell | None:
        """The key agreement cell naming *eui* (for MACs and encryption towards that party)."""
        for cell in state.anchors.values():
            if (
                cell.cell.key_usage is CellKeyUsage.KEY_AGREEMENT
                and cell.cell.cell_usage is CellUsage.MANAGEMENT
                and cell.subject_id == eui
                and not cell.empty
            ):
                return cell
        return None

    def han_peer_key(self, state: DeviceState, eui: bytes) -> ec.EllipticCurvePublicKey | None:
        """The key agreement key of a HAN device in this device's log (from its join certificate)."""
        wanted = eui.hex().upper()
        for entry in state.device_log:
            if entry.get("eui") == wanted and entry.get("ka_certificate"):
                der = bytes.fromhex(entry["ka_certificate"])
                key = self._pub_cache.get(der)
                if key is None:
                    try:
                        from cryptography import x509

                        loaded = x509.load_der_x509_certificate(der).public_key()
                    except ValueError:
                        return None
                    if not isinstance(loaded, ec.EllipticCurvePublicKey):
                        return None
                    key = self._pub_cache[der] = loaded
                return key
        return None

    def shared_secret(self, state: DeviceState, cell: AnchorCell) -> bytes:
        """Z between the device KA key and a remote party KA cell."""
        return self._secrets.get(private_key=self.private_key(state, "ka"), public_key=self.cell_public_key(cell))

    def alert_recipient(self, state: DeviceState) -> bytes:
        """Where this device sends its alerts: the supplier for meters, the ACB for the CHF/GPF."""
        for role in (Role.SUPPLIER, Role.ACCESS_CONTROL_BROKER):
            cell = self.find_cell(state, role, CellKeyUsage.KEY_AGREEMENT)
            if cell is not None and cell.subject_id is not None:
                return cell.subject_id
        return bytes(8)

    # -- dispatch -------------------------------------------------------------------------

    def handle(self, data: bytes, now: dt.datetime) -> Outcome:
        """Process one inbound message; the returned state is a new object if anything changed."""
        try:
            env, spans = decode_envelope_with_spans(data)
        except FrameError as exc:
            return self._reject_unaddressable(now, f"malformed message: {exc}")
        header = env.header
        if header.recipient != self.eui:
            return Outcome(self.state, reason="not addressed to this device")
        if header.cra_flag is not CraFlag.COMMAND:
            return Outcome(self.state, reason="not a command")
        work = self.state.clone()
        try:
            ctx = self._authenticate(work, env, spans, now)
        except CommandRejected as exc:
            return self._reject(work, header, now, exc.alert_code, str(exc))
        handler = self.handler(header.message_code)
        if handler is None:
            self._accept_counter(work, ctx)
            alert = self.unsupported_command_alert(header, now)
            if alert is None:
                return self._reject(work, header, now, ALERT_INTEGRITY_FAILURE, "message code not supported by device")
            work.log_security_event(ALERT_INTEGRITY_FAILURE, now.isoformat(), "message code not supported by device")
            outbound = [self.build_alert(work, alert, now)]
            self.state = work
            return Outcome(work, outbound, accepted=False, reason="message code not supported by device")
        try:
            result = handler(ctx)
        except CommandRejected as exc:
            self._accept_counter(work, ctx)
            return self._reject(work, header, now, exc.alert_code, str(exc))
        except SmetsError as exc:
            log.info("device %s: command 0x%04X failed: %s", self.eui.hex(), header.message_code, exc)
            work = self.state.clone()
            self._accept_counter(work, ctx)
            return self._reject(work, header, now, ALERT_INTEGRITY_FAILURE, f"command failed: {exc}")
        self._accept_counter(work, ctx)
        outbound: list[Outbound] = []
        if result.payload is not None:
            outbound.append(self._response(work, ctx, result))
        for alert in result.alerts:
            outbound.append(self.build_alert(work, alert, now))
        self.state = work
        return Outcome(work, outbound, accepted=True)

    def due(self, now: dt.datetime) -> Outcome:
        """Run timers and future-dated commands whose time has come (overridden by device models)."""
        return Outcome(self.state)

    def commit(self, outcome: Outcome) -> None:
        """Adopt a state produced by :meth:`handle` or :meth:`due` (after the store committed it)."""
        self.state = outcome.state

    # -- security checks -----------------------------------------------------------------

    def _authenticate(self, state: DeviceState, env: Envelope, spans: WireSpans, now: dt.datetime) -> CommandContext:
        header = env.header
        code = header.message_code
        role = self.role_of(state, header.originator)
        allowed = rules.allowed_roles(code, self.device_type)
        if role is not None and role not in allowed:
            # a party holding several roles' cells (e.g. the ACB on a GPF before handover) acts in an allowed one
            held = [c.cell.role for c in state.anchors.values()
                    if c.subject_id == header.originator and not c.empty
                    and c.cell.key_usage is CellKeyUsage.DIGITAL_SIGNATURE]
            role = next((r for r in held if r in allowed), role)
        han_peer = self.han_peer_key(state, header.originator) if role is None else None
        if han_peer is not None:
            role = Role.OTHER  # a HAN device joined to this one (e.g. a PPMID), GBCS 4.3.3.2
        if env.mac is None:
            if code not in rules.SIGNED_ONLY_CODES or env.signature is None:
                raise CommandRejected(ALERT_AUTHENTICATION_FAILURE, "command without MAC")
        else:
            acb = self.find_cell(state, Role.ACCESS_CONTROL_BROKER, CellKeyUsage.KEY_AGREEMENT)
            if acb is None and han_peer is None:
                raise CommandRejected(ALERT_AUTHENTICATION_FAILURE, "no ACB key agreement anchor")
            try:
                secret = (
                    self._secrets.get(private_key=self.private_key(state, "ka"), public_key=han_peer)
                    if han_peer is not None
                    else self.shared_secret(state, acb)  # type: ignore[arg-type]
                )
                key = crypto.derive_key(
                    shared_secret=secret,
                    mode=crypto.KdfMode.COMMAND,
                    originator=header.originator,
                    counter=header.originator_counter,
                    recipient=header.recipient,
                )
                crypto.verify_mac(
                    key=key, originator=header.originator, signing_apdu=spans.signing_apdu, mac=env.mac
                )
            except CryptoError as exc:
                raise CommandRejected(ALERT_AUTHENTICATION_FAILURE, f"MAC check failed: {exc}") from exc
        if role is None:
            raise CommandRejected(ALERT_NO_AUTHORITY, f"originator {header.originator.hex().upper()} is unknown")
        critical = rules.is_critical(code)
        if code == 0x0104 and self.device_type == "CHF":
            critical = True
        if env.signature is not None:
            cell = self.find_cell(state, role, CellKeyUsage.DIGITAL_SIGNATURE)
            if cell is None:
                raise CommandRejected(ALERT_AUTHENTICATION_FAILURE, "no signing anchor for the originator")
            try:
                crypto.verify_signature(
                    public_key=self.cell_public_key(cell), data=spans.signed, signature=env.signature
                )
            except CryptoError as exc:
                raise CommandRejected(ALERT_AUTHENTICATION_FAILURE, f"signature check failed: {exc}") from exc
        elif critical:
            raise CommandRejected(ALERT_AUTHENTICATION_FAILURE, "critical command is not signed")
        if role not in allowed:
            raise CommandRejected(ALERT_NO_AUTHORITY, f"{role.name} may not send 0x{code:04X}")
        last = state.counters.get(int(role), -1)
        if header.originator_counter <= last:
            raise CommandRejected(
                ALERT_OTHER_AUTH_FAILURE, f"originator counter {header.originator_counter} not above {last}"
            )
        if state.lifecycle == "decommissioned":
            raise CommandRejected(ALERT_NO_AUTHORITY, "device is decommissioned")
        oi = header.other_information
        requester = oi.supplementary_remote_party_id or header.originator
        requester_role = self.role_of(state, requester) if oi.supplementary_remote_party_id else role
        try:
            payload = decode_payload(env.content, PayloadContext(code, int(CraFlag.COMMAND)))
        except SmetsError as exc:
            raise CommandRejected(ALERT_INTEGRITY_FAILURE, f"malformed payload: {exc}") from exc
        return CommandContext(
            device=self, state=state, header=header, payload=payload, now=now, role=role,
            requester=requester, requester_role=requester_role, critical=critical,
            signed=env.signature is not None,
        )

    @staticmethod
    def _accept_counter(state: DeviceState, ctx: CommandContext) -> None:
        if ctx.counter_rebased:
            return
        state.counters[int(ctx.role)] = max(state.counters.get(int(ctx.role), -1), ctx.header.originator_counter)

    # -- outbound ---------------------------------------------------------------------------

    def _response(self, state: DeviceState, ctx: CommandContext, result: HandlerResult) -> Outbound:
        cmd = ctx.header
        with_time = result.date_time if result.date_time is not None else ctx.signed
        header = GroupingHeader(
            cra_flag=CraFlag.RESPONSE,
            originator_counter=cmd.originator_counter,
            originator=self.eui,
            recipient=cmd.originator,
            other_information=cmd.other_information,
            date_time=DlmsDateTime.from_datetime(ctx.now) if with_time else None,
        )
        assert result.payload is not None
        env = Envelope(header=header, content=result.payload.encode())
        if result.sign if result.sign is not None else ctx.signed:
            wire = self.signed_wire(state, env)
        else:
            wire = self.maced_wire(state, env, mode=crypto.KdfMode.RESPONSE)
        return Outbound("response", cmd.originator, wire, cmd.message_code)

    def signed_wire(self, state: DeviceState, env: Envelope) -> bytes:
        """The signed-only wire form of *env*, built once (GBCS 6.2.4)."""
        unsigned = encode_envelope(replace(env, signature=None, mac=None, signature_field=False))
        signature = crypto.sign(private_key=self.private_key(state, "ds"), data=unsigned[1:])
        return append_signature(unsigned, signature)

    def maced_wire(self, state: DeviceState, env: Envelope, *, mode: int) -> bytes:
        """The MACed wire form of *env* towards the recipient's key agreement key, built once (GBCS 6.2.4)."""
        header = env.header
        cell = self.party_ka_cell(state, header.recipient)
        if cell is not None:
            secret = self.shared_secret(state, cell)
        else:
            peer = self.han_peer_key(state, header.recipient)
            if peer is None:
                raise KeyMaterialError(f"no key agreement anchor for {header.recipient.hex().upper()}")
            secret = self._secrets.get(private_key=self.private_key(state, "ka"), public_key=peer)
        key = crypto.derive_key(
            shared_secret=secret,
            mode=mode,
            originator=header.originator,
            counter=header.originator_counter,
            recipient=header.recipient,
        )
        apdu = encode_envelope(replace(env, signature=None, mac=None, signature_field=True))
        return encode_maced(apdu, crypto.compute_mac(key=key, originator=header.originator, signing_apdu=apdu))

    def sign(self, state: DeviceState, env: Envelope) -> Envelope:
        """Sign with the device's digital signing key; signed-only form (GBCS 6.2.4)."""
        signature = crypto.sign(private_key=self.private_key(state, "ds"), data=encode_signed_span(env))
        return replace(env, signature=signature, mac=None, signature_field=True)

    def mac(self, state: DeviceState, env: Envelope, *, mode: int, certificate: bytes | None = None) -> Envelope:
        """MAC towards the grouping-header recipient's key agreement key (GBCS 6.2.4)."""
        header = env.header
        cell = self.party_ka_cell(state, header.recipient)
        if cell is None:
            raise KeyMaterialError(f"no key agreement anchor for {header.recipient.hex().upper()}")
        key = crypto.derive_key(
            shared_secret=self.shared_secret(state, cell),
            mode=mode,
            originator=header.originator,
            counter=header.originator_counter,
            recipient=header.recipient,
        )
        placeholder = replace(env, mac=bytes(12), signature=None, signature_field=True)
        _, spans = decode_envelope_with_spans(encode_envelope(placeholder))
        return replace(placeholder, mac=crypto.compute_mac(key=key, originator=header.originator,
                                                            signing_apdu=spans.signing_apdu))

    def build_alert(self, state: DeviceState, alert: AlertSpec, now: dt.datetime) -> Outbound:
        """Address, number and protect an alert."""
        recipient = alert.recipient or self.alert_recipient(state)
        counter = state.next_alert_counter()
        payload = alert.payload
        invoke = getattr(payload, "invoke", None)
        if invoke is not None:  # DLMS notifications carry the low 24 bits of the counter (GBCS 7.2.9)
            payload = replace(payload, invoke=replace(invoke, invoke_id=counter & 0xFFFFFF))  # type: ignore[type-var]
        header = GroupingHeader(
            cra_flag=CraFlag.ALERT,
            originator_counter=counter,
            originator=self.eui,
            recipient=recipient,
            other_information=OtherInfo(
                alert.message_code,
                supplementary_remote_party_id=alert.supplementary_id,
                supplementary_remote_party_counter=alert.supplementary_counter if alert.supplementary_id else None,
            ),
        )
        env = Envelope(header=header, content=payload.encode())
        if alert.critical:
            wire = self.signed_wire(state, env)
        else:
            wire = self.maced_wire(state, env, mode=crypto.KdfMode.ALERT)
        return Outbound("alert", recipient, wire, alert.message_code)

    def unsupported_command_alert(self, header: GroupingHeader, now: dt.datetime) -> AlertSpec | None:
        """The alert a device type raises for a command it does not support (None: the generic 0x8F1E)."""
        return None

    def event_alert(
        self, message_code: int, alert_code: int, items: tuple[Any, ...], now: dt.datetime, *,
        critical: bool, recipient: bytes | None = None, supplementary_id: bytes | None = None,
    ) -> Outcome:
        """Raise a DLMS event alert: a data-notification of alert code, time stamp and *items* (GBCS 7.2.9).

        *items* are DLMS data values (see :mod:`smets_emu.protocols.payloads.dlms_data`).
        """
        from smets_emu.protocols.payloads.dlms import DataNotification, InvokeIdAndPriority
        from smets_emu.protocols.payloads.dlms_data import DataTag, IntegerData, OctetStringData, StructureData

        body = StructureData((
            IntegerData(DataTag.LONG_UNSIGNED, alert_code),
            OctetStringData(DlmsDateTime.from_datetime(now).to_bytes()),
            *items,
        ))
        work = self.state.clone()
        alert = AlertSpec(message_code, DataNotification(InvokeIdAndPriority(0), body), critical, recipient,
                          supplementary_id=supplementary_id)
        outbound = [self.build_alert(work, alert, now)]
        self.state = work
        return Outcome(work, outbound, accepted=True)

    def generic_alert(self, alert_code: int, now: dt.datetime) -> Outcome:
        """Raise a generic alert (0x1000 critical / 0x1001 non-critical) for a device event *alert_code*."""
        work = self.state.clone()
        outbound = [self.build_alert(work, self.security_alert(alert_code, now), now)]
        self.state = work
        return Outcome(work, outbound, accepted=True)

    def security_alert(self, alert_code: int, now: dt.datetime) -> AlertSpec:
        """A generic alert carrying a security event code, in the device's payload family."""
        critical = alert_code in (ALERT_AUTHENTICATION_FAILURE, ALERT_NO_AUTHORITY)
        message_code = GENERIC_CRITICAL_ALERT if critical else GENERIC_NON_CRITICAL_ALERT
        return AlertSpec(message_code, generic_alert_payload(self.payload_family, alert_code, now), critical)

    def _reject(
        self, state: DeviceState, header: GroupingHeader, now: dt.datetime, alert_code: int, reason: str
    ) -> Outcome:
        log.info("device %s rejected 0x%04X: %s", self.eui.hex().upper(), header.message_code, reason)
        state.log_security_event(alert_code, now.isoformat(), reason)
        try:
            outbound = [self.build_alert(state, self.security_alert(alert_code, now), now)]
        except SmetsError as exc:  # no key to protect an alert with: log only
            log.warning("device %s cannot raise alert 0x%04X: %s", self.eui.hex().upper(), alert_code, exc)
            outbound = []
        self.state = state
        return Outcome(state, outbound, accepted=False, reason=reason)

    def _reject_unaddressable(self, now: dt.datetime, reason: str) -> Outcome:
        state = self.state.clone()
        state.log_security_event(ALERT_INTEGRITY_FAILURE, now.isoformat(), reason)
        self.state = state
        return Outcome(state, accepted=False, reason=reason)


def generic_alert_payload(family: str, alert_code: int, now: dt.datetime) -> Payload:
    """Generic alert body (GBCS 0x1000/0x1001): DLMS notification or GBZ alert header."""
    if family == "gbz":
        from smets_emu.protocols.payloads.gbz import AlertBody, GbzAlert, GbzPayload
        from smets_emu.protocols.timestamps import datetime_to_gbz_seconds

        return GbzPayload(alert=GbzAlert(alert_code, datetime_to_gbz_seconds(now), AlertBody.COMPONENTS), form="alert")
    from smets_emu.protocols.payloads.dlms import DataNotification, InvokeIdAndPriority
    from smets_emu.protocols.payloads.dlms_data import DataTag, IntegerData, OctetStringData, StructureData

    body = StructureData(
        (IntegerData(DataTag.LONG_UNSIGNED, alert_code), OctetStringData(DlmsDateTime.from_datetime(now).to_bytes()))
    )
    return DataNotification(InvokeIdAndPriority(0), body)


def message_name(code: int) -> str:
    """Readable name of a message code for logs."""
    info = lookup(code)
    return f"0x{code:04X} {info.use_case}" if info else f"0x{code:04X}"
