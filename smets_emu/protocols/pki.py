"""The project's own SMKI-shaped test PKI (GBCS 12; profile as observed on the RTDS keystore).

Hierarchy::

    root CA (OU=00, CN=TA)  -- keyCertSign+cRLSign, CA:TRUE, self-signed, no AKI
      organisation CA (OU=07, CN=T1)  -- CA:TRUE pathLen 0, organisation policy
        organisation DS / KA (/ prepayment KA) certificates per remote party
      device CA (CN=TD01)  -- CA:TRUE pathLen 0, device policy
        device DS / KA certificates

Organisation certificates: issuer ``OU, CN`` as PrintableString; subject ``[CN] OU=<role hex>
x500UniqueIdentifier=<EUI as 64-bit BIT STRING>``; 16-byte positive serial; 10-year UTCTime
validity; extensions keyUsage (critical), subjectKeyIdentifier, certificatePolicies (critical),
authorityKeyIdentifier. Device certificates: empty subject; keyUsage, SKI, subjectAltName
(critical hardwareModuleName carrying the EUI), certificatePolicies, AKI; notAfter
``99991231235959Z``. Key identifiers are RFC 5280 method 2 (8 bytes).

With a ``seed`` every key, serial and (RFC 6979 deterministic) signature is reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import InitVar, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from smets_emu.errors import KeyMaterialError, KeystoreError, PkiError
from smets_emu.protocols.certificates import (
    DEVICE_NOT_AFTER,
    DEVICE_POLICY_OID,
    HW_TYPE_OID,
    ORGANISATION_POLICY_OID,
    ROLE_ISSUING_AUTHORITY,
    ROLE_ROOT,
    authority_key_identifier,
    hardware_module_name,
    key_identifier,
    load_certificate,
    subject_key_identifier,
    unique_identifier_attribute,
)
from smets_emu.protocols.keystore import Keystore, KeyUsage, parse_key_material, private_key_pem
from smets_emu.protocols.pki_profile import (
    Authority,
    Randomness,
    add_years,
    aki_extension,
    build_certificate,
    check_eui,
    key_usage_extension,
    p256,
    policy_extension,
    printable_name,
    utc,
)
from smets_emu.secure_files import write_secret

ROLE_RECOVERY = 1
ROLE_SUPPLIER = 2
ROLE_NETWORK_OPERATOR = 3
ROLE_ACCESS_CONTROL_BROKER = 4
ROLE_TRANSITIONAL_CHANGE_OF_SUPPLIER = 5
ROLE_WAN_PROVIDER = 6
ROLE_LOAD_CONTROLLER = 8

DEFAULT_ORGANISATIONS: dict[bytes, int] = {
    bytes.fromhex("90B3D51F30000001"): ROLE_RECOVERY,
    bytes.fromhex("90B3D51F30000002"): ROLE_ACCESS_CONTROL_BROKER,
    bytes.fromhex("90B3D51F30000004"): ROLE_TRANSITIONAL_CHANGE_OF_SUPPLIER,
    bytes.fromhex("90B3D51F30000007"): ROLE_WAN_PROVIDER,
    bytes.fromhex("90B3D51F30010000"): ROLE_SUPPLIER,
    bytes.fromhex("90B3D51F30030000"): ROLE_SUPPLIER,
    bytes.fromhex("90B3D51F30020000"): ROLE_NETWORK_OPERATOR,
    bytes.fromhex("90B3D51F30010008"): ROLE_LOAD_CONTROLLER,
}
"""The RTDS remote parties (GBCS RemotePartyRole values), so RTDS-shaped tests keep their EUIs."""

DEFAULT_DEVICES: tuple[bytes, ...] = tuple(bytes.fromhex(f"00DB1234567890A{i}") for i in range(7))
"""The RTDS devices: ESME, GSME, CHF, GPF, PPMID, HCALCS and an ESME with APC."""

ROOT_NAME = "TA"
ORGANISATION_CA_NAME = "T1"
DEVICE_CA_NAME = "TD01"
ROOT_FILE = "root-ca"
ORGANISATION_CA_FILE = "organisation-ca"
DEVICE_CA_FILE = "device-ca"
AUTHORITY_FILES = (ROOT_FILE, ORGANISATION_CA_FILE, DEVICE_CA_FILE)
"""File stems of the three CAs, root first; also the labels their seeded keys and serials derive from."""

SEEDED_NOT_BEFORE = datetime(2024, 1, 1, tzinfo=UTC)
"""notBefore used when a seed is given without one, so that seeded PKIs are byte-identical."""

ORGANISATION_VALIDITY_YEARS = 10
ORGANISATION_CA_VALIDITY_YEARS = 25
_ONE_SECOND = timedelta(seconds=1)


@dataclass(eq=False, kw_only=True)
class TestPki:
    """A root, an organisation CA and a device CA, plus a keystore of everything they issued."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    root_certificate: x509.Certificate
    root_private_key: ec.EllipticCurvePrivateKey
    organisation_ca_certificate: x509.Certificate
    organisation_ca_private_key: ec.EllipticCurvePrivateKey
    device_ca_certificate: x509.Certificate
    device_ca_private_key: ec.EllipticCurvePrivateKey
    keystore: Keystore = field(default_factory=Keystore)
    seed: InitVar[bytes | str | int | None] = None
    not_before: datetime | None = None  # set to the organisation CA's notBefore when not given

    def __post_init__(self, seed: bytes | str | int | None) -> None:
        self._start: datetime = self.not_before or self.organisation_ca_certificate.not_valid_before_utc
        self.not_before = self._start
        self._random = Randomness(seed)

    @classmethod
    def from_authorities(cls, authorities: Mapping[str, Authority], **options: Any) -> TestPki:
        """A PKI from its three CAs keyed by file stem (:data:`AUTHORITY_FILES`), e.g. as :meth:`authorities` gives."""
        (root, root_key), (org_ca, org_ca_key), (device_ca, device_ca_key) = (
            authorities[stem] for stem in AUTHORITY_FILES
        )
        return cls(
            root_certificate=root,
            root_private_key=root_key,
            organisation_ca_certificate=org_ca,
            organisation_ca_private_key=org_ca_key,
            device_ca_certificate=device_ca,
            device_ca_private_key=device_ca_key,
            **options,
        )

    @property
    def authorities(self) -> dict[str, Authority]:
        """The three CAs (certificate, private key) keyed by file stem, root first."""
        return {
            ROOT_FILE: (self.root_certificate, self.root_private_key),
            ORGANISATION_CA_FILE: (self.organisation_ca_certificate, self.organisation_ca_private_key),
            DEVICE_CA_FILE: (self.device_ca_certificate, self.device_ca_private_key),
        }

    # --- issuing -----------------------------------------------------------------------------------------

    @property
    def ca_certificates(self) -> tuple[x509.Certificate, x509.Certificate, x509.Certificate]:
        """Root, organisation CA and device CA certificates."""
        return self.root_certificate, self.organisation_ca_certificate, self.device_ca_certificate

    @property
    def deterministic(self) -> bool:
        """Whether keys, serials and signatures come from a seed."""
        return self._random.seed is not None

    def new_private_key(self, label: str) -> ec.EllipticCurvePrivateKey:
        """A fresh P-256 key (derived from the seed and ``label`` when the PKI is seeded)."""
        return self._random.private_key(label)

    def _issue(
        self,
        authority: Authority,
        eui: bytes,
        usage: KeyUsage,
        public_key: ec.EllipticCurvePublicKey,
        *,
        subject: x509.Name,
        not_before: datetime | None,
        not_after: Callable[[datetime], datetime],
        extensions: tuple[x509.ExtensionType, ...],
    ) -> x509.Certificate:
        """A leaf certificate: keyUsage, SKI, then *extensions* (all critical), then AKI (digest 9.1, 9.2)."""
        start = utc(not_before) if not_before is not None else self._start
        signing = usage is KeyUsage.DS
        return build_certificate(
            subject=subject,
            issuer=authority,
            public_key=p256(public_key),
            serial=self._random.serial(f"{eui.hex()}-{usage.value}"),
            validity=(start, not_after(start)),
            extensions=(
                (key_usage_extension(signing=signing, agreement=not signing), True),
                (x509.SubjectKeyIdentifier(key_identifier(public_key)), False),
                *((extension, True) for extension in extensions),
                (aki_extension(authority[0]), False),
            ),
            deterministic=self.deterministic,
        )

    def issue_organisation_certificate(
        self,
        eui: bytes,
        role: int,
        usage: KeyUsage,
        public_key: ec.EllipticCurvePublicKey,
        *,
        common_name: str | None = None,
        not_before: datetime | None = None,
    ) -> x509.Certificate:
        """An organisation certificate signed by the organisation CA (digest 9.1 profile)."""
        check_eui(eui)
        if not 0 < role < 0x100 or role in (ROLE_ROOT, ROLE_ISSUING_AUTHORITY):
            raise PkiError(f"role {role} is not a remote party role")
        attributes = []
        if common_name is not None:
            attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"{role:02X}"))
        attributes.append(unique_identifier_attribute(eui))
        return self._issue(
            self.authorities[ORGANISATION_CA_FILE], eui, usage, public_key,
            subject=x509.Name(attributes),
            not_before=not_before,
            not_after=lambda start: add_years(start, ORGANISATION_VALIDITY_YEARS) - _ONE_SECOND,
            extensions=(policy_extension(ORGANISATION_POLICY_OID),),
        )

    def issue_device_certificate(
        self,
        eui: bytes,
        usage: KeyUsage,
        public_key: ec.EllipticCurvePublicKey,
        *,
        not_before: datetime | None = None,
    ) -> x509.Certificate:
        """A device certificate signed by the device CA (digest 9.2 profile)."""
        check_eui(eui)
        if usage is KeyUsage.KA_PREPAYMENT:
            raise PkiError("devices have no prepayment key agreement key")
        return self._issue(
            self.authorities[DEVICE_CA_FILE], eui, usage, public_key,
            subject=x509.Name([]),
            not_before=not_before,
            not_after=lambda _: DEVICE_NOT_AFTER,
            extensions=(
                x509.SubjectAlternativeName([hardware_module_name(eui, HW_TYPE_OID)]),
                policy_extension(DEVICE_POLICY_OID),
            ),
        )

    def add_organisation(self, eui: bytes, role: int, *, common_name: str | None = None) -> None:
        """Generate the DS and KA pairs (and a prepayment KA pair for a supplier) and certify them."""
        usages = [KeyUsage.DS, KeyUsage.KA]
        if role == ROLE_SUPPLIER:
            usages.append(KeyUsage.KA_PREPAYMENT)
        for usage in usages:
            key = self.new_private_key(f"{eui.hex()}-{usage.value}")
            name = common_name if usage is KeyUsage.DS else None
            cert = self.issue_organisation_certificate(eui, role, usage, key.public_key(), common_name=name)
            self.keystore.add(eui, usage, certificate=cert, private_key=key)

    def add_device(self, eui: bytes) -> None:
        """Generate a device's DS and KA pairs and certify them."""
        for usage in (KeyUsage.DS, KeyUsage.KA):
            key = self.new_private_key(f"{eui.hex()}-{usage.value}")
            cert = self.issue_device_certificate(eui, usage, key.public_key())
            self.keystore.add(eui, usage, certificate=cert, private_key=key)

    def issuer_of(self, cert: x509.Certificate) -> x509.Certificate | None:
        """The CA certificate (of this PKI) whose SKI is ``cert``'s AKI (the root for itself)."""
        try:
            aki = authority_key_identifier(cert)
        except KeyMaterialError:
            return None
        for ca in self.ca_certificates:
            if aki is not None and subject_key_identifier(ca) == aki:
                return ca
            if aki is None and cert.issuer == ca.subject:
                return ca
        return None

    # --- files -------------------------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the keystore files plus ``root-ca``, ``organisation-ca`` and ``device-ca`` .pem/.key."""
        folder = Path(path)
        self.keystore.save(folder)
        try:
            for stem, (cert, key) in self.authorities.items():
                write_secret(folder / f"{stem}.pem", cert.public_bytes(serialization.Encoding.PEM))
                write_secret(folder / f"{stem}.key", private_key_pem(key))
        except OSError as exc:
            raise PkiError(f"cannot write test PKI to {folder}: {exc}") from exc

    @classmethod
    def load(cls, path: str | Path) -> TestPki:
        """Read a folder written by :meth:`save`; PkiError if a CA file is missing or unreadable."""
        folder = Path(path)
        keystore = Keystore.load(folder)
        return cls.from_authorities({stem: _load_ca(folder, stem) for stem in AUTHORITY_FILES}, keystore=keystore)


