"""The SMETS2 route of the minimal DSP: DUIS service requests as GBCS commands to emulated devices.

The DSP turns a validated request into the GBCS command of its use case, protects it as the
Service User would (the user's digital signing key for critical commands, the ACB MAC) and
delivers it to the device in the fleet; the device's response becomes the DUIS response.

Supported here: SRV 11.1 Update Firmware (the image goes to the device's Communications Hub,
which transfers it over the HAN; the device's Firmware Distribution Receipt Alert answers),
SRV 11.2 Read Firmware Version (ECS52 on an ESME, GCS38 on a GSME), SRV 11.3 Activate Firmware
(CS06) and SRV 6.15.1 Update Security Credentials (KRP) (CS02b supplierBySupplier / network-
OperatorByNetworkOperator, GBCS 13.3.5.x). Other SRVs answer "not supported for SMETS2 devices".

The RequestID counter becomes the command's originator counter. The DSP has checked it against
the last one accepted (:mod:`smets_emu.parties.smets1.request_ids`); the gateway still refuses
to sign with a counter above the time-based ceiling, so no remote party key ever signs a counter
a device would keep as a new floor far ahead of real time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from smets_emu.emulator.firmware.codes import FDRA_DLMS, FDRA_GBZ, FIRMWARE_TRANSFER_ALERT, VERIFICATION_SUCCESSFUL
from smets_emu.errors import FrameError, SmetsError
from smets_emu.hosting.fleet import Fleet
from smets_emu.parties.device_replies import alert_code_of, firmware_version_of
from smets_emu.parties.headend import HeadEnd
from smets_emu.parties.smets1.request_ids import RequestIdRule
from smets_emu.parties.smets1.store import DeviceState as InventoryEntry
from smets_emu.parties.smets1.validation import UserRole
from smets_emu.protocols.duis.codes import ResponseCode
from smets_emu.protocols.duis.request import (
    ActivateFirmware,
    DuisRequest,
    ReadFirmwareVersion,
    RemotePartyRole,
    UpdateFirmware,
    UpdateSecurityCredentialsKrp,
)
from smets_emu.protocols.duis.response import DuisResponse, ResponseElement
from smets_emu.protocols.message import Message
from smets_emu.protocols.payloads import Payload
from smets_emu.protocols.payloads.asn1_enums import CellUsage, KeyUsageBit, ReplacementMode, StatusCode, name_of
from smets_emu.protocols.payloads.asn1_firmware_models import (
    ActivateFirmwareResponse,
    FirmwareTransferAlert,
)
from smets_emu.protocols.payloads.asn1_models import CellIdentifier, NullCommand, read, to_payload
from smets_emu.protocols.payloads.asn1_update_models import (
    AuthorisingControl,
    Replacement,
    UpdateSecurityCredentialsCommand,
    UpdateSecurityCredentialsResponse,
)
from smets_emu.protocols.payloads.dlms import (
    AccessRequest,
    AccessRequestKind,
    AccessRequestSpec,
    InvokeIdAndPriority,
    ObisCode,
)
from smets_emu.protocols.payloads.dlms_data import NullData
from smets_emu.protocols.roles import Role

log = logging.getLogger(__name__)

READ_FIRMWARE_ESME = 0x0059  # ECS52
READ_FIRMWARE_GSME = 0x0084  # GCS38
ACTIVATE_FIRMWARE = 0x0012  # CS06
READ_FIRMWARE_TYPE1 = 0x0129  # CS08
MODE_BY_ROLE = {
    RemotePartyRole.SUPPLIER: (0x0102, ReplacementMode.SUPPLIER_BY_SUPPLIER, Role.SUPPLIER),
    RemotePartyRole.NETWORK_OPERATOR: (0x0103, ReplacementMode.NETWORK_OPERATOR_BY_NETWORK_OPERATOR,
                                       Role.NETWORK_OPERATOR),
}


def read_firmware_payload(device_type: str, counter: int) -> tuple[int, Payload]:
    """The GBCS command reading a device's running firmware version (GBCS use cases ECS52 / GCS38)."""
    if device_type in ("ESME", "CHF"):
        spec = AccessRequestSpec(AccessRequestKind.GET, 1, ObisCode.parse("0-0:0.2.1.255"), 2)
        return READ_FIRMWARE_ESME, AccessRequest(InvokeIdAndPriority(counter & 0xFFFFFF), (spec,), (NullData(),))
    if device_type == "GSME":
        from smets_emu.protocols.payloads.gbz import sample_gbz

        return READ_FIRMWARE_GSME, sample_gbz(READ_FIRMWARE_GSME, 1)
    if device_type in ("PPMID", "HCALCS"):  # CS08
        return READ_FIRMWARE_TYPE1, to_payload(NullCommand(), READ_FIRMWARE_TYPE1, 1)
    raise SmetsError(f"no firmware-version read for a {device_type}")


