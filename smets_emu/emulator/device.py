"""The sans-IO SMETS2 device: a kernel of pure transitions plus the model's components.

``Device.process(state, inbound, now)`` runs the GBCS order on a message parsed once
(:class:`~smets_emu.emulator.kernel.messages.Inbound`): recipient check, MAC (ACB key agreement
cell, GBCS 6.2.4), Known Remote Party signature for critical commands, role authorisation against
the trust anchor cells (GBCS 4.3.2), anti-replay originator counter (GBCS 4.3.1.5), lifecycle
gate, the handler registered for the message code, then the response and alerts, MACed or signed
as GBCS requires (see :mod:`smets_emu.emulator.kernel.pipeline`). It returns an
:class:`Outcome` and assigns nothing: the committer stores the outcome (see
:mod:`smets_emu.hosting.store`) and then calls :meth:`Device.adopt`, the one place a device's
state changes after construction. :meth:`Device.handle` is process + adopt for callers without a
store.

A command that fails a security check is discarded and reported with an alert, never with a
Python exception on the wire: 0x8F1E (integrity check of content or format failed), 0x8F3D
(trusted source authentication failure), 0x8F30 (source does not have authority for command)
and 0x8F53 (other authentication or authorisation failure, used for replayed counters).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from cryptography.hazmat.primitives.asymmetric import ec

from smets_emu.emulator.anchors import AnchorCell, CellKeyUsage, Role
from smets_emu.emulator.component import Component, collect_handlers
from smets_emu.emulator.component import handles as handles
from smets_emu.emulator.kernel import keys, outbound, pipeline
from smets_emu.emulator.kernel.messages import (
    ALERT_AUTHENTICATION_FAILURE,
    ALERT_INTEGRITY_FAILURE,
    ALERT_NO_AUTHORITY,
    ALERT_OTHER_AUTH_FAILURE,
    GENERIC_CRITICAL_ALERT,
    GENERIC_NON_CRITICAL_ALERT,
    AlertSpec,
    CommandContext,
    CommandRejected,
    HandlerResult,
    Inbound,
    Outbound,
    Outcome,
)
from smets_emu.emulator.kernel.outbound import generic_alert_payload
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import KeyMaterialError, SmetsError
from smets_emu.protocols.envelope import GroupingHeader
from smets_emu.protocols.message_codes import lookup

__all__ = [
    "ALERT_AUTHENTICATION_FAILURE", "ALERT_INTEGRITY_FAILURE", "ALERT_NO_AUTHORITY", "ALERT_OTHER_AUTH_FAILURE",
    "GENERIC_CRITICAL_ALERT", "GENERIC_NON_CRITICAL_ALERT", "AlertSpec", "CommandContext", "CommandRejected",
    "Device", "Handler", "HandlerResult", "Inbound", "Outbound", "Outcome", "generic_alert_payload", "handles",
    "message_name",
]

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
        self.keys = keys.DeviceKeys()
        self.components: tuple[Component, ...] = tuple(kind(self) for kind in self.component_types)

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

    # -- transitions ----------------------------------------------------------------------

    def process(self, state: DeviceState, message: bytes | Inbound, now: dt.datetime) -> Outcome:
        """Handle one inbound message against *state* without assigning anything (GBCS order, see module doc)."""
        self.keys.learned.clear()  # secrets first derived by this transition: a committer keeps them (keys.py)
        return pipeline.process(self, state, Inbound.of(message), now)

    def adopt(self, outcome: Outcome) -> None:
        """Make *outcome*'s state the device's (after the committer stored it): the one state transition point."""
        self.state = outcome.state

    def handle(self, message: bytes | Inbound, now: dt.datetime) -> Outcome:
        """Process one inbound message and adopt the result (for callers without a store)."""
        outcome = self.process(self.state, message, now)
        self.adopt(outcome)
        return outcome

    def timers(self, state: DeviceState, now: dt.datetime) -> Outcome:
        """Run every component's timers and due future-dated commands (GBCS 5.9) on *state*, in order; pure."""
        self.keys.learned.clear()
        work = state
        sent: list[Outbound] = []
        reasons: list[str] = []
        for component in self.components:
            outcome = component.due(work, now)
            if outcome is None:
                continue
            work = outcome.state
            sent.extend(outcome.outbound)
            if outcome.reason:
                reasons.append(outcome.reason)
        if work is state and not sent:
            return Outcome(state)
        return Outcome(work, sent, accepted=True, reason="; ".join(reasons))

    def next_due(self, state: DeviceState) -> dt.datetime | None:
        """When :meth:`timers` first has work on *state* (the components' earliest, aware UTC); None if never.

        Until the state changes, :meth:`timers` before this time returns *state* unchanged and
        sends nothing, so a host runs the timers of only the devices whose time has come.
        """
        earliest: dt.datetime | None = None
        for component in self.components:
            when = component.next_due(state)
            if when is not None and (earliest is None or when < earliest):
                earliest = when
        return earliest

    def due(self, now: dt.datetime) -> Outcome:
        """Run the timers on the device's state and adopt the result (for callers without a store)."""
        outcome = self.timers(self.state, now)
        self.adopt(outcome)
        return outcome

    # -- identities and keys ------------------------------------------------------------

    @property
    def eui(self) -> bytes:
        return self.state.eui

    def private_key(self, state: DeviceState, usage: str) -> ec.EllipticCurvePrivateKey:
        """The device's own private key ("ds" or "ka"), loaded once."""
        return self.keys.private_key(state, usage)

    @staticmethod
    def cell_public_key(cell: AnchorCell) -> ec.EllipticCurvePublicKey:
        """Cached public key of a populated anchor cell."""
        return keys.cell_public_key(cell)

    @staticmethod
    def role_of(state: DeviceState, eui: bytes, usage: CellKeyUsage | None = None) -> Role | None:
        """The role whose anchor cell names *eui* (digital signing cells first)."""
        return keys.role_of(state, eui, usage)

    @staticmethod
    def find_cell(state: DeviceState, role: Role, usage: CellKeyUsage, prepayment: bool = False) -> AnchorCell | None:
        """The populated anchor cell for (role, usage), or None."""
        return keys.find_cell(state, role, usage, prepayment)

    @staticmethod
    def party_ka_cell(state: DeviceState, eui: bytes) -> AnchorCell | None:
        """The key agreement cell naming *eui* (for MACs and encryption towards that party)."""
        return keys.party_ka_cell(state, eui)

    def han_peer_certificate(self, state: DeviceState, eui: bytes) -> bytes | None:
        """The key agreement certificate of a HAN device joined to this one, from the component recording joins."""
        for component in self.components:
            der = component.han_peer_certificate(state, eui)
            if der is not None:
                return der
        return None

    def han_peer_key(self, state: DeviceState, eui: bytes) -> ec.EllipticCurvePublicKey | None:
        """The key agreement key of a HAN device in this device's log (from its join certificate)."""
        der = self.han_peer_certificate(state, eui)
        return None if der is None else keys.PUBLIC_KEYS.from_certificate(der)

    def han_peer_secret(self, state: DeviceState, eui: bytes) -> bytes:
        """Z between the device and a HAN device joined to it (GBCS 4.3.3.2, 6.2.4)."""
        der = self.han_peer_certificate(state, eui)
        key = None if der is None else keys.PUBLIC_KEYS.from_certificate(der)
        if der is None or key is None:
            raise KeyMaterialError(f"no key agreement certificate for {eui.hex().upper()}")
        return self.keys.secret(state, key, der)

    def shared_secret(self, state: DeviceState, cell: AnchorCell) -> bytes:
        """Z between the device KA key and a remote party KA cell."""
        return self.keys.cell_secret(state, cell)

    def party_secret(self, state: DeviceState, eui: bytes) -> bytes | None:
        """Z towards *eui*: its key agreement anchor cell, else a HAN device joined to this one; None if neither."""
        cell = keys.party_ka_cell(state, eui)
        if cell is not None:
            return self.keys.cell_secret(state, cell)
        if self.han_peer_certificate(state, eui) is None:
            return None
        return self.han_peer_secret(state, eui)

    def alert_recipient(self, state: DeviceState) -> bytes:
        """Where this device sends its alerts: the supplier for meters, the ACB for the CHF/GPF."""
        for role in (Role.SUPPLIER, Role.ACCESS_CONTROL_BROKER):
            cell = keys.find_cell(state, role, CellKeyUsage.KEY_AGREEMENT)
            if cell is not None and cell.subject_id is not None:
                return cell.subject_id
        return bytes(8)

    # -- alerts -------------------------------------------------------------------------------

    def build_alert(self, state: DeviceState, alert: AlertSpec, now: dt.datetime) -> Outbound:
        """Address, number and protect an alert; advances *state*'s alert counter (the working copy)."""
        return outbound.alert(self, state, alert)

    def unsupported_command_alert(self, header: GroupingHeader, now: dt.datetime) -> AlertSpec | None:
        """The alert a device type raises for a command it does not support (None: the generic 0x8F1E)."""
        return None

    def security_alert(self, alert_code: int, now: dt.datetime) -> AlertSpec:
        """A generic alert carrying a security event code, in the device's payload family."""
        return outbound.security_alert(self.payload_family, alert_code, now)

    def raise_alert(self, spec: AlertSpec, now: dt.datetime, state: DeviceState | None = None) -> Outcome:
        """An Outcome sending one alert from a copy of *state* (default: the device's); the caller adopts it."""
        work = (self.state if state is None else state).clone()
        return Outcome(work, [outbound.alert(self, work, spec)], accepted=True)

    def event_alert(
        self, message_code: int, alert_code: int, items: tuple[Any, ...], now: dt.datetime, *,
        critical: bool, recipient: bytes | None = None, supplementary_id: bytes | None = None,
    ) -> Outcome:
        """A DLMS event alert: a data-notification of alert code, time stamp and *items* (GBCS 7.2.9).

        *items* are DLMS data values (see :mod:`smets_emu.protocols.payloads.dlms_data`). Pure:
        the caller adopts the returned Outcome.
        """
        spec = outbound.event_alert_spec(message_code, alert_code, items, now, critical=critical,
                                         recipient=recipient, supplementary_id=supplementary_id)
        return self.raise_alert(spec, now)

    def generic_alert(self, alert_code: int, now: dt.datetime) -> Outcome:
        """A generic alert (0x1000 critical / 0x1001 non-critical) for a device event *alert_code*; pure."""
        return self.raise_alert(self.security_alert(alert_code, now), now)


def message_name(code: int) -> str:
    """Readable name of a message code for logs."""
    info = lookup(code)
    return f"0x{code:04X} {info.use_case}" if info else f"0x{code:04X}"
