"""The hosted checkout and onboarding pages driven by headless Chromium."""

from __future__ import annotations

import concurrent.futures
import os
import uuid

import pytest
from stripe_emulator_helpers import checkout_params

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and os.environ.get("CI") != "true",
        reason="needs Debian's chromium at /usr/bin/chromium",
    ),
]


def _in_own_thread(journey):
    """Run ``journey(page)`` with a private Playwright in a fresh thread.

    Playwright's sync API refuses to start on a thread whose asyncio loop is
    already taken, e.g. by another suite's session-wide ``sync_playwright()``
    (tests/browser keeps one open); a dedicated thread is always free.
    """
    from playwright.sync_api import sync_playwright

    def run():
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            try:
                journey(browser.new_page())
            finally:
                browser.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(run).result(timeout=120)


def test_browser_pays_checkout_and_onboards(stripe_client, sink):
    _in_own_thread(lambda page: _journey(page, stripe_client, sink))


def _journey(chromium_page, stripe_client, sink):
    contract = uuid.uuid4().hex[:8]
    session = stripe_client.v1.checkout.sessions.create(params=checkout_params(contract, sink.url))
    chromium_page.goto(session.url)
    assert chromium_page.locator("#test-mode-banner").inner_text() == (
        "TEST MODE — Delegate Stripe emulator"
    )

    chromium_page.fill("#cardNumber", "4000 0000 0000 0002")
    chromium_page.fill("#cardExpiry", "12 / 34")
    chromium_page.fill("#cardCvc", "123")
    chromium_page.get_by_role("button", name="Pay").click()
    assert chromium_page.locator("#card-errors").inner_text() == "Your card was declined."

    chromium_page.fill("#cardNumber", "4242 4242 4242 4242")
    chromium_page.get_by_role("button", name="Pay").click()
    chromium_page.wait_for_url(f"{sink.url}/success?session_id={session.id}")
    assert chromium_page.locator("#landed").is_visible()
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    sink.wait_for("checkout.session.completed", lambda o: o.id == session.id)

    acct = stripe_client.v1.accounts.create(
        params={
            "type": "express",
            "country": "US",
            "capabilities": {"transfers": {"requested": True}},
        }
    )
    link = stripe_client.v1.account_links.create(
        params={
            "account": acct.id,
            "refresh_url": sink.url + "/refresh",
            "return_url": sink.url + "/return",
            "type": "account_onboarding",
        }
    )
    chromium_page.goto(link.url)
    chromium_page.get_by_role("button", name="Complete onboarding").click()
    chromium_page.wait_for_url(sink.url + "/return")
    assert stripe_client.v1.accounts.retrieve(acct.id).payouts_enabled is True
