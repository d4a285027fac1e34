"""``smets-emu run``: serve a persistent virtual fleet over TCP (GFI and binary framings) and HTTP.

The first run creates a lab folder (default ``./smets-lab``) with a test PKI and the default
premises (ESME, GSME, CHF, GPF); later runs resume the same devices, counters and anchors.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from typing import TextIO
from urllib.parse import quote

from smets_emu.errors import SmetsError
from smets_emu.tools.capture import DEFAULT_MAX_BYTES, CaptureWriter
from smets_emu.tools.control_plane import TOKEN_FILE
from smets_emu.tools.fleet_file import FleetSpec, default_fleet, load_fleet
from smets_emu.tools.lab import Lab, open_lab
from smets_emu.tools.service import Endpoints, LabService, ServiceConfig

DEFAULT_LAB = Path("smets-lab")
LISTED_DEVICES = 20


NO_AUTH_WARNING = (
    "WARNING: --no-auth: the control plane has NO authentication; anyone who can reach {where} can inject "
    "faults, move the clock and submit DUIS requests. Use it only for throwaway labs."
)


def _http_base(endpoints: Endpoints) -> str | None:
    if endpoints.http is None:
        return None
    host, port = endpoints.http
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}"


def describe(lab: Lab, endpoints: Endpoints, out: TextIO, *, clock: str, token: str | None = None) -> None:
    """Print what a new user needs: endpoints, device EUIs, where the keys are and how to use the control plane."""
    state_file = lab.store.path
    print(f"smets-emu lab {lab.folder} ({'created' if lab.created else 'resumed'}): {len(lab.fleet.devices)} devices",
          file=out)
    print(f"  state file:     {state_file}", file=out)
    print(f"  keys:           {lab.key_folder}  (organisation keys and device certificates)", file=out)
    if endpoints.gfi:
        print(f"  WAN GFI text:   tcp://{endpoints.gfi[0]}:{endpoints.gfi[1]}  (GBCS:DATA#<n>:<len>:<HEX>\\r\\n)",
              file=out)
    if endpoints.binary:
        print(f"  WAN binary:     tcp://{endpoints.binary[0]}:{endpoints.binary[1]}  (A5 5A|n|len|CRC-16|msg|CRC-32)",
              file=out)
    base = _http_base(endpoints)
    if endpoints.http and base:
        print(f"  control plane:  http://{_host(endpoints.http[0])}:{endpoints.http[1]}/", file=out)
        if token is not None:
            token_file = lab.folder / TOKEN_FILE
            print(f"  control token:  {token_file}  (send 'Authorization: Bearer <token>')", file=out)
            print(f"  fleet page:     {base}/?token={quote(token)}", file=out)
            print(f"  curl:           curl -H \"Authorization: Bearer $(cat {token_file})\" {base}/devices", file=out)
        else:
            print("  control token:  none (--no-auth: open to anyone who can reach it)", file=out)
    for url in endpoints.serial:
        print(f"  serial bridge:  {url}", file=out)
    print(f"  clock:          {clock}", file=out)
    print("  devices:", file=out)
    devices = list(lab.fleet.devices.values())
    for device in devices[:LISTED_DEVICES]:
        premises = lab.premises.get(device.eui) or "-"
        print(f"    {device.state.device_type:<5} {device.eui.hex().upper()}  {premises}", file=out)
    if len(devices) > LISTED_DEVICES:
        print(f"    ... and {len(devices) - LISTED_DEVICES} more (GET /devices)", file=out)
    if devices and endpoints.gfi:
        first = devices[0]
        code = "read-gas-firmware" if first.state.device_type in ("GSME", "GPF") else "read-firmware"
        print(f"  try:            smets-emu send --keystore {lab.key_folder} --to {first.eui.hex().upper()} "
              f"--code {code} --port {endpoints.gfi[1]}", file=out)
    out.flush()


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


async def serve(lab: Lab, config: ServiceConfig, *, exit_after: float | None, out: TextIO,
                capture: CaptureWriter | None = None) -> int:
    """Serve until SIGINT/SIGTERM (or *exit_after* seconds); *capture* records the WAN frames."""
    service = LabService(lab, config)
    endpoints = await service.start()
    if capture is not None:
        named = {name: f"{_host(ep[0])}:{ep[1]}" for name, ep in (("gfi", endpoints.gfi), ("binary", endpoints.binary))
                 if ep is not None}
        await capture.start(service.front, named)
    describe(lab, endpoints, out, clock=config.clock, token=service.control_token)
    if capture is not None:
        print(f"  capture:        {capture.path}  (every WAN frame; at most {capture.max_bytes} bytes)", file=out,
              flush=True)
    if endpoints.http and not config.auth:
        print(NO_AUTH_WARNING.format(where=f"{_host(endpoints.http[0])}:{endpoints.http[1]}"), file=sys.stderr,
              flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
        except (NotImplementedError, RuntimeError):  # not the main thread, or no signals here
            pass
    print("serving until interrupted (Ctrl-C)" if exit_after is None else f"serving for {exit_after:g} s",
          file=out, flush=True)
    try:
        await asyncio.wait_for(stop.wait(), exit_after)
    except TimeoutError:
        pass
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        await service.stop()
        if capture is not None:
            await capture.close()
    print("stopped; state saved", file=out, flush=True)
    return 0


def run_command(args: argparse.Namespace) -> int:
    folder = Path(args.lab)
    spec: FleetSpec | None = None
    try:
        if args.fleet:
            spec = load_fleet(args.fleet)
        elif args.devices is not None:
            spec = default_fleet(args.devices)
        lab = open_lab(folder, spec, state_path=args.state)
    except SmetsError as exc:
        print(f"smets-emu run: {exc}", file=sys.stderr)
        return 2
    capture = None
    if args.capture:
        try:
            capture = CaptureWriter(args.capture, lab=str(lab.folder), max_bytes=args.capture_max_bytes)
        except SmetsError as exc:
            lab.close()
            print(f"smets-emu run: {exc}", file=sys.stderr)
            return 2
    config = ServiceConfig(
        host=args.host,
        port=None if args.port < 0 else args.port,
        binary_port=None if args.binary_port < 0 else args.binary_port,
        http_port=None if args.http_port < 0 else args.http_port,
        http_host=args.http_host,
        auth=not args.no_auth,
        clock=args.clock,
        serial=list(args.serial or []),
    )
    try:
        return asyncio.run(serve(lab, config, exit_after=args.exit_after, out=sys.stdout, capture=capture))
    except BrokenPipeError:
        raise
    except OSError as exc:
        print(f"smets-emu run: cannot listen: {exc}", file=sys.stderr)
        return 2
    except SmetsError as exc:
        print(f"smets-emu run: {exc}", file=sys.stderr)
        return 2
    finally:
        if capture is not None:
            capture.abandon()  # a capture that never started (the lab could not listen) leaves no file
        lab.close()


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "run",
        help="serve a persistent virtual fleet over TCP (GFI and binary framings), HTTP and serial",
        description="Serve a persistent virtual SMETS2 fleet. The first run creates the lab folder "
        "(test PKI, default premises); later runs resume it.",
    )
    p.add_argument("--lab", default=str(DEFAULT_LAB), help="lab folder (state and keys; default ./smets-lab)")
    p.add_argument("--state", default=None, help="state file (default <lab>/state.sqlite)")
    p.add_argument("--fleet", default=None, help="fleet file (TOML): premises, devices, EUI ranges, PKI")
    p.add_argument("--devices", type=int, default=None, help="scale the default fleet to N devices")
    p.add_argument("--host", default="127.0.0.1", help="address the WAN ports listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=4059, help="GFI text framing port (0 = any free, -1 = off)")
    p.add_argument("--binary-port", type=int, default=4060, help="binary framing port (0 = any free, -1 = off)")
    p.add_argument("--http-port", type=int, default=8059, help="control plane port (0 = any free, -1 = off)")
    p.add_argument("--http-host", default="127.0.0.1",
                   help="address the control plane listens on (default 127.0.0.1; separate from --host)")
    p.add_argument("--no-auth", action="store_true",
                   help="serve the control plane WITHOUT its bearer token (throwaway CI labs only: anyone who can "
                        "reach it controls the lab)")
    p.add_argument("--serial", action="append", metavar="URL",
                   help="also serve the fleet on a serial line (pyserial URL; repeatable)")
    p.add_argument("--clock", choices=("real", "virtual"), default="real",
                   help="real: device time follows the wall clock; virtual: moves only via POST /clock/advance")
    p.add_argument("--capture", metavar="FILE", default=None,
                   help="record every WAN frame (both directions, all connections) as JSON lines in FILE (a new "
                        "file, mode 0600); 'smets-emu decode FILE' reads it, 'smets-emu replay FILE' plays it")
    p.add_argument("--capture-max-bytes", type=int, default=DEFAULT_MAX_BYTES, metavar="N",
                   help="stop capturing (the lab goes on serving) when the file reaches N bytes (default 1 GiB)")
    p.add_argument("--exit-after", type=float, default=None, metavar="SECONDS",
                   help="stop after SECONDS (smoke tests)")
    p.set_defaults(func=run_command)
