"""Fixed work in a real browser: the owner funds on the (emulated) Stripe Checkout page, the
assistant submits with a note, the owner asks for changes, the assistant submits again, the
owner approves and the payout goes out."""

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


def test_fund_submit_ask_for_changes_resubmit_and_approve(
    live_server, new_page, stripe_for_browser
):
    stripe_for_browser.configure(webhook_url=f"{live_server}/stripe/webhook", deliver_webhooks=True)
    with live_server.app.app_context():
        session = get_session()
        owner = make_owner(session, email="owner-changes@example.com", display_name="Dana Reyes")
        assistant = make_assistant(
            session, email="va-changes@example.com", display_name="Joy Santos"
        )
        task = make_task(session, owner, title="Supplier price list")
        apply_to_task(
            session,
            assistant,
            task.id,
            cover_note="I build these weekly.",
            proposed_rate_cents=3000,
        )
        session.commit()
        task_id = task.id

    owner_page = new_page()
    log_in(owner_page, live_server, "owner-changes@example.com")
    owner_page.goto(f"{live_server}/tasks/{task_id}/proposals")
    owner_page.click("text=Hire Joy Santos")
    owner_page.fill("#hours", "4")
    owner_page.click("button:has-text('Update price')")
    owner_page.click("button:has-text('Hire and continue to payment')")
    contract_url = fund_contract(owner_page, "Pay $120 with Stripe")

    va_page = new_page()
    log_in(va_page, live_server, "va-changes@example.com")
    va_page.goto(f"{live_server}/payouts")
    va_page.click("button:has-text('Connect Stripe to get paid')")
    va_page.click("text=Complete onboarding")
    expect(va_page.locator("[data-testid=payout-status]")).to_contain_text("connected")
    va_page.goto(contract_url)
    # Without a note the form comes back saying why, and the work stays in progress.
    va_page.click("button:has-text('Mark work as submitted')")
    expect(va_page.locator("#submit-work .error")).to_have_text(
        "Say what you delivered, so the owner knows what to check."
    )
    expect(va_page.locator("[data-testid=status]")).to_have_text("Funded: work can start")
    va_page.fill("#note", "Price list v1: https://sheets.example.com/prices (tab Suppliers)")
    va_page.click("button:has-text('Mark work as submitted')")
    expect(va_page.locator("[data-testid=status]")).to_have_text("Work submitted for approval")

    owner_page.goto(contract_url)
    note = owner_page.locator("[data-testid=submission-1] [data-testid=submission-note]")
    expect(note).to_contain_text("Price list v1")
    expect(note.locator("a")).to_have_attribute("href", "https://sheets.example.com/prices")
    expect(owner_page.locator("[data-testid=release-due]")).to_contain_text(
        "it is approved and $108 is paid out to them automatically"
    )
    owner_page.fill("#changes", "Please add the delivery days for each supplier.")
    owner_page.click("button:has-text('Ask for changes')")
    expect(owner_page.locator("[data-testid=status]")).to_have_text("Funded: work can start")
    expect(owner_page.locator("[data-testid=submission-1] [data-testid=answer-note]")).to_have_text(
        "Please add the delivery days for each supplier."
    )
    expect(owner_page.locator("button:has-text('Approve and release payment')")).to_have_count(0)

    va_page.goto(contract_url)
    expect(va_page.locator("[data-testid=changes-requested]")).to_contain_text(
        "Dana Reyes asked for changes to submission 1"
    )
    va_page.fill("#note", "v2 adds a delivery-days column for every supplier.")
    va_page.click("button:has-text('Mark work as submitted')")
    expect(va_page.locator("[data-testid=status]")).to_have_text("Work submitted for approval")

    owner_page.goto(contract_url)
    expect(owner_page.locator("[data-testid=submission-2]")).to_contain_text("delivery-days column")
    owner_page.once("dialog", lambda dialog: dialog.accept())  # "Approve ... Joy Santos receives"
    owner_page.click("button:has-text('Approve and release payment')")
    expect(owner_page.locator("[data-testid=status]")).to_have_text("Paid out")
    expect(owner_page.locator("[data-testid=submission-2] [data-testid=answer]")).to_contain_text(
        "Approved by Dana Reyes"
    )
    va_page.goto(f"{live_server}/ledger")
    expect(va_page.locator("tr[data-kind=transfer]")).to_contain_text("$108")
