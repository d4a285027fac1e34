"""DUIS request parsing: every template, header fields, hardened XML, fuzzing."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smets_emu.errors import DuisXmlError, SmetsError, ValidationError
from smets_emu.protocols.duis import (
    ActivateFirmware,
    DuisResponse,
    GenericBody,
    RemotePartyRole,
    RequestId,
    ResponseCode,
    ResponseElement,
    UpdateFirmware,
    UpdateSecurityCredentialsKrp,
    parse_request,
    parse_response,
    response_to_xml,
)
from smets_emu.protocols.duis.xml import parse_xml

TEMPLATES = Path(__file__).resolve().parents[3] / ".." / "shared" / "duis" / "templates"
TEMPLATE_FILES = sorted(TEMPLATES.glob("*.XML")) if TEMPLATES.is_dir() else []

SR = "http://www.dccinterface.co.uk/ServiceUserGateway"


def request_xml(srv: str = "11.2", body: str = "<sr:ReadFirmwareVersion/>", request_id: str | None = None) -> str:
    rid = request_id or "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1000"
    ref = ".".join(srv.split(".")[:2])
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><sr:Request xmlns:sr="{SR}" schemaVersion="5.4"><sr:Header>'
        f"<sr:RequestID>{rid}</sr:RequestID><sr:CommandVariant>1</sr:CommandVariant>"
        f"<sr:ServiceReference>{ref}</sr:ServiceReference><sr:ServiceReferenceVariant>{srv}</sr:ServiceReferenceVariant>"
        f"</sr:Header><sr:Body>{body}</sr:Body></sr:Request>"
    )


@pytest.mark.skipif(not TEMPLATE_FILES, reason="../shared/duis/templates not present")
@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: p.name)
def test_every_template_parses(path: Path) -> None:
    request = parse_request(path.read_bytes())
    assert request.srv.startswith(request.header.service_reference)
    assert len(request.originator) == 8 and len(request.target) == 8
    assert request.signed


def test_header_fields() -> None:
    request = parse_request(request_xml(request_id="90-B3-D5-1F-30-02-00-00:00-DB-12-34-56-78-90-A3:25769803776"))
    assert request.header.request_id == RequestId(
        bytes.fromhex("90B3D51F30020000"), bytes.fromhex("00DB1234567890A3"), 25769803776
    )
    assert str(request.header.request_id) == "90-B3-D5-1F-30-02-00-00:00-DB-12-34-56-78-90-A3:25769803776"
    assert request.header.command_variant == 1
    assert request.srv == "11.2"


@pytest.mark.skipif(not TEMPLATE_FILES, reason="../shared/duis/templates not present")
def test_typed_bodies() -> None:
    krp = parse_request((TEMPLATES / "CS02bNOByNO_6.15.1_SUCCESS_REQUEST_DUIS.XML").read_bytes()).body
    assert isinstance(krp, UpdateSecurityCredentialsKrp)
    assert krp.remote_party_role is RemotePartyRole.NETWORK_OPERATOR
    assert krp.replacement.digital_signing is not None and krp.replacement.key_agreement is not None
    firmware = parse_request((TEMPLATES / "11.1_UPDATE_FIRMWARE_REQUEST_DUIS.XML").read_bytes()).body
    assert isinstance(firmware, UpdateFirmware) and firmware.firmware_version == "00000000"
    activate = parse_request((TEMPLATES / "CS06_11.3_FUTURE_DATED_SUCCESS_REQUEST_DUIS.XML").read_bytes()).body
    assert isinstance(activate, ActivateFirmware) and len(activate.firmware_hash) == 32
    assert activate.execution_datetime is not None


def test_generic_body_keeps_values() -> None:
    body = "<sr:Foo><sr:Bar>1</sr:Bar><sr:Baz><sr:Qux>x</sr:Qux></sr:Baz></sr:Foo>"
    request = parse_request(request_xml("1.1.1", body))
    assert isinstance(request.body, GenericBody)
    assert request.body.values == (("Bar", "1"), ("Baz/Qux", "x"))


@pytest.mark.parametrize(
    "request_id",
    [
        "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0",
        "zz-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1",
        "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:-1",
        "90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:99999999999999999999",
    ],
)
def test_bad_request_ids(request_id: str) -> None:
    with pytest.raises(ValidationError):
        parse_request(request_xml(request_id=request_id))


@pytest.mark.parametrize(
    "mutation",
    [
        lambda x: x.replace("<sr:Header>", "<sr:Hdr>").replace("</sr:Header>", "</sr:Hdr>"),
        lambda x: x.replace("<sr:CommandVariant>1<", "<sr:CommandVariant>one<"),
        lambda x: x.replace("<sr:ReadFirmwareVersion/>", ""),
        lambda x: x.replace("<sr:ServiceReference>11.2<", "<sr:ServiceReference>6.15<"),
        lambda x: x.replace(f'xmlns:sr="{SR}"', 'xmlns:sr="urn:other"'),
    ],
)
def test_invalid_requests(mutation) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        parse_request(mutation(request_xml()))


XXE = """<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"""
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>'
)
EXTERNAL_DTD = '<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://example.invalid/x.dtd"><r/>'
PARAMETER_ENTITY = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://example.invalid/p">%p;]><r/>'


@pytest.mark.parametrize("document", [XXE, LAUGHS, EXTERNAL_DTD, PARAMETER_ENTITY], ids=["xxe", "laughs", "dtd", "pe"])
def test_entities_and_dtds_rejected(document: str) -> None:
    with pytest.raises(DuisXmlError):
        parse_request(document)


def test_xxe_inside_a_duis_request_rejected() -> None:
    document = (
        request_xml()
        .replace("<sr:Request", '<!DOCTYPE sr:Request [<!ENTITY x SYSTEM "file:///etc/passwd">]><sr:Request', 1)
        .replace("<sr:ReadFirmwareVersion/>", "<sr:ReadFirmwareVersion>&x;</sr:ReadFirmwareVersion>")
    )
    with pytest.raises(DuisXmlError):
        parse_request(document)


def test_size_and_depth_caps() -> None:
    with pytest.raises(DuisXmlError):
        parse_xml(b"<a/>" + b" " * 100, max_bytes=50)
    with pytest.raises(DuisXmlError):
        parse_xml("<a>" * 40 + "</a>" * 40)
    with pytest.raises(DuisXmlError):
        parse_xml("<a>" * 100_000 + "</a>" * 100_000)


def test_response_round_trip() -> None:
    response = DuisResponse(
        request_id="90-B3-D5-1F-30-01-00-00:00-DB-12-34-56-78-90-A0:1",
        response_code=ResponseCode.FIRMWARE_VERSION_NOT_ON_CPL,
        service_reference_variant="11.3",
        message="not on the CPL",
        body=(ResponseElement("A", children=(ResponseElement("B", "1"),)),),
    )
    back = parse_response(response_to_xml(response))
    assert back.response_code is ResponseCode.FIRMWARE_VERSION_NOT_ON_CPL
    assert back.request_id == response.request_id and back.message == "not on the CPL"
    assert back.body == response.body
    assert abs((back.response_datetime - response.response_datetime).total_seconds()) < 0.02


def test_response_codes_described() -> None:
    for code in ResponseCode:
        assert code.description
    assert ResponseCode.SUCCESS.is_success and not ResponseCode.S1SP_CERTIFICATE_OWNER_MISMATCH.is_success


_SEED = request_xml(
    "6.15.1",
    "<sr:UpdateSecurityCredentialsKRP><sr:RemotePartyRole>Supplier</sr:RemotePartyRole>"
    "<sr:ReplacementCertificates><sr:SupplierOrNetworkOperatorCertificates><sr:DigitalSigningCertificate>"
    "AAAA</sr:DigitalSigningCertificate></sr:SupplierOrNetworkOperatorCertificates></sr:ReplacementCertificates>"
    "</sr:UpdateSecurityCredentialsKRP>",
).encode()


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_raise_only_smets_errors(data: bytes) -> None:
    try:
        parse_request(data)
    except SmetsError:
        pass


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.integers(0, len(_SEED) - 1), st.integers(0, 40), st.binary(max_size=20))
def test_mutated_requests_raise_only_smets_errors(at: int, cut: int, insert: bytes) -> None:
    try:
        parse_request(_SEED[:at] + insert + _SEED[at + cut :])
    except SmetsError:
        pass
