"""An owner saves a card in a real browser: Settings → Save a card → Stripe's (emulated)
setup page → back on Settings, which shows the card; then replaces it the same way."""

import re
from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from marketplace.db import get_session, utcnow
from tests.browser.conftest import stripe_settings
from tests.browser.steps import log_in
from tests.factories import make_owner

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server_config(stripe_for_browser):
    return stripe_settings(stripe_for_browser)


def enter_card(page, number: str) -> None:
    expect(page.locator("text=TEST MODE").first).to_be_visible()
    expect(page.locator("#setup-summary")).to_contain_text("You will not be charged now")
    page.fill("#cardNumber", number)
    page.fill("#cardExpiry", "12 / 34")
    page.fill("#cardCvc", "123")
    page.click("button:has-text('Save card')")


def test_save_and_replace_a_card_from_settings(live_server, new_page, stripe_for_browser):
    stripe_for_browser.configure(webhook_url=f"{live_server}/stripe/webhook", deliver_webhooks=True)
    with live_server.app.app_context():
        session = get_session()
        make_owner(session, email="owner-card@example.com")
        session.commit()

    page = new_page()
    log_in(page, live_server, "owner-card@example.com")
    page.goto(f"{live_server}/settings")
    expect(page.get_by_test_id("saved-card")).to_have_text("No card saved yet.")
    page.click("button:has-text('Save a card')")
    enter_card(page, "4242 4242 4242 4242")

    expect(page).to_have_url(re.compile(r"/settings$"))
    expect(page.get_by_text("Card saved: Visa ending 4242, expires 12/34.")).to_be_visible()
    expect(page.get_by_test_id("saved-card")).to_have_text("Visa ending 4242, expires 12/34")

    # Stripe orders saved cards by the second they were entered: replace it a minute later.
    with time_machine.travel(utcnow() + timedelta(minutes=1), tick=True):
        page.click("button:has-text('Replace card')")
        enter_card(page, "4000 0027 6000 3184")
        expect(page.get_by_test_id("saved-card")).to_have_text("Visa ending 3184, expires 12/34")
        page.reload()  # the webhooks have come too by now; they change nothing
        expect(page.get_by_test_id("saved-card")).to_have_text("Visa ending 3184, expires 12/34")
