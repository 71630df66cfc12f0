"""What a person does in the browser, step by step, shared by the journeys."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.factories import PASSWORD

BAKERY_TASK = {
    "title": "Reconcile our QuickBooks every month",
    "description": "We are a two-shop bakery. Reconcile bank feeds and send a P&L.",
    "skills": "QuickBooks, bookkeeping",
}


def sign_up(page, base, *, role, name, email):
    page.goto(f"{base}/signup")
    page.check(f"input[name=role][value={role}]")
    page.fill("#display_name", name)
    page.fill("#email", email)
    page.fill("#password", "a long enough password")
    page.fill("#timezone", "America/New_York" if role == "owner" else "Asia/Manila")
    page.click("button:has-text('Sign up')")
    expect(page).to_have_url(re.compile(r"/tasks/new$" if role == "owner" else r"/profile$"))


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
