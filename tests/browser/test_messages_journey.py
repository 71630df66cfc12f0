"""Owner and assistant talk in two browsers. The owner presses Message on a recommended
assistant's card (or on the profile); what the owner sends appears on the assistant's open
conversation without a reload, escaped, with its https link clickable; the assistant's reply
with a file appears likewise and downloads intact; a stranger gets 404 on both."""

import re

import pytest
from playwright.sync_api import expect

from marketplace.jobs import run_job
from tests.browser.steps import (
    log_in,
    message_from_profile,
    message_from_recommendation,
    screenshot,
)
from tests.factories import make_assistant, make_owner, make_task
from tests.messages import files

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server_config():
    return {"MESSAGE_POLL_SECONDS": 1, "ATTACHMENT_MAX_BYTES": 64 * 1024}


def people(live_server):
    """Dana's task, ranked by the real matcher (the job posting a task queues), so Joy is
    among its recommended assistants."""
    session = live_server.app.extensions["db"].sessionmaker()
    try:
        owner = make_owner(session, display_name="Dana Baker", email="dana@bakery.example")
        task = make_task(session, owner, title="Reconcile our QuickBooks")
        va = make_assistant(session, display_name="Joy Santos", email="joy@va.example")
        session.commit()
        task_id, va_id = task.id, va.id
    finally:
        session.close()
    run_job(live_server.app, "matches.match_task", (task_id,))
    return task_id, va_id


def test_the_assistant_sees_the_owners_message_without_a_reload(live_server, new_page):
    task_id, va_id = people(live_server)

    owner = new_page()
    log_in(owner, live_server, "dana@bakery.example")
    conversation_url = message_from_profile(owner, live_server, va_id)

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


def test_from_a_recommendation_to_a_downloaded_reply_and_a_stranger_cannot(
    live_server, new_page, tmp_path
):
    task_id, va_id = people(live_server)
    session = live_server.app.extensions["db"].sessionmaker()
    try:
        make_owner(session, display_name="Eve Stranger", email="eve@elsewhere.example")
        session.commit()
    finally:
        session.close()
    invoice = files.pdf("November invoice, 12 hours")

    owner = new_page()
    log_in(owner, live_server, "dana@bakery.example")
    conversation_url = message_from_recommendation(owner, live_server, task_id, "Joy Santos")

    va = new_page()
    log_in(va, live_server, "joy@va.example")
    va.goto(f"{live_server}/messages")
    va.click("a:has-text('Dana Baker')")
    expect(va).to_have_url(conversation_url)
    va.evaluate("window.stillTheSamePage = true")  # gone if the page reloads

    owner.fill("#body", "Could you send me November's invoice?")
    owner.click("button:has-text('Send')")
    expect(owner.locator(".message-body")).to_have_count(1)
    owner.evaluate("window.stillTheSamePage = true")
    expect(va.get_by_text("Could you send me November's invoice?")).to_be_visible()
    assert va.evaluate("window.stillTheSamePage") is True
    # A renamed program first: refused under the picker, the text kept, nothing sent.
    va.fill("#body", "Here it is.")
    va.set_input_files(
        "#files",
        files=[{"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": files.exe()}],
    )
    va.click("button:has-text('Send')")
    expect(va.locator("#message-error")).to_contain_text("“invoice.pdf” is not a PDF inside")
    expect(va.locator("#body")).to_have_value("Here it is.")
    expect(va.locator(".attachment")).to_have_count(0)
    # Too large: said at once, before anything is uploaded.
    big = files.pdf() + b"0" * (65 * 1024)
    va.set_input_files(
        "#files", files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": big}]
    )
    va.click("button:has-text('Send')")
    expect(va.locator("#message-error")).to_contain_text(
        "“scan.pdf” is too large to send. Each file can be at most 64 kB"
    )
    expect(va.locator("#body")).to_have_value("Here it is.")
    expect(va.locator(".attachment")).to_have_count(0)

    va.set_input_files(
        "#files",
        files=[
            {"name": "Invoice – November.pdf", "mimeType": "application/pdf", "buffer": invoice}
        ],
    )
    va.click("button:has-text('Send')")
    expect(va.locator(".attachment")).to_have_text("Invoice – November.pdf")
    expect(va.locator("#message-error")).to_have_count(0)
    expect(va.locator("#body")).to_have_value("")

    # The owner's open page shows it without a reload, and the file downloads intact.
    link = owner.locator(".attachment")
    expect(link).to_have_text("Invoice – November.pdf")
    assert owner.evaluate("window.stillTheSamePage") is True
    with owner.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "Invoice – November.pdf"
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == invoice
    file_url = f"{live_server}{link.get_attribute('href')}"
    screenshot(owner, "conversation-owner")
    screenshot(va, "conversation-assistant")

    stranger = new_page()
    log_in(stranger, live_server, "eve@elsewhere.example")
    expect(stranger).not_to_have_url(re.compile(r"/login"))
    assert stranger.goto(conversation_url).status == 404
    response = stranger.request.get(file_url)
    assert response.status == 404 and response.body() != invoice
