"""The smets-emu pytest plugin: an in-process virtual fleet for users' test suites.

Fixtures:

- ``smets_fleet``: a fleet (default premises: ESME, GSME, CHF, GPF) with its own test PKI in a
  temporary folder, served on ephemeral TCP ports with a virtual clock; see
  :class:`smets_emu.testing.SmetsFleet` (``esme``/``gsme``/``chf``/``gpf`` EUIs, ``advance``,
  ``fault``, ``alerts``, ``endpoints``, ``key_folder``). Its control plane needs a bearer token, as
  ``smets-emu run``'s does: ``token`` and ``http_headers`` carry it and ``http(method, path, body)``
  sends it (``smets_fleet.http("GET", "/devices").body``).
- ``smets_client``: a blocking remote-party client over the fleet's GFI TCP front:
  ``smets_client.command(0x0059, to=smets_fleet.esme)`` returns the decoded, checked reply.
- ``smets_fleet_devices``: override to size the fleet (default 4).

Usage::

    def test_firmware_version(smets_fleet, smets_client):
        reply = smets_client.command("read-firmware", to=smets_fleet.esme, as_role="supplier")
        assert reply.security["mac"] == "valid"
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from smets_emu.testing.fleet import SmetsClient, SmetsFleet, start_fleet


@pytest.fixture
def smets_fleet_devices() -> int:
    """How many devices ``smets_fleet`` provisions (override in a conftest or test module)."""
    return 4


@pytest.fixture
def smets_fleet(tmp_path_factory: pytest.TempPathFactory, smets_fleet_devices: int) -> Iterator[SmetsFleet]:
    """A running in-process fleet with its own PKI in a temporary folder."""
    folder: Path = tmp_path_factory.mktemp("smets-lab")
    with start_fleet(folder, devices=smets_fleet_devices) as fleet:
        yield fleet


@pytest.fixture
def smets_client(smets_fleet: SmetsFleet) -> Iterator[SmetsClient]:
    """A remote-party client of ``smets_fleet`` over its GFI TCP front."""
    client = smets_fleet.client()
    try:
        yield client
    finally:
        client.close()
