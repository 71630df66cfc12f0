"""What a person does in the browser, step by step, shared by the journeys."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from tests.factories import PASSWORD

BAKERY_TASK = {
    "title": "Reconcile our QuickBooks every month",
    "description": "We are a two-shop bakery. Reconcile bank feeds and send a P&L.",
    "skills": "QuickBooks, bookkeeping",
}


def sign_up(page, base, *, role, name, email, mailbox=None):
    """Sign up, then open the confirmation link from the email in the same browser. The mail
    is read from the test SMTP server when the live app sends through one (`mailbox`), else
    from the local outbox the app writes to without SMTP."""
    page.goto(f"{base}/signup")
    page.check(f"input[name=role][value={role}]")
    page.fill("#display_name", name)
    page.fill("#email", email)
    page.fill("#password", "a long enough password")
    page.fill("#timezone", "America/New_York" if role == "owner" else "Asia/Manila")
    page.click("button:has-text('Sign up')")
    expect(page.get_by_text(f"We sent a link to {email} to finish signing up")).to_be_visible()
    page.goto(confirmation_link(base, email, mailbox))
    expect(page).to_have_url(re.compile(r"/tasks/new$" if role == "owner" else r"/profile$"))
    expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()


def confirmation_link(base, email: str, mailbox=None, timeout: float = 15.0) -> str:
    return emailed_link(base, email, "/signup/confirm/", mailbox, timeout)


def emailed_link(base, email: str, path: str, mailbox=None, timeout: float = 15.0) -> str:
    """The newest link to `path`… in the mail for `email`, waiting for it (bounded)."""
    link = re.compile(rf"(http://\S+{re.escape(path)}\S+)")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for text in _mail_texts(base, email, mailbox):
            match = link.search(text)
            if match:
                return match.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no email with a {path} link for {email} within {timeout} s")


def _mail_texts(base, email: str, mailbox) -> list[str]:
    if mailbox is not None:
        return [m.get_body(("plain",)).get_content() for m in mailbox.to(email)]
    from marketplace.notifications.models import LocalEmail

    with base.app.app_context():
        session = base.app.extensions["db"].sessionmaker()
        try:
            rows = session.scalars(
                select(LocalEmail.text_body)
                # "Name <address>", or the bare address when the mailbox is not proven yet
                .where(
                    (LocalEmail.recipient == email) | LocalEmail.recipient.endswith(f"<{email}>")
                )
                .order_by(LocalEmail.id.desc())
            )
            return list(rows)
        finally:
            session.close()


def log_in(page, base, email, password=PASSWORD):
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button:has-text('Log in')")


def save_profile(page, *, skills, rate, start, end, bio):
    page.fill("#headline", "QuickBooks bookkeeper for small shops")
    page.fill("#bio", bio)
    page.fill("#skills", skills)
    page.fill("#hourly_rate", rate)
    page.fill("#work_start", start)
    page.fill("#work_end", end)
    page.fill("#hours_per_week", "25")
    page.click("button:has-text('Save profile')")
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()


def post_bakery_task(page, overlap_hours: str = "0"):
    """A one-off, fixed-price ($240, about 8 h) bookkeeping task, from the post-a-task page."""
    for field, value in BAKERY_TASK.items():
        page.fill(f"#{field}", value)
    page.select_option("#category", "bookkeeping")
    page.check("input[name=engagement][value=one_off]")
    page.fill("#estimated_hours", "8")
    page.check("input[name=budget_type][value=fixed]")
    page.fill("#budget", "240")
    page.fill("#overlap_hours", overlap_hours)
    page.click("button:has-text('Post task')")
    expect(page.get_by_text("Your task is posted.")).to_be_visible()


def message_from_profile(page, base, assistant_id: int) -> str:
    """The owner (logged in on `page`) presses "Message about this task" on the assistant's
    profile; returns the conversation's address."""
    page.goto(f"{base}/assistants/{assistant_id}")
    page.click("button:has-text('Message about this task')")
    expect(page).to_have_url(re.compile(r"/messages/\d+$"))
    return page.url


def message_from_recommendation(page, base, task_id: int, name: str) -> str:
    """The owner (logged in on `page`) presses "Message <name>" on that assistant's card among
    their task's recommended assistants; returns the conversation's address."""
    page.goto(f"{base}/tasks/{task_id}")
    card = page.locator("#recommended .recommendation", has_text=name)
    expect(card).to_contain_text("% match")
    card.get_by_role("button", name=f"Message {name}").click()
    expect(page).to_have_url(re.compile(r"/messages/\d+$"))
    return page.url


# A folder: journeys save the finished pages they show there (the PNGs under docs/ come from
# `DELEGATE_SCREENSHOTS=docs pytest tests/browser/test_messages_journey.py
# tests/browser/test_reviews_journey.py`). Unset, nothing is saved.
SCREENSHOTS = "DELEGATE_SCREENSHOTS"


def screenshot(page, name: str) -> None:
    folder = os.environ.get(SCREENSHOTS)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"{name}.png", full_page=True)


def wait_for_status(page, text):
    # Webhooks arrive in the background; the page shows Stripe's word once it has come.
    for _ in range(30):
        if text in page.locator("[data-testid=status]").inner_text():
            return
        page.wait_for_timeout(300)
        page.reload()
    expect(page.locator("[data-testid=status]")).to_have_text(text)


def enter_card(page, number: str = "4242 4242 4242 4242", button: str = "Pay") -> None:
    """On Stripe's hosted page (the emulator's): a card, its expiry and CVC, then the button."""
    expect(page.locator("text=TEST MODE").first).to_be_visible()
    page.fill("#cardNumber", number)
    page.fill("#cardExpiry", "12 / 34")
    page.fill("#cardCvc", "123")
    page.click(f"button:has-text('{button}')")


def fund_contract(page, pay_button: str) -> str:
    """Press the contract page's Pay button and pay with a good card; the contract's address,
    once the webhook has funded it."""
    page.click(f"button:has-text('{pay_button}')")
    enter_card(page)
    expect(page).to_have_url(re.compile(r"/contracts/\d+\?checkout=done"))
    wait_for_status(page, "Funded: work can start")
    return page.url.split("?")[0]
