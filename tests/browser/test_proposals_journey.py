"""Proposals, handled, in two browsers: the owner shortlists one assistant and declines
another with a reason; the declined assistant reads it on their proposals, then edits the
proposal they sent to another task, and the owner sees that it was edited."""

import re

import pytest
from playwright.sync_api import expect

from marketplace.hiring.services import apply_to_task
from tests.browser.steps import log_in
from tests.factories import make_assistant, make_owner, make_task

pytestmark = pytest.mark.browser

REASON = "We went with someone in our own time zone."


def market(live_server) -> tuple[int, int]:
    session = live_server.app.extensions["db"].sessionmaker()
    try:
        owner = make_owner(session, display_name="Dana Baker", email="dana@bakery.example")
        books = make_task(session, owner, title="Reconcile our QuickBooks")
        inbox = make_task(session, owner, title="Tidy the shop inbox")
        joy = make_assistant(session, display_name="Joy Santos", email="joy@va.example")
        bo = make_assistant(session, display_name="Bo Reyes", email="bo@va.example")
        for va, task in ((joy, books), (bo, books), (bo, inbox)):
            apply_to_task(
                session,
                va,
                task.id,
                cover_note=f"{va.display_name} here: I have done this for five shops.",
                proposed_rate_cents=2500,
            )
        session.commit()
        return books.id, inbox.id
    finally:
        session.close()


def test_owner_shortlists_and_declines_the_assistant_reads_it_and_edits_another(
    live_server, new_page
):
    books, inbox = market(live_server)

    owner = new_page()
    log_in(owner, live_server, "dana@bakery.example")
    owner.goto(f"{live_server}/tasks/{books}/proposals")
    joy_card = owner.locator(".proposal", has_text="Joy Santos")
    joy_card.get_by_role("button", name="Shortlist").click()
    expect(owner.get_by_text("Joy Santos is on your short list.")).to_be_visible()
    owner.get_by_role("link", name="Shortlisted (1)").click()
    expect(owner.locator(".proposal")).to_have_count(1)
    expect(owner.locator(".proposal")).to_contain_text("Joy Santos")

    owner.get_by_role("link", name="All (2)").click()
    owner.locator(".proposal", has_text="Bo Reyes").get_by_role("link", name="Decline").click()
    owner.fill("#reason", REASON)
    owner.get_by_role("button", name="Decline the proposal").click()
    expect(owner.get_by_text("You declined Bo Reyes's proposal; they are told.")).to_be_visible()
    bo_card = owner.locator(".proposal", has_text="Bo Reyes")
    expect(bo_card).to_contain_text(REASON)
    expect(bo_card.get_by_role("link", name="Hire Bo Reyes")).to_have_count(0)

    bo = new_page()
    log_in(bo, live_server, "bo@va.example")
    bo.goto(f"{live_server}/proposals")
    declined = bo.locator("li.card", has_text="Reconcile our QuickBooks")
    expect(declined).to_contain_text(f"Their reason: “{REASON}”")
    expect(declined.get_by_role("link", name="Edit")).to_have_count(0)

    bo.locator("li.card", has_text="Tidy the shop inbox").get_by_role("link", name="Edit").click()
    bo.fill("#cover_note", "Bo here: I can also answer the shop's Instagram messages.")
    bo.fill("#proposed_rate", "27.50")
    bo.get_by_role("button", name="Save changes").click()
    expect(bo.get_by_text("Your proposal is updated.")).to_be_visible()
    expect(bo.locator("li.card", has_text="Tidy the shop inbox")).to_contain_text("$27.50/h")

    owner.goto(f"{live_server}/tasks/{inbox}/proposals")
    edited = owner.locator(".proposal", has_text="Bo Reyes")
    expect(edited).to_contain_text("Instagram messages")
    expect(edited).to_contain_text("$27.50/h")
    expect(edited.locator(".edited")).to_contain_text("edited")

    # ...and asks about it in the conversation the proposal opened
    edited.get_by_role("button", name="Message Bo Reyes").click()
    expect(owner).to_have_url(re.compile(r"/messages/\d+$"))
    expect(owner.get_by_text("Tidy the shop inbox").first).to_be_visible()
