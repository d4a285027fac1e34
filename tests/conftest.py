"""Shared fixtures: the RTDS corpus beside the checkout (skipped when absent)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from smets_emu.protocols.rtds import RtdsFile, find_rtds_root, keystore_folder, list_files
from smets_emu.tools.lab import Lab, open_lab
from smets_emu.tools.service import LabService, ServiceConfig

REPO_ROOT = Path(__file__).resolve().parents[1]
RTDS_ROOT = find_rtds_root(REPO_ROOT)
RTDS_FILES: list[RtdsFile] = list_files(RTDS_ROOT) if RTDS_ROOT else []


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fuzz-examples", type=int, default=None, help="hypothesis examples for fuzz tests")
    parser.addoption(
        "--rig-port", default=None, metavar="URL", help="serial port with a TX-RX loopback plug for hardware tests"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "hardware: needs a physical loopback plug (--rig-port); skipped without one")


@pytest.fixture(scope="session")
def rig_port(request: pytest.FixtureRequest) -> str:
    """The --rig-port URL; skips the test when none was given."""
    url = request.config.getoption("--rig-port")
    if not url:
        pytest.skip("no --rig-port given (physical TX-RX loopback plug)")
    return str(url)


@pytest.fixture(scope="session")
def rtds_root() -> Path:
    if RTDS_ROOT is None:
        pytest.skip("RTDS corpus (../shared/rtds) not present")
    return RTDS_ROOT


@pytest.fixture(scope="session")
def rtds_files() -> list[RtdsFile]:
    if not RTDS_FILES:
        pytest.skip("RTDS corpus (../shared/rtds) not present")
    return RTDS_FILES


@pytest.fixture(scope="session")
def rtds_keystore_dir(rtds_root: Path) -> Path:
    return keystore_folder(rtds_root)


LAB_START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
"""Where the virtual clock of the shared ``service`` fixture starts."""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The default lab (ESME, GSME, CHF, GPF with its own PKI), one per test module."""
    lab = open_lab(tmp_path_factory.mktemp("lab"), synchronous="OFF")
    yield lab
    lab.close()


@pytest.fixture
async def service(lab: Lab) -> AsyncIterator[LabService]:
    """``lab`` served on free loopback ports (GFI, binary, HTTP) with a virtual clock at :data:`LAB_START`."""
    svc = LabService(lab, ServiceConfig(port=0, binary_port=0, http_port=0, clock="virtual", start=LAB_START,
                                        tick_interval=3600))
    await svc.start()
    yield svc
    await svc.stop()


@pytest.fixture
def fresh_lab(tmp_path: Path) -> Iterator[Lab]:
    """A default lab of the test's own (for tests that change what the lab keeps)."""
    lab = open_lab(tmp_path / "lab", synchronous="OFF")
    yield lab
    lab.close()


@pytest.fixture
async def fresh_service(fresh_lab: Lab) -> AsyncIterator[LabService]:
    """``fresh_lab`` served like ``service``."""
    svc = LabService(fresh_lab, ServiceConfig(port=0, binary_port=0, http_port=0, clock="virtual", start=LAB_START,
                                              tick_interval=3600))
    await svc.start()
    yield svc
    await svc.stop()
