"""The SMETS1 Service Provider: virtual anchor slots and onward commands to SMETS1 devices.

A request reaching the S1SP has passed the DSP. The S1SP repeats the Registration Data check
(SRPD 16.1), checks the certificate owner (S1SR 4.2), then either updates the virtual anchor
slots (6.15.1, 6.21, 6.23), reads them (6.24.1) or passes a command to the device (11.1, 11.2,
11.3). Validation, state change and the reply happen in one transaction.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from smets_emu.errors import SmetsError
from smets_emu.parties.smets1.devices import DeviceCommand, DeviceState, smets1_device
from smets_emu.parties.smets1.store import AnchorSlot, Store
from smets_emu.parties.smets1.validation import (
    S1SP_CHECKS,
    CplReader,
    RequestContext,
    Stage,
    UserRole,
    run_checks,
)
from smets_emu.protocols.certificates import certificate_details, load_certificate
from smets_emu.protocols.duis import (
    ActivateFirmware,
    CredentialSet,
    DuisRequest,
    RemotePartyReplacement,
    RemotePartyRole,
    ResponseCode,
    ResponseElement,
    RetrieveSecurityCredentialsKrp,
    UpdateFirmware,
    UpdateSecurityCredentialsCos,
    format_eui,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """The result of processing: a response code, an explanation and response body content."""

    code: ResponseCode
    message: str | None = None
    body: tuple[ResponseElement, ...] = ()


class CertificateRejected(SmetsError):
    """A replacement certificate that cannot go into the named slot."""


def slot_from_certificates(device_id: bytes, role: RemotePartyRole, credentials: CredentialSet) -> AnchorSlot:
    """The anchor slot a replacement certificate set yields (signing certificate first); checks the role."""
    present = credentials.present()
    if not present:
        raise CertificateRejected("no replacement certificate")
    details = certificate_details(load_certificate(present[0]))
    if details.eui is None:
        raise CertificateRejected("replacement certificate carries no entity identifier")
    if details.role != role.gbcs_code:
        raise CertificateRejected(
            f"replacement certificate is for role {details.role}, not {role.duis_name} ({role.gbcs_code})"
        )
    return AnchorSlot(
        device_id, role.duis_name, details.eui, f"{details.serial_number:X}", details.subject_key_identifier
    )


class S1sp:
    """The S1SP service over the shared state store."""

    def __init__(self, store: Store, *, cpl: CplReader | None = None) -> None:
        self.store = store
        self.cpl: CplReader = cpl or store

    def process(self, request: DuisRequest, *, user_role: UserRole, device: DeviceState, now: datetime) -> Outcome:
        """Validate and carry out one request for one SMETS1 device, in one transaction."""
        context = RequestContext(request, user_role, device, self.store, Stage.S1SP)
        with self.store.transaction():
            rejection = run_checks(S1SP_CHECKS, context)
            if rejection is not None:
                log.info("S1SP rejected %s for %s: %s", request.srv, format_eui(device.device_id), rejection.code)
                return Outcome(rejection.code, f"S1SP: {rejection.reason}")
            try:
                return self._execute(request, device, now)
            except (CertificateRejected, SmetsError) as exc:
                return Outcome(ResponseCode.REQUEST_INVALID, f"S1SP: {exc}")

    def _execute(self, request: DuisRequest, device: DeviceState, now: datetime) -> Outcome:
        body = request.body
        if isinstance(body, RemotePartyReplacement):  # 6.15.1 and 6.21
            slot = slot_from_certificates(device.device_id, body.remote_party_role, body.replacement)
            return self._replace(slot)
        if isinstance(body, UpdateSecurityCredentialsCos):
            return self._replace(slot_from_certificates(device.device_id, RemotePartyRole.SUPPLIER, body.replacement))
        if isinstance(body, RetrieveSecurityCredentialsKrp):
            return Outcome(
                ResponseCode.SUCCESS, body=tuple(self._credentials(device, r) for r in body.remote_party_roles)
            )
        command = DeviceCommand(srv=request.srv)
        if isinstance(body, UpdateFirmware):
            entries = self.cpl.cpl_entries(device.manufacturer, device.model)
            hashes = [e.firmware_hash for e in entries if e.firmware_version == body.firmware_version]
            image_hash = hashes[0] if hashes and hashes[0] else hashlib.sha256(body.firmware_image).digest()
            command = DeviceCommand(request.srv, firmware_version=body.firmware_version, firmware_hash=image_hash)
        elif isinstance(body, ActivateFirmware):
            command = DeviceCommand(request.srv, firmware_hash=body.firmware_hash)
        behaviour = smets1_device(device.device_type)
        if behaviour is None:
            return Outcome(ResponseCode.SRV_NOT_COMPATIBLE_WITH_DEVICE, f"no SMETS1 {device.device_type}")
        reply = behaviour.handle(command, device, now)
        if not reply.accepted:
            return Outcome(ResponseCode.DEVICE_REFUSED, f"device: {reply.reason}")
        if reply.state != device:
            self.store.put_devices([reply.state])
        return Outcome(ResponseCode.SUCCESS, body=reply.body)

    def _replace(self, slot: AnchorSlot) -> Outcome:
        old = self.store.anchor(slot.device_id, slot.role)
        self.store.put_anchors([slot])
        log.info(
            "S1SP %s slot of %s: %s -> %s",
            slot.role,
            format_eui(slot.device_id),
            format_eui(old.entity_id) if old else "empty",
            format_eui(slot.entity_id),
        )
        return Outcome(ResponseCode.SUCCESS)

    def _credentials(self, device: DeviceState, role: RemotePartyRole) -> ResponseElement:
        slot = self.store.anchor(device.device_id, role.duis_name)
        children = [ResponseElement("RemotePartyRole", role.duis_name)]
        if slot is None:
            children.append(ResponseElement("SlotStatus", "Empty"))
        else:
            children.append(ResponseElement("EntityID", format_eui(slot.entity_id)))
            children.append(ResponseElement("CertificateSerialNumber", slot.certificate_serial))
            if slot.subject_key_identifier:
                children.append(ResponseElement("SubjectKeyIdentifier", slot.subject_key_identifier.hex().upper()))
        return ResponseElement("DeviceSecurityCredentials", children=tuple(children))
