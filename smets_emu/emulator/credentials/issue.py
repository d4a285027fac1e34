"""The device's own credentials (GBCS 13.3.5-13.3.5): CS02c Issue Security Credentials (0x000A),
CS02d Update Device Certificate (0x000B) and CS02e Provide Device Certificate (0x000C).

CS02c generates a new key pair for the digital signing or key agreement usage, keeps it pending and
answers its PKCS#10 request; CS02d installs the certificate issued for the pending (or current) key
pair; CS02e returns the current certificate.
"""

from __future__ import annotations

import logging
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_private_key

from smets_emu.emulator.anchors import point
from smets_emu.emulator.credentials import certpath
from smets_emu.emulator.credentials.common import RESPONSE, payload
from smets_emu.emulator.credentials.faults import credential_fault
from smets_emu.emulator.device import CommandContext, HandlerResult
from smets_emu.emulator.provision import private_key_der
from smets_emu.emulator.state import DeviceState, KeyPair
from smets_emu.errors import KeyMaterialError
from smets_emu.protocols.payloads.asn1_enums import (
    IssueResponseCode,
    ProvideCertificateCode,
    UpdateDeviceCertificateCode,
)
from smets_emu.protocols.payloads.asn1_models import (
    CertificateCommand,
    CodeResponse,
    IssueSecurityCredentialsResponse,
    KeyUsageCommand,
    ProvideDeviceCertificateResponse,
    read,
)

log = logging.getLogger(__name__)


def issue_security_credentials(ctx: CommandContext) -> HandlerResult:
    """CS02c: generate a key pair for the usage, keep it pending, answer a PKCS#10 request (GBCS 13.3.5)."""
    usage, pair, fault = _key_usage_request(ctx, "CS02c", "issue")
    if usage is None:
        response = IssueSecurityCredentialsResponse(code=IssueResponseCode.INVALID_KEY_USAGE)
    elif pair is None:
        response = IssueSecurityCredentialsResponse(code=IssueResponseCode.KEY_PAIR_GENERATION_FAILED)
    elif fault is not None:
        response = IssueSecurityCredentialsResponse(code=int(fault))
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        pair.pending_private_key = private_key_der(key)
        response = IssueSecurityCredentialsResponse(request=certpath.certification_request(ctx.state.eui, usage, key))
    return HandlerResult(payload(response, ctx.message_code, RESPONSE), date_time=False)


def update_device_certificate(ctx: CommandContext) -> HandlerResult:
    """CS02d: install a device certificate for the pending (or current) key pair (GBCS 13.3.5)."""
    der = read(ctx.payload, CertificateCommand).certificate
    code, cert, usage = certpath.check_device_certificate(der, ctx.state.eui)
    if code == UpdateDeviceCertificateCode.SUCCESS and cert is not None and usage is not None:
        key = cert.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey):
            code = UpdateDeviceCertificateCode.INVALID_CERTIFICATE
        else:
            code = _install_device_certificate(ctx.state, usage, point(key), der)
    return HandlerResult(payload(CodeResponse(code), ctx.message_code, RESPONSE), date_time=False)


def provide_device_certificate(ctx: CommandContext) -> HandlerResult:
    """CS02e: the device's current certificate for the key usage (GBCS 13.3.5)."""
    usage, pair, fault = _key_usage_request(ctx, "CS02e", "provide")
    if usage is None:
        response = ProvideDeviceCertificateResponse(code=ProvideCertificateCode.INVALID_KEY_USAGE)
    elif fault is not None:
        response = ProvideDeviceCertificateResponse(code=int(fault))
    elif pair is None or pair.certificate is None:
        response = ProvideDeviceCertificateResponse(code=ProvideCertificateCode.NO_CERTIFICATE_HELD)
    else:
        response = ProvideDeviceCertificateResponse(certificate=pair.certificate)
    return HandlerResult(payload(response, ctx.message_code, RESPONSE), date_time=False)


def _key_usage_request(ctx: CommandContext, label: str, operation: str) -> tuple[str | None, KeyPair | None, Any]:
    """The key usage a CS02c/CS02e command names, the device's key pair for it, and the injected fault (logged)."""
    usage = read(ctx.payload, KeyUsageCommand).device_usage
    fault = credential_fault(ctx.state, operation)
    if usage is not None and fault is not None:
        log.info("device %s: %s fails: injected fault %s", ctx.state.eui.hex().upper(), label, fault)
    return usage, (ctx.state.keys.get(usage) if usage else None), fault


def _public_point(private_der: bytes) -> bytes:
    key = load_der_private_key(private_der, None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyMaterialError("device keys are P-256")
    return point(key.public_key())


def _install_device_certificate(state: DeviceState, usage: str, cert_point: bytes, der: bytes) -> int:
    pair = state.keys.get(usage)
    if pair is None:
        return UpdateDeviceCertificateCode.NO_CORRESPONDING_KEY_PAIR_GENERATED
    if pair.pending_private_key is not None and _public_point(pair.pending_private_key) == cert_point:
        state.keys[usage] = KeyPair(pair.pending_private_key, der, None)
        return UpdateDeviceCertificateCode.SUCCESS
    if _public_point(pair.private_key) == cert_point:
        pair.certificate = der
        return UpdateDeviceCertificateCode.SUCCESS
    if pair.pending_private_key is not None:
        return UpdateDeviceCertificateCode.WRONG_PUBLIC_KEY
    return UpdateDeviceCertificateCode.NO_CORRESPONDING_KEY_PAIR_GENERATED
