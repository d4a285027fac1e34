"""A lab: a persistent fleet in a state folder, with the keys remote parties need to talk to it.

Layout of a lab folder (default ``./smets-lab``)::

    state.sqlite   device states and outboxes (one transaction per handled command)
    pki/           the keystore: organisation keys and certificates (own test PKI or a copy of
                   the keystore the fleet file names) and every device's certificates

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
from smets_emu.emulator.fleet import Fleet
from smets_emu.emulator.provision import new_device_state
from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.store import StateStore
from smets_emu.errors import SmetsError
from smets_emu.protocols.keystore import Keystore, KeyUsage
from smets_emu.protocols.pki import TestPki, generate_test_pki
from smets_emu.tools.fleet_file import DeviceSpec, FleetSpec, default_fleet

log = logging.getLogger(__name__)

STATE_FILE = "state.sqlite"
KEY_FOLDER = "pki"
CLOCK_META = "virtual_clock"
PREMISES_META = "premises_names"


class LabError(SmetsError):
    """A lab folder cannot be created or resumed."""


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

    def close(self) -> None:
        """Close the state store."""
        self.store.close()

    def power_cycle(self, eui: bytes) -> bool:
        """Reload a device from its committed state, as after a power loss."""
        return self.fleet.reload(eui) is not None

    def saved_clock(self) -> dt.datetime | None:
        """The virtual time stored by the previous run, if any."""
        value = self.store.get_meta(CLOCK_META)
        return None if value is None else dt.datetime.fromisoformat(value)

    def save_clock(self, now: dt.datetime) -> None:
        """Remember the virtual time for the next run."""
        self.store.set_meta(CLOCK_META, now.isoformat())


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
    return state


def open_lab(
    folder: str | Path,
    spec: FleetSpec | None = None,
    *,
    state_path: str | Path | None = None,
    synchronous: str = "NORMAL",
) -> Lab:
    """Create or resume the lab in *folder* (the default fleet when *spec* is None and nothing is stored)."""
    root = Path(folder)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LabError(f"cannot create lab folder {root}: {exc}") from exc
    store = StateStore(Path(state_path) if state_path else root / STATE_FILE, synchronous=synchronous)
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
        store.close()
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
        try:
            if pki is not None:
                pki.save(key_folder)
            else:
                keystore.save(key_folder)
        except SmetsError:
            store.close()
            raise
    log.info("lab %s: %d devices (%d new)", root, len(fleet.devices), added)
    premises = {bytes.fromhex(k): v for k, v in json.loads(store.get_meta(PREMISES_META) or "{}").items()}
    new_premises = {d.eui: p.name for p in spec.premises for d in p.devices if d.eui not in premises}
    if new_premises:
        premises.update(new_premises)
        store.set_meta(PREMISES_META, json.dumps({k.hex().upper(): v for k, v in premises.items()}))
    return Lab(root, store, fleet, keystore, key_folder, created, premises)
