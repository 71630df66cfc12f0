"""In Chromium: another site cannot frame Delegate's pages, the pages break no rule of their
own Content-Security-Policy, and a log-in asked for by a button lands on the button's page."""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from marketplace.accounts import sessions
from marketplace.contracts.services import hire, quote
from marketplace.db import get_session
from marketplace.hiring.services import apply_to_task
from marketplace.notifications.models import LocalEmail
from tests.browser.steps import log_in
from tests.factories import make_assistant, make_owner, make_task

pytestmark = pytest.mark.browser

TITLE = "Quarterly books for the bakery"


@pytest.fixture
def live_server_config():
    return {"DEMO_MODE": True}  # for the developer outbox page


@pytest.fixture
def contract(live_server):
    """An owner, an assistant, a task, a proposal and a contract awaiting funding (committed)."""
    with live_server.app.app_context():
        session = get_session()
        owner = make_owner(session, email="owner-sec@example.com")
        assistant = make_assistant(session, email="va-sec@example.com")
        task = make_task(session, owner, title=TITLE)
        proposal = apply_to_task(
            session, assistant, task.id, cover_note="I reconcile books every quarter.",
            proposed_rate_cents=3000,
        )  # fmt: skip
        fee_bps = live_server.app.config["PLATFORM_FEE_BPS"]
        shown = quote(proposal, 4, fee_bps).total_cents
        made = hire(session, owner, proposal.id, 4, fee_bps, shown)
        email = LocalEmail(
            recipient=owner.email,
            subject="Styled email",
            headers={"To": owner.email},
            text_body="Hello",
            html_body='<body style="background:#f6f7f9"><p style="color:#2454d6">Hi</p></body>',
        )
        session.add(email)
        session.commit()
        return {
            "id": made.id, "task_id": task.id, "owner": owner.email, "owner_id": owner.id,
            "assistant": assistant.email, "assistant_id": assistant.id, "email_id": email.id,
        }  # fmt: skip


@pytest.fixture
def other_site():
    """A page on another origin that tries to show a Delegate URL in an iframe."""
    target = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = f'<h1>Win a prize</h1><iframe src="{target["url"]}" width="400" height="600">'
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def framing(url: str) -> str:
        target["url"] = url
        return f"http://127.0.0.1:{server.server_port}/"

    yield framing
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_another_site_cannot_frame_the_contract_page(live_server, new_page, contract, other_site):
    page = new_page()
    log_in(page, live_server, contract["owner"])
    contract_url = f"{live_server}/contracts/{contract['id']}"
    page.goto(contract_url)
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()  # the page itself works

    page.goto(other_site(contract_url))
    expect(page.get_by_role("heading", name="Win a prize")).to_be_visible()
    for _ in range(50):
        if new_page.csp_errors:
            break
        page.wait_for_timeout(100)
    assert len(new_page.csp_errors) == 1
    assert "frame-ancestors 'none'" in new_page.csp_errors[0]
    new_page.csp_errors.clear()  # provoked on purpose
    framed = page.frames[1]
    assert TITLE not in framed.content()
    assert framed.get_by_role("button").count() == 0


def _visit(page, url: str) -> None:
    response = page.goto(url)
    assert response.status == 200, url
    # The stylesheet applies (it comes from 'self'), so the page looks as designed.
    display = page.evaluate("getComputedStyle(document.querySelector('header.topbar')).display")
    assert display == "flex", url


def test_the_main_pages_break_no_rule_of_their_policy(live_server, new_page, contract):
    page = new_page()
    for path in ["/", "/login", "/signup", "/signup?role=assistant"]:
        _visit(page, live_server + path)

    log_in(page, live_server, contract["owner"])
    task = contract["task_id"]
    for path in [
        "/dashboard", "/tasks/new", f"/tasks/{task}", f"/tasks/{task}/edit",
        f"/tasks/{task}/proposals", "/contracts", f"/contracts/{contract['id']}", "/ledger",
        "/settings/email", f"/assistants/{contract['assistant_id']}", "/dev/outbox",
    ]:  # fmt: skip
        _visit(page, live_server + path)

    # The developer outbox shows the email's own inline styles, and only there.
    _visit(page, f"{live_server}/dev/outbox/{contract['email_id']}")
    email_body = page.frame_locator("iframe.outbox-preview").locator("body")
    expect(email_body).to_have_css("background-color", "rgb(246, 247, 249)")

    other = new_page()
    log_in(other, live_server, contract["assistant"])
    for path in ["/jobs", "/jobs?q=books", "/jobs/for-you", "/proposals", "/profile",
                 "/payouts", "/contracts", f"/contracts/{contract['id']}"]:  # fmt: skip
        _visit(other, live_server + path)
    assert new_page.csp_errors == []


def test_logging_in_again_from_a_button_lands_on_the_page_of_that_button(
    live_server, new_page, contract
):
    page = new_page()
    log_in(page, live_server, contract["owner"])
    page.goto(f"{live_server}/contracts/{contract['id']}")
    # Meanwhile the session ends on the server (signed out everywhere, or its 14 days are up).
    with live_server.app.app_context():
        session = get_session()
        sessions.sign_out_other_sessions(session, contract["owner_id"], keep_token=None)
        session.commit()

    page.get_by_role("button", name=re.compile(r"^Pay .* with Stripe$")).click()
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_text("Please log in to continue.")).to_be_visible()
    page.fill("#email", contract["owner"])
    page.fill("#password", "correct horse battery")
    page.click("button:has-text('Log in')")

    expect(page).to_have_url(f"{live_server}/contracts/{contract['id']}")
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.get_by_text("Method Not Allowed")).to_have_count(0)
