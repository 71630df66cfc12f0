"""A recurring inbox contract run for three weeks in a real browser, the clock moved by the
test: the owner hires by the hour and saves a card on Stripe's page; the assistant logs time
each week; the owner approves week 1, disputes an entry of week 2 and lets week 3 approve
itself. Three charges, three payouts, receipts right to the cent."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from marketplace.db import get_session
from marketplace.timesheets.runner import run_due
from tests.browser.conftest import stripe_settings
from tests.browser.steps import log_in
from tests.timesheets.helpers import hourly_scene

pytestmark = pytest.mark.browser

MONDAY = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # Sunday evening in Los Angeles


@pytest.fixture
def live_server_config(stripe_for_browser):
    # The journey spans four weeks of the fake clock: stay logged in throughout.
    return {**stripe_settings(stripe_for_browser), "LOGIN_SESSION_DAYS": 60}


def weekly_clock(live_server) -> None:
    """What the periodic job (or cron's `flask timesheets run`) does every few minutes."""
    with live_server.app.app_context():
        session = get_session()
        run_due(session)
        session.commit()


def log_day(page, day: str, hours: str, minutes: str, memo: str) -> None:
    page.fill("#work_date", day)
    page.fill("#hours", hours)
    page.fill("#minutes", minutes)
    page.fill("#memo", memo)
    page.click("button:has-text('Log time')")
    expect(page.locator(".flash-success")).to_contain_text("Logged")


def open_week(page, time_url: str, week: str) -> None:
    page.goto(time_url)
    page.locator(f"[data-testid=week-{week}] h3 a").click()


def test_three_weeks_of_an_hourly_inbox_contract(
    live_server, new_page, stripe_for_browser, time_machine
):
    stripe_for_browser.configure(webhook_url=f"{live_server}/stripe/webhook", deliver_webhooks=True)
    time_machine.move_to(MONDAY, tick=True)
    with live_server.app.app_context():
        session = get_session()
        owner, assistant, proposal = hourly_scene(session)
        session.commit()
        task_id, owner_email, va_email = proposal.task_id, owner.email, assistant.email
        va_name = assistant.display_name

    owner_page = new_page()
    log_in(owner_page, live_server, owner_email)
    owner_page.goto(f"{live_server}/tasks/{task_id}/proposals")
    owner_page.click(f"text=Hire {va_name}")
    expect(owner_page.locator("input[name=kind][value=hourly]")).to_be_checked()
    expect(owner_page.locator("label[for=hours]")).to_have_text("Weekly limit (hours)")
    expect(owner_page.locator("[data-testid=total]")).to_have_text("$250")
    owner_page.click("button:has-text('Hire by the hour')")
    expect(owner_page.locator("[data-testid=status]")).to_have_text("Active: time is billed weekly")
    contract_url = owner_page.url
    expect(owner_page.locator("[data-testid=needs-card]")).to_be_visible()
    owner_page.click("[data-testid=needs-card] a")
    owner_page.click("button:has-text('Save a card')")
    expect(owner_page.locator("text=TEST MODE").first).to_be_visible()
    owner_page.fill("#cardNumber", "4242 4242 4242 4242")
    owner_page.fill("#cardExpiry", "12 / 34")
    owner_page.fill("#cardCvc", "123")
    owner_page.click("button:has-text('Save card')")
    expect(owner_page.locator("[data-testid=saved-card]")).to_contain_text(
        "ending 4242", timeout=15000
    )

    va_page = new_page()
    log_in(va_page, live_server, va_email)
    va_page.goto(f"{live_server}/payouts")
    va_page.click("button:has-text('Connect Stripe to get paid')")
    va_page.click("text=Complete onboarding")
    expect(va_page.locator("[data-testid=payout-status]")).to_contain_text("connected")
    va_page.goto(contract_url)
    va_page.click("[data-testid=time-link]")
    time_url = va_page.url

    # Week 1: 5 h 30 min, approved as logged.
    time_machine.move_to(datetime(2026, 12, 9, 4, 0, tzinfo=UTC), tick=True)
    va_page.goto(time_url)
    log_day(va_page, "2026-12-07", "3", "0", "Inbox to zero, drafted 14 replies")
    log_day(va_page, "2026-12-08", "2", "30", "Calendar: moved the supplier calls")
    expect(va_page.locator("[data-testid=week-total]")).to_have_text("5 h 30 min")
    # Closes at Monday 00:00 for the owner in Los Angeles, 16:00 in Manila.
    expect(va_page.locator("[data-testid=week-closes]")).to_contain_text(
        "Mon 14 Dec, 16:00 Manila (UTC+8) for you, Mon 14 Dec, 00:00 Los Angeles (UTC-8)"
    )
    time_machine.move_to(datetime(2026, 12, 14, 8, 1, tzinfo=UTC), tick=True)
    weekly_clock(live_server)
    open_week(owner_page, time_url, "2026-12-07")
    expect(owner_page.locator("[data-testid=review-due]")).to_contain_text("Sat 19 Dec, 00:00")
    owner_page.click("button:has-text('Approve the ticked time')")
    expect(owner_page.locator("[data-testid=status]")).to_have_text("Paid out")
    expect(owner_page.locator("[data-testid=total]")).to_have_text("$137.50")

    # Week 2: two 2-hour days; the owner disputes Tuesday.
    time_machine.move_to(datetime(2026, 12, 16, 4, 0, tzinfo=UTC), tick=True)
    va_page.goto(time_url)
    log_day(va_page, "2026-12-14", "2", "0", "Inbox and invoices")
    log_day(va_page, "2026-12-15", "2", "0", "Travel booking research")
    time_machine.move_to(datetime(2026, 12, 21, 8, 1, tzinfo=UTC), tick=True)
    weekly_clock(live_server)
    open_week(owner_page, time_url, "2026-12-14")
    owner_page.uncheck("input[aria-label='Approve Tue 15 Dec']")
    owner_page.fill(
        "input[aria-label='Reason for Tue 15 Dec']", "I did not ask for travel research"
    )
    owner_page.click("button:has-text('Approve the ticked time')")
    expect(owner_page.locator("[data-testid=status]")).to_have_text("Paid out")
    expect(owner_page.locator("[data-testid=approved]")).to_have_text("2 h")
    expect(owner_page.locator("[data-testid=total]")).to_have_text("$50")

    # Week 3: 4 hours, no answer from the owner: approved five days after the close.
    time_machine.move_to(datetime(2026, 12, 23, 4, 0, tzinfo=UTC), tick=True)
    va_page.goto(time_url)
    log_day(va_page, "2026-12-21", "4", "0", "Year-end inbox sweep")
    time_machine.move_to(datetime(2026, 12, 28, 8, 1, tzinfo=UTC), tick=True)
    weekly_clock(live_server)
    time_machine.move_to(datetime(2026, 12, 28, 8, 1, tzinfo=UTC) + timedelta(days=5), tick=True)
    weekly_clock(live_server)

    owner_page.goto(time_url)
    for week in ("2026-12-07", "2026-12-14", "2026-12-21"):
        expect(
            owner_page.locator(f"[data-testid=week-{week}] [data-testid=week-status]")
        ).to_have_text("Paid out")
    open_week(owner_page, time_url, "2026-12-21")
    expect(owner_page.locator("[data-testid=approved]")).to_have_text("4 h (automatically)")
    owner_page.click("[data-testid=receipt-link]")
    expect(owner_page.locator("[data-testid=receipt-line]")).to_have_text("4 h × $25/h")
    expect(owner_page.locator("[data-testid=receipt-total]")).to_have_text("$100 USD")

    va_page.goto(f"{live_server}/ledger")
    payouts = va_page.locator("tr[data-kind=transfer]")
    expect(payouts).to_have_count(3)
    for amount in ("$123.75", "$45", "$90"):
        expect(va_page.locator("tr[data-kind=transfer]", has_text=amount)).to_have_count(1)
    owner_page.goto(f"{live_server}/ledger")
    expect(owner_page.locator("[data-testid=paid-USD]")).to_have_text("$287.50")
    assert re.search(r"/contracts/\d+$", contract_url)
