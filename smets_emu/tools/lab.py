"""A lab: a persistent fleet in a state folder, with the keys remote parties need to talk to it.

Layout of a lab folder (default ``./smets-lab``)::

    state.sqlite   device states and outboxes (one transaction per handled command)
    pki/           the keystore: organisation keys and certificates (own test PKI or a copy of
                   the keystore the fleet file names) and every device's certificates
    lab.lock       held (flock) by the one process that has the lab open; its owner's details

One process owns a lab (:mod:`smets_emu.tools.lab_lock`): a second :func:`open_lab` of the same
folder (or of the same state file) raises :class:`LabLockedError` naming the owner. The folder
and everything in it are owner-only (0700/0600): it holds the private keys of the test PKI and
of every device; files an older version left readable are tightened on open.

The first open provisions the fleet (GBCS 4.3: fresh device key pairs, trust anchors from the
keystore); later opens resume the stored states and provision only devices the fleet file added.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_der_private_key
from cryptography.x509 import load_der_x509_certificate

from smets_emu.emulator.device_log import OtherDeviceType, record_entry
from smets_emu.emulator.metering.config import CONFIG_KEY, METERING_KEY
from smets_emu.emulator.metering.events import schedule_event
from smets_emu.emulator.provision import new_device_state
from smets_emu.emulator.state import DeviceState
from smets_emu.hosting.fleet import Fleet
from smets_emu.hosting.store import OutboxRetention, StateStore
from smets_emu.protocols.keystore import Keystore, KeyUsage
from smets_emu.protocols.pki import TestPki, generate_test_pki
from smets_emu.secure_files import make_private_dir, tighten, tighten_tree, write_secret
from smets_emu.tools.fleet_file import DeviceSpec, FleetSpec, default_fleet
from smets_emu.tools.lab_lock import LOCK_FILE, LabError, LabLock, LabLockedError

log = logging.getLogger(__name__)

STATE_FILE = "state.sqlite"
KEY_FOLDER = "pki"
CLOCK_META = "virtual_clock"
PREMISES_META = "premises_names"
INVENTORY_FILE = "inventory.json"
"""In the key folder: ``{"devices": {EUI: device type}}``, what a remote party's inventory tells it about the
lab's devices (``send`` picks the default sender and the firmware-read use case per device type from it)."""
MAX_INVENTORY_BYTES = 64 * 1024 * 1024

__all__ = ["Lab", "LabError", "LabLockedError", "open_lab"]


@dataclass
class Lab:
    """A provisioned fleet with its store, keystore and key folder."""

    folder: Path
    store: StateStore
    fleet: Fleet
    keystore: Keystore
    key_folder: Path
    created: bool
    premises: dict[bytes, str] = field(default_factory=dict)  # device EUI -> premises name
    locks: list[LabLock] = field(default_factory=list)  # held while the lab is open

    def close(self) -> None:
        """Close the state store and give up ownership of the lab (idempotent)."""
        try:
            self.store.close()
        finally:
            for lock in self.locks:
                lock.release()

    def record_endpoints(self, endpoints: dict[str, str]) -> None:
        """Publish the running service's endpoints (name -> URL) in the lab's owner record.

        A second process that tries to open the lab is told where to reach this one.
        """
        for lock in self.locks:
            lock.record_endpoints(endpoints)

    def power_cycle(self, eui: bytes) -> bool:
        """Reload a device from its committed state, as after a power loss."""
        return self.fleet.reload(eui) is not None

    def saved_clock(self) -> dt.datetime | None:
        """The virtual time stored by the previous run, if any."""
        value = self.store.get_meta(CLOCK_META)
        return None if value is None else dt.datetime.fromisoformat(value)

    def save_clock(self, now: dt.datetime) -> None:
        """Remember the virtual time for the next run (ClockRangeError, nothing stored, outside what devices carry)."""
        from smets_emu.hosting.runtime import check_time

        self.store.set_meta(CLOCK_META, check_time(now, "virtual clock").isoformat())


def _device_entries(keystore: Keystore, state: DeviceState) -> None:
    """Put a device's certificates (or public keys) where remote parties can find them."""
    for usage, ks_usage in (("ds", KeyUsage.DS), ("ka", KeyUsage.KA)):
        pair = state.keys.get(usage)
        if pair is None:
            continue
        keystore.remove(state.eui, ks_usage)
        if pair.certificate is not None:
            keystore.add(state.eui, ks_usage, certificate=load_der_x509_certificate(pair.certificate))
        else:
            key = load_der_private_key(pair.private_key, None)
            keystore.add(state.eui, ks_usage, public_key=key.public_key())  # type: ignore[arg-type]


def _join_premises(fleet: Fleet, states: list[DeviceState], now: dt.datetime) -> None:
    """Put a new premises' HAN devices on its CHF's device log (GBCS CCS01 whitelist), as at commissioning."""
    chf = next((s for s in states if s.device_type == "CHF"), None)
    if chf is None:
        return
    for state in states:
        if state is not chf:
            record_entry(chf, state.eui, int(OtherDeviceType[state.device_type]), now)
            fleet.premises[state.eui] = chf.eui


def provision_state(spec: DeviceSpec, keystore: Keystore, pki: TestPki | None) -> DeviceState:
    """A new device state for one fleet-file device."""
    state = new_device_state(spec.eui, spec.device_type, keystore, pki=pki, profile=spec.profile)
    if spec.firmware is not None:
        state.firmware["version"] = spec.firmware
    if spec.metering is not None:  # the consumption model the fleet file chose (emulator.metering.config)
        state.put_object(METERING_KEY, CONFIG_KEY, spec.metering.to_json())
    for kind, at in spec.events:  # device events the fleet file schedules (emulator.metering.events)
        schedule_event(state, kind, at)
    return state


