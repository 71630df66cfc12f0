"""A message the page's script sends past a limit says why, under the box, and keeps what was
typed; the page does not reload and nothing fails silently."""

import pytest
from playwright.sync_api import expect

from tests.browser.steps import log_in, message_from_profile
from tests.factories import make_assistant, make_owner, make_task

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server_config():
    return {
        "MESSAGE_POLL_SECONDS": 1,
        "MESSAGE_POST_LIMITS": "2 per minute",  # per sender, in the database
        "MESSAGE_IP_RATE_LIMIT": "3 per minute",  # per IP: both browsers are 127.0.0.1
    }


def people(live_server):
    session = live_server.app.extensions["db"].sessionmaker()
    try:
        owner = make_owner(session, display_name="Dana Baker", email="dana@bakery.example")
        make_task(session, owner, title="Reconcile our QuickBooks")
        va = make_assistant(session, display_name="Joy Santos", email="joy@va.example")
        session.commit()
        return va.id
    finally:
        session.close()


def test_a_message_past_a_limit_says_why_and_keeps_the_text(live_server, new_page):
    from marketplace.extensions import limiter

    limiter.reset()
    va_id = people(live_server)
    owner = new_page()
    log_in(owner, live_server, "dana@bakery.example")
    conversation_url = message_from_profile(owner, live_server, va_id)
    owner.evaluate("window.stillTheSamePage = true")  # gone if the page reloads

    for text in ["First question", "Second question"]:
        owner.fill("#body", text)
        owner.click("button:has-text('Send')")
        expect(owner.locator(".message-body").last).to_have_text(text)
        expect(owner.locator("#body")).to_have_value("")
    owner.fill("#body", "A third, too soon")
    owner.click("button:has-text('Send')")
    error = owner.locator("#message-error")
    expect(error).to_contain_text("You have sent 2 messages in a short time")
    expect(error).to_contain_text("You can send this one in")
    expect(owner.locator("#body")).to_have_value("A third, too soon")
    expect(owner.locator(".message-body")).to_have_count(2)

    # The assistant, on the same network: the third post from it was the owner's.
    va = new_page()
    log_in(va, live_server, "joy@va.example")
    va.goto(conversation_url)
    expect(va.locator(".message-body")).to_have_count(2)
    va.fill("#body", "Thanks, answering now")
    va.click("button:has-text('Send')")
    expect(va.locator("#message-error")).to_contain_text(
        "Too many messages sent from your network. You can try again in"
    )
    expect(va.locator("#body")).to_have_value("Thanks, answering now")
    assert owner.evaluate("window.stillTheSamePage") is True