def update_credentials_payload(body: UpdateSecurityCredentialsKrp, counter: int) -> tuple[int, Payload]:
    """The CS02b command replacing one remote party role's certificates (GBCS 13.3.5.x)."""
    if body.remote_party_role not in MODE_BY_ROLE:
        raise SmetsError(f"6.15.1 for role {body.remote_party_role.duis_name} is not supported")
    code, mode, role = MODE_BY_ROLE[body.remote_party_role]
    ds, ka = frozenset({KeyUsageBit.DIGITAL_SIGNATURE}), frozenset({KeyUsageBit.KEY_AGREEMENT})
    control = AuthorisingControl(mode, counter, CellIdentifier(role, ds), apply_time_based_checks=False,
                                 new_floor=body.floor_seq_number)
    cells = (
        (body.replacement.digital_signing, CellIdentifier(role, ds)),
        (body.replacement.key_agreement, CellIdentifier(role, ka)),
        (body.replacement.key_agreement_top_up, CellIdentifier(role, ka, CellUsage.PREPAYMENT_TOP_UP)),
    )
    command = UpdateSecurityCredentialsCommand(
        control, tuple(Replacement(der, cell) for der, cell in cells if der), tuple(body.certification_path),
        body.execution_datetime)
    return code, to_payload(command, code, 1)


