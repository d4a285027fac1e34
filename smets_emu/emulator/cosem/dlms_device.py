"""The DLMS side of a device: every DLMS use case runs through the COSEM engine (GBCS 5.11).

:class:`CosemDevice` is mixed into the ESME and CHF models. Its :meth:`execute_dlms` runs the
access-request of any DLMS command against the device's object model, protects Data
protection results for the requester (GBCS 3.6), raises the CHF whitelist alert when the
device log changed (CS14, 0x0018) and keeps future-dated activations that :meth:`due` applies
with the 0x00CC alert (GBCS 5.9 of the digest).
"""

from __future__ import annotations

import datetime as dt
import logging

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from smets_emu.emulator.cosem.engine import due_activations, execute
from smets_emu.emulator.cosem.methods import PAN_ID_KEY, ExecContext, ProtectionContext
from smets_emu.emulator.cosem.model import CosemModel, now_dlms
from smets_emu.emulator.device import (
    ALERT_INTEGRITY_FAILURE,
    AlertSpec,
    CommandContext,
    CommandRejected,
    Device,
    HandlerResult,
    Outcome,
)
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import SmetsError
from smets_emu.protocols import crypto
from smets_emu.protocols.message_codes import lookup
from smets_emu.protocols.payloads.dlms import DLMS_MESSAGE_CODES, AccessRequest, DataNotification, InvokeIdAndPriority
from smets_emu.protocols.payloads.dlms_data import ArrayData, DataTag, IntegerData, OctetStringData, StructureData

log = logging.getLogger(__name__)

FUTURE_DATED_ALERT = 0x00CC
FUTURE_DATED_SUCCESS = 0x8F66
FUTURE_DATED_FAILURE = 0x8F67
WHITELIST_ALERT = 0x0018
WHITELIST_CHANGED = 0x8F12

_DEVICE_ALERT_CODES = frozenset({0x00CC, 0x00CE, 0x00F0, 0x0120, 0x1000, 0x1001})

CHF_DLMS_CODES: frozenset[int] = frozenset(
    code for code in DLMS_MESSAGE_CODES
    if (info := lookup(code)) is not None and info.use_case.startswith(("CCS", "DBCH"))
    and not info.category.startswith("SME.A")
) | frozenset({0x0059, 0x0092, 0x0093, 0x0094, 0x00FA})
"""DLMS commands a CHF answers: CCS01-CCS07, DBCH01-DBCH05, ECS26i/n, ECS35c/d and ECS52."""


def _is_command(code: int) -> bool:
    info = lookup(code)
    if code in _DEVICE_ALERT_CODES or info is None:
        return False
    return not info.category.startswith("SME.A")


ESME_DLMS_CODES: frozenset[int] = frozenset(
    code for code in DLMS_MESSAGE_CODES if _is_command(code) and (code not in CHF_DLMS_CODES or code == 0x0059)
)
"""DLMS commands an ESME answers: every ECS use case, CS01a and ECS52."""


class CosemDevice:
    """Mixin for DLMS devices: the generic access-request handler and future-dated activations."""

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
            protection=self._protection_context(ctx),
        )
        response = execute(payload, exec_ctx)
        alerts: list[AlertSpec] = []
        if exec_ctx.device_log_changed:
            alerts.append(self.whitelist_alert(ctx.state, ctx.now))
        return HandlerResult(response, alerts)

    # -- Data protection keys -----------------------------------------------------------

    def _protection_context(self, ctx: CommandContext) -> ProtectionContext:
        """Transaction data and the encryptor for protected attributes (GBCS 3.6: KDF mode 04)."""
        device: Device = ctx.device
        oi = ctx.header.other_information
        requester = oi.supplementary_remote_party_id or ctx.header.originator
        counter = (oi.supplementary_originator_counter if oi.supplementary_originator_counter is not None
                   else ctx.header.originator_counter)
        encrypt = None
        try:
            public = self._requester_key(ctx, requester)
            if public is not None:
                private = device.private_key(ctx.state, "ka")
                originator = device.eui

                def encrypt(plaintext: bytes) -> bytes:
                    # derived on first use: most commands protect nothing
                    z = crypto.ecdh_shared_secret(private_key=private, public_key=public)
                    key = crypto.derive_key(shared_secret=z, mode=crypto.KdfMode.PAYLOAD_ENCRYPTION,
                                            originator=originator, counter=counter, recipient=requester)
                    return crypto.encrypt_protected(key=key, originator=originator, plaintext=plaintext)
        except (SmetsError, ValueError) as exc:
            log.info("device %s: no key to protect data for %s: %s", device.eui.hex(), requester.hex(), exc)
        return ProtectionContext(counter=counter, originator=device.eui, recipient=requester, encrypt=encrypt)

    @staticmethod
    def _requester_key(ctx: CommandContext, requester: bytes) -> ec.EllipticCurvePublicKey | None:
        certificate = ctx.header.other_information.certificate
        if certificate:
            try:
                key = x509.load_der_x509_certificate(certificate).public_key()
            except ValueError:
                key = None
            if isinstance(key, ec.EllipticCurvePublicKey):
                return key
        cell = ctx.device.party_ka_cell(ctx.state, requester)
        return None if cell is None else ctx.device.cell_public_key(cell)

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
        value = state.objects.get(PAN_ID_KEY)
        return bytes.fromhex(value) if isinstance(value, str) else bytes(state.eui)

    @staticmethod
    def future_dated_alert(entry: dict[str, object], applied: bool, now: dt.datetime) -> AlertSpec:
        """The 0x00CC alert for an activation: message code, command counter, attribute descriptor (GBCS 5.9)."""
        from smets_emu.protocols.payloads.dlms import ObisCode

        target = (
            int(entry.get("message_code", 0)).to_bytes(2, "big")  # type: ignore[call-overload]
            + int(entry.get("originator_counter", 0)).to_bytes(8, "big")  # type: ignore[call-overload]
            + int(entry.get("class_id", 0)).to_bytes(2, "big")  # type: ignore[call-overload]
            + ObisCode.parse(str(entry.get("obis"))).to_bytes()
            + int(entry.get("attribute_id", 0)).to_bytes(1, "big")  # type: ignore[call-overload]
        )
        body = StructureData((
            IntegerData(DataTag.LONG_UNSIGNED, FUTURE_DATED_SUCCESS if applied else FUTURE_DATED_FAILURE),
            now_dlms(now),
            OctetStringData(target),
        ))
        return AlertSpec(FUTURE_DATED_ALERT, DataNotification(InvokeIdAndPriority(0), body), critical=True)

    def due(self, now: dt.datetime) -> Outcome:
        """Apply due future-dated activations, one signed 0x00CC alert per activated item."""
        device: Device = self  # type: ignore[assignment]
        base: Outcome = super().due(now)  # type: ignore[misc]
        state = base.state.clone()
        model = CosemModel(state)
        done = due_activations(model, now)
        if not done:
            return base
        outbound = list(base.outbound)
        for entry, applied in done:
            alert = self.future_dated_alert(entry, applied, model.device_time(now))
            try:
                outbound.append(device.build_alert(state, alert, now))
            except SmetsError as exc:
                log.warning("device %s cannot raise 0x00CC: %s", device.eui.hex(), exc)
        device.state = state
        return Outcome(state, outbound, accepted=True, reason="future-dated activation")
