"""The first journey a newcomer takes, in a real browser on a phone-sized screen."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def sign_up(page, base, *, role, name, email):
    page.goto(f"{base}/signup")
    page.check(f"input[name=role][value={role}]")
    page.fill("#display_name", name)
    page.fill("#email", email)
    page.fill("#password", "a long enough password")
    page.fill("#timezone", "America/New_York" if role == "owner" else "Asia/Manila")
    page.click("button:has-text('Sign up')")


def test_owner_posts_assistant_finds_and_applies_owner_reads(live_server, new_page):
    owner = new_page()
    sign_up(owner, live_server, role="owner", name="Dana Baker", email="dana@bakery.example")
    expect(owner).to_have_url(re.compile(r"/tasks/new$"))
    owner.fill("#title", "Reconcile our QuickBooks every month")
    owner.fill("#description", "We are a two-shop bakery. Reconcile bank feeds and send a P&L.")
    owner.fill("#skills", "QuickBooks, bookkeeping")
    owner.select_option("#category", "bookkeeping")
    owner.check("input[name=engagement][value=one_off]")
    owner.fill("#estimated_hours", "8")
    owner.check("input[name=budget_type][value=fixed]")
    owner.fill("#budget", "240")
    owner.click("button:has-text('Post task')")
    expect(owner.locator("h1")).to_have_text("Reconcile our QuickBooks every month")
    expect(owner.get_by_text("Your task is posted.")).to_be_visible()

    va = new_page()
    sign_up(va, live_server, role="assistant", name="Joy Santos", email="joy@va.example")
    expect(va).to_have_url(re.compile(r"/profile$"))
    va.fill("#headline", "QuickBooks bookkeeper for small shops")
    va.fill("#bio", "Seven years of bookkeeping for bakeries and cafés.")
    va.fill("#skills", "quickbooks, Bookkeeping, Xero")
    va.fill("#hourly_rate", "28")
    va.fill("#work_start", "08:00")
    va.fill("#work_end", "16:00")
    va.fill("#hours_per_week", "25")
    va.click("button:has-text('Save profile')")
    expect(va.get_by_text("Your profile is saved.")).to_be_visible()

    va.click("text=Find jobs")
    va.fill("input[name=q]", "bakery reconcile")
    va.click("button:has-text('Search')")
    expect(va.get_by_text("1 open job")).to_be_visible()
    va.click("text=Reconcile our QuickBooks every month")
    va.click("a:has-text('Apply')")
    expect(va.locator("#proposed_rate")).to_have_value("28")
    va.fill("#cover_note", "I reconcile bank feeds in QuickBooks for three bakeries today.")
    va.click("button:has-text('Send proposal')")
    expect(va.get_by_text("Your proposal is sent.")).to_be_visible()
    expect(va.locator(".list")).to_contain_text("Reconcile our QuickBooks every month")

    owner.goto(f"{live_server}/dashboard")
    expect(owner.locator(".task-row")).to_contain_text("1 proposal")
    owner.click("text=1 proposal")
    expect(owner.locator(".proposal")).to_contain_text("Joy Santos")
    expect(owner.locator(".proposal")).to_contain_text("I reconcile bank feeds in QuickBooks")
    expect(owner.locator(".proposal")).to_contain_text("$28/h")
