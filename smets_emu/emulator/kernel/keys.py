"""A device's key material at hand: its own private keys, anchor public keys and ECDH secrets (GBCS 6.2, 6.3).

A device loads its own PKCS#8 key pairs when a command first needs them (they change only
through CS02c/CS02d, which replace the DER and so miss the cache) and derives each static-static
ECDH secret Z once per pair of keys (GBCS 6.3.1), kept process-wide by the keys' bytes. The Z
with the Access Control Broker's key agreement cell, which every MACed command needs (GBCS
6.2.4), is derived when the device is provisioned and kept in its key pair (``KeyPair.agreed``),
so neither building the device nor its first command pays an ECDH; any other Z is kept there at
the device's next commit (:meth:`DeviceKeys.keep_learned`), so a restart never derives it
again. Each trust anchor cell's public point becomes a key once per process: the same
supplier, network operator and ACB keys sit in every device of a fleet.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Generic, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_private_key

from smets_emu.emulator.anchors import AnchorCell, CellId, CellKeyUsage, CellUsage
from smets_emu.emulator.state import DeviceState
from smets_emu.errors import KeyMaterialError
from smets_emu.protocols import crypto
from smets_emu.protocols.roles import Role

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """A process-wide cache of values derived from immutable key bytes, emptied when it reaches its bound."""

    def __init__(self, max_entries: int) -> None:
        self._items: dict[K, V] = {}
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        return self._items.get(key)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            if len(self._items) >= self._max:
                self._items.clear()
            self._items[key] = value

    def clear(self) -> None:
        """Forget every entry (as a new process starts)."""
        with self._lock:
            self._items.clear()


class PublicKeys:
    """Process-wide cache of P-256 public keys by encoded point or certificate DER (immutable inputs)."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self._keys: BoundedCache[bytes, ec.EllipticCurvePublicKey] = BoundedCache(max_entries)

    def from_point(self, point: bytes) -> ec.EllipticCurvePublicKey:
        """The key of an uncompressed point (as a trust anchor cell holds it, GBCS 13.3.2)."""
        key = self._keys.get(point)
        if key is None:
            try:
                key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
            except ValueError as exc:
                raise KeyMaterialError(f"not a P-256 point: {exc}") from exc
            self._keys.put(point, key)
        return key

    def from_certificate(self, der: bytes) -> ec.EllipticCurvePublicKey | None:
        """The key of a DER certificate, or None if it is not a P-256 certificate."""
        key = self._keys.get(der)
        if key is None:
            try:
                loaded = x509.load_der_x509_certificate(der).public_key()
            except ValueError:
                return None
            if not isinstance(loaded, ec.EllipticCurvePublicKey):
                return None
            key = loaded
            self._keys.put(der, key)
        return key


PUBLIC_KEYS = PublicKeys()

SECRETS: BoundedCache[tuple[bytes, bytes], bytes] = BoundedCache(65_536)
"""ECDH secrets Z by (own private key DER, peer public key bytes), process-wide.

A device object rebuilt from its stored state (a fleet reloaded, a replay building devices
again) finds the Z it derived before; the inputs are immutable key bytes, so an entry never
goes stale (CS02b/c/d change the bytes and so miss it).
"""


