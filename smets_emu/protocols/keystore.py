"""A folder of GBCS key material: certificates and private keys per entity and key usage.

File layout (that of the RTDS keystore): ``<eui-lowercase>[-pp]-<ka|ds>.<pem|key>`` where ``ds``
is the Digital Signing key, ``ka`` the Key Agreement key and ``pp-ka`` a supplier's prepayment
top-up Key Agreement key (GBCS 6.2, 14). ``.pem`` files hold a certificate (or, tolerated, a bare
public key), ``.key`` files a PKCS#8 PEM private key. Only P-256 keys are accepted (GBCS 12).

Loading never fails on a bad file: it is skipped with a logged warning (``strict=True`` raises
:class:`KeystoreError` instead). Files whose names do not follow the layout are ignored.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from smets_emu.errors import InputError, KeyMaterialError, KeystoreError
from smets_emu.inputs import MAX_KEY_FILE_BYTES, read_file
from smets_emu.protocols.certificates import (
    EUI_LENGTH,
    LIBRARY_ERRORS,
    certificate_eui,
    certificate_public_key,
    certificate_role,
)
from smets_emu.secure_files import make_private_dir, write_secret

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

_FILE_NAME = re.compile(r"^(?P<eui>[0-9a-fA-F]{16})-(?P<usage>pp-ka|ka|ds)\.(?P<ext>pem|key)$")
_PEM_BLOCK = re.compile(rb"-----BEGIN (?P<label>[A-Z0-9 ]+)-----\r?\n.*?-----END (?P=label)-----", re.DOTALL)

PrivateKey = ec.EllipticCurvePrivateKey
PublicKey = ec.EllipticCurvePublicKey


class KeyUsage(enum.Enum):
    """Which of an entity's key pairs: the value is the file-name suffix."""

    DS = "ds"
    """Digital Signing."""
    KA = "ka"
    """Key Agreement."""
    KA_PREPAYMENT = "pp-ka"
    """A supplier's Key Agreement key for prepayment top-up (UTRN) generation."""


@dataclass(frozen=True)
class KeystoreEntry:
    """The key material held for one (EUI, key usage) slot."""

    eui: bytes
    usage: KeyUsage
    certificate: x509.Certificate | None = None
    bare_public_key: PublicKey | None = None
    """A public key held without a certificate (a ``.pem`` file holding ``PUBLIC KEY``)."""
    private_key: PrivateKey | None = None

    @property
    def public_key(self) -> PublicKey | None:
        """The certificate's key, else the bare public key, else the private key's public half."""
        if self.certificate is not None:
            return certificate_public_key(self.certificate)
        if self.bare_public_key is not None:
            return self.bare_public_key
        if self.private_key is not None:
            return self.private_key.public_key()
        return None

    def file_stem(self) -> str:
        """The file name without extension: ``<eui-lowercase>-<usage>``."""
        return f"{self.eui.hex()}-{self.usage.value}"


def _normalise_eui(eui: bytes | bytearray | str) -> bytes:
    if isinstance(eui, str):
        try:
            eui = bytes.fromhex(eui)
        except ValueError as exc:
            raise KeystoreError(f"EUI {eui!r} is not hex") from exc
    if not isinstance(eui, bytes | bytearray) or len(eui) != EUI_LENGTH:
        raise KeystoreError(f"an EUI is {EUI_LENGTH} bytes, got {eui!r}")
    return bytes(eui)


def _check_p256(key: object, what: str) -> None:
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return
    raise KeyMaterialError(f"{what} is not a P-256 elliptic-curve key")


def parse_key_material(data: bytes) -> list[x509.Certificate | PublicKey | PrivateKey]:
    """Every certificate, public key and private key in a PEM (or single DER) file.

    Raises KeyMaterialError for anything unreadable, encrypted, or not on P-256.
    """
    items: list[x509.Certificate | PublicKey | PrivateKey] = []
    blocks = list(_PEM_BLOCK.finditer(data))
    try:
        if blocks:
            for block in blocks:
                items.append(_parse_pem_block(block.group("label").decode("ascii"), block.group(0)))
        else:
            items.append(_parse_der(data))
    except LIBRARY_ERRORS as exc:  # UnicodeDecodeError is a ValueError
        raise KeyMaterialError(f"unreadable key material: {exc}") from exc
    for item in items:
        if isinstance(item, x509.Certificate):
            certificate_public_key(item)
        else:
            _check_p256(item, "key")
    return items


def _parse_pem_block(label: str, pem: bytes) -> x509.Certificate | PublicKey | PrivateKey:
    if label == "CERTIFICATE":
        return x509.load_pem_x509_certificate(pem)
    if label == "PUBLIC KEY":
        return serialization.load_pem_public_key(pem)  # type: ignore[return-value]
    if label in ("PRIVATE KEY", "EC PRIVATE KEY"):
        return serialization.load_pem_private_key(pem, password=None)  # type: ignore[return-value]
    raise KeyMaterialError(f"unsupported PEM block {label!r}")


