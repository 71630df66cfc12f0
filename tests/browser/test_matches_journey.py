"""Owner posts, sees recommended assistants with reasons and invites one; the assistant finds
the job under "Jobs for you" and the invitation arrives by real SMTP."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import post_bakery_task, save_profile, sign_up

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server_config(smtp_server):  # noqa: F811
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port, "SMTP_TIMEOUT": 5}


def test_owner_invites_a_recommended_assistant_who_gets_the_job_and_the_email(
    live_server,
    new_page,
    mailbox,  # noqa: F811
):
    va = new_page()
    sign_up(
        va,
        live_server,
        role="assistant",
        name="Joy Santos",
        email="joy@va.example",
        mailbox=mailbox,
    )
    # Manila evenings overlap New York mornings.
    save_profile(
        va,
        skills="QuickBooks, bookkeeping, Xero",
        rate="25",
        start="20:00",
        end="04:00",
        bio="Seven years of reconciling bank feeds in QuickBooks for bakeries and cafés.",
    )

    owner = new_page()
    sign_up(
        owner,
        live_server,
        role="owner",
        name="Dana Baker",
        email="dana@bakery.example",
        mailbox=mailbox,
    )
    post_bakery_task(owner, overlap_hours="2")

    recommended = owner.locator("#recommended")
    expect(recommended.locator("h2")).to_have_text("Recommended assistants")
    first = recommended.locator(".recommendation").first
    expect(first).to_contain_text("Joy Santos")
    expect(first).to_contain_text("% match")
    expect(first).to_contain_text("Skills you asked for: has QuickBooks, bookkeeping")
    expect(first).to_contain_text("Rate: $25/h; about 8 h comes to $200 of your $240 budget")
    expect(first).to_contain_text(re.compile(r"New York \(UTC-[45]\) = "))
    expect(first).to_contain_text("Manila (UTC+8)")
    first.get_by_role("button", name="Invite Joy Santos").click()
    expect(owner.get_by_text("Invitation sent.")).to_be_visible()
    expect(owner.locator("#recommended .invited").first).to_have_text("Invited")

    va.click("text=Jobs for you")
    job = va.locator(".match").first
    expect(job).to_contain_text("Reconcile our QuickBooks every month")
    expect(job).to_contain_text("Dana Baker invited you to apply.")
    expect(job).to_contain_text("Your skills the task asks for: QuickBooks, bookkeeping")

    invitations = [m for m in mailbox.to("joy@va.example") if "invites you" in m["Subject"]]
    assert len(invitations) == 1
    text = invitations[0].get_body(("plain",)).get_content()
    assert "Reconcile our QuickBooks every month" in text
    apply_link = re.search(r"Apply: (\S+)", text).group(1)
    assert apply_link.startswith(live_server)
    va.goto(apply_link)
    expect(va.locator("#cover_note")).to_be_visible()
