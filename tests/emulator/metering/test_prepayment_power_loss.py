"""Power loss: a meter's balance and the UTRNs it accepted survive SIGKILL right after the top-up is committed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from emulator.metering.prepayment_lab import ESME, GSME, PrepaymentLab

CHILD = textwrap.dedent(
    """
    import json, os, signal, sys
    from pathlib import Path
    from emulator.metering.prepayment_lab import ESME, GSME, PrepaymentLab

    lab = PrepaymentLab(Path(sys.argv[1]))
    out = {}
    for name, eui in (("esme", ESME), ("gsme", GSME)):
        utrn, reply = lab.top_up(eui, pounds=7)
        out[name] = {"utrn": utrn, "answered": reply.response is not None, "stored": lab.stored(eui),
                     "balance": lab.credit(eui).balance}
    print(json.dumps(out), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no close, no flush of anything the commit did not write
    """
)


def test_balance_and_used_utrns_survive_sigkill(tmp_path: Path) -> None:
    folder = tmp_path / "lab"
    tests_dir = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tests_dir), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(folder)], capture_output=True, text=True, env=env,
                          timeout=300, check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    before = json.loads(proc.stdout.strip().splitlines()[-1])
    lab = PrepaymentLab(folder)
    try:
        for name, eui in (("esme", ESME), ("gsme", GSME)):
            seen = before[name]
            assert seen["answered"] and seen["balance"] > 0
            assert lab.stored(eui) == seen["stored"], name
            assert lab.credit(eui).balance == seen["balance"], name
            again = lab.resend(eui, seen["utrn"])  # the used UTRN is still refused after the power loss
            assert lab.credit(eui).balance == seen["balance"], f"{name}: a replayed UTRN added credit"
            assert again.response is not None
    finally:
        lab.close()