def _load_ca(folder: Path, stem: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    try:
        cert = load_certificate((folder / f"{stem}.pem").read_bytes())
        items = parse_key_material((folder / f"{stem}.key").read_bytes())
    except (OSError, KeyMaterialError, KeystoreError) as exc:
        raise PkiError(f"cannot read {stem} from {folder}: {exc}") from exc
    keys = [item for item in items if isinstance(item, ec.EllipticCurvePrivateKey)]
    if len(keys) != 1:
        raise PkiError(f"{stem}.key does not hold exactly one private key")
    if keys[0].public_key().public_numbers() != cert.public_key().public_numbers():
        raise PkiError(f"{stem}.key does not match {stem}.pem")
    return cert, keys[0]


def _new_authority(
    random: Randomness,
    stem: str,
    subject: x509.Name,
    issuer: Authority | None,
    *,
    validity: tuple[datetime, datetime],
    path_length: int | None,
    policies: tuple[str, ...],
) -> Authority:
    """A CA key and certificate (digest 9.3): keyUsage, basicConstraints, certificatePolicies, SKI, AKI.

    Self-signed (no AKI) when *issuer* is None; the key and serial are derived from *stem* when seeded.
    """
    key = random.private_key(stem)
    serial = random.serial(stem)
    extensions: tuple[tuple[x509.ExtensionType, bool], ...] = (
        (key_usage_extension(ca=True), True),
        (x509.BasicConstraints(ca=True, path_length=path_length), True),
        (policy_extension(*policies), True),
        (x509.SubjectKeyIdentifier(key_identifier(key.public_key())), False),
    )
    if issuer is not None:
        extensions += ((aki_extension(issuer[0]), False),)
    certificate = build_certificate(subject=subject, issuer=issuer, public_key=key.public_key(), serial=serial,
                               validity=validity, extensions=extensions, signer=key,
                               deterministic=random.seed is not None)
    return certificate, key


def generate_test_pki(
    *,
    organisations: dict[bytes, int] | None = None,
    devices: list[bytes] | tuple[bytes, ...] | None = None,
    not_before: datetime | None = None,
    seed: bytes | str | int | None = None,
    common_names: dict[bytes, str] | None = None,
    root_name: str = ROOT_NAME,
    organisation_ca_name: str = ORGANISATION_CA_NAME,
    device_ca_name: str = DEVICE_CA_NAME,
) -> TestPki:
    """Build a root, organisation CA and device CA, and certify every organisation and device.

    ``organisations`` maps EUI to RemotePartyRole (default: the RTDS parties); ``devices`` lists
    device EUIs (default: 00DB1234567890A0..A6). ``common_names`` adds a CN to an organisation's DS
    certificate. ``not_before`` defaults to today 00:00 UTC, or to 2024-01-01 when ``seed`` is given.
    """
    if not_before is None:
        if seed is not None:
            start = SEEDED_NOT_BEFORE
        else:
            start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        start = utc(not_before).replace(microsecond=0)
    organisations = DEFAULT_ORGANISATIONS if organisations is None else organisations
    devices = DEFAULT_DEVICES if devices is None else devices
    common_names = common_names or {}
    for eui in [*organisations, *devices, *common_names]:
        check_eui(eui)
    if len(device_ca_name) != 4:
        raise PkiError("a device CA name is 4 characters")

    random = Randomness(seed)
    # (stem, subject, notAfter, pathLen, policies), in the order their keys are derived; the root signs the others
    profiles = (
        (ROOT_FILE, printable_name(ou=f"{ROLE_ROOT:02X}", cn=root_name), DEVICE_NOT_AFTER, None,
         (ORGANISATION_POLICY_OID, DEVICE_POLICY_OID)),
        (ORGANISATION_CA_FILE, printable_name(ou=f"{ROLE_ISSUING_AUTHORITY:02X}", cn=organisation_ca_name),
         add_years(start, ORGANISATION_CA_VALIDITY_YEARS) - _ONE_SECOND, 0, (ORGANISATION_POLICY_OID,)),
        (DEVICE_CA_FILE, printable_name(ou=None, cn=device_ca_name), DEVICE_NOT_AFTER, 0, (DEVICE_POLICY_OID,)),
    )
    try:
        authorities: dict[str, Authority] = {}
        for stem, subject, not_after, path_length, policies in profiles:
            authorities[stem] = _new_authority(random, stem, subject, authorities.get(ROOT_FILE),
                                               validity=(start, not_after), path_length=path_length, policies=policies)
        pki = TestPki.from_authorities(authorities, seed=seed, not_before=start)
        for eui, role in organisations.items():
            pki.add_organisation(eui, role, common_name=common_names.get(eui))
        for eui in devices:
            pki.add_device(eui)
    except ValueError as exc:  # e.g. a name that is not PrintableString
        raise PkiError(f"cannot build the test PKI: {exc}") from exc
    return pki