def _parse_der(data: bytes) -> x509.Certificate | PublicKey | PrivateKey:
    if not data.strip():
        raise KeyMaterialError("empty file")
    for loader in (
        x509.load_der_x509_certificate,
        lambda d: serialization.load_der_private_key(d, password=None),
        serialization.load_der_public_key,
    ):
        try:
            return loader(data)  # type: ignore[return-value]
        except LIBRARY_ERRORS:
            continue
    raise KeyMaterialError("neither PEM nor a DER certificate or key")


def _same_key(a: PublicKey, b: PublicKey) -> bool:
    return a.public_numbers() == b.public_numbers()


class Keystore:
    """Certificates and keys by (EUI, :class:`KeyUsage`); load and save a keystore folder."""

    def __init__(self) -> None:
        self._entries: dict[tuple[bytes, KeyUsage], KeystoreEntry] = {}
        self.anomalies: list[str] = []
        """Inconsistencies found by :meth:`load` (logged at debug level, summarised at info level)."""

    # --- files -------------------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path, *, strict: bool = False) -> Keystore:
        """Read every ``<eui>[-pp]-<ka|ds>.<pem|key>`` file of a folder.

        Unreadable files are skipped with a warning (``strict`` raises KeystoreError instead).
        Raises KeystoreError if the folder does not exist.
        """
        folder = Path(path)
        if not folder.is_dir():
            raise KeystoreError(f"keystore folder {folder} does not exist")
        store = cls()
        try:
            files = sorted(p for p in folder.iterdir() if p.is_file())
        except OSError as exc:
            raise KeystoreError(f"cannot list keystore folder {folder}: {exc}") from exc
        for file in files:
            match = _FILE_NAME.match(file.name)
            if match is None:
                logger.debug("ignoring %s: not a keystore file name", file.name)
                continue
            try:
                store._load_file(file, bytes.fromhex(match["eui"]), KeyUsage(match["usage"]), match["ext"])
            except (KeyMaterialError, KeystoreError, InputError, OSError) as exc:
                if strict:
                    raise KeystoreError(f"{file.name}: {exc}") from exc
                logger.warning("skipping keystore file %s: %s", file.name, exc)
        store.anomalies = [note for entry in store.entries() for note in store._inconsistencies(entry)]
        for note in store.anomalies:
            logger.debug("%s: %s", folder, note)
        if store.anomalies:  # known in the RTDS keystore: a summary, not a warning on every command
            logger.info("keystore %s: %d inconsistent entries (%s); -vv for details",
                        folder, len(store.anomalies), ", ".join(n.split(":")[0] for n in store.anomalies))
        return store

    def _load_file(self, file: Path, eui: bytes, usage: KeyUsage, ext: str) -> None:
        items = parse_key_material(read_file(file, MAX_KEY_FILE_BYTES, what="key file"))
        certificates = [i for i in items if isinstance(i, x509.Certificate)]
        publics = [i for i in items if isinstance(i, ec.EllipticCurvePublicKey)]
        privates = [i for i in items if isinstance(i, ec.EllipticCurvePrivateKey)]
        if len(certificates) > 1 or len(publics) > 1 or len(privates) > 1:
            raise KeyMaterialError("more than one certificate or key of a kind in one file")
        if ext == "key" and (certificates or publics) and not privates:
            logger.warning("%s holds no private key", file.name)
        self.add(
            eui,
            usage,
            certificate=certificates[0] if certificates else None,
            public_key=publics[0] if publics else None,
            private_key=privates[0] if privates else None,
        )

    def _inconsistencies(self, entry: KeystoreEntry) -> list[str]:
        """What does not fit in a slot: a certificate issued to another EUI, a private key of another pair."""
        name = entry.file_stem()
        notes = []
        if entry.certificate is not None:
            try:
                cert_eui = certificate_eui(entry.certificate)
            except KeyMaterialError:
                cert_eui = None
            if cert_eui is not None and cert_eui != entry.eui:
                notes.append(f"{name}: certificate is for EUI {cert_eui.hex().upper()}")
        public = entry.public_key
        private = entry.private_key
        if private is not None and public is not None and not _same_key(private.public_key(), public):
            notes.append(f"{name}: private key does not match the public key")
        return notes

    def save(self, path: str | Path) -> None:
        """Write every entry in the keystore file layout (creating the folder if needed).

        The folder is owner-only (0700) and every file 0600: it holds private keys.
        """
        folder = Path(path)
        try:
            make_private_dir(folder)
            for entry in self.entries():
                stem = entry.file_stem()
                if entry.certificate is not None:
                    data = entry.certificate.public_bytes(serialization.Encoding.PEM)
                    write_secret(folder / f"{stem}.pem", data)
                elif entry.bare_public_key is not None:
                    data = entry.bare_public_key.public_bytes(
                        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                    )
                    write_secret(folder / f"{stem}.pem", data)
                if entry.private_key is not None:
                    write_secret(folder / f"{stem}.key", private_key_pem(entry.private_key))
        except OSError as exc:
            raise KeystoreError(f"cannot write keystore folder {folder}: {exc}") from exc

    # --- content -----------------------------------------------------------------------------------------

    def add(
        self,
        eui: bytes | str,
        usage: KeyUsage,
        *,
        certificate: x509.Certificate | None = None,
        private_key: PrivateKey | None = None,
        public_key: PublicKey | None = None,
    ) -> KeystoreEntry:
        """Add material to a slot, keeping what the slot already holds where nothing new is given.

        Raises KeyMaterialError for anything but P-256 keys and certificates.
        """
        eui = _normalise_eui(eui)
        if not isinstance(usage, KeyUsage):
            raise KeystoreError(f"not a KeyUsage: {usage!r}")
        if certificate is not None:
            if not isinstance(certificate, x509.Certificate):
                raise KeyMaterialError("certificate is not an x509.Certificate")
            certificate_public_key(certificate)
        if private_key is not None:
            _check_p256(private_key, "private key")
        if public_key is not None:
            _check_p256(public_key, "public key")
        key = (eui, usage)
        entry = self._entries.get(key, KeystoreEntry(eui, usage))
        changes: dict[str, object] = {}
        if certificate is not None:
            changes["certificate"] = certificate
        if public_key is not None:
            changes["bare_public_key"] = public_key
        if private_key is not None:
            changes["private_key"] = private_key
        entry = replace(entry, **changes)
        self._entries[key] = entry
        return entry

    def remove(self, eui: bytes | str, usage: KeyUsage) -> None:
        """Forget a slot (no error if it is empty)."""
        self._entries.pop((_normalise_eui(eui), usage), None)

    def entry(self, eui: bytes | str, usage: KeyUsage) -> KeystoreEntry | None:
        """The slot for (eui, usage), if any."""
        return self._entries.get((_normalise_eui(eui), usage))

    def entries(self) -> list[KeystoreEntry]:
        """All slots, ordered by EUI then usage."""
        order = list(KeyUsage)
        return [self._entries[k] for k in sorted(self._entries, key=lambda k: (k[0], order.index(k[1])))]

    def euis(self) -> list[bytes]:
        """Every EUI with at least one slot, sorted."""
        return sorted({eui for eui, _ in self._entries})

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[KeystoreEntry]:
        return iter(self.entries())

    def __contains__(self, eui: object) -> bool:
        try:
            wanted = _normalise_eui(eui)  # type: ignore[arg-type]
        except KeystoreError:
            return False
        return any(e == wanted for e, _ in self._entries)

    # --- lookup ------------------------------------------------------------------------------------------

    def certificate(self, eui: bytes | str, usage: KeyUsage) -> x509.Certificate | None:
        """The certificate of (eui, usage), if held."""
        entry = self.entry(eui, usage)
        return entry.certificate if entry else None

    def public_key(self, eui: bytes | str, usage: KeyUsage) -> PublicKey | None:
        """The public key of (eui, usage): from the certificate, a bare key file, or the private key."""
        entry = self.entry(eui, usage)
        return entry.public_key if entry else None

    def private_key(self, eui: bytes | str, usage: KeyUsage) -> PrivateKey | None:
        """The private key of (eui, usage), if held."""
        entry = self.entry(eui, usage)
        return entry.private_key if entry else None

    def require_certificate(self, eui: bytes | str, usage: KeyUsage) -> x509.Certificate:
        """Like :meth:`certificate` but raises KeyMaterialError when it is missing."""
        return _required(self.certificate(eui, usage), "certificate", eui, usage)

    def require_public_key(self, eui: bytes | str, usage: KeyUsage) -> PublicKey:
        """Like :meth:`public_key` but raises KeyMaterialError when it is missing."""
        return _required(self.public_key(eui, usage), "public key", eui, usage)

    def require_private_key(self, eui: bytes | str, usage: KeyUsage) -> PrivateKey:
        """Like :meth:`private_key` but raises KeyMaterialError when it is missing."""
        return _required(self.private_key(eui, usage), "private key", eui, usage)

    def role_of(self, eui: bytes | str) -> int | None:
        """The remote party role from the OU of the entity's certificates (DS first, then KA, then PP-KA).

        A certificate issued to another EUI (a misfiled one) is not taken into account.
        """
        eui = _normalise_eui(eui)
        for usage in KeyUsage:
            cert = self.certificate(eui, usage)
            if cert is None:
                continue
            try:
                if certificate_eui(cert) not in (None, eui):
                    continue
            except KeyMaterialError:
                continue
            role = certificate_role(cert)
            if role is not None:
                return role
        return None


def _required(value: _T | None, what: str, eui: bytes | str, usage: KeyUsage) -> _T:
    if value is None:
        shown = eui.upper() if isinstance(eui, str) else bytes(eui).hex().upper()
        raise KeyMaterialError(f"no {what} for {shown} {usage.value}")
    return value


def private_key_pem(key: PrivateKey) -> bytes:
    """PKCS#8 PEM encoding of an unencrypted private key."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
