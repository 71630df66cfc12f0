"""The first journey a newcomer takes, in a real browser on a phone-sized screen."""

import pytest
from playwright.sync_api import expect

from tests.browser.steps import BAKERY_TASK, post_bakery_task, save_profile, sign_up

pytestmark = pytest.mark.browser


def test_owner_posts_assistant_finds_and_applies_owner_reads(live_server, new_page):
    owner = new_page()
    sign_up(owner, live_server, role="owner", name="Dana Baker", email="dana@bakery.example")
    post_bakery_task(owner)
    expect(owner.locator("h1")).to_have_text(BAKERY_TASK["title"])

    va = new_page()
    sign_up(va, live_server, role="assistant", name="Joy Santos", email="joy@va.example")
    save_profile(
        va,
        skills="quickbooks, Bookkeeping, Xero",
        rate="28",
        start="08:00",
        end="16:00",
        bio="Seven years of bookkeeping for bakeries and cafés.",
    )

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