def open_lab(
    folder: str | Path,
    spec: FleetSpec | None = None,
    *,
    state_path: str | Path | None = None,
    synchronous: str = "NORMAL",
    retention: OutboxRetention | None = None,
) -> Lab:
    """Create or resume the lab in *folder* (the default fleet when *spec* is None and nothing is stored).

    The calling process owns the lab until :meth:`Lab.close` (or its end): :class:`LabLockedError`
    if another process has it open. *retention* bounds the outbox (default :class:`OutboxRetention`).
    """
    root = Path(folder)
    try:
        make_private_dir(root)
    except OSError as exc:
        raise LabError(f"cannot create lab folder {root}: {exc}") from exc
    state_file = Path(state_path) if state_path else root / STATE_FILE
    locks = lock_lab(root, state_file)
    try:
        _tighten_lab(root)
        store = StateStore(state_file, synchronous=synchronous, retention=retention)
    except BaseException:
        for lock in locks:
            lock.release()
        raise
    try:
        lab = _open(root, store, spec)
    except BaseException:
        store.close()
        for lock in locks:
            lock.release()
        raise
    lab.locks = locks
    return lab


def lock_lab(root: Path, state_file: Path) -> list[LabLock]:
    """Take the lab's lock, and the state file folder's when the state file lives elsewhere."""
    details = {"lab": str(root.resolve()), "state": str(state_file.resolve())}
    folders = [root]
    if state_file.parent.resolve() != root.resolve():
        folders.append(state_file.parent)
    locks: list[LabLock] = []
    try:
        for where in folders:
            what = f"lab {root}" if where is root else f"state file {state_file}"
            locks.append(LabLock.acquire(where / LOCK_FILE, what=what, details=details))
    except BaseException:
        for lock in locks:
            lock.release()
        raise
    return locks


def _tighten_lab(root: Path) -> None:
    """Make the lab's files owner-only (labs made by older versions were readable by all)."""
    for path in root.iterdir():
        if path.is_file():
            tighten(path)
    key_folder = root / KEY_FOLDER
    if tighten(key_folder, quiet=True):  # the folder was open: so were the files in it
        tighten_tree(key_folder)


def _open(root: Path, store: StateStore, spec: FleetSpec | None) -> Lab:
    key_folder = root / KEY_FOLDER
    stored = set(store.euis())
    created = not stored
    if spec is None:
        spec = default_fleet() if created else FleetSpec(())
    pki: TestPki | None = None
    if spec.pki_folder is not None and created:
        keystore = Keystore.load(spec.pki_folder)
    elif (key_folder / "root-ca.pem").exists():
        pki = TestPki.load(key_folder)
        keystore = pki.keystore
    elif key_folder.is_dir() and not created:
        keystore = Keystore.load(key_folder)
    elif created:
        pki = generate_test_pki(devices=[], seed=spec.seed)
        keystore = pki.keystore
    else:
        raise LabError(f"{root} holds devices but no key folder {key_folder}")
    fleet = Fleet(store)
    added = 0
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for premises in spec.premises:
        states = [provision_state(d, keystore, pki) for d in premises.devices if d.eui not in stored]
        _join_premises(fleet, states, now)
        for state in states:
            fleet.add(state)
            _device_entries(keystore, state)
            added += 1
    if added:
        store.set_meta("premises", json.dumps({k.hex(): v.hex() for k, v in fleet.premises.items()}))
    if added or created:
        if pki is not None:
            pki.save(key_folder)
        else:
            keystore.save(key_folder)
    if added or created or not (key_folder / INVENTORY_FILE).is_file():
        write_inventory(key_folder, fleet)
    log.info("lab %s: %d devices (%d new)", root, len(fleet.devices), added)
    premises = {bytes.fromhex(k): v for k, v in json.loads(store.get_meta(PREMISES_META) or "{}").items()}
    new_premises = {d.eui: p.name for p in spec.premises for d in p.devices if d.eui not in premises}
    if new_premises:
        premises.update(new_premises)
        store.set_meta(PREMISES_META, json.dumps({k.hex().upper(): v for k, v in premises.items()}))
    return Lab(root, store, fleet, keystore, key_folder, created, premises)


def write_inventory(key_folder: Path, fleet: Fleet) -> None:
    """Write the lab's device inventory (EUI -> device type) beside its keys, replacing it atomically."""
    devices = {eui.hex().upper(): device.device_type for eui, device in sorted(fleet.devices.items())}
    path = key_folder / INVENTORY_FILE
    try:
        write_secret(path, json.dumps({"devices": devices}, indent=1) + "\n")  # owner-only like the rest of pki/
    except OSError as exc:
        log.warning("cannot write the device inventory %s: %s", path, exc)


def read_inventory(key_folder: str | Path) -> dict[bytes, str]:
    """The device inventory a lab wrote into *key_folder* (empty when there is none or it cannot be read)."""
    path = Path(key_folder) / INVENTORY_FILE
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_INVENTORY_BYTES + 1)
    except OSError:
        return {}
    if len(data) > MAX_INVENTORY_BYTES:
        log.warning("ignoring %s: larger than %d bytes", path, MAX_INVENTORY_BYTES)
        return {}
    try:
        devices = json.loads(data).get("devices", {})
        return {bytes.fromhex(eui): str(kind) for eui, kind in devices.items() if len(bytes.fromhex(eui)) == 8}
    except (ValueError, TypeError, AttributeError, RecursionError) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return {}