class DeviceKeys:
    """One device's private keys, loaded when first used, and the ECDH secrets it has derived.

    Building a device loads nothing (a fleet of 100,000 devices starts without 200,000 key
    loads): the first command that needs a key loads it and keeps it for the device's life.
    A secret Z the device's state does not hold yet (a peer first met after provisioning: the
    supplier a response is MACed for, a new ACB key after CS02b, a joined HAN device) is noted
    in :attr:`learned` (emptied when a transition starts: ``Device.process``/``timers``); the
    committer keeps it in the state it commits (:meth:`keep_learned`, ``Fleet.commit``), so a
    restarted device never derives it again.
    """

    __slots__ = ("_private", "learned")

    def __init__(self) -> None:
        self._private: dict[bytes, ec.EllipticCurvePrivateKey] = {}
        self.learned: dict[tuple[bytes, bytes], bytes] = {}
        """Z by (own KA private key DER, peer key bytes) used by the current transition, missing from its state."""

    def _load(self, der: bytes) -> ec.EllipticCurvePrivateKey:
        try:
            loaded = load_der_private_key(der, None)
        except ValueError as exc:
            raise KeyMaterialError(f"device private key does not load: {exc}") from exc
        if not isinstance(loaded, ec.EllipticCurvePrivateKey):
            raise KeyMaterialError("device keys are P-256")
        if len(self._private) >= 8:  # superseded pairs (CS02c/d) are not kept forever
            self._private.clear()
        self._private[der] = loaded
        return loaded

    def private_key(self, state: DeviceState, usage: str) -> ec.EllipticCurvePrivateKey:
        """The device's own private key ("ds" or "ka") as *state* holds it."""
        pair = state.key_pair(usage)
        if pair is None:
            raise KeyMaterialError(f"device has no {usage} key pair")
        return self._private.get(pair.private_key) or self._load(pair.private_key)

    def secret(self, state: DeviceState, public_key: ec.EllipticCurvePublicKey, raw: bytes) -> bytes:
        """Z between the device's key agreement key and *public_key* (encoded as *raw*), once per pair.

        Looked up in the state's key pair (kept there at provisioning or a previous commit),
        then in the process-wide cache, else derived (GBCS 6.3.1).
        """
        pair = state.key_pair("ka")
        if pair is None:
            raise KeyMaterialError("device has no ka key pair")
        z = pair.agreed.get(raw)
        if z is not None:
            return z
        slot = (pair.private_key, raw)
        z = SECRETS.get(slot)
        if z is None:
            private = self._private.get(pair.private_key) or self._load(pair.private_key)
            z = crypto.ecdh_shared_secret(private_key=private, public_key=public_key)
            SECRETS.put(slot, z)
        self.learned[slot] = z
        return z

    def keep_learned(self, state: DeviceState) -> bool:
        """Put the secrets noted in :attr:`learned` that *state* lacks into its KA key pair; whether any were.

        *state* is a working copy about to be committed (its identity section is then written
        once). Secrets of a key pair the state no longer holds are dropped.
        """
        learned, self.learned = self.learned, {}
        pair = state.key_pair("ka")
        if pair is None:
            return False
        new = {raw: z for (der, raw), z in learned.items() if der == pair.private_key and raw not in pair.agreed}
        if not new:
            return False
        state.keep_agreed("ka", new)
        return True

    def cell_secret(self, state: DeviceState, cell: AnchorCell) -> bytes:
        """Z between the device and a populated key agreement anchor cell."""
        if cell.public_point is None:
            raise KeyMaterialError(f"trust anchor cell {cell.cell.label()} is empty")
        return self.secret(state, PUBLIC_KEYS.from_point(cell.public_point), cell.public_point)


def cell_public_key(cell: AnchorCell) -> ec.EllipticCurvePublicKey:
    """The public key of a populated anchor cell (shared across devices)."""
    if cell.public_point is None:
        raise KeyMaterialError(f"trust anchor cell {cell.cell.label()} is empty")
    return PUBLIC_KEYS.from_point(cell.public_point)


_CELL_IDS = {
    (role, usage, prepayment): CellId(role, usage, CellUsage.PREPAYMENT_TOP_UP if prepayment else CellUsage.MANAGEMENT)
    for role in Role for usage in CellKeyUsage for prepayment in (False, True)
}


def find_cell(state: DeviceState, role: Role, usage: CellKeyUsage, prepayment: bool = False) -> AnchorCell | None:
    """The populated anchor cell for (role, usage), or None (GBCS 4.3.2 trust anchor cells)."""
    cell_id = _CELL_IDS.get((role, usage, bool(prepayment)))
    if cell_id is None:
        cell_id = CellId(role, usage, CellUsage.PREPAYMENT_TOP_UP if prepayment else CellUsage.MANAGEMENT)
    cell = state.anchor(cell_id)
    return None if cell is None or cell.public_point is None else cell


def roles_of(state: DeviceState, eui: bytes, usage: CellKeyUsage) -> list[Role]:
    """Every role whose populated *usage* anchor cell names *eui*, in cell order."""
    return [
        cell.cell.role
        for cell in state.anchor_cells()
        if cell.subject_id == eui and cell.public_point is not None and cell.cell.key_usage is usage
    ]


def role_of(state: DeviceState, eui: bytes, usage: CellKeyUsage | None = None) -> Role | None:
    """The role whose anchor cell names *eui* (digital signing cells first)."""
    first_ka: Role | None = None
    for cell in state.anchor_cells():
        if cell.subject_id != eui or cell.public_point is None:
            continue
        kind = cell.cell.key_usage
        if kind is CellKeyUsage.DIGITAL_SIGNATURE and usage in (None, kind):
            return cell.cell.role
        if kind is CellKeyUsage.KEY_AGREEMENT and usage in (None, kind) and first_ka is None:
            if usage is kind:
                return cell.cell.role
            first_ka = cell.cell.role
    return first_ka


def party_ka_cell(state: DeviceState, eui: bytes) -> AnchorCell | None:
    """The management key agreement cell naming *eui* (for MACs and encryption towards that party)."""
    for cell in state.anchor_cells():
        if (
            cell.subject_id == eui
            and cell.public_point is not None
            and cell.cell.key_usage is CellKeyUsage.KEY_AGREEMENT
            and cell.cell.cell_usage is CellUsage.MANAGEMENT
        ):
            return cell
    return None
