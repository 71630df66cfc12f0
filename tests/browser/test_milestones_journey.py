"""Fixed work in milestones in a real browser: the owner hires with the price split into two
milestones and pays for the first alone on the (emulated) Stripe Checkout page; the
assistant delivers it, the owner approves it, exactly its share is paid out, and the second
is paid for only then, before the assistant can deliver it."""

import re

import pytest
from playwright.sync_api import expect

from marketplace.db import get_session
from marketplace.hiring.services import apply_to_task
from tests.browser.conftest import stripe_settings
from tests.browser.steps import enter_card, fund_contract, log_in
from tests.factories import make_assistant, make_owner, make_task

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server_config(stripe_for_browser):
    return stripe_settings(stripe_for_browser)


def test_owner_hires_in_two_milestones_and_the_assistant_is_paid_for_the_first(
    live_server, new_page, stripe_for_browser
):
    stripe_for_browser.configure(webhook_url=f"{live_server}/stripe/webhook", deliver_webhooks=True)
    with live_server.app.app_context():
        session = get_session()
        owner = make_owner(session, email="owner-parts@example.com", display_name="Dana Reyes")
        assistant = make_assistant(session, email="va-parts@example.com", display_name="Joy Santos")
        task = make_task(session, owner, title="Year-end books")
        apply_to_task(
            session, assistant, task.id, cover_note="I close books.", proposed_rate_cents=3000
        )
        session.commit()
        task_id = task.id

    owner_page = new_page()
    log_in(owner_page, live_server, "owner-parts@example.com")
    owner_page.goto(f"{live_server}/tasks/{task_id}/proposals")
    owner_page.click("text=Hire Joy Santos")
    owner_page.fill("#hours", "4")
    owner_page.click("button:has-text('Update price')")  # $120
    owner_page.fill("#milestones-0-title", "Reconcile the bank accounts")
    owner_page.fill("#milestones-0-amount", "50")
    owner_page.fill("#milestones-1-title", "File the year-end report")
    owner_page.fill("#milestones-1-amount", "60")
    owner_page.click("button:has-text('Hire and continue to payment')")
    # $50 + $60 is not the $120 shown: nothing is hired, the page says why.
    expect(owner_page.locator("[data-testid=milestone-error]")).to_contain_text(
        "The milestones add up to $110; they must add up to the total of $120."
    )
    owner_page.fill("#milestones-1-amount", "70")
    owner_page.click("button:has-text('Hire and continue to payment')")
    milestone_1 = owner_page.locator("[data-testid=milestone-1]")
    expect(milestone_1).to_contain_text("Reconcile the bank accounts")
    expect(owner_page.locator("[data-testid=milestone-2]")).to_contain_text("$70")
    contract_url = fund_contract(owner_page, "Pay milestone 1 ($50) with Stripe")

    va_page = new_page()
    log_in(va_page, live_server, "va-parts@example.com")
    va_page.goto(f"{live_server}/payouts")
    va_page.click("button:has-text('Connect Stripe to get paid')")
    va_page.click("text=Complete onboarding")
    expect(va_page.locator("[data-testid=payout-status]")).to_contain_text("connected")
    va_page.goto(contract_url)
    va_page.fill("#note", "All four accounts reconciled: https://sheets.example.com/bank")
    va_page.click("button:has-text('Submit milestone 1: Reconcile the bank accounts')")
    expect(
        va_page.locator("[data-testid=milestone-1] [data-testid=milestone-status]")
    ).to_have_text("Submitted for approval")

    owner_page.goto(contract_url)
    expect(owner_page.locator("[data-testid=release-due]")).to_contain_text(
        "it is approved and $45 is paid out to them automatically"
    )
    owner_page.once("dialog", lambda dialog: dialog.accept())  # "... Joy Santos receives $45"
    owner_page.click("button:has-text('Approve milestone 1 and release $50')")
    expect(milestone_1.locator("[data-testid=milestone-status]")).to_have_text("Paid out")
    milestone_2 = owner_page.locator("[data-testid=milestone-2] [data-testid=milestone-status]")
    expect(milestone_2).to_have_text("Awaiting funding")
    expect(owner_page.locator("[data-testid=fund-milestone]")).to_contain_text(
        "Milestone 1 is approved. Fund milestone 2"
    )

    va_page.goto(f"{live_server}/ledger")
    expect(va_page.locator("tr[data-kind=transfer]")).to_have_count(1)
    expect(va_page.locator("tr[data-kind=transfer]")).to_contain_text("$45")
    va_page.goto(contract_url)
    expect(va_page.locator("[data-testid=awaiting-milestone-funding]")).to_contain_text(
        "is waiting for Dana Reyes to fund it"
    )
    expect(va_page.locator("#submit-work")).to_have_count(0)

    owner_page.click("button:has-text('Pay milestone 2 ($70) with Stripe')")
    enter_card(owner_page)
    expect(owner_page).to_have_url(re.compile(r"/contracts/\d+\?checkout=done"))
    expect(milestone_2).to_have_text("Funded", timeout=15000)
    va_page.goto(contract_url)
    expect(
        va_page.locator("button:has-text('Submit milestone 2: File the year-end report')")
    ).to_be_visible()
