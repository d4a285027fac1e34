"""Real-browser tests: Debian's Chromium driven by Playwright (no browser is ever downloaded).

The browser is the system one (``chromium`` on the PATH, e.g. ``apt-get install chromium``),
launched headless with ``--no-sandbox`` when the tests run as root. Without Chromium or the
``playwright`` package the tests skip with the reason; ``.ci/run`` installs Chromium so CI runs
them. Each test saves screenshots under ``test-artifacts/screenshots/`` at the repository root.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"


def chromium_path() -> str | None:
    """The system Chromium, or None."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless system Chromium shared by one module's browser tests.

    Module scope, not session: Playwright's sync API runs an event loop in the test thread while it
    is open, and the asyncio tests of other modules need the thread without one.
    """
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    args = ["--disable-dev-shm-usage"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium refuses to sandbox as root
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=args)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page; console errors fail the test."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    try:
        yield page
    finally:
        context.close()


def save_screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as ``test-artifacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """``screenshot(page, name)``: save the page under ``test-artifacts/screenshots/<name>.png``."""
    return save_screenshot
