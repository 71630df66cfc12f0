"""The price the owner sees is the price charged (with and without JavaScript), and after a
declined card then a good one the owner is never told, once paid, that their card failed."""

import re

import pytest
from playwright.sync_api import expect

from marketplace.contracts.models import Contract
from marketplace.db import get_session
from marketplace.hiring.services import apply_to_task
from tests.browser.conftest import stripe_settings
from tests.browser.steps import enter_card, log_in
from tests.factories import make_assistant, make_owner, make_task
from tests.stripe_support import DECLINED

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server_config(stripe_for_browser):
    return stripe_settings(stripe_for_browser)


def scene(live_server, tag: str) -> int:
    """An owner's six-hour task with one proposal at $25/h; the proposal's id."""
    with live_server.app.app_context():
        session = get_session()
        owner = make_owner(session, email=f"owner-{tag}@example.com")
        assistant = make_assistant(session, email=f"va-{tag}@example.com", display_name="Joy")
        task = make_task(session, owner, title="Month-end books", estimated_hours=6)
        proposal = apply_to_task(
            session,
            assistant,
            task.id,
            cover_note="I close the books for three cafés every month.",
            proposed_rate_cents=2500,
        )
        session.commit()
        return proposal.id


def contracts(live_server) -> list[tuple[int, int]]:
    with live_server.app.app_context():
        rows = get_session().query(Contract.hours, Contract.total_cents).all()
        return [tuple(r) for r in rows]


def open_hire_page(page, live_server, tag, proposal_id):
    log_in(page, live_server, f"owner-{tag}@example.com")
    page.goto(f"{live_server}/proposals/{proposal_id}/hire")
    expect(page.locator("#hours")).to_have_value("6")
    expect(page.locator("[data-testid=total]")).to_have_text("$150")


def test_typed_hours_are_hired_at_the_price_shown_as_they_are_typed(live_server, new_page):
    proposal_id = scene(live_server, "js")
    page = new_page()
    open_hire_page(page, live_server, "js", proposal_id)
    page.fill("#hours", "10")  # and no "Update price": the page updates as you type
    expect(page.locator("[data-testid=total]")).to_have_text("$250")
    expect(page.locator("[data-testid=fee]")).to_have_text("$25")
    expect(page.locator("[data-testid=net]")).to_have_text("$225")
    page.click("button:has-text('Hire and continue to payment')")
    expect(page.locator("[data-testid=status]")).to_have_text("Awaiting funding")
    expect(page.locator("text=for 10 h at $25/h")).to_be_visible()
    expect(page.locator("[data-testid=total]")).to_have_text("$250")
    assert contracts(live_server) == [(10, 25000)]


def test_without_javascript_a_changed_price_is_shown_and_confirmed_first(
    live_server, chromium_browser
):
    proposal_id = scene(live_server, "nojs")
    context = chromium_browser.new_context(
        java_script_enabled=False, viewport={"width": 412, "height": 915}
    )
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        open_hire_page(page, live_server, "nojs", proposal_id)
        page.fill("#hours", "10")
        expect(page.locator("[data-testid=total]")).to_have_text("$150")  # nothing updates it
        page.click("button:has-text('Hire and continue to payment')")
        expect(page.locator("[data-testid=price-changed]")).to_contain_text(
            "For 10 h the price is $250"
        )
        expect(page.locator("[data-testid=total]")).to_have_text("$250")
        assert contracts(live_server) == []  # never a 6-hour contract, nor a 10-hour one unseen
        page.click("button:has-text('Hire and continue to payment')")
        expect(page.locator("[data-testid=status]")).to_have_text("Awaiting funding")
        expect(page.locator("[data-testid=total]")).to_have_text("$250")
        assert contracts(live_server) == [(10, 25000)]
    finally:
        context.close()


def test_after_a_declined_card_and_a_good_one_the_page_confirms_instead_of_failing(
    live_server, new_page, stripe_for_browser
):
    stripe_for_browser.configure(webhook_url=f"{live_server}/stripe/webhook", deliver_webhooks=True)
    proposal_id = scene(live_server, "pay")
    page = new_page()
    open_hire_page(page, live_server, "pay", proposal_id)
    page.click("button:has-text('Hire and continue to payment')")
    expect(page.locator("[data-testid=status]")).to_have_text("Awaiting funding")
    contract_url = page.url

    page.click("button:has-text('Pay $150 with Stripe')")
    enter_card(page, DECLINED)
    expect(page.locator("#card-errors")).to_have_text("Your card was declined.")
    page.goto(contract_url)
    error = page.locator("[data-testid=payment-error]")
    for _ in range(30):  # the decline's webhook arrives in the background
        if error.count():
            break
        page.wait_for_timeout(300)
        page.reload()
    expect(error).to_contain_text("Your card was declined.")

    # Stripe's confirmation of the good card takes a few seconds this time.
    stripe_for_browser.configure(webhook_delay=1.5)
    page.click("button:has-text('Pay $150 with Stripe')")
    enter_card(page, "4242 4242 4242 4242")
    expect(page).to_have_url(re.compile(r"/contracts/\d+\?checkout=done&session_id=cs_test_"))
    expect(page.locator("[data-testid=confirming]")).to_contain_text("Confirming your payment")
    expect(page.locator("[data-testid=payment-error]")).to_have_count(0)
    expect(page.locator("button:has-text('Pay $150 with Stripe')")).to_have_count(0)
    # The page looks again by itself until Stripe has confirmed.
    expect(page.locator("[data-testid=status]")).to_have_text(
        "Funded: work can start", timeout=20_000
    )
    expect(page.locator("[data-testid=payment-error]")).to_have_count(0)
