"""A real browser for the dashboard's tests: Playwright driving the system's Chromium.

Browsers cannot be downloaded on these machines (``playwright install`` is never run):
Debian's ``/usr/bin/chromium`` (``apt-get install -y chromium``; ``.ci/run`` installs it when
missing) is launched through ``executable_path``, headless, without the sandbox (containers
lack the namespaces it needs), the GPU or ``/dev/shm``, and with nothing of its own talking to
the network (no background updates, sync, component downloads). Each test gets a new, empty
profile in its own folder. ``WATCHWIRE_CHROMIUM`` names another binary.

A test that finds no Chromium fails under ``CI=true`` and is skipped elsewhere, saying why.
Every page the test opens reports its console errors and uncaught exceptions (``Browser.errors``),
and ``Browser.shot`` writes a screenshot to ``WATCHWIRE_SCREENSHOTS`` (a folder) or to the
test's own ``screenshots`` folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, ConsoleMessage, Error, Page, async_playwright

__all__ = ["ARGS", "Browser", "chromium_path", "open_browser"]

DEFAULT = "/usr/bin/chromium"
ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
)


def chromium_path() -> str:
    """The Chromium binary to drive; fails (CI) or skips (elsewhere) when there is none."""
    wanted = os.environ.get("WATCHWIRE_CHROMIUM", DEFAULT)
    found = shutil.which(wanted) if not os.path.isabs(wanted) else wanted
    if found and os.access(found, os.X_OK):
        return found
    why = (
        f"no Chromium at {wanted}: install Debian's (apt-get install -y chromium) or name one "
        "with WATCHWIRE_CHROMIUM; browsers are never downloaded (no `playwright install`)"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(why)
    pytest.skip(why)


@dataclass
class Browser:
    context: BrowserContext
    screenshots: Path
    errors: list[str] = field(default_factory=list)
    """Console errors and uncaught exceptions of every page opened, as ``url: text``."""

    async def page(self, *, width: int = 1280, height: int = 900) -> Page:
        page = await self.context.new_page()
        await page.set_viewport_size({"width": width, "height": height})

        def console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.errors.append(f"{page.url}: {message.text}")

        def uncaught(error: Error) -> None:
            self.errors.append(f"{page.url}: uncaught {error.message}")

        page.on("console", console)
        page.on("pageerror", uncaught)
        return page

    async def shot(self, page: Page, name: str, *, full_page: bool = True) -> Path:
        self.screenshots.mkdir(parents=True, exist_ok=True)
        path = self.screenshots / f"{name}.png"
        await page.screenshot(path=str(path), full_page=full_page)
        return path


@asynccontextmanager
async def open_browser(folder: Path, *, javascript: bool = True) -> AsyncIterator[Browser]:
    """Chromium with a new profile in ``folder`` (scripts off when ``javascript`` is False);
    closed, its process gone, at the end."""
    executable = chromium_path()
    shots = Path(os.environ.get("WATCHWIRE_SCREENSHOTS") or folder / "screenshots")
    profile = folder / ("chromium-profile" if javascript else "chromium-profile-noscript")
    profile.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(profile),  # Playwright takes the profile folder here, not as --user-data-dir
            executable_path=executable,
            headless=True,
            args=list(ARGS),
            locale="en-GB",
            timezone_id="UTC",
            java_script_enabled=javascript,
        )
        context.set_default_timeout(15_000)
        try:
            yield Browser(context=context, screenshots=shots)
        finally:
            await context.close()
