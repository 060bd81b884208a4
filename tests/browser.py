"""Playwright on Debian's chromium, against pytest-django's ``live_server``.

``tests/conftest.py`` imports these fixtures once for the whole suite (one chromium per
session; importing them again elsewhere would start a second Playwright and fail). Mark the tests ``@pytest.mark.browser``. ``browser_page`` is a page whose relative URLs
(``page.goto("/questions/")``) go to the live server; ``new_browser_page()`` opens another page
in a fresh context (its own cookies), for a second signed-in person. The tests skip with a clear
message when chromium or Playwright is missing.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# Debian's package; Playwright's own browser downloads are not used (no downloads at run time).
CHROMIUM = Path(os.environ.get("GLEANER_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless chromium for the whole session."""
    if not CHROMIUM.exists():
        pytest.skip(f"chromium not found at {CHROMIUM}: install Debian's chromium package (or set GLEANER_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install the project's dev extras")
    # Playwright's sync API keeps an asyncio loop running in this thread, and Django refuses ORM
    # calls from a thread with a running loop. Tests here are synchronous, so the guard is moot.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    manager = sync_playwright().start()
    try:
        launched = manager.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()
    finally:
        manager.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_browser_page(browser, live_server) -> Iterator[Callable[[], Page]]:
    """Factory: each call opens a page in a fresh browser context aimed at the live server."""
    contexts = []

    def make():
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(new_browser_page) -> Page:
    """A page in its own context; ``page.goto("/path/")`` reaches the live server."""
    return new_browser_page()


def in_browser(base_url: str, scenario) -> None:
    """Run ``scenario(page)`` in a fresh headless chromium, in a thread without an event loop.

    For tests that need their own Playwright: once another test has used the session-wide
    ``browser`` fixture, its sync loop runs in the main thread and a second one cannot start there.
    """
    if not CHROMIUM.exists():
        pytest.skip(f"chromium not found at {CHROMIUM}: install Debian's chromium package (or set GLEANER_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install the project's dev extras")

    def job() -> None:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            try:
                context = browser.new_context(base_url=base_url, locale="en-US")
                context.set_default_timeout(TIMEOUT_MS)
                scenario(context.new_page())
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(job).result()
