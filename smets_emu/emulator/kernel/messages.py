"""The values that cross the device kernel's edge: what comes in, what goes out, what a command produced.

An :class:`Inbound` is made by one parse of the wire bytes (GBCS 7.2: MAC header, General-Signing
grouping header, content, signature field) and carries the decoded :class:`Envelope` and the exact
:class:`WireSpans` the MAC and signature cover (GBCS 6.2.4), so routing, fault injection and the
device's security checks never decode a message twice. An :class:`Outbound` is a response or alert
as sent, with the grouping header it was built from, so nothing downstream decodes it again.
An :class:`Outcome` is the result of one transition: the device's next state and what it sends;
the committer adopts it (``Device.adopt``) after storing it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from smets_emu.emulator.state import DeviceState
from smets_emu.errors import FrameError, SmetsError
from smets_emu.protocols.envelope import (
    CraFlag,
    Envelope,
    GroupingHeader,
    OtherInfo,
    WireSpans,
    decode_envelope_with_spans,
)
from smets_emu.protocols.payloads import Payload
from smets_emu.protocols.roles import Role

if TYPE_CHECKING:
    from smets_emu.emulator.device import Device

ALERT_INTEGRITY_FAILURE = 0x8F1E
"""Integrity check of content or format failed (GBCS alert code)."""
ALERT_AUTHENTICATION_FAILURE = 0x8F3D
"""Trusted source authentication failure: MAC or signature (GBCS 6.2.4)."""
ALERT_NO_AUTHORITY = 0x8F30
"""Source does not have authority for the command (GBCS 4.3.2 role check)."""
ALERT_OTHER_AUTH_FAILURE = 0x8F53
"""Other authentication or authorisation failure: a replayed originator counter (GBCS 4.3.1.5)."""
GENERIC_CRITICAL_ALERT = 0x1000
GENERIC_NON_CRITICAL_ALERT = 0x1001


class CommandRejected(SmetsError):
    """A handler refuses a command; the device raises *alert_code* instead of responding."""

    def __init__(self, alert_code: int, detail: str) -> None:
        super().__init__(detail)
        self.alert_code = alert_code


@dataclass(frozen=True, slots=True)
class Inbound:
    """A received message, parsed once: the bytes, the envelope and the spans its protection covers.

    ``envelope`` and ``spans`` are None when the bytes are not a well-formed GBCS message
    (``error`` says why); :meth:`parse` never raises.
    """

    data: bytes
    envelope: Envelope | None
    spans: WireSpans | None
    error: str = ""

    @classmethod
    def parse(cls, data: bytes) -> Inbound:
        """Decode *data* once (GBCS 7.2); a malformed message gives an Inbound with ``error`` set."""
        try:
            env, spans = decode_envelope_with_spans(data)
        except SmetsError as exc:
            return cls(bytes(data), None, None, str(exc) or type(exc).__name__)
        return cls(bytes(data), env, spans)

    @classmethod
    def of(cls, message: bytes | Inbound) -> Inbound:
        """*message* itself if already parsed, else its parse."""
        return message if isinstance(message, Inbound) else cls.parse(message)

    @property
    def header(self) -> GroupingHeader:
        """The grouping header; :class:`FrameError` for a malformed message."""
        if self.envelope is None:
            raise FrameError(self.error or "malformed message")
        return self.envelope.header

    @property
    def recipient(self) -> bytes | None:
        """The grouping-header recipient (business target, GBCS 7.2.8), None if malformed."""
        return None if self.envelope is None else self.envelope.header.recipient

    @property
    def originator(self) -> bytes | None:
        """The grouping-header originator, None if malformed."""
        return None if self.envelope is None else self.envelope.header.originator

    @property
    def message_code(self) -> int | None:
        """The message code of the other-information (GBCS 7.2.8.3), None if malformed."""
        return None if self.envelope is None else self.envelope.header.message_code


@dataclass(frozen=True, slots=True)
class Outbound:
    """A message the device sends: its wire bytes and the grouping header they were built from."""

    kind: str  # "response" or "alert"
    recipient: bytes
    message: bytes
    message_code: int
    header: GroupingHeader
    payload: Payload | None = field(default=None, compare=False, repr=False)  # what *message* carries

    @property
    def originator(self) -> bytes:
        """The sending device's system title."""
        return self.header.originator

    @property
    def originator_counter(self) -> int:
        """The command's counter for a response, the device's own alert counter for an alert (GBCS 4.3.1.5)."""
        return self.header.originator_counter

    @property
    def cra_flag(self) -> CraFlag:
        """RESPONSE or ALERT."""
        return self.header.cra_flag

    @property
    def other_information(self) -> OtherInfo:
        """Message code and supplementary remote party of the grouping header (GBCS 7.2.8.3)."""
        return self.header.other_information


@dataclass
class Outcome:
    """What one transition produced: the device's next state and what it sends.

    ``state`` is the very object the device held when nothing changed, so a committer can skip
    the store. ``inbound`` is the message that caused the transition (None for timers and events).
    """

    state: DeviceState
    outbound: list[Outbound] = field(default_factory=list)
    accepted: bool = False
    reason: str = ""
    inbound: Inbound | None = None

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
    """An alert a handler asks the device to send (GBCS 7.2.9 alert form)."""

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
