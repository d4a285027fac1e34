"""``smets-emu rtds-replay``: drive emulated devices with the DCC reference test data and compare.

For each RTDS use-case folder, devices with the RTDS EUIs are provisioned with the RTDS
organisation certificates in their trust anchor cells and fresh key pairs (RTDS ships no device
private keys). Each COMMAND is re-MACed (and re-signed where the keystore holds the signer's
key) for the emulated device, delivered in originator-counter order, and the device's response
is compared with the RTDS RESPONSE of the same name: message code, CRA flag, protection form
(signed or MACed, and our reply verifies), outcome (success or the same error) and payload
structure by the rules of the payload family (GBCS 7, 8, 10, 11):

- DLMS: same APDU, invoke id, result codes, and DLMS data type trees (values and array lengths
  are state and may differ);
- GBZ: same components, clusters, frame types, command ids, attribute ids, types and statuses;
- ASN.1: same schema, response/status codes and tree shape.

Future-dated commands are then run on the virtual clock (``due()``) and the alerts compared
with the RTDS ALERT files (comparison rules: :mod:`smets_emu.tools.rtds_compare`; command line:
:mod:`smets_emu.tools.rtds_replay_cli`). Scenario preconditions come from :mod:`smets_emu.tools.rtds_scenarios`:
ERROR scenarios are replayed by injecting the device fault the RTDS response reports, through
the devices' fault-injection features; the rest of every response comes from the device model.
Expected RTDS messages are decoded with the original RTDS keystore (RTDS device certificates);
the emulated devices' replies with a head-end that knows their fresh keys.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from smets_emu.emulator.device import Device, Outbound, Outcome
from smets_emu.emulator.devices import device_for
from smets_emu.emulator.provision import RTDS_ROOT_SKI, new_device_state
from smets_emu.errors import SmetsError
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.envelope import decode_envelope
from smets_emu.protocols.keystore import Keystore
from smets_emu.protocols.message import Message
from smets_emu.protocols.rtds import RtdsFile, keystore_folder, list_files
from smets_emu.tools import rtds_scenarios as scenarios
from smets_emu.tools.rtds_alert_triggers import clock_passes_next_due
from smets_emu.tools.rtds_compare import compare, dlms_shape, first_difference, gbz_shape, same_shape
from smets_emu.tools.rtds_results import FileResult, FolderResult
from smets_emu.tools.rtds_scenarios import DEVICE_TYPES, NOT_EMULATED
from smets_emu.tools.rtds_strict import strict_differences

__all__ = [
    "DUE_TIMES", "RTDS_DEVICES", "START", "FileResult", "FolderReplay", "FolderResult", "Progress", "compare",
    "dlms_shape", "first_difference", "gbz_shape", "replay", "replay_folder", "same_shape",
]

log = logging.getLogger(__name__)

RTDS_DEVICES = DEVICE_TYPES
START = dt.datetime(2020, 1, 1, 12, 0, tzinfo=dt.UTC)
DUE_TIMES = tuple(dt.datetime(year, 1, 1, tzinfo=dt.UTC) for year in (2031, 2041, 2061, 2099))
"""Virtual clock steps after the commands, so that every future-dated command comes due."""

# --- replay --------------------------------------------------------------------------------------


def _counter(message: Message) -> int:
    return message.header.originator_counter


class FolderReplay:
    """The devices, head-ends and produced messages of one use-case folder's replay."""

    def __init__(self, folder: str, keystore_dir: Path, *, preconditions: bool, corpus: dict[str, RtdsFile],
                 root_point: bytes | None = None, alert_files: dict[str, RtdsFile] | None = None) -> None:
        self.folder = folder
        self.keystore_dir = keystore_dir
        self.preconditions = preconditions
        self.corpus = corpus
        self.root_point = root_point
        self.alert_files = alert_files or {}
        self.rtds_headend = HeadEnd(Keystore.load(keystore_dir))  # the original RTDS keystore: expected messages
        self.keystore = Keystore.load(keystore_dir)
        self.headend = HeadEnd(self.keystore)  # learns the emulated devices' fresh keys: our replies
        self.devices: dict[tuple[bytes, str, str], Device] = {}
        self.alerts: list[tuple[Message, bytes, HeadEnd]] = []
        self.now = START
        self.last_reason = ""
        self.injected: set[str] = set()

    def device(self, eui: bytes, profile: str = "default", group: str = "") -> Device:
        """The emulated device for *eui* (provisioned on first use; a twin profile shares its key pairs)."""
        existing = self.devices.get((eui, profile, group))
        if existing is not None:
            self.headend.register_device(existing.state)
            return existing
        sibling = next((d for (e, _, g), d in self.devices.items() if e == eui and g == group), None)
        keys = None if sibling is None else scenarios.twin_keys(sibling)
        state = new_device_state(eui, DEVICE_TYPES[eui], self.keystore, profile=profile, keys=keys)
        if self.preconditions:
            scenarios.prepare_state(state, self.folder, root_point=self.root_point)
        device = self.devices[(eui, profile, group)] = device_for(state)
        self.headend.register_device(state)
        return device

    def han_peer(self, device: Device, peer: bytes) -> None:
        """Precondition of a HAN-only command from a joined device (PCS01/PCS02 from the PPMID): the peer
        has a key agreement key pair of its own and sits in *device*'s log with its certificate, as a
        Method C join leaves it; the head-end holds the peer's private key to protect its commands."""
        if device.han_peer_key(device.state, peer) is not None:
            return
        from cryptography.hazmat.primitives.asymmetric import ec as _ec
        from cryptography.hazmat.primitives.serialization import Encoding

        from smets_emu.emulator.device_log import OtherDeviceType, find_entry, record_entry
        from smets_emu.protocols.keystore import KeyUsage
        from smets_emu.protocols.pki import generate_test_pki

        key = _ec.generate_private_key(_ec.SECP256R1())
        cert = generate_test_pki(seed="rtds-han-peer").issue_device_certificate(peer, KeyUsage.KA, key.public_key())
        work = device.state.clone()
        if find_entry(work, peer) is None:
            record_entry(work, peer, int(OtherDeviceType[DEVICE_TYPES[peer]]), self.now, join_method=3)
        next(e for e in work.device_log if e["eui"] == peer.hex().upper())["ka_certificate"] = (
            cert.public_bytes(Encoding.DER).hex().upper()
        )
        device.adopt(Outcome(work, accepted=True, reason="HAN peer joined"))
        self.keystore.remove(peer, KeyUsage.KA)
        self.keystore.add(peer, KeyUsage.KA, certificate=cert, private_key=key)
        self.headend.register_device(device.state)

    def deliver(self, device: Device, data: bytes) -> list[Outbound]:
        """Re-protect and deliver one command; keep its alerts; return the responses."""
        originator = decode_envelope(data).header.originator
        if self.preconditions and originator in DEVICE_TYPES and originator != device.eui:
            self.han_peer(device, originator)
        outcome = device.process(device.state, self.headend.reseal(data), self.now)
        device.adopt(outcome)  # no store in a replay: adopting is the whole commit
        self.now += dt.timedelta(minutes=1)
        self.keep_alerts(outcome.alerts)
        if not outcome.outbound:
            self.last_reason = outcome.reason
        return outcome.responses

    def keep_alerts(self, alerts: list[Outbound]) -> None:
        for alert in alerts:
            try:
                self.alerts.append((self.headend.decode(alert.message), alert.message, self.headend))
            except SmetsError as exc:
                log.info("undecodable alert: %s", exc)

    def expected(self, file: RtdsFile) -> Message:
        return self.rtds_headend.decode(file.read())


