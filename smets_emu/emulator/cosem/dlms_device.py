"""The DLMS side of a device: every DLMS use case runs through the COSEM engine (GBCS 5.11).

:class:`CosemUseCases` is a component of the ESME and CHF models (each registers its own set of
DLMS message codes on a subclass). Its :meth:`~CosemUseCases.execute_dlms` runs the
access-request of any DLMS command against the device's object model, protects Data
protection results for the requester (GBCS 3.6), raises the CHF whitelist alert when the
device log changed (CS14, 0x0018) and keeps future-dated activations that
:meth:`~CosemUseCases.due` applies with the 0x00CC alert (GBCS 5.9 of the digest).
"""

from __future__ import annotations

import datetime as dt
import logging

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from smets_emu.emulator.component import Component
from smets_emu.emulator.cosem.engine import due_activations, execute, next_activation
from smets_emu.emulator.cosem.methods import PAN_ID_KEY, ExecContext, ProtectionContext
from smets_emu.emulator.cosem.model import CosemModel, now_dlms
from smets_emu.emulator.device import (
    ALERT_INTEGRITY_FAILURE,
    AlertSpec,
    CommandContext,
    CommandRejected,
    HandlerResult,
    Outbound,
    Outcome,
)
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import SmetsError
from smets_emu.protocols import crypto, usecases
from smets_emu.protocols.payloads.dlms import AccessRequest, DataNotification, InvokeIdAndPriority
from smets_emu.protocols.payloads.dlms_data import ArrayData, DataTag, IntegerData, OctetStringData, StructureData

log = logging.getLogger(__name__)

FUTURE_DATED_ALERT = 0x00CC
FUTURE_DATED_SUCCESS = 0x8F66
FUTURE_DATED_FAILURE = 0x8F67
WHITELIST_ALERT = 0x0018
WHITELIST_CHANGED = 0x8F12

CHF_DLMS_CODES: frozenset[int] = usecases.accepted_codes("CHF") & usecases.codes(family="dlms")
"""DLMS commands a CHF answers (the use-case table): CCS01-CCS07, DBCH01-DBCH05, ECS26i/n, ECS35c/d and ECS52."""


ESME_DLMS_CODES: frozenset[int] = usecases.accepted_codes("ESME") & usecases.codes(family="dlms")
"""DLMS commands an ESME answers: every ECS use case, CS01a and ECS52."""


