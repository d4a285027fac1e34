"""A minimal DSP: receives DUIS service requests, validates them and routes them by device generation.

SMETS1 targets go through the DSP checks and on to the S1SP; SMETS2 targets go to a
:class:`Smets2Gateway` (GBCS commands on the emulated SMETS2 devices) once their RequestID counter
has passed the :class:`~smets_emu.parties.smets1.request_ids.RequestIdRule` (the counter becomes
the command's GBCS originator counter, so it is checked and recorded per sender and target first).
Until a SMETS2 emulator implements that interface, :class:`UnsupportedSmets2Gateway` answers "not
supported for SMETS2 devices yet". Nothing here raises on bad input: every outcome is a DUIS-style response.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol

from smets_emu.errors import DuisError
from smets_emu.parties.smets1.devices import DeviceState, Fuel, Generation
from smets_emu.parties.smets1.request_ids import RequestIdRule
from smets_emu.parties.smets1.s1sp import Outcome, S1sp
from smets_emu.parties.smets1.store import Store
from smets_emu.parties.smets1.validation import (
    DSP_CHECKS,
    SMETS2_DSP_CHECKS,
    SRV_USER_ROLES,
    CplReader,
    RequestContext,
    Stage,
    UserRole,
    run_checks,
)
from smets_emu.protocols.duis import (
    DuisRequest,
    DuisResponse,
    ResponseCode,
    ResponseElement,
    UpdateFirmware,
    UpdateSecurityCredentialsKrp,
    error_response,
    format_eui,
    parse_request,
    response_to_xml,
)

log = logging.getLogger(__name__)

SUPPORTED_SRVS = frozenset(SRV_USER_ROLES)
"""SRVs this DSP implements; anything else gets a NOT_SUPPORTED response."""
SMETS2_SRVS = frozenset({"6.15.1", "11.1", "11.2", "11.3"})
"""SRVs a SMETS2 gateway is expected to take."""


class Smets2Gateway(Protocol):
    """What the SMETS2 device emulator implements to take DUIS requests as GBCS commands."""

    def submit(self, request: DuisRequest, *, user_role: UserRole, device: DeviceState, now: datetime) -> DuisResponse:
        """Turn one request into GBCS commands to ``device`` and answer it."""
        ...


class UnsupportedSmets2Gateway:
    """The SMETS2 route while no SMETS2 device emulator exists: answers X4 for every request."""

    def submit(self, request: DuisRequest, *, user_role: UserRole, device: DeviceState, now: datetime) -> DuisResponse:
        """X4: not supported for SMETS2 devices yet."""
        return DuisResponse(
            request_id=str(request.header.request_id),
            response_code=ResponseCode.NOT_SUPPORTED_FOR_SMETS2,
            service_reference_variant=request.srv,
            message=f"SRV {request.srv} is not supported for SMETS2 devices yet "
            f"({device.device_type} {format_eui(device.device_id)})",
            response_datetime=now,
        )


def default_user_role(roles: frozenset[str], fuel: Fuel) -> UserRole | None:
    """The role a party acts in by default for a device of this fuel (supplier before network operator)."""
    order = (
        (UserRole.IMPORT_SUPPLIER, UserRole.ELECTRICITY_DISTRIBUTOR, UserRole.EXPORT_SUPPLIER)
        if fuel is Fuel.ELECTRICITY
        else (UserRole.GAS_SUPPLIER, UserRole.GAS_TRANSPORTER)
    )
    for role in (*order, UserRole.OTHER_USER):
        if role.value in roles:
            return role
    return None


class Dsp:
    """The DSP front door over a state store, with the S1SP behind it."""

    def __init__(
        self,
        store: Store,
        *,
        smets2: Smets2Gateway | None = None,
        request_ids: RequestIdRule | None = None,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        cpl: CplReader | None = None,
    ) -> None:
        self.store = store
        self.cpl: CplReader = cpl or store  # the CPL the E110101 check reads
        self.s1sp = S1sp(store, cpl=self.cpl)
        self.smets2: Smets2Gateway = smets2 or UnsupportedSmets2Gateway()
        self.request_ids = request_ids or RequestIdRule()
        self.wall_clock = wall_clock

    def submit_xml(self, data: bytes | str, *, user_role: UserRole | None = None, now: datetime | None = None) -> bytes:
        """Parse, process and answer one DUIS request as XML; unreadable input gets an X1/X2 response."""
        now = now or datetime.now(UTC)
        try:
            request = parse_request(data)
        except DuisError as exc:
            log.info("refused DUIS request: %s", exc)
            return response_to_xml(error_response(exc, now=now))
        return response_to_xml(self.submit(request, user_role=user_role, now=now))

    def submit(
        self, request: DuisRequest, *, user_role: UserRole | None = None, now: datetime | None = None
    ) -> DuisResponse:
        """Process one parsed request."""
        now = now or datetime.now(UTC)
        outcome = self._route(request, user_role, now)
        if isinstance(outcome, DuisResponse):
            return outcome
        log.info("%s %s -> %s", request.header.request_id, request.srv, outcome.code.value)
        return DuisResponse(
            request_id=str(request.header.request_id),
            response_code=outcome.code,
            service_reference_variant=request.srv,
            message=outcome.message,
            body=outcome.body,
            response_datetime=now,
        )

    def _route(self, request: DuisRequest, requested: UserRole | None, now: datetime) -> Outcome | DuisResponse:
        if request.srv not in SUPPORTED_SRVS:
            return Outcome(
                ResponseCode.NOT_SUPPORTED,
                f"SRV {request.srv} ({request.body_name}) is not supported by this emulator",
            )
        party = self.store.party(request.originator)
        if party is None:
            return Outcome(ResponseCode.INVALID_USER_ROLE, f"{format_eui(request.originator)} is not a known DCC User")
        if isinstance(request.body, UpdateFirmware):
            return self._update_firmware(request, party.user_roles, requested, now)
        device = self.store.device(request.target)
        if device is None:
            return Outcome(
                ResponseCode.DEVICE_DOES_NOT_EXIST, f"device {format_eui(request.target)} is not in the inventory"
            )
        role = self._role(party.user_roles, requested, device)
        if isinstance(role, Outcome):
            return role
        if device.generation is Generation.SMETS2:
            context = RequestContext(request, role, device, self.store, Stage.DSP, self.cpl)
            rejection = run_checks(SMETS2_DSP_CHECKS, context)
            if rejection is not None:
                return Outcome(rejection.code, f"DSP: {rejection.reason}")
            refused = self._accept_request_id(request, now)
            if refused is not None:
                return refused
            return self.smets2.submit(request, user_role=role, device=device, now=now)
        return self._smets1(request, role, device, now)

    def _accept_request_id(self, request: DuisRequest, now: datetime) -> Outcome | None:
        """Check the RequestID counter against the rule and the last one accepted for (sender, target),
        then record it; an Outcome (X6, nothing recorded, nothing sent) when it is refused. The
        RemotePartyFloorSeqNumber of SRV 6.15.1 (the counter floor CS02b gives the new credentials)
        is held to the same ceiling."""
        request_id = request.header.request_id
        wall = self.wall_clock()
        last = self.store.last_request_counter(request_id.originator, request_id.target)
        reason = self.request_ids.refusal(request_id.counter, last, now, wall)
        floor = request.body.floor_seq_number if isinstance(request.body, UpdateSecurityCredentialsKrp) else None
        if reason is None and floor is not None and floor > self.request_ids.ceiling(now, wall):
            # the new floor becomes the counter the device demands of the party: the same ceiling holds
            reason = (f"RemotePartyFloorSeqNumber {floor} is ahead of the time-based counter of now "
                      f"(at most {self.request_ids.ceiling(now, wall)})")
        if reason is None and not self.store.accept_request_counter(
            request_id.originator, request_id.target, request_id.counter
        ):
            reason = f"RequestID counter {request_id.counter} is not above the last accepted for this sender and target"
        if reason is not None:
            log.info("refused RequestID %s: %s", request_id, reason)
            return Outcome(ResponseCode.REQUEST_ID_REJECTED, f"DSP: {reason}")
        return None

    def _role(self, roles: frozenset[str], requested: UserRole | None, device: DeviceState) -> UserRole | Outcome:
        if requested is not None:
            if requested.value not in roles:
                return Outcome(ResponseCode.INVALID_USER_ROLE, f"the sender does not hold user role {requested.value}")
            return requested
        role = default_user_role(roles, device.fuel)
        if role is None:
            return Outcome(ResponseCode.INVALID_USER_ROLE, "the sender holds no user role for this device")
        return role

    def _smets1(self, request: DuisRequest, role: UserRole, device: DeviceState, now: datetime) -> Outcome:
        context = RequestContext(request, role, device, self.store, Stage.DSP, self.cpl)
        rejection = run_checks(DSP_CHECKS, context)
        if rejection is not None:
            return Outcome(rejection.code, f"DSP: {rejection.reason}")
        return self.s1sp.process(request, user_role=role, device=device, now=now)

    def _update_firmware(
        self, request: DuisRequest, roles: frozenset[str], requested: UserRole | None, now: datetime
    ) -> Outcome:
        """SRV 11.1 is sent to the DCC and names its devices; each is validated and answered on its own."""
        if not isinstance(request.body, UpdateFirmware):  # pragma: no cover - routed here only for 11.1
            return Outcome(ResponseCode.REQUEST_INVALID, "not an Update Firmware request")
        results: list[ResponseElement] = []
        codes: list[ResponseCode] = []
        for device_id in request.body.device_ids:
            device = self.store.device(device_id)
            if device is None:
                outcome = Outcome(ResponseCode.DEVICE_DOES_NOT_EXIST, "not in the inventory")
            elif device.generation is Generation.SMETS2:
                role = self._role(roles, requested, device)
                if isinstance(role, Outcome):
                    outcome = role
                else:
                    context = RequestContext(request, role, device, self.store, Stage.DSP, self.cpl)
                    checked = run_checks(SMETS2_DSP_CHECKS, context)
                    if checked is not None:
                        outcome = Outcome(checked.code, f"DSP: {checked.reason}")
                    else:
                        answer = self.smets2.submit(
                            replace(request, header=replace(request.header, request_id=replace(
                                request.header.request_id, target=device_id))),
                            user_role=role, device=device, now=now)
                        outcome = Outcome(answer.response_code, answer.message or "")
            else:
                role = self._role(roles, requested, device)
                outcome = role if isinstance(role, Outcome) else self._smets1(request, role, device, now)
            codes.append(outcome.code)
            children = [
                ResponseElement("DeviceID", format_eui(device_id)),
                ResponseElement("ResponseCode", outcome.code),
            ]
            if outcome.message:
                children.append(ResponseElement("ResponseMessage", outcome.message))
            results.append(ResponseElement("DeviceResult", children=tuple(children)))
        failures = [c for c in codes if not c.is_success]
        code = failures[0] if failures else ResponseCode.ACKNOWLEDGEMENT
        return Outcome(code, f"{len(codes) - len(failures)} of {len(codes)} devices accepted", tuple(results))
