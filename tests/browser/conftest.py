"""A live server on a free port and headless Debian Chromium driven by Playwright.

These tests commit for real (the browser talks to another thread), so they get their own
app instance and empty every table afterwards (the live server is in tests/live_server.py).
"""

from __future__ import annotations

import os
import shutil

import pytest

from devtools.stripe_emulator import run_in_thread
from tests.stripe_support import API_KEY, SECRET, http

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium_browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}; install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium_browser):
    """Opens pages; every journey also fails on a Content-Security-Policy violation (an inline
    style or script the policy blocks is a broken page). A test that provokes one on purpose
    reads and empties ``new_page.csp_errors``."""
    contexts = []
    csp_errors: list[str] = []

    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            csp_errors.append(f"{message.page.url if message.page else '?'}: {message.text}")

    def open_page():
        context = chromium_browser.new_context(viewport={"width": 412, "height": 915})
        context.set_default_timeout(15_000)
        context.on("console", on_console)
        contexts.append(context)
        return context.new_page()

    open_page.csp_errors = csp_errors
    yield open_page
    for context in contexts:
        context.close()
    assert not csp_errors, "Content-Security-Policy violations:\n" + "\n".join(csp_errors)


@pytest.fixture
def stripe_for_browser():
    """The Stripe emulator for a journey in the browser, retrying webhooks quickly."""
    handle = run_in_thread(port=0, webhook_secret=SECRET, retry_delays=[0.2, 0.5, 1.0])
    http("POST", f"{handle.base_url}/_emulator/reset")
    yield handle
    handle.stop()


def stripe_settings(handle) -> dict:
    """The live app's settings for paying through `handle` (a module's live_server_config)."""
    return {
        "STRIPE_SECRET_KEY": API_KEY,
        "STRIPE_WEBHOOK_SECRET": SECRET,
        "STRIPE_API_BASE": handle.base_url,
    }
