"""Device features as components: plain objects whose handlers are registered per message code.

A device model is a composition: the kernel (:class:`~smets_emu.emulator.device.Device`) runs the
GBCS security pipeline and dispatches each accepted command to the handler registered for its
message code (GBCS 7.2: one use case per message code). A handler lives on a
:class:`Component` (credentials, firmware, device log, COSEM, ZCL ...), receives a
:class:`~smets_emu.emulator.device.CommandContext` and returns a result; it changes only the
working copy of the state the context hands it and never assigns the device's state itself.

Components reach the device's services (its keys, anchor cells, alert building) through
``self.device``, typed as the kernel's :class:`Device`, and each other through
``self.device.component(Kind)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from smets_emu.emulator.device import Device, Outcome
    from smets_emu.emulator.state import DeviceState

F = TypeVar("F", bound=Callable[..., Any])

_MARKS: dict[Callable[..., Any], tuple[int, ...]] = {}

ALWAYS = dt.datetime.min.replace(tzinfo=dt.UTC)
"""The next due time of timers that do not say when they are due: every tick runs them."""


def earliest_pending(
    state: DeviceState, kind: str, when: Callable[[dict[str, Any]], dt.datetime]
) -> dt.datetime | None:
    """The earliest ``when(entry)`` of the future-dated commands of *kind* in *state* (GBCS 5.9); None if none.

    An entry whose time cannot be read is due at once (its timer reports the failure).
    """
    earliest: dt.datetime | None = None
    for entry in state.pending_entries():
        if entry.get("kind") != kind:
            continue
        try:
            moment = when(entry)
        except (KeyError, TypeError, ValueError):
            return ALWAYS
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        if earliest is None or moment < earliest:
            earliest = moment
    return earliest


def handles(*codes: int) -> Callable[[F], F]:
    """Register a component (or device) method as the handler of one or more message codes."""

    def mark(fn: F) -> F:
        _MARKS[fn] = (*_MARKS.get(fn, ()), *codes)
        return fn

    return mark


def collect_handlers(cls: type) -> dict[int, str]:
    """Message code -> method name over *cls* and its bases (a code registered twice in one class is an error)."""
    merged: dict[int, str] = {}
    for klass in reversed(cls.__mro__):
        own: dict[int, str] = {}
        for name, member in klass.__dict__.items():
            if not callable(member):
                continue
            for code in _MARKS.get(member, ()):
                if code in own:
                    raise TypeError(
                        f"{klass.__name__}: message code 0x{code:04X} registered twice ({own[code]}, {name})"
                    )
                own[code] = name
        merged.update(own)
    return merged


class Component:
    """One feature of a device model; subclasses register handlers with :func:`handles`."""

    handlers: ClassVar[dict[int, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = collect_handlers(cls)

    def __init__(self, device: Device) -> None:
        self.device = device

    def due(self, state: DeviceState, now: dt.datetime) -> Outcome | None:
        """Run this feature's timers on *state* (GBCS 5.9 future-dated commands); None when nothing is due.

        A component works on the state it is given and returns the new one in the
        :class:`~smets_emu.emulator.device.Outcome`; it never assigns the device's state.
        """
        return None

    def next_due(self, state: DeviceState) -> dt.datetime | None:
        """The earliest time :meth:`due` has work on *state* (aware UTC); None if nothing until the state changes.

        A host runs a device's timers only once this time has come (GBCS 5.9), so a component
        that overrides :meth:`due` reports when; one that does not is checked at every tick.
        """
        if type(self).due is Component.due:
            return None
        return ALWAYS

    def han_peer_certificate(self, state: DeviceState, eui: bytes) -> bytes | None:
        """The key agreement certificate (DER) of HAN device *eui* joined to this device (GBCS 4.3.3.2).

        None unless this feature records joins; the kernel asks every component for HAN peers' keys.
        """
        return None
