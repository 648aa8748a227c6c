"""Real headless Chromium (Debian's package) driven by Playwright, against pytest-django's
live server. Browser tests fail (not skip) when Chromium is missing: `make test` installs it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the tests to
# prepare data are still ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    path = os.environ.get("KEEPFAITH_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail(
            "Chromium not found: install Debian's chromium (make test does) "
            "or set KEEPFAITH_CHROMIUM"
        )
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium per worker, for the rest of its session.

    While Playwright's event loop runs in this thread, Django sees an async thread and keeps
    its database connections apart from the ones opened before (asgiref's thread-critical
    ``Local``): every test after the first browser test uses that second set. So the first
    set is closed before the loop starts (else it stays open, unseen, all session: on SQLite
    it kept the process's lock count up while its locks were gone), and the second is closed
    while the loop still runs (else it outlives the test database: on PostgreSQL, "database
    ... is being accessed by other users" when pytest-django drops it).
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            connections.close_all()
            instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def public_site(live_server: Any, settings: Any) -> str:
    """The live server as the site's public address: links in mail point at it, as in a
    deployment whose KEEPFAITH_PUBLIC_URL is where it serves."""
    settings.PUBLIC_URL = live_server.url
    return str(live_server.url)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def full_page_screenshot(page: Any, path: Path | str) -> None:
    """A full-page screenshot for people to look at (the checks read the page itself).
    Headless Chromium's compositor now and then cannot produce the frame
    (Page.captureScreenshot: "Unable to capture screenshot", a known Chromium failure, seen
    here once in CI with both cores busy, on a page that captures fine alone): the capture is
    asked once more after the next frame; a second failure fails the test."""
    from playwright.sync_api import Error

    try:
        page.screenshot(path=str(path), full_page=True)
    except Error as error:
        if "Unable to capture screenshot" not in str(error):
            raise
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => done(null)))")
        page.screenshot(path=str(path), full_page=True)
