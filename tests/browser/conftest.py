"""A live server on a free port and headless Debian Chromium driven by Playwright.

These tests commit for real (the browser talks to another thread), so they get their own
app instance and empty every table afterwards.
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from marketplace import create_app
from tests.db_utils import empty_all_tables

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


class LiveServer(str):
    """The server's base URL (use it like a string), with the app behind it."""

    def __new__(cls, url: str, app):
        instance = super().__new__(cls, url)
        instance.app = app
        return instance


@pytest.fixture
def live_server_config() -> dict:
    """Extra settings for the live app; a test module overrides this fixture to add some."""
    return {}


@pytest.fixture
def live_server(database_url, tmp_path, live_server_config):
    # Bind first, so the app can be told its own address (absolute links, Stripe return URLs).
    server = make_server("127.0.0.1", 0, None, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "browser-test-key",
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOGIN_RATE_LIMIT": "100000 per minute",
            "BASE_URL": base_url,
            # Jobs run in the server after commit, even when CI's REDIS_URL is set.
            "JOBS_BACKEND": "inline",
            **live_server_config,
        }
    )
    app.instance_path = str(tmp_path)
    server.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(base_url, app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        engine = app.extensions["db"].engine
        empty_all_tables(engine)
        engine.dispose()


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
