"""Money end to end in a real browser: the owner pays on the (emulated) Stripe Checkout page,
the assistant onboards to Stripe Connect, the owner approves, both see the payout."""

import pytest
from playwright.sync_api import expect

from marketplace.db import get_session
from marketplace.hiring.services import apply_to_task
from tests.browser.conftest import stripe_settings
from tests.browser.steps import fund_contract, log_in
from tests.factories import make_assistant, make_owner, make_task

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server_config(stripe_for_browser):
    return stripe_settings(stripe_for_browser)


def test_fund_onboard_approve_and_see_the_payout(live_server, new_page, stripe_for_browser):
    stripe_for_browser.configure(webhook_url=f"{live_server}/stripe/webhook", deliver_webhooks=True)
    with live_server.app.app_context():
        session = get_session()
        owner = make_owner(session, email="owner-pay@example.com")
        assistant = make_assistant(session, email="va-pay@example.com", display_name="Joy Santos")
        task = make_task(session, owner, title="Quarterly books")
        apply_to_task(
            session,
            assistant,
            task.id,
            cover_note="I do this every quarter for clients.",
            proposed_rate_cents=3000,
        )
        session.commit()
        task_id = task.id

    owner_page = new_page()
    log_in(owner_page, live_server, "owner-pay@example.com")
    owner_page.goto(f"{live_server}/tasks/{task_id}/proposals")
    owner_page.click("text=Hire Joy Santos")
    owner_page.fill("#hours", "5")
    owner_page.click("button:has-text('Update price')")
    expect(owner_page.locator("[data-testid=total]")).to_have_text("$150")
    expect(owner_page.locator("[data-testid=fee]")).to_have_text("$15")
    expect(owner_page.locator("[data-testid=net]")).to_have_text("$135")
    owner_page.click("button:has-text('Hire and continue to payment')")
    expect(owner_page.locator("[data-testid=status]")).to_have_text("Awaiting funding")
    contract_url = fund_contract(owner_page, "Pay $150 with Stripe")

    va_page = new_page()
    log_in(va_page, live_server, "va-pay@example.com")
    va_page.goto(f"{live_server}/payouts")
    va_page.click("button:has-text('Connect Stripe to get paid')")
    expect(va_page.locator("text=TEST MODE").first).to_be_visible()
    va_page.click("text=Complete onboarding")
    expect(va_page.locator("[data-testid=payout-status]")).to_contain_text("connected")
    va_page.goto(contract_url)
    va_page.fill("#note", "The books are closed for the quarter; the report is in your inbox.")
    va_page.click("button:has-text('Mark work as submitted')")
    expect(va_page.locator("[data-testid=status]")).to_have_text("Work submitted for approval")

    owner_page.goto(contract_url)
    owner_page.once("dialog", lambda dialog: dialog.accept())  # "Approve ... Joy Santos receives"
    owner_page.click("button:has-text('Approve and release payment')")
    expect(owner_page.locator("[data-testid=status]")).to_have_text("Paid out")
    owner_page.goto(f"{live_server}/ledger")
    expect(owner_page.locator("[data-testid=paid-USD]")).to_have_text("$150")

    va_page.goto(f"{live_server}/ledger")
    expect(va_page.locator("tr[data-kind=transfer]")).to_contain_text("$135")
    expect(va_page.locator("[data-testid=paid-USD]")).to_have_text("$135")
