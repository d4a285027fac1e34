"""Fixtures: a default-scenario store, a DSP over it, and DUIS request builders with real SMKI-shaped certificates."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
from collections.abc import Iterator
from functools import lru_cache

import pytest
from cryptography.hazmat.primitives import serialization

from smets_emu.parties.smets1.dsp import Dsp
from smets_emu.parties.smets1.request_ids import time_counter
from smets_emu.parties.smets1.scenario import seed_default_scenario
from smets_emu.parties.smets1.store import Store
from smets_emu.protocols.duis import format_eui
from smets_emu.protocols.keystore import KeyUsage
from smets_emu.protocols.pki import TestPki, generate_test_pki

SR = "http://www.dccinterface.co.uk/ServiceUserGateway"
ESME = bytes.fromhex("00DB1234567890A0")
GPF = bytes.fromhex("00DB1234567890A3")


@lru_cache(maxsize=1)
def _pki() -> TestPki:
    return generate_test_pki(organisations={}, devices=[], seed=7)


@lru_cache(maxsize=64)
def certificate_b64(entity_id: bytes, role: int) -> str:
    pki = _pki()
    key = pki.new_private_key(f"{entity_id.hex()}-{role}")
    cert = pki.issue_organisation_certificate(entity_id, role, KeyUsage.DS, key.public_key())
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


_SEQ = itertools.count()


def request(originator: bytes, target: bytes, srv: str, body: str, counter: int | None = None) -> bytes:
    """A DUIS request; by default with a fresh time-based RequestID counter (milliseconds since 1970)."""
    if counter is None:
        counter = time_counter(dt.datetime.now(dt.UTC)) + next(_SEQ)
    ref = ".".join(srv.split(".")[:2])
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><sr:Request xmlns:sr="{SR}" schemaVersion="5.4"><sr:Header>'
        f"<sr:RequestID>{format_eui(originator)}:{format_eui(target)}:{counter}</sr:RequestID>"
        f"<sr:CommandVariant>1</sr:CommandVariant><sr:ServiceReference>{ref}</sr:ServiceReference>"
        f"<sr:ServiceReferenceVariant>{srv}</sr:ServiceReferenceVariant></sr:Header>"
        f"<sr:Body>{body}</sr:Body></sr:Request>"
    ).encode()


def krp(originator: bytes, target: bytes, slot: str, new_entity: bytes, role_code: int | None = None) -> bytes:
    """SRV 6.15.1 replacing ``slot`` with a certificate of ``new_entity``."""
    code = role_code if role_code is not None else {"Supplier": 2, "NetworkOperator": 3, "LoadController": 8}[slot]
    cert = certificate_b64(new_entity, code)
    body = (
        f"<sr:UpdateSecurityCredentialsKRP><sr:RemotePartyRole>{slot}</sr:RemotePartyRole>"
        "<sr:RemotePartyFloorSeqNumber>0</sr:RemotePartyFloorSeqNumber><sr:ReplacementCertificates>"
        f"<sr:SupplierOrNetworkOperatorCertificates><sr:DigitalSigningCertificate>{cert}</sr:DigitalSigningCertificate>"
        f"<sr:KeyAgreementCertificate>{cert}</sr:KeyAgreementCertificate></sr:SupplierOrNetworkOperatorCertificates>"
        "</sr:ReplacementCertificates></sr:UpdateSecurityCredentialsKRP>"
    )
    return request(originator, target, "6.15.1", body)


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store()
    seed_default_scenario(s)
    yield s
    s.close()


@pytest.fixture
def dsp(store: Store) -> Dsp:
    return Dsp(store)
