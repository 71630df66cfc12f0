"""An owner searches assistants, filters them, picks their task to see the matcher's fit,
and invites and messages one from the results."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import BAKERY_TASK, log_in, post_bakery_task
from tests.factories import make_assistant, make_owner

pytestmark = pytest.mark.browser


def people(live_server) -> None:
    session = live_server.app.extensions["db"].sessionmaker()
    try:
        make_owner(session, display_name="Dana Baker", email="dana@bakery.example")
        make_assistant(
            session, display_name="Joy Santos", email="joy@va.example",
            headline="QuickBooks bookkeeper for bakeries", skills=["QuickBooks", "bookkeeping"],
            bio="Seven years of reconciling bank feeds.", hours_per_week=25,
            hourly_rate_cents=2500,
        )  # fmt: skip
        make_assistant(
            session, display_name="Kim Part-Time", headline="QuickBooks help, a few hours",
            skills=["QuickBooks"], hours_per_week=5, hourly_rate_cents=2000,
        )  # fmt: skip
        make_assistant(
            session, display_name="Ben Inbox", headline="Inbox and calendar manager",
            skills=["Gmail"], bio="Inbox zero for founders.", hours_per_week=40,
        )  # fmt: skip
        session.commit()
    finally:
        session.close()


def test_owner_searches_filters_and_invites_from_the_results(live_server, new_page):
    people(live_server)
    owner = new_page()
    log_in(owner, live_server, "dana@bakery.example")
    owner.goto(f"{live_server}/tasks/new")
    post_bakery_task(owner)  # ranked by the matcher after commit, as always

    owner.click("nav >> text=Find assistants")
    expect(owner.locator("h1")).to_have_text("Find assistants")
    owner.fill("#q", "quickbooks")
    owner.click("button:has-text('Search')")
    results = owner.get_by_test_id("talent-result")
    expect(results).to_have_count(2)
    expect(owner.get_by_text("Ben Inbox")).to_have_count(0)

    owner.fill("#min_hours", "20")
    owner.select_option("#task", label=BAKERY_TASK["title"])
    owner.click("button:has-text('Search')")
    expect(results).to_have_count(1)
    joy = results.first
    expect(joy).to_contain_text("Joy Santos")
    expect(joy).to_contain_text("$25/h")
    expect(joy).to_contain_text(re.compile(r"\d\d:\d\d Manila \(UTC\+8\) now"))
    expect(joy).to_contain_text("New on Delegate, no reviews yet")
    expect(joy).to_contain_text(re.compile(r"\d+% match"))
    expect(joy.get_by_test_id("fit")).to_contain_text("Skills you asked for: has QuickBooks")
    expect(joy).not_to_contain_text("joy@va.example")

    joy.get_by_role("button", name="Invite Joy Santos").click()
    expect(owner.get_by_text("Invitation sent.")).to_be_visible()
    owner.go_back()
    owner.reload()
    joy = owner.get_by_test_id("talent-result").first
    expect(joy.locator(".invited")).to_have_text("Invited")

    # Message from the results: the conversation about the chosen task.
    joy.get_by_role("button", name="Message Joy Santos").click()
    expect(owner).to_have_url(re.compile(r"/messages/\d+$"))
    expect(owner.locator("h1")).to_have_text("Joy Santos")
    expect(owner.locator(".conversation .meta a", has_text=BAKERY_TASK["title"])).to_be_visible()
