"""Shared set-up for the browser tests: Debian's Chromium driven by Playwright.

Playwright's own browser builds are never downloaded: Debian's Chromium, no sandbox (runs
as root in CI containers), and nothing that phones home. Importing this module skips the
importing test module when Playwright or Chromium is missing, except under CI, where a
missing Chromium is a failure (scripts/test installs it).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect
# Playwright's default of 5 s is tight for a first page load on a busy 2-core CI machine.
expect.set_options(timeout=15_000)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail("/usr/bin/chromium is missing: scripts/test installs it", pytrace=False)
    pytest.skip("/usr/bin/chromium is missing (scripts/test installs it)", allow_module_level=True)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """A headless Chromium, closed at the end of the test."""
    async with playwright_api.async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


class PageErrors:
    """Console errors and uncaught exceptions of a page (CSP violations are the former)."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} at {message.location.get('url')}")
