"""Reviews in a real browser: on a paid contract the owner reviews first and reads that hers is
hidden; the assistant is told one is waiting, writes hers, and both read both."""

import pytest
from playwright.sync_api import expect

from marketplace.db import get_session
from tests.browser.steps import log_in, screenshot
from tests.factories import make_assistant, make_owner
from tests.reviews.helpers import paid_scene

pytestmark = pytest.mark.browser

DANA_WORDS = "Joy closed our books two days early and explained every adjustment."
JOY_WORDS = "Dana's brief was clear and she answered questions the same day."


def write_review(page, stars: str, words: str) -> None:
    reviews = page.locator("#reviews")
    reviews.locator(f"input[name=rating][value='{stars}']").check()
    reviews.locator("textarea[name=body]").fill(words)
    reviews.locator("button:has-text('Publish review')").click()


def test_owner_and_assistant_review_a_paid_contract(live_server, new_page):
    with live_server.app.app_context():
        session = get_session()
        owner = make_owner(session, email="dana-review@example.com", display_name="Dana Baker")
        va = make_assistant(session, email="joy-review@example.com", display_name="Joy Santos")
        scene = paid_scene(session, owner, va)
        contract_url = f"{live_server}/contracts/{scene.contract.id}"
        profile_url = f"{live_server}/assistants/{va.id}"

    dana = new_page()
    log_in(dana, live_server, "dana-review@example.com")
    dana.goto(contract_url)
    expect(dana.locator("[data-testid=status]")).to_have_text("Paid out")
    write_review(dana, "5", DANA_WORDS)
    expect(
        dana.get_by_text("Your review stays hidden until Joy Santos has written")
    ).to_be_visible()
    expect(dana.locator("[data-testid=review-hidden]")).to_contain_text(
        "until Joy Santos reviews you"
    )
    screenshot(dana, "review-owner-hidden")

    joy = new_page()
    log_in(joy, live_server, "joy-review@example.com")
    joy.goto(contract_url)
    expect(joy.locator("[data-testid=theirs-waiting]")).to_contain_text(
        "Dana Baker has written their review of you"
    )
    expect(joy.get_by_text(DANA_WORDS)).to_have_count(0)
    write_review(joy, "4", JOY_WORDS)
    expect(joy.get_by_text("You have both written your reviews")).to_be_visible()
    expect(joy.locator("[data-testid=review-owner]")).to_contain_text(DANA_WORDS)
    expect(joy.locator("[data-testid=review-owner]")).to_contain_text("5/5")
    screenshot(joy, "review-assistant")

    dana.reload()
    expect(dana.locator("[data-testid=review-assistant]")).to_contain_text(JOY_WORDS)
    expect(dana.locator("[data-testid=review-hidden]")).to_have_count(0)
    screenshot(dana, "review-owner")
    dana.goto(profile_url)
    expect(dana.locator("[data-testid=rating]")).to_have_text("5.0 ★ from 1 review")
    expect(dana.get_by_text(DANA_WORDS)).to_be_visible()
