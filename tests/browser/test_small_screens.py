"""What a new user meets on a 390 px phone: long titles wrap, the Money table keeps its Amount
column in view, the actions that move money or close a task ask first, and links in the dev
outbox's email preview open in a new tab instead of inside the preview."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from devtools.stripe_emulator import run_in_thread
from marketplace.db import get_session
from marketplace.demo.activity import Money, StripeEmulator
from marketplace.hiring.services import apply_to_task
from marketplace.payments.gateway import get_gateway
from tests.browser.steps import log_in
from tests.factories import make_assistant, make_owner, make_task
from tests.stripe_support import API_KEY, SECRET, http

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# 120 characters, the longest title a task may have, with nowhere to break.
LONG_TITLE = "Reconcile" + "Q" * 102 + "Accounts!"


@pytest.fixture
def phone(chromium_browser):
    context = chromium_browser.new_context(viewport=PHONE)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def stripe_emulator_for_pages():
    handle = run_in_thread(port=0, webhook_secret=SECRET)  # events are applied by Money
    http("POST", f"{handle.base_url}/_emulator/reset")
    yield handle
    handle.stop()


@pytest.fixture
def live_server_config(stripe_emulator_for_pages):
    return {
        "STRIPE_SECRET_KEY": API_KEY,
        "STRIPE_WEBHOOK_SECRET": SECRET,
        "STRIPE_API_BASE": stripe_emulator_for_pages.base_url,
        "DEMO_MODE": True,
    }


def _scene(live_server, emulator, *states):
    """An owner and an assistant with one contract per state asked for, paid on the emulator."""
    with live_server.app.app_context():
        session = get_session()
        owner = make_owner(session, email="owner-phone@example.com")
        assistant = make_assistant(session, email="va-phone@example.com", display_name="Joy Santos")
        money = Money(
            session,
            get_gateway(),
            StripeEmulator(emulator.base_url),
            live_server.app.config["PLATFORM_FEE_BPS"],
            str(live_server),
        )
        ids = {}
        for state in states:
            task = make_task(session, owner, title=f"{LONG_TITLE[:100]} {state}")
            proposal = apply_to_task(
                session, assistant, task.id, cover_note="Happy to.", proposed_rate_cents=2500
            )
            session.commit()
            contract = money.hire(owner, proposal, 8)
            money.pay(owner, contract)
            if state == "submitted":
                money.submit(assistant, contract)
            ids[state] = contract.id
        return ids


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px phone"


def test_a_long_unbroken_title_wraps_on_a_phone(live_server, phone):
    with live_server.app.app_context():
        session = get_session()
        owner = make_owner(session, email="owner-long@example.com")
        task = make_task(session, owner, title=LONG_TITLE)
        session.commit()
        task_id = task.id
    log_in(phone, live_server, "owner-long@example.com")
    for path in (f"/tasks/{task_id}", "/dashboard", f"/tasks/{task_id}/proposals"):
        phone.goto(f"{live_server}{path}")
        _fits(phone)
    phone.goto(f"{live_server}/tasks/{task_id}")
    title = phone.locator("h1").bounding_box()
    assert title["x"] >= 0 and title["x"] + title["width"] <= PHONE["width"]
    assert title["height"] > 60  # it wrapped onto several lines rather than run off the side


def test_the_money_table_shows_its_amounts_on_a_phone(
    live_server, phone, stripe_emulator_for_pages
):
    _scene(live_server, stripe_emulator_for_pages, "funded")
    log_in(phone, live_server, "owner-phone@example.com")
    phone.goto(f"{live_server}/ledger")
    _fits(phone)
    header = phone.locator("th", has_text="Amount")
    expect(header).to_be_visible()
    amounts = phone.locator("tr[data-kind] td.num")
    assert amounts.count() == 2  # the payment and the platform fee
    for i in range(amounts.count()):
        box = amounts.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    expect(phone.locator("tr[data-kind=charge] td.num")).to_have_text("$200")
    expect(phone.locator("tr[data-kind=fee] td.num")).to_have_text("$20")


def _answer_next_dialog(page, accept: bool) -> list[str]:
    asked: list[str] = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", answer)
    return asked


def test_money_moving_buttons_ask_before_they_act(live_server, phone, stripe_emulator_for_pages):
    ids = _scene(live_server, stripe_emulator_for_pages, "submitted", "funded")
    log_in(phone, live_server, "owner-phone@example.com")
    status = phone.locator("[data-testid=status]")

    phone.goto(f"{live_server}/contracts/{ids['submitted']}")
    asked = _answer_next_dialog(phone, accept=False)
    phone.click("button:has-text('Approve and release payment')")
    assert asked and "Joy Santos receives $180" in asked[0]
    phone.reload()
    expect(status).to_have_text("Work submitted for approval")
    asked = _answer_next_dialog(phone, accept=True)
    phone.click("button:has-text('Approve and release payment')")
    expect(status).to_have_text("Approved: payout pending")

    phone.goto(f"{live_server}/contracts/{ids['funded']}")
    asked = _answer_next_dialog(phone, accept=False)
    phone.click("button:has-text('Cancel and refund')")
    assert asked and "$200 is refunded in full" in asked[0]
    phone.reload()
    expect(status).to_have_text("Funded: work can start")
    _answer_next_dialog(phone, accept=True)
    phone.click("button:has-text('Cancel and refund')")
    expect(status).to_have_text("Cancelled")
    _fits(phone)


def test_closing_a_task_asks_first(live_server, phone):
    with live_server.app.app_context():
        session = get_session()
        owner = make_owner(session, email="owner-close@example.com")
        task_id = make_task(session, owner, title="Inbox zero every morning").id
        session.commit()
    log_in(phone, live_server, "owner-close@example.com")
    phone.goto(f"{live_server}/tasks/{task_id}")
    asked = _answer_next_dialog(phone, accept=False)
    phone.click("button:has-text('Close task')")
    assert asked and "Close this task?" in asked[0]
    phone.reload()
    expect(phone.locator(".status")).to_have_text("open")
    _answer_next_dialog(phone, accept=True)
    phone.click("button:has-text('Close task')")
    expect(phone.locator(".status")).to_have_text("closed")


def test_links_in_the_outbox_preview_open_in_a_new_tab(live_server, phone):
    with live_server.app.app_context():
        session = get_session()
        owner = make_owner(session, email="owner-mail@example.com")
        assistant = make_assistant(session, email="va-mail@example.com")
        task = make_task(session, owner, title="Books for the bakery")
        apply_to_task(session, assistant, task.id, cover_note="Hi", proposed_rate_cents=2500)
        session.commit()  # the owner's "new proposal" email goes to the local outbox
    phone.goto(f"{live_server}/dev/outbox")
    phone.click("a.title")
    outbox_url = phone.url
    preview = phone.frame_locator("iframe[title='HTML body']")
    link = preview.locator("a[href^='http']").first
    with phone.context.expect_page() as opened:
        link.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url.startswith(str(live_server)) and tab.url != outbox_url
    assert phone.url == outbox_url
    frame = phone.frame(url="about:srcdoc") or phone.frames[1]
    assert frame.url == "about:srcdoc"  # the preview still shows the email


@pytest.mark.parametrize("width", [1200, 390])
def test_search_buttons_keep_their_word_on_one_line(live_server, chromium_browser, width):
    with live_server.app.app_context():
        session = get_session()
        make_owner(session, email=f"owner-search-{width}@example.com")
        session.commit()
    context = chromium_browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        log_in(page, live_server, f"owner-search-{width}@example.com")
        for path in ("/talent", "/jobs"):
            page.goto(f"{live_server}{path}")
            button = page.locator(".search-line button")
            # One client rect per line box the word is laid out on.
            lines = button.evaluate(
                "b => { const r = document.createRange(); r.selectNodeContents(b);"
                " return r.getClientRects().length; }"
            )
            assert button.inner_text() == "Search"
            assert lines == 1, f"{path} at {width}px: the Search button broke its word ({lines})"
            box = button.bounding_box()
            assert box["x"] + box["width"] <= width
    finally:
        context.close()