class FleetGateway:
    """The DSP's SMETS2 route onto an emulated fleet."""

    def __init__(
        self,
        fleet: Fleet,
        headend: HeadEnd,
        *,
        request_ids: RequestIdRule | None = None,
        wall_clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.fleet = fleet
        self.headend = headend
        self.request_ids = request_ids or RequestIdRule()
        self.wall_clock = wall_clock

    def submit(
        self, request: DuisRequest, *, user_role: UserRole, device: InventoryEntry, now: dt.datetime
    ) -> DuisResponse:
        """Turn one request into a GBCS command to the device and answer it."""
        target = self.fleet.device(request.target)
        if target is None:
            return self._answer(request, ResponseCode.NOT_SUPPORTED_FOR_SMETS2, now,
                                "the SMETS2 device is not in the emulated fleet")
        counter = request.header.request_id.counter
        try:
            if isinstance(request.body, ReadFirmwareVersion):
                code, payload = read_firmware_payload(target.device_type, counter)
            elif isinstance(request.body, UpdateSecurityCredentialsKrp):
                code, payload = update_credentials_payload(request.body, counter)
            elif isinstance(request.body, ActivateFirmware):
                from smets_emu.parties.firmware_commands import activation_payload

                code = ACTIVATE_FIRMWARE
                payload = activation_payload(request.body.firmware_hash, counter,
                                             execution=request.body.execution_datetime)
            elif isinstance(request.body, UpdateFirmware):
                return self.distribute(request, request.target, now)
            else:
                return self._answer(request, ResponseCode.NOT_SUPPORTED_FOR_SMETS2, now,
                                    f"SRV {request.srv} is not supported for SMETS2 devices")
            ceiling = self.request_ids.ceiling(now, self.wall_clock())
            floor = request.body.floor_seq_number if isinstance(request.body, UpdateSecurityCredentialsKrp) else None
            if counter > ceiling or (floor is not None and floor > ceiling):
                log.warning("refused to sign counter %d (floor %s) for %s: above %d", counter, floor,
                            request.header.request_id, ceiling)
                return self._answer(request, ResponseCode.REQUEST_ID_REJECTED, now,
                                    f"RequestID counter {counter} or RemotePartyFloorSeqNumber {floor} is above the "
                                    f"time-based ceiling {ceiling}")
            self.headend.register_device(target.state)
            originator, on_behalf_of = request.originator, None
            if target.device_type == "CHF":  # the ACB sends a CHF's commands, naming the requester (GBCS 4.3.2)
                originator, on_behalf_of = self.headend.acb, request.originator
            command = self.headend.command(
                originator=originator, recipient=request.target, message_code=code, payload=payload,
                counter=counter, supplementary_id=on_behalf_of, supplementary_counter=counter if on_behalf_of else None,
            )
        except SmetsError as exc:
            return self._answer(request, ResponseCode.REQUEST_INVALID, now, f"cannot build the GBCS command: {exc}")
        sent = self.fleet.deliver(command, now)
        responses = [o for o in sent if o.kind == "response"]
        if not responses:
            alert = next((o for o in sent if o.kind == "alert"), None)
            reason = "the device refused the command" + (
                f" (alert 0x{self._alert_code(alert.message):04X})" if alert else ""
            )
            return self._answer(request, ResponseCode.DEVICE_REFUSED, now, reason)
        message = self.headend.decode(responses[0].message)
        return self._from_response(request, message, now)

    def distribute(self, request: DuisRequest, target: bytes, now: dt.datetime) -> DuisResponse:
        """SRV 11.1 for one SMETS2 device: hand the image to its CHF and run the HAN transfer (digest 7.3)."""
        from smets_emu.hosting.han_network import HanNetwork

        assert isinstance(request.body, UpdateFirmware)
        chf = self.fleet.device(self.fleet.premises.get(target, b""))
        device = self.fleet.device(target)
        if chf is None or device is None:
            return self._answer(request, ResponseCode.NOT_SUPPORTED_FOR_SMETS2, now,
                                "no Communications Hub for this device in the emulated fleet")
        net = HanNetwork.of(chf, [device], commit=self.fleet.commit)
        sent = net.update_firmware(request.body.firmware_image, [target], now)
        sent += net.run(now + dt.timedelta(days=1))
        receipts = [o for o in sent if o.message_code in (FDRA_DLMS, FDRA_GBZ)]
        transfer = [o for o in sent if o.message_code == FIRMWARE_TRANSFER_ALERT]
        for outbound in receipts:
            if alert_code_of(self.headend.decode(outbound.message).payload) == VERIFICATION_SUCCESSFUL:
                return self._answer(request, ResponseCode.SUCCESS, now, "image received and verified by the device")
        detail = "no receipt alert"
        if transfer:
            alert = read(self.headend.decode(transfer[-1].message).payload, FirmwareTransferAlert)
            detail = f"CCS08 {alert.code_name}({alert.code})"
        return self._answer(request, ResponseCode.DEVICE_REFUSED, now, f"firmware distribution failed: {detail}")

    def _alert_code(self, data: bytes) -> int:
        try:
            return alert_code_of(self.headend.decode(data).payload) or 0
        except SmetsError:
            return 0

    def _from_response(self, request: DuisRequest, message: Message, now: dt.datetime) -> DuisResponse:
        try:
            if isinstance(request.body, ReadFirmwareVersion):
                version = firmware_version_of(message.payload)
                if version is None:
                    return self._answer(request, ResponseCode.DEVICE_REFUSED, now,
                                        "the device could not read its version")
                return self._answer(request, ResponseCode.SUCCESS, now, None,
                                    (ResponseElement("FirmwareVersion", version),))
            if isinstance(request.body, ActivateFirmware):
                outcome = read(message.payload, ActivateFirmwareResponse).outcome
                if outcome is None:
                    return self._answer(request, ResponseCode.SUCCESS, now, "future-dated activation accepted")
                if not outcome.succeeded:
                    return self._answer(request, ResponseCode.DEVICE_REFUSED, now,
                                        f"activation outcome {outcome.code_name}({outcome.code})")
                return self._answer(request, ResponseCode.SUCCESS, now, None,
                                    (ResponseElement("FirmwareVersion", outcome.version.hex().upper()),))
            update = read(message.payload, UpdateSecurityCredentialsResponse).outcome
        except FrameError as exc:
            return self._answer(request, ResponseCode.DEVICE_REFUSED, now, f"unreadable device response: {exc}")
        if update is None:
            return self._answer(request, ResponseCode.SUCCESS, now, "future-dated update accepted")
        if not update.succeeded:
            statuses = ", ".join(f"{name_of(StatusCode, o.status)}({o.status})" for o in update.outcomes)
            return self._answer(request, ResponseCode.DEVICE_REFUSED, now, f"cell outcomes: {statuses}")
        return self._answer(request, ResponseCode.SUCCESS, now, None)

    @staticmethod
    def _answer(
        request: DuisRequest, code: ResponseCode, now: dt.datetime, message: str | None,
        body: tuple[ResponseElement, ...] = (),
    ) -> DuisResponse:
        return DuisResponse(
            request_id=str(request.header.request_id), response_code=code, service_reference_variant=request.srv,
            message=message, body=body, response_datetime=now,
        )


def gateway_for_inventory(store: Any, keystore: Any | None = None) -> FleetGateway:
    """A gateway over an in-memory fleet holding every SMETS2 device of the inventory.

    Devices get fresh key pairs and the organisation certificates of *keystore* in their trust
    anchor cells: the RTDS keystore when it is beside the checkout, else the project's own test PKI.
    """
    from smets_emu.emulator.provision import new_device_state
    from smets_emu.hosting.store import StateStore
    from smets_emu.protocols.keystore import Keystore
    from smets_emu.protocols.rtds import find_rtds_root, keystore_folder

    if keystore is None:
        root = find_rtds_root()
        if root is not None:
            keystore = Keystore.load(keystore_folder(root))
        else:
            from smets_emu.protocols.pki import generate_test_pki

            keystore = generate_test_pki(seed=1).keystore
    fleet = Fleet(StateStore(":memory:"))
    headend = HeadEnd(keystore)
    rows = store.query("SELECT device_id, device_type FROM devices WHERE generation = 'SMETS2'")
    for device_id, device_type in rows:
        if device_type in ("ESME", "GSME", "CHF", "GPF", "PPMID", "HCALCS"):
            state = new_device_state(bytes(device_id), device_type, keystore)
            fleet.add(state)
            headend.register_device(state)
    return FleetGateway(fleet, headend)
