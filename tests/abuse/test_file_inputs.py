"""Finding 11: file inputs are bounded, streamed, and refused with a reason.

``decode`` on a 200 MB file used to peak at 2 GB of memory, ``firmware inspect /dev/zero`` read
until memory ran out and an odd-length ``.hex`` file was decoded as binary. Every command now
reads at most its cap (``smets_emu.inputs``) plus one byte, refuses a larger regular file from
its size alone, and names the file, the size and the cap, or the line with an odd number of hex
digits. The big cases run in a child process under a 768 MiB address-space limit (so an
unbounded read fails fast instead of exhausting the machine) and report their peak RSS.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from smets_emu.inputs import MAX_FIRMWARE_IMAGE_BYTES, MAX_MESSAGE_FILE_BYTES, describe_size
from smets_emu.tools.cli import main

ADDRESS_SPACE = 768 << 20
PEAK_RSS_KIB = 200 * 1024
"""An interpreter with the package loaded is ~70 MiB; a bounded read adds at most a cap or two."""

_CHILD = """
import resource, sys
from smets_emu.tools.cli import main
status = main(sys.argv[1:])
sys.stdout.flush()
print("PEAK_RSS_KIB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(status)
"""


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _run(*args: str, stdin: int | None = None, timeout: float = 30) -> tuple[int, str, str, int]:
    """Run the CLI in a child limited to 768 MiB of address space: (status, stdout, stderr, peak RSS KiB)."""
    proc = subprocess.run([sys.executable, "-c", _CHILD, *args], capture_output=True, text=True, stdin=stdin,
                          timeout=timeout, preexec_fn=_limit, check=False)
    peak = [int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("PEAK_RSS_KIB")]
    assert peak, f"the child did not finish cleanly: {proc.stderr[-1500:]}"
    return proc.returncode, proc.stdout, proc.stderr, peak[0]


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    """A sparse 200 MB file (no disk space used), named like a message file."""
    path = tmp_path / "big.hex"
    with open(path, "wb") as f:
        f.truncate(200 * 1000 * 1000)
    return path


def test_decode_refuses_a_200_mb_file_from_its_size(big_file: Path) -> None:
    status, out, _, peak = _run("decode", "--json-lines", str(big_file))
    record = json.loads(out)
    assert status == 1 and record["source"] == str(big_file)
    assert record["error"] == (f"{big_file}: 200000000 bytes (190.7 MiB); a GBCS message file is at most "
                               f"{describe_size(MAX_MESSAGE_FILE_BYTES)}")
    assert peak < PEAK_RSS_KIB


def test_decode_of_a_device_reads_at_most_the_cap() -> None:
    status, out, _, peak = _run("decode", "--json-lines", "/dev/zero")
    assert status == 1 and f"/dev/zero: more than {MAX_MESSAGE_FILE_BYTES} bytes" in json.loads(out)["error"]
    assert peak < PEAK_RSS_KIB


def test_decode_stdin_line_without_end_is_refused() -> None:
    with open("/dev/zero", "rb") as zero:
        status, out, _, peak = _run("decode", "--json-lines", "-", stdin=zero.fileno())
    assert status == 1 and f"<stdin>: line 1 is longer than {MAX_MESSAGE_FILE_BYTES} bytes" in json.loads(out)["error"]
    assert peak < PEAK_RSS_KIB


def test_firmware_inspect_dev_zero_is_refused_not_read_until_out_of_memory() -> None:
    status, _, err, peak = _run("firmware", "inspect", "/dev/zero")
    assert status == 2 and "firmware inspect: /dev/zero: more than 16777216 bytes" in err
    assert peak < PEAK_RSS_KIB


def test_firmware_image_over_the_ota_cap_is_refused(tmp_path: Path) -> None:
    image = tmp_path / "image.bin"
    with open(image, "wb") as f:
        f.truncate(MAX_FIRMWARE_IMAGE_BYTES + 1)
    status, _, err, _ = _run("firmware", "inspect", str(image))
    assert status == 2 and f"{image}: 10240001 bytes (9.8 MiB); an Upgrade Image is at most 10240000 bytes" in err
    status, _, err, peak = _run("firmware", "build", "--manufacturer", "1", "--image-type", "0", "--version", "1",
                                "--unsigned", "--payload", "/dev/zero", "-o", str(tmp_path / "out"))
    assert status == 2 and "/dev/zero: more than 10240000 bytes" in err and not (tmp_path / "out").exists()
    assert peak < PEAK_RSS_KIB


def test_encode_and_duis_submit_bound_their_inputs(big_file: Path) -> None:
    status, _, err, peak = _run("encode", "/dev/zero")
    assert status == 2 and "/dev/zero: more than 67108864 bytes" in err and peak < PEAK_RSS_KIB
    status, _, err, peak = _run("encode", "--json-lines", "/dev/zero")
    assert status == 2 and "/dev/zero: line 1 is longer than" in err and peak < PEAK_RSS_KIB
    status, _, err, peak = _run("duis", "submit", "/dev/zero", str(big_file))
    assert status == 1 and "/dev/zero: more than 16777216 bytes" in err
    assert f"{big_file}: 200000000 bytes (190.7 MiB); a DUIS request is at most 16777216 bytes" in err
    assert peak < PEAK_RSS_KIB


def test_odd_length_hex_file_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = tmp_path / "odd.hex"
    odd.write_text("DD00\n0000000000471\n0000\n")  # 21 digits: line 2 holds an odd number of them
    assert main(["decode", "--json-lines", str(odd)]) == 1
    assert json.loads(capsys.readouterr().out)["error"] == f"{odd}: odd number of hex digits (21) at line 2"


def test_odd_hex_line_on_stdin_names_the_line() -> None:
    proc = subprocess.run([sys.executable, "-m", "smets_emu.tools.cli", "decode", "--json-lines", "-"],
                          input="DF09\n\nABC\n", capture_output=True, text=True, timeout=30, check=False)
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 1 and records[-1] == {
        "source": "<stdin>:3", "error": "<stdin>: odd number of hex digits (3) at line 3"}


def test_folder_inputs_are_read_one_at_a_time(tmp_path: Path) -> None:
    """A folder of messages plus one oversized file: every file gets its own record, the big one an error."""
    folder = tmp_path / "messages"
    folder.mkdir()
    message = "DF0901" * 3
    for n in range(50):
        (folder / f"m{n:03}.hex").write_text(message + "\n")
    with open(folder / "zz-big.hex", "wb") as f:
        f.truncate(MAX_MESSAGE_FILE_BYTES + 1)
    os.mkfifo(folder / "pipe.hex")  # not a regular file: skipped, never opened (it would block)
    status, out, _, peak = _run("decode", "--json-lines", str(folder))
    records = [json.loads(line) for line in out.splitlines()]
    assert status == 1 and len(records) == 51
    assert f"{MAX_MESSAGE_FILE_BYTES + 1} bytes" in records[-1]["error"] and peak < PEAK_RSS_KIB
