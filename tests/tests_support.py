"""Test helpers importable from any test module (RTDS corpus listing)."""

from __future__ import annotations

from pathlib import Path

from smets_emu.protocols.rtds import RtdsFile, find_rtds_root, list_files

REPO_ROOT = Path(__file__).resolve().parents[1]
RTDS_ROOT = find_rtds_root(REPO_ROOT)
RTDS_FILES: list[RtdsFile] = list_files(RTDS_ROOT) if RTDS_ROOT else []


def rtds_ids(files: list[RtdsFile]) -> list[str]:
    """Readable test ids: the file stem."""
    return [f.path.stem for f in files]


SUPPLIER_DUIS_ID = "90-B3-D5-1F-30-01-00-00"
"""The default lab's supplier as a DUIS Business Originator ID."""
ESME_DUIS_ID = "00-DB-12-34-56-78-90-A0"
"""The default lab's ESME as a DUIS target."""

READ_FIRMWARE_DUIS = """<?xml version="1.0" encoding="UTF-8"?>
<sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway" schemaVersion="5.4">
  <sr:Header>
    <sr:RequestID>{originator}:{target}:{counter}</sr:RequestID>
    <sr:CommandVariant>1</sr:CommandVariant>
    <sr:ServiceReference>11.2</sr:ServiceReference>
    <sr:ServiceReferenceVariant>11.2</sr:ServiceReferenceVariant>
  </sr:Header>
  <sr:Body><sr:ReadFirmwareVersion/></sr:Body>
</sr:Request>"""
"""SRV 11.2 Read Firmware Version (DUIS 5.4), with the RequestID's parts to fill in."""


def read_firmware_duis(counter: int, *, target: str = ESME_DUIS_ID, originator: str = SUPPLIER_DUIS_ID) -> bytes:
    """An SRV 11.2 request body from *originator* to *target* with RequestID counter *counter*."""
    return READ_FIRMWARE_DUIS.format(originator=originator, target=target, counter=counter).encode()


def sampled(params: list[object], every: int = 4) -> list[object]:
    """A parametrized sweep whose default run keeps every *every*-th case; the slow set runs the rest.

    Cases already carrying marks (``pytest.param(..., marks=...)``) keep them.
    """
    import pytest

    out: list[object] = []
    for index, param in enumerate(params):
        if not isinstance(param, type(pytest.param(None))):
            param = pytest.param(param)
        if index % every:
            param = pytest.param(*param.values, id=param.id, marks=[*param.marks, pytest.mark.slow])
        out.append(param)
    return out