def replay_folder(files: list[RtdsFile], keystore_dir: Path, *, preconditions: bool = True,
                  corpus: dict[str, RtdsFile] | None = None, root_point: bytes | None = None) -> FolderResult:
    """Replay one folder on fresh devices and compare every RESPONSE and ALERT.

    *root_point* is the RTDS Root public key (:func:`rtds_scenarios.recover_root_key`), when known.
    """
    folder = files[0].use_case_folder
    alert_files = {f.path.name: f for f in files if f.kind == "ALERT"}
    run = FolderReplay(folder, keystore_dir, preconditions=preconditions, corpus=corpus or {},
                       root_point=root_point, alert_files=alert_files)
    by_name = {f.path.name: f for f in files}
    result = FolderResult(folder, "unsupported")
    commands: list[tuple[RtdsFile, Message]] = []
    for f in files:
        if f.kind == "COMMAND":
            try:
                commands.append((f, run.rtds_headend.decode(f.read())))
            except SmetsError as exc:  # e.g. a PPMID-originated HAN command: PPMID keys are not modelled
                result.files.append(FileResult(f.path.name, "unsupported", f"cannot decode: {exc}"))
    commands.sort(key=lambda c: (_counter(c[1]), c[0].path.name))
    expected_alerts = [f for f in files if f.kind == "ALERT"]
    expected: dict[str, Message] = {}
    for f in files:
        if f.kind == "RESPONSE":
            try:
                expected[f.path.name] = run.expected(f)
            except SmetsError as exc:
                result.files.append(FileResult(f.path.name, "differ", f"RTDS response undecodable: {exc}"))
    if not commands:
        result.files.extend(FileResult(name, "unsupported", "RTDS ships no COMMAND for this response")
                            for name in sorted(expected))
    _site_setup(run, commands, expected, result.notes)
    for file, message in commands:
        name = file.path.name
        recipient = message.header.recipient
        reply_file = by_name.get(scenarios.response_name(name))
        if recipient not in DEVICE_TYPES:
            kind = NOT_EMULATED.get(recipient, recipient.hex().upper())
            result.files.append(FileResult(reply_file.path.name if reply_file else name, "unsupported",
                                           f"{kind} is not emulated"))
            continue
        want = expected.get(reply_file.path.name) if reply_file else None
        try:
            responses = _run_command(run, file, want, result.notes)
        except SmetsError as exc:  # e.g. no key pair to re-protect a device-originated HAN command
            result.files.append(FileResult(name, "unsupported", f"cannot re-protect: {exc}"))
            continue
        if want is None or reply_file is None:
            continue
        if not responses:
            result.files.append(FileResult(reply_file.path.name, "differ", f"no response: {run.last_reason}"))
            continue
        wire = responses[0].message
        ours = run.headend.decode(wire)
        diff = compare(want, ours, wire=wire, headend=run.headend)
        strict = [str(d) for d in strict_differences(want, ours)]
        result.files.append(FileResult(reply_file.path.name, "differ" if diff else "conform", "; ".join(diff), strict))
        result.pairs.append((reply_file.path.name, want, ours))
    _run_due(run)
    if expected_alerts:
        for file, message in commands:  # each future-dated scenario on its own, then its start time comes
            if "FUTURE_DATED" in scenarios.tags(file.path.name) and message.header.recipient in DEVICE_TYPES:
                alone = FolderReplay(folder, keystore_dir, preconditions=preconditions, corpus=run.corpus,
                                     root_point=root_point, alert_files=alert_files)
                _site_setup(alone, commands, expected, [])
                want = expected.get(scenarios.response_name(file.path.name))
                try:
                    _run_command(alone, file, want, [], due=True)
                except SmetsError:
                    continue
                run.alerts.extend(alone.alerts)
                run.injected |= alone.injected
    untriggered = []
    if not commands and expected_alerts:
        untriggered = _trigger_alerts(run, expected_alerts, result)
    for alert_file in expected_alerts:
        if alert_file in untriggered:
            result.files.append(FileResult(alert_file.path.name, "unsupported",
                                           "device-originated alert without a trigger in the device models"))
            continue
        want = run.expected(alert_file)
        diffs = [compare(want, msg, wire=wire, headend=he) for msg, wire, he in run.alerts]
        best = next((i for i, d in enumerate(diffs) if not d), None)
        if best is not None:
            ours = run.alerts.pop(best)[0]
            strict = [str(d) for d in strict_differences(want, ours)]
            result.files.append(FileResult(alert_file.path.name, "conform", "", strict))
            result.pairs.append((alert_file.path.name, want, ours))
            continue
        same_code = [d for (msg, _, _), d in zip(run.alerts, diffs, strict=True)
                     if msg.message_code == want.message_code]
        detail = "; ".join(same_code[0]) if same_code else f"alert 0x{want.message_code:04X} not raised"
        result.files.append(FileResult(alert_file.path.name, "differ", detail))
    result.injected |= run.injected
    verdicts = Counter(f.verdict for f in result.files)
    if verdicts["differ"]:
        result.verdict = "differ"
    elif verdicts["conform"]:
        result.verdict = "conform"
    return result


