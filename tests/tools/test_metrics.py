"""``GET /metrics``: Prometheus text that prometheus-client's parser reads, counters matching a known command mix.

A served lab gets a known mix through the WAN front (protected reads to the ESME over the GFI
framing and to the GSME over the binary framing, commands replayed with an old originator counter,
messages for an EUI outside the fleet, frames that are not GBCS, binary frames failing their CRC)
and one DUIS request; every counter of the scrape is compared with the mix.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from smets_emu.hosting.han_network import HanLink
from smets_emu.parties.campaign import Campaign
from smets_emu.protocols.envelope import decode_envelope
from smets_emu.protocols.firmware import UpgradeImage, sign_image
from smets_emu.protocols.keystore import KeyUsage
from smets_emu.tools.fleet_file import DeviceSpec, FleetSpec, PremisesSpec
from smets_emu.tools.lab import Lab, open_lab
from smets_emu.tools.metrics import MAX_ALERT_CODES, MAX_IN_FLIGHT, LabMetrics
from smets_emu.tools.service import LabService, ServiceConfig
from smets_emu.tools.wan_client import RemoteParty, WanClient
from smets_emu.tools.wan_server import wan_framing
from smets_emu.tools.wire_events import WireEvent
from tests_support import read_firmware_duis

ESME = bytes.fromhex("00DB1234567890A0")
GSME = bytes.fromhex("00DB1234567890A1")
STRANGER = bytes.fromhex("00DB0000DEADBEEF")
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
N_ESME, M_GSME, K_REPLAYED, J_UNKNOWN, G_GARBAGE, D_BAD_CRC = 5, 3, 4, 2, 3, 2

Samples = dict[str, dict[frozenset[tuple[str, str]], float]]


def parse(text: str) -> Samples:
    """Every sample by name, then by its label set (what prometheus-client's parser reads)."""
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[frozenset(sample.labels.items())] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[name][frozenset(labels.items())]


def by_label(samples: Samples, name: str) -> dict[tuple[str, ...], float]:
    """The samples of *name* keyed by their label values (sorted by label name), zeros left out."""
    return {tuple(v for _, v in sorted(k)): n for k, n in samples.get(name, {}).items() if n}


@pytest.fixture
def lab(fresh_lab: Lab) -> Lab:
    return fresh_lab


async def _scrape(service: LabService, session: aiohttp.ClientSession, token: str | None) -> aiohttp.ClientResponse:
    host, port = service.endpoints.http  # type: ignore[misc]
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await session.get(f"http://{host}:{port}/metrics", headers=headers)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as s:
        yield s


async def _bad_crc_frames(host: str, port: int) -> None:
    """Binary frames whose payload fails its CRC-32 (dropped at the front), then a ping to see them handled."""
    codec = wan_framing("binary")
    reader, writer = await asyncio.open_connection(host, port)
    stream = b""
    for n in range(1, D_BAD_CRC + 1):
        frame = bytearray(codec.encode(b"\x11" * 40, seq=n))
        frame[-10] ^= 0x01
        stream += bytes(frame)
    writer.write(stream + codec.encode(b"", seq=99))
    await writer.drain()
    decoder, frames = codec.decoder(), []
    while not any(f.seq == 99 for f in frames):
        data = await asyncio.wait_for(reader.read(4096), 10)
        assert data, "the front closed the connection"
        frames.extend(decoder.feed(data))
    writer.close()
    await writer.wait_closed()


async def test_metrics_match_a_known_command_mix(fresh_service: LabService, lab: Lab,
                                                 session: aiohttp.ClientSession) -> None:
    service = fresh_service
    party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
    gfi = await WanClient.connect(*service.endpoints.gfi, "gfi", keepalive=None)  # type: ignore[misc]
    binary = await WanClient.connect(*service.endpoints.binary, "binary", keepalive=None)  # type: ignore[misc]
    try:
        # first: its RequestID counter (the virtual time) is below the time-based counters of the WAN commands
        host, port = service.endpoints.http  # type: ignore[misc]
        duis = await session.post(f"http://{host}:{port}/duis", data=read_firmware_duis(int(START.timestamp() * 1000)),
                                  headers={"Authorization": f"Bearer {service.control_token}",
                                           "Content-Type": "application/xml"})
        assert "<sr:ResponseCode>I0</sr:ResponseCode>" in await duis.text()
        unreadable = await session.post(f"http://{host}:{port}/duis", data=b"<not-duis/>", headers={
            "Authorization": f"Bearer {service.control_token}", "Content-Type": "application/xml"})
        assert "<sr:ResponseCode>X2</sr:ResponseCode>" in await unreadable.text()
        for _ in range(N_ESME):
            assert (await gfi.exchange(party.build(0x0059, to=ESME))).response is not None
        for _ in range(M_GSME):
            assert (await binary.exchange(party.build(0x0084, to=GSME))).response is not None
        for counter in range(1, K_REPLAYED + 1):  # far below the time-based counters the reads used
            replay = await gfi.exchange(party.build(0x0059, to=ESME, counter=counter))
            assert replay.response is None and len(replay.alerts) == 1
        valid = party.build(0x0059, to=ESME)
        misaddressed = valid.replace(ESME, STRANGER, 1)
        assert decode_envelope(misaddressed).header.recipient == STRANGER
        for _ in range(J_UNKNOWN):
            assert (await gfi.exchange(misaddressed)).response is None
        for i in range(G_GARBAGE):
            assert (await gfi.exchange(bytes([0xA5, i]) * 20)).response is None
        await _bad_crc_frames(*service.endpoints.binary)  # type: ignore[misc]
        for _ in range(K_REPLAYED):  # the other connection got each replay's alert, unsolicited
            await asyncio.wait_for(binary.unsolicited.get(), 10)

        for token in (None, "wrong-token"):
            assert (await _scrape(service, session, token)).status == 401
        reply = await _scrape(service, session, service.control_token)
        assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/plain; version=")
        samples = parse(await reply.text())
        stats = (await (await session.get(f"http://{host}:{port}/stats", headers={
            "Authorization": f"Bearer {service.control_token}"})).json())["wan"]
    finally:
        await gfi.close()
        await binary.close()

    assert by_label(samples, "smets_wan_commands_total") == {
        ("0x0059", "response", "ECS52"): N_ESME,
        ("0x0084", "response", "GCS38"): M_GSME,
        ("0x0059", "rejected", "ECS52"): K_REPLAYED,
    }
    assert by_label(samples, "smets_security_rejections_total") == {("0x8F53",): K_REPLAYED}
    # each replay's alert went to the commanding connection and, unsolicited, to the other one
    assert by_label(samples, "smets_wan_alerts_sent_total") == {("0x1001", "GNCA"): 2 * K_REPLAYED}
    assert stats["alerts_sent"] == 2 * K_REPLAYED
    assert value(samples, "smets_wan_command_latency_seconds_count", framing="gfi") == N_ESME + K_REPLAYED
    assert value(samples, "smets_wan_command_latency_seconds_count", framing="binary") == M_GSME
    assert value(samples, "smets_wan_command_latency_seconds_bucket", framing="gfi", le="+Inf") == N_ESME + K_REPLAYED
    assert 0 < value(samples, "smets_wan_command_latency_seconds_sum", framing="gfi") < 60
    assert value(samples, "smets_wan_messages_received_total") == (
        N_ESME + M_GSME + K_REPLAYED + J_UNKNOWN + G_GARBAGE) == stats["commands"]
    assert value(samples, "smets_wan_messages_unknown_recipient_total") == J_UNKNOWN
    assert value(samples, "smets_wan_messages_undecodable_total") == G_GARBAGE
    assert by_label(samples, "smets_wan_frames_dropped_total") == {("check",): D_BAD_CRC}
    assert value(samples, "smets_wan_connections_accepted_total") == 3  # GFI, binary, the bad-CRC one
    assert value(samples, "smets_wan_connections_refused_total") == 0
    assert by_label(samples, "smets_wan_connections_closed_total") == {}
    assert value(samples, "smets_wan_connections_active") in (2, 3)  # the third one closes as it likes
    assert by_label(samples, "smets_duis_requests_total") == {("I0", "11.2"): 1, ("X2", "none"): 1}
    assert by_label(samples, "smets_devices") == {("CHF",): 1, ("ESME",): 1, ("GPF",): 1, ("GSME",): 1}
    assert value(samples, "smets_store_outbox_rows") == lab.store.outbox_rows() > 0
    assert value(samples, "smets_store_size_bytes", file="database") > 0
    assert ("wal",) in {tuple(v for _, v in k) for k in samples["smets_store_size_bytes"]}
    assert value(samples, "smets_process_resident_memory_bytes") > 0
    assert "smets_campaign_info" not in samples  # no campaign in this lab


async def test_metrics_of_a_second_lab_in_the_process_start_from_zero(fresh_service: LabService, tmp_path: Path,
                                                                      session: aiohttp.ClientSession) -> None:
    lab = fresh_service.lab
    party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
    async with await WanClient.connect(*fresh_service.endpoints.gfi, "gfi", keepalive=None) as client:  # type: ignore[misc]
        assert (await client.exchange(party.build(0x0059, to=ESME))).response is not None
    other_lab = open_lab(tmp_path / "other", synchronous="OFF")
    other = LabService(other_lab, ServiceConfig(port=0, binary_port=0, http_port=0, clock="virtual", start=START))
    await other.start()
    try:
        first = parse(await (await _scrape(fresh_service, session, fresh_service.control_token)).text())
        second = parse(await (await _scrape(other, session, other.control_token)).text())
    finally:
        await other.stop()
        other_lab.close()
    assert by_label(first, "smets_wan_commands_total") == {("0x0059", "response", "ECS52"): 1}
    assert by_label(second, "smets_wan_commands_total") == {}
    assert value(second, "smets_wan_messages_received_total") == 0


def _event(direction: str, seq: int, kind: str, message: bytes, connection: int = 1) -> WireEvent:
    now = dt.datetime.now(dt.UTC)
    return WireEvent(now, now, direction, connection, "127.0.0.1:1", "gfi", seq, message, kind)  # type: ignore[arg-type]


def test_commands_never_answered_are_forgotten_beyond_the_cap(lab: Lab) -> None:
    metrics = LabMetrics(lab)
    party = RemoteParty(lab.keystore, None)  # type: ignore[arg-type]
    command = party.build(0x0059, to=ESME)
    for seq in range(1, MAX_IN_FLIGHT + 50):  # e.g. commands a "drop" fault swallowed
        metrics.wire(_event("in", seq, "command", command))
    assert metrics.wire.in_flight == MAX_IN_FLIGHT
    metrics.wire(_event("out", 1, "empty", b""))  # the oldest were forgotten: nothing to match
    metrics.wire(_event("out", MAX_IN_FLIGHT + 49, "empty", b""))
    metrics.wire(_event("out", 7, "empty", b"", connection=2))  # another connection's number 7
    samples = parse(_text(metrics))
    assert by_label(samples, "smets_wan_commands_total") == {("0x0059", "no_response", "ECS52"): 1}
    assert metrics.wire.in_flight == MAX_IN_FLIGHT - 1
    # alert-code labels are bounded: codes past the cap (e.g. from alerts a fault corrupted) count as other
    labels = {metrics.wire._alert_label(code) for code in range(0x8F00, 0x8F00 + 2 * MAX_ALERT_CODES)}
    assert len(labels) == MAX_ALERT_CODES + 1 and "other" in labels and metrics.wire._alert_label(None) == "unknown"


def _text(metrics: LabMetrics) -> str:
    from prometheus_client import generate_latest

    return generate_latest(metrics.registry).decode()


# -- the stored firmware campaign --------------------------------------------------------------

FIRST = 0x00DB_6000_0000_0000
SUPPLIER = "90B3D51F30010000"


@pytest.fixture
def campaign_lab(tmp_path: Path) -> Iterator[Lab]:
    """Ten premises (CHF + ESME); a completed campaign in which two HAN links failed."""
    premises = tuple(PremisesSpec(f"p{i}", (DeviceSpec("CHF", (FIRST + 2 * i).to_bytes(8, "big")),
                                            DeviceSpec("ESME", (FIRST + 2 * i + 1).to_bytes(8, "big"))))
                     for i in range(10))
    lab = open_lab(tmp_path / "lab", FleetSpec(premises), synchronous="OFF")
    image = UpgradeImage(0x121D, 0, 0x02000000, bytes(range(256)) * 4, "metrics test image", (0x1100, 0x1300))
    data = sign_image(image, lab.keystore.private_key(SUPPLIER, KeyUsage.DS)).encode()  # type: ignore[arg-type]
    esmes = sorted(e for e, d in lab.fleet.devices.items() if d.device_type == "ESME")
    campaign = Campaign.create(lab.fleet, data, esmes, START, stages=(0.5, 1.0), error_threshold=0.5)
    campaign.links = {eui: HanLink(down_after=2) for eui in esmes[3:5]}
    assert campaign.run() == "completed"
    yield lab
    lab.close()


async def test_stored_campaign_progress(campaign_lab: Lab, session: aiohttp.ClientSession) -> None:
    summary = Campaign.load(campaign_lab.fleet).summary()  # type: ignore[union-attr]
    service = LabService(campaign_lab, ServiceConfig(port=None, binary_port=None, http_port=0, clock="virtual",
                                                     start=START))
    await service.start()
    try:
        samples = parse(await (await _scrape(service, session, service.control_token)).text())
    finally:
        await service.stop()
    record = summary["campaign"]
    assert by_label(samples, "smets_campaign_info") == {(record["id"], "02000000"): 1}
    assert by_label(samples, "smets_campaign_status") == {("completed",): 1}
    assert value(samples, "smets_campaign_targets") == summary["targets"] == 10
    assert value(samples, "smets_campaign_stages_done") == value(samples, "smets_campaign_stages") == 2
    assert by_label(samples, "smets_campaign_devices") == {("ok",): 8, ("failed",): 2}
    assert by_label(samples, "smets_campaign_device_states") == {(k,): v for k, v in summary["outcomes"].items()}
    assert summary["outcomes"] == {"failed": 2, "held": 8}
    assert by_label(samples, "smets_campaign_alerts") == {(k,): v for k, v in summary["alerts"].items()}
