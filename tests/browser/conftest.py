"""Playwright (Python) driving Debian's Chromium against pytest-django's live server.

Never `playwright install`: the browser is the system's /usr/bin/chromium (./dev test installs it
on a fresh machine). Screenshots go to $KITH_SCREENSHOT_DIR when it is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Error, Page, sync_playwright

CHROMIUM = os.environ.get("KITH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def _english(english) -> None:
    """The browser reads English pages (tests/conftest.py `english`; fast hashing is there too)."""


@pytest.fixture
def browser(live_server, monkeypatch) -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop on this thread; the test's own ORM calls (making
    # fixtures, checking rows) are plain synchronous code, so Django's guard must stand aside.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: install it with `apt-get install -y chromium` "
            "(./dev test does this on a fresh machine)."
        )
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
        except Error as exc:
            pytest.fail(f"Chromium at {CHROMIUM} did not start: {exc}")
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page: Page):
    """screenshot("name") saves a full-page PNG to $KITH_SCREENSHOT_DIR, if set."""
    folder = os.environ.get("KITH_SCREENSHOT_DIR")

    def take(name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    return take