def _site_setup(run: FolderReplay, commands: list[tuple[RtdsFile, Message]], expected: dict[str, Message],
                notes: list[str]) -> None:
    """Join the device log entries the folder's scenarios presume (see :func:`rtds_scenarios.site_joins`)."""
    if not run.preconditions:
        return
    counter = scenarios.SETUP_COUNTER
    for join in scenarios.site_joins(commands, expected):
        if join.recipient not in DEVICE_TYPES:
            continue
        outcome = scenarios.run_join(run.device(join.recipient), run.headend, join, counter, run.now)
        counter += 1
        run.injected.add("han-join")
        notes.append(f"joined {join.eui.hex().upper()} first: {'ok' if outcome.accepted else 'refused'}")


def _run_command(run: FolderReplay, file: RtdsFile, want: Message | None, notes: list[str], *,
                 due: bool = False) -> list[Outbound]:
    """Prepare the scenario, deliver one RTDS command (and with *due*, advance the clock); the responses."""
    name = file.path.name
    recipient = decode_envelope(file.read()).header.recipient
    if run.preconditions:
        device = run.device(recipient, scenarios.profile_for(name), scenarios.device_group(name))
    else:
        device = run.device(recipient)
    data = file.read()
    prepared = None
    if run.preconditions:
        alert_name = scenarios.scenario_alert(name, run.alert_files)
        alert = None
        if alert_name is not None:
            try:
                alert = run.expected(run.alert_files[alert_name])
            except SmetsError:
                alert = None
        prepared = scenarios.prepare_command(device, name, data, want, run.rtds_headend.keystore, alert=alert)
        data = prepared.data
        run.injected.update(prepared.injected)
        notes.extend(f"{name}: {n}" for n in prepared.notes)
    run.last_reason = ""
    try:
        responses = run.deliver(device, data)
        if due:
            _run_due(run)
    finally:
        if prepared is not None:
            prepared.undo(device)
    return responses


