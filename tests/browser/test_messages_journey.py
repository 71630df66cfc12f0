"""Owner and assistant talk in two browsers: what the owner sends appears on the
assistant's open conversation without a reload, escaped, with its https link clickable."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import log_in
from tests.factories import make_assistant, make_owner, make_task

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server_config():
    return {"MESSAGE_POLL_SECONDS": 1}


def people(live_server):
    session = live_server.app.extensions["db"].sessionmaker()
    try:
        owner = make_owner(session, display_name="Dana Baker", email="dana@bakery.example")
        task = make_task(session, owner, title="Reconcile our QuickBooks")
        va = make_assistant(session, display_name="Joy Santos", email="joy@va.example")
        session.commit()
        return task.id, va.id
    finally:
        session.close()


def test_the_assistant_sees_the_owners_message_without_a_reload(live_server, new_page):
    task_id, va_id = people(live_server)

    owner = new_page()
    log_in(owner, live_server, "dana@bakery.example")
    owner.goto(f"{live_server}/assistants/{va_id}")
    owner.click("button:has-text('Message about this task')")
    expect(owner).to_have_url(re.compile(r"/messages/\d+$"))
    conversation_url = owner.url

    va = new_page()
    log_in(va, live_server, "joy@va.example")
    va.goto(f"{live_server}/messages")
    va.click("a:has-text('Dana Baker')")
    expect(va).to_have_url(conversation_url)
    expect(va.get_by_text("No messages yet")).to_be_visible()
    va.evaluate("window.stillTheSamePage = true")  # gone if the page reloads

    owner.fill(
        "#body", "Hi Joy <script>window.pwned = 1</script> the guide: https://docs.example.com/qb"
    )
    owner.click("button:has-text('Send')")
    expect(owner.locator(".message-body")).to_have_count(1)

    body = va.locator(".message-body")
    expect(body).to_contain_text("Hi Joy <script>window.pwned = 1</script> the guide:")
    link = body.locator("a")
    expect(link).to_have_attribute("href", "https://docs.example.com/qb")
    expect(link).to_have_attribute("rel", "nofollow noopener")
    assert va.evaluate("window.stillTheSamePage") is True
    assert va.evaluate("window.pwned === undefined") is True
    expect(va.get_by_text("No messages yet")).to_have_count(0)

    # Seen on screen: read, so the owner's reply count and the nav badge agree.
    va.goto(f"{live_server}/messages")
    expect(va.locator(".nav-messages .badge")).to_have_count(0)
