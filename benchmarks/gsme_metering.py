"""GSME metering from the consumption model: profile and snapshot reads after a virtual year idle.

Usage: ``python benchmarks/gsme_metering.py [--json] [--repeat N]``

A GSME whose model starts at the origin is left idle for a virtual year (nothing runs: its
registers and logs are computed when read), then read through the ZCL engine
(:func:`smets_emu.emulator.zcl.engine.execute`, GBCS 7.5: the command decoded, answered from
the model and the response encoded):

- ``profile_day`` / ``profile_month``: Get Sampled Data of the half-hourly Profile Data Log
  (GCS17) for one day (48 samples) and one month (1,440), cold (the first read after the year)
  and warm (best of N). The target is under 5 ms. The peer, measured in the same run, is the
  stored-values log the model replaced (a sampling entry holding the same number of values);
- ``daily_snapshots``: GCS16a's 31 Get Snapshot components (the Daily Read Log over a month, each
  a 56-byte type 6 payload with the register, four TOU registers and four block counters);
- ``gcs17_gbcs_ms``: the whole GCS17 command for a day through a head-end and the device
  (MAC check, read, encryption, MAC), for scale.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any

from fleet_tick import timed

from smets_emu.emulator.devices import device_for
from smets_emu.emulator.provision import new_device_state
from smets_emu.emulator.state import DeviceState
from smets_emu.emulator.zcl.commands import ExecContext
from smets_emu.emulator.zcl.engine import execute
from smets_emu.emulator.zcl.model import ZclModel
from smets_emu.emulator.zcl.profiles import apply_profile
from smets_emu.parties.headend import HeadEnd
from smets_emu.protocols.payloads.gbz import GbzComponent, GbzPayload
from smets_emu.protocols.payloads.zcl import ZclDirection, ZclFrameType, ZclHeader
from smets_emu.protocols.pki import generate_test_pki
from smets_emu.protocols.timestamps import datetime_to_gbz_seconds

GSME = bytes.fromhex("00DB1234567890A1")
SUPPLIER = bytes.fromhex("90B3D51F30010000")
ORIGIN = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
NOW = ORIGIN + dt.timedelta(days=365)
CS, C2S = ZclFrameType.CLUSTER_SPECIFIC, ZclDirection.CLIENT_TO_SERVER


def _state() -> DeviceState:
    state = apply_profile(DeviceState(eui=GSME, device_type="GSME"))
    state.objects["metering"] = {"config": {"seed": 1, "origin": ORIGIN.isoformat()}}
    return state


def _command(*parts: tuple[int, dict[str, Any]]) -> GbzPayload:
    comps = tuple(GbzComponent(0x0702, ZclHeader(CS, C2S, seq, command), fields=fields, last=seq == len(parts) - 1)
                  for seq, (command, fields) in enumerate(parts))
    return GbzPayload(components=comps, form="command")


def _run(state: DeviceState, command: GbzPayload) -> None:
    ctx = ExecContext(model=ZclModel(state, NOW), now=NOW, now_utc=datetime_to_gbz_seconds(NOW),
                      message_code=0x0078, originator_counter=1, requester=SUPPLIER)
    result = execute(command, ctx)
    assert not result.failed and result.payload.components[0].header.command_id in (0x06, 0x07)


def _profile(samples: int, sample_id: int = 0) -> GbzPayload:
    first = datetime_to_gbz_seconds(NOW) - samples * 1800
    return _command((0x08, {"sample_id": sample_id, "earliest_sample_time": {"utc": first}, "sample_type": 0,
                            "number_of_samples": samples}))


PEER_SAMPLE_ID = 7
"""A sampling entry that is not one of the meter's own logs, so it answers from its stored values."""


def _stored_peer(samples: int) -> DeviceState:
    """The log the model replaced: a sampling entry holding its values."""
    state = _state()
    start = datetime_to_gbz_seconds(NOW) - samples * 1800
    values = [(i * 37 + 11) % 250 for i in range(samples)]
    state.objects["tables"]["samples"] = [{"sample_id": PEER_SAMPLE_ID, "sample_type": 0, "start": start,
                                           "interval": 1800, "max": samples, "values": values}]
    return state


def _timed(fn: Callable[[], None], repeat: int) -> dict[str, float]:
    """The first call (cold) and the best of *repeat* more (warm), in ms."""
    cold = timed(fn, 1) * 1000
    return {"cold_ms": round(cold, 3), "warm_ms": round(timed(fn, repeat) * 1000, 3)}


def _gbcs(repeat: int) -> float:
    pki = generate_test_pki(seed=5, devices=[GSME])
    state = new_device_state(GSME, "GSME", pki.keystore, pki=pki)
    state.objects["metering"] = {"config": {"seed": 1, "origin": ORIGIN.isoformat()}}
    head_end = HeadEnd(pki.keystore)
    head_end.register_device(state)
    device = device_for(state)
    best = float("inf")
    for counter in range(0x1000, 0x1000 + repeat):
        data = head_end.command(originator=SUPPLIER, recipient=GSME, message_code=0x0078, payload=_profile(48),
                                counter=counter)
        start = time.perf_counter()
        outcome = device.handle(data, NOW)
        best = min(best, (time.perf_counter() - start) * 1000)
        assert outcome.accepted
    return round(best, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    out: dict[str, Any] = {"origin": ORIGIN.isoformat(), "read_at": NOW.isoformat(), "target_ms": 5}
    for name, samples in (("profile_day", 48), ("profile_month", 1440)):
        state, peer = _state(), _stored_peer(samples)
        # the peer first: it pays the codec's warm-up
        peer_ms = _timed(lambda s=peer, n=samples: _run(s, _profile(n, PEER_SAMPLE_ID)), args.repeat)
        out[name] = {"samples": samples, "model": _timed(lambda s=state, n=samples: _run(s, _profile(n)), args.repeat),
                     "peer_stored_values": peer_ms}
    window = {"earliest_start_time": {"utc": datetime_to_gbz_seconds(NOW - dt.timedelta(days=31))},
              "latest_end_time": {"utc": datetime_to_gbz_seconds(NOW)}, "snapshot_cause": 1}
    daily = _command(*[(0x06, {**window, "snapshot_offset": n}) for n in range(31)])
    state = _state()
    out["daily_snapshots"] = {"components": 31, **_timed(lambda: _run(state, daily), args.repeat)}
    out["gcs17_gbcs_ms"] = _gbcs(args.repeat)
    print(json.dumps(out, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
