"""Fleet files: every key checked, sizes bounded, errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from smets_emu.tools.fleet_file import (
    MAX_DEVICES,
    MAX_FLEET_FILE_BYTES,
    FleetFileError,
    default_fleet,
    load_fleet,
    parse_fleet,
)

GOOD_DEVICES = [{"type": "ESME", "eui": "00DB1234567890B0"}]


def test_a_valid_file_with_every_key(tmp_path: Path) -> None:
    file = tmp_path / "fleet.toml"
    file.write_text(
        'pki = "own"\nseed = 7\n[types.ESME]\nprofile = "twin"\nfirmware = "02000000"\n'
        '[[premises]]\nname = "street-{n}"\ncount = 3\nfirst_eui = "00DB123500000000"\n'
        'devices = [{ type = "ESME" }, { type = "GSME", profile = "default", firmware = "0a0b0c0d" }]\n'
    )
    spec = load_fleet(file)
    assert [p.name for p in spec.premises] == ["street-0", "street-1", "street-2"]
    assert len(spec.devices) == 6
    esme, gsme = spec.premises[0].devices
    assert (esme.profile, esme.firmware, gsme.firmware) == ("twin", "02000000", "0A0B0C0D")
    assert spec.premises[2].devices[1].eui.hex().upper() == "00DB123500000005"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"premises": [{"devices": GOOD_DEVICES}], "pkki": "own"}, "unknown key 'pkki'"),
        ({"premises": [{"devices": GOOD_DEVICES, "cuont": 2}]}, "premises[0]: unknown key 'cuont'"),
        ({"premises": [{"devices": [{**GOOD_DEVICES[0], "colour": "red"}]}]}, "devices[0]: unknown key 'colour'"),
        ({"types": {"ESME": {"profil": "twin"}}, "premises": [{"devices": GOOD_DEVICES}]}, "types.ESME: unknown"),
        ({"premises": [{"devices": [{**GOOD_DEVICES[0], "profile": "nope"}]}]}, "profile 'nope' is not shipped"),
        ({"premises": [{"devices": [{**GOOD_DEVICES[0], "profile": "../../x"}]}]}, "is not shipped"),
        ({"premises": [{"devices": [{**GOOD_DEVICES[0], "firmware": "01"}]}]}, "8 hex digits"),
        ({"premises": [{"devices": [{"type": "ESME"}], "count": 10**12, "first_eui": 0}]}, f"{MAX_DEVICES:,}"),
        ({"premises": [{"devices": [{"type": "ESME"}], "count": True, "first_eui": 0}]}, "positive integer"),
        ({"premises": [{"devices": [{"type": "ESME"}], "count": 2, "first_eui": "FFFFFFFFFFFFFFFF"}]}, "runs past"),
        ({"seed": 1.5, "premises": [{"devices": GOOD_DEVICES}]}, "seed is an integer"),
    ],
)
def test_bad_documents_say_what_and_where(document: dict, expected: str) -> None:
    with pytest.raises(FleetFileError, match=None) as info:
        parse_fleet(document)
    assert expected in str(info.value)


def test_file_over_the_cap_is_refused_unread(tmp_path: Path) -> None:
    file = tmp_path / "huge.toml"
    with file.open("wb") as fh:
        fh.truncate(MAX_FLEET_FILE_BYTES * 200)  # sparse: costs nothing on disk
    with pytest.raises(FleetFileError, match="fleet file"):
        load_fleet(file)


def test_not_text_and_missing_files(tmp_path: Path) -> None:
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(FleetFileError, match="UTF-8"):
        load_fleet(binary)
    with pytest.raises(FleetFileError, match="no such file"):
        load_fleet(tmp_path / "absent.toml")


def test_default_fleet_size_is_bounded() -> None:
    assert len(default_fleet(9).devices) == 9
    for devices in (0, MAX_DEVICES + 1):
        with pytest.raises(FleetFileError, match="1 to"):
            default_fleet(devices)