def _run_due(run: FolderReplay) -> None:
    """Advance the virtual clock so that every future-dated command comes due (GBCS 5.9 / digest 5.9)."""
    for device in list(run.devices.values()):
        for when in DUE_TIMES:
            outcome = device.timers(device.state, when)
            device.adopt(outcome)
            run.keep_alerts(outcome.alerts)


def _trigger_alerts(run: FolderReplay, alert_files: list[RtdsFile], result: FolderResult) -> list[RtdsFile]:
    """Bring the device models to raise a command-less folder's alerts; the alert files left untriggered."""
    untriggered = []
    for alert_file in alert_files:
        try:
            alert = run.expected(alert_file)
        except SmetsError:
            untriggered.append(alert_file)
            continue
        trigger = scenarios.alert_trigger(alert)
        originator = alert.header.originator
        if trigger is None or originator not in DEVICE_TYPES:
            untriggered.append(alert_file)
            continue
        name = alert_file.path.name  # a TWIN alert comes from a twin-element meter
        device = run.device(originator, scenarios.profile_for(name)) if run.preconditions else run.device(originator)
        if trigger.command is not None and trigger.command in run.corpus:
            run.deliver(device, run.corpus[trigger.command].read())
        elif trigger.clock:  # nothing injected: the device's own timers at its next due time
            outcome = clock_passes_next_due(device, run.now)
            device.adopt(outcome)
            run.keep_alerts(outcome.alerts)
        elif trigger.event is not None:
            run.injected.add("alert-event")
            outcome = trigger.event(device, alert, run.now, scenarios.Site(run.device, run.rtds_headend.keystore))
            device.adopt(outcome)
            run.keep_alerts(outcome.alerts)
        else:
            untriggered.append(alert_file)
            continue
        result.notes.append(f"{alert_file.path.name}: {trigger.description}")
    return untriggered


Progress = Callable[[int, int, FolderResult], None]
"""Called after each folder with (folders done, folders in all, the folder's result)."""


def replay(rtds: Path, *, only: list[str] | None = None, preconditions: bool = True,
           progress: Progress | None = None) -> list[FolderResult]:
    """Replay every use-case folder (or those named in *only*), reporting each to *progress*."""
    files = list_files(rtds)
    Keystore.load(keystore_folder(rtds))  # report keystore anomalies once, then keep per-folder loads quiet
    keystore_log = logging.getLogger("smets_emu.protocols.keystore")
    level = keystore_log.level
    keystore_log.setLevel(logging.ERROR)
    try:
        return _replay_folders(rtds, files, only, preconditions, progress)
    finally:
        keystore_log.setLevel(level)


def _replay_folders(rtds: Path, files: list[RtdsFile], only: list[str] | None, preconditions: bool,
                    progress: Progress | None) -> list[FolderResult]:
    corpus = {f.path.name: f for f in files if f.kind == "COMMAND"}
    root_point = scenarios.recover_root_key((f.read() for f in corpus.values()), RTDS_ROOT_SKI)
    if root_point is None:
        log.warning("Root public key not recovered: CA certificate signatures are not checked")
    folders: dict[str, list[RtdsFile]] = {}
    for f in files:
        folders.setdefault(f.use_case_folder, []).append(f)
    results = []
    chosen = [name for name in sorted(folders) if not only or name in only]
    for name in chosen:
        try:
            results.append(replay_folder(folders[name], keystore_folder(rtds), preconditions=preconditions,
                                         corpus=corpus, root_point=root_point))
        except SmetsError as exc:
            log.warning("folder %s failed: %s", name, exc)
            results.append(FolderResult(name, "differ", [FileResult(name, "differ", str(exc))]))
        if progress is not None:
            progress(len(results), len(chosen), results[-1])
    return results