class CosemUseCases(Component):
    """DLMS devices' component: the generic access-request execution and future-dated activations."""

    def execute_dlms(self, ctx: CommandContext) -> HandlerResult:
        """Run the command's access-request against the object model and answer with its access-response."""
        payload = ctx.payload
        if not isinstance(payload, AccessRequest):
            raise CommandRejected(ALERT_INTEGRITY_FAILURE, "DLMS command without an access-request")
        exec_ctx = ExecContext(
            model=CosemModel(ctx.state),
            now=ctx.now,
            message_code=ctx.message_code,
            originator_counter=ctx.header.originator_counter,
            protection_factory=lambda: self._protection_context(ctx),  # GBCS 3.6 keys only when a method protects
            device=self.device,
        )
        response = execute(payload, exec_ctx)
        alerts: list[AlertSpec] = []
        if exec_ctx.device_log_changed:
            alerts.append(self.whitelist_alert(ctx.state, ctx.now))
        return HandlerResult(response, alerts)

    # -- Data protection keys -----------------------------------------------------------

    def _protection_context(self, ctx: CommandContext) -> ProtectionContext:
        """Transaction data and the encryptor for protected attributes (GBCS 3.6: KDF mode 04)."""
        device = self.device
        oi = ctx.header.other_information
        requester = oi.supplementary_remote_party_id or ctx.header.originator
        counter = (oi.supplementary_originator_counter if oi.supplementary_originator_counter is not None
                   else ctx.header.originator_counter)
        encrypt = None
        try:
            public = self._requester_key(ctx, requester)
            if public is not None and ctx.state.key_pair("ka") is not None:
                state = ctx.state
                originator = device.eui

                def encrypt(plaintext: bytes) -> bytes:
                    # key loaded and Z derived on first use: most commands protect nothing
                    private = device.private_key(state, "ka")
                    z = crypto.ecdh_shared_secret(private_key=private, public_key=public)
                    key = crypto.derive_key(shared_secret=z, mode=crypto.KdfMode.PAYLOAD_ENCRYPTION,
                                            originator=originator, counter=counter, recipient=requester)
                    return crypto.encrypt_protected(key=key, originator=originator, plaintext=plaintext)
        except (SmetsError, ValueError) as exc:
            log.info("device %s: no key to protect data for %s: %s", device.eui.hex(), requester.hex(), exc)
        return ProtectionContext(counter=counter, originator=device.eui, recipient=requester, encrypt=encrypt)

    def _requester_key(self, ctx: CommandContext, requester: bytes) -> ec.EllipticCurvePublicKey | None:
        certificate = ctx.header.other_information.certificate
        if certificate:
            try:
                key = x509.load_der_x509_certificate(certificate).public_key()
            except ValueError:
                key = None
            if isinstance(key, ec.EllipticCurvePublicKey):
                return key
        cell = self.device.party_ka_cell(ctx.state, requester)
        return None if cell is None else self.device.cell_public_key(cell)

    # -- alerts ----------------------------------------------------------------------------

    def whitelist_alert(self, state: DeviceState, now: dt.datetime) -> AlertSpec:
        """CS14 "device log changed" (0x0018, alert code 0x8F12): the HAN whitelist now (GBCS 5.13)."""
        entries = tuple(
            StructureData((OctetStringData(bytes.fromhex(e["eui"])),
                           OctetStringData(bytes.fromhex(e.get("link_key") or ""))))
            for e in state.device_log
        )
        body = StructureData((
            IntegerData(DataTag.LONG_UNSIGNED, WHITELIST_CHANGED),
            now_dlms(now),
            StructureData((now_dlms(now), OctetStringData(self._pan_id(state)), ArrayData(entries))),
        ))
        return AlertSpec(WHITELIST_ALERT, DataNotification(InvokeIdAndPriority(0), body), critical=False)

    @staticmethod
    def _pan_id(state: DeviceState) -> bytes:
        value = state.objects_view().get(PAN_ID_KEY)
        return bytes.fromhex(value) if isinstance(value, str) else bytes(state.eui)

    @staticmethod
    def future_dated_alert(entry: dict[str, object], applied: bool, now: dt.datetime) -> AlertSpec:
        """The 0x00CC alert for an activation: message code, command counter, attribute descriptor (GBCS 5.9)."""
        from smets_emu.protocols.payloads.dlms import ObisCode

        def number(key: str) -> int:
            value = entry.get(key, 0)
            return int(value) if isinstance(value, (int, str)) else 0

        target = (
            number("message_code").to_bytes(2, "big")
            + number("originator_counter").to_bytes(8, "big")
            + number("class_id").to_bytes(2, "big")
            + ObisCode.parse(str(entry.get("obis"))).to_bytes()
            + number("attribute_id").to_bytes(1, "big")
        )
        body = StructureData((
            IntegerData(DataTag.LONG_UNSIGNED, FUTURE_DATED_SUCCESS if applied else FUTURE_DATED_FAILURE),
            now_dlms(now),
            OctetStringData(target),
        ))
        return AlertSpec(FUTURE_DATED_ALERT, DataNotification(InvokeIdAndPriority(0), body), critical=True)

    def due(self, state: DeviceState, now: dt.datetime) -> Outcome | None:
        """Apply due future-dated activations on a copy of *state*, one signed 0x00CC alert per activated item."""
        work = state.clone()
        model = CosemModel(work)
        done = due_activations(model, now)
        if not done:
            return None
        outbound: list[Outbound] = []
        for entry, applied in done:
            alert = self.future_dated_alert(entry, applied, model.device_time(now))
            try:
                outbound.append(self.device.build_alert(work, alert, now))
            except SmetsError as exc:
                log.warning("device %s cannot raise 0x00CC: %s", self.device.eui.hex(), exc)
        return Outcome(work, outbound, accepted=True, reason="future-dated activation")

    def next_due(self, state: DeviceState) -> dt.datetime | None:
        """When the earliest future-dated activation of *state* comes due, on the lab clock."""
        return next_activation(state)
