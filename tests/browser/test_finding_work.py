"""Finding work in a real browser: search by skill tags, a stale page number, a logged-out
visitor who browses and then applies, and one moment read by viewers in two time zones."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from marketplace.demo.catalog import WORK
from marketplace.tasks.models import Category
from tests.browser.steps import log_in
from tests.factories import PASSWORD, make_assistant, make_owner, make_task

pytestmark = pytest.mark.browser


def committed(live_server, build):
    """Run `build(session)` and commit for real: the browser talks to another thread."""
    session = live_server.app.extensions["db"].sessionmaker()
    try:
        result = build(session)
        session.commit()
        return result
    finally:
        session.close()


def bookkeeping_jobs(session):
    """Two catalogue jobs tagged "bank reconciliation", one that is not, one inbox job."""
    owner = make_owner(session, display_name="Dana Baker", email="dana@bakery.example")
    made = []
    for category, index, biz, tool in [
        (Category.BOOKKEEPING, 0, "bakery", "QuickBooks"),
        (Category.BOOKKEEPING, 1, "dental practice", "Xero"),
        (Category.BOOKKEEPING, 2, "yoga studio", "QuickBooks"),
        (Category.INBOX_CALENDAR, 0, "bakery", "Google Calendar"),
    ]:
        title, description, skills = WORK[category][0][index]
        fill = lambda s, biz=biz, tool=tool: s.replace("{biz}", biz).replace("{tool}", tool)  # noqa: E731
        made.append(
            make_task(
                session,
                owner,
                title=fill(title),
                description=fill(description),
                skills=[fill(s) for s in skills],
                category=category,
            )  # fmt: skip
        )
    return [(t.id, t.title) for t in made]


def test_the_search_page_finds_skill_tags_and_explains_a_page_past_the_end(live_server, new_page):
    jobs = committed(live_server, bookkeeping_jobs)
    page = new_page()
    page.goto(f"{live_server}/jobs")
    page.fill("input[name=q]", "bank reconciliation")
    page.click("button:has-text('Search')")
    expect(page.get_by_text("2 open jobs")).to_be_visible()
    cards = page.locator(".card.job .title")
    expect(cards).to_have_count(2)
    expect(page.locator(".card.job").first).to_contain_text("bank reconciliation")
    page.fill("input[name=q]", "quickbooks reconciliation")
    page.click("button:has-text('Search')")
    expect(cards).to_have_text([jobs[0][1]])
    page.fill("input[name=q]", "calendar management")
    page.click("button:has-text('Search')")
    expect(cards).to_have_text([jobs[3][1]])

    page.goto(f"{live_server}/jobs?q=bookkeeping&page=50")
    expect(page.locator(".empty")).to_contain_text("There is only 1 page of results (3 open jobs)")
    expect(page.get_by_text("Try fewer words")).to_have_count(0)
    page.click("text=Go to the last page")
    expect(page).to_have_url(re.compile(r"page=1"))
    expect(cards).to_have_count(3)


def test_a_visitor_browses_jobs_and_profiles_then_logs_in_to_apply(live_server, new_page):
    jobs = committed(live_server, bookkeeping_jobs)
    committed(
        live_server,
        lambda s: make_assistant(
            s, display_name="Joy Santos", email="joy@va.example",
            headline="Night-shift bookkeeper for small shops",
        ),
    )  # fmt: skip
    page = new_page()
    page.goto(live_server)
    expect(page.locator("#open-jobs")).to_contain_text(jobs[0][1])
    expect(page.locator("#assistants")).to_contain_text("Joy Santos")

    page.click("#assistants >> text=Joy Santos")
    expect(page.locator("h1")).to_have_text("Joy Santos")
    expect(page.locator("body")).to_contain_text("Night-shift bookkeeper for small shops")
    expect(page.locator("body")).not_to_contain_text("joy@va.example")
    expect(page.get_by_role("link", name="Log in to invite Joy Santos")).to_be_visible()

    page.click("header >> text=Find jobs")
    page.fill("input[name=q]", "reconciliation")
    page.click("button:has-text('Search')")
    page.click(f"text={jobs[1][1]}")
    expect(page.locator("h1")).to_have_text(jobs[1][1])
    expect(page.locator("body")).not_to_contain_text("dana@bakery.example")
    page.click("text=Log in to apply")
    log_in_here(page, "joy@va.example")
    expect(page.locator("h1")).to_contain_text(f"Apply to “{jobs[1][1]}”")
    expect(page.locator("#cover_note")).to_be_visible()


def log_in_here(page, email):
    """Log in on the page the browser is on (it carries next=)."""
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Log in')")


WINTER = datetime(2026, 1, 15, 22, 0, tzinfo=UTC)


def test_one_moment_reads_right_in_each_viewers_zone(live_server, new_page):
    def scene(session):
        owner = make_owner(session, email="dana@la.example", timezone="America/Los_Angeles")
        task = make_task(session, owner, title="Quarterly books", timezone="America/Los_Angeles")
        task.created_at = WINTER
        va = make_assistant(session, email="joy@mnl.example", timezone="Asia/Manila")
        va.timezone = "Asia/Manila"
        return task.id

    task_id = committed(live_server, scene)
    owner, va = new_page(), new_page()
    log_in(owner, live_server, "dana@la.example")
    log_in(va, live_server, "joy@mnl.example")
    owner.goto(f"{live_server}/tasks/{task_id}")
    va.goto(f"{live_server}/tasks/{task_id}")

    posted = "dt:has-text('Posted') + dd"
    expect(owner.locator(posted)).to_have_text("15 Jan 2026, 14:00 Los Angeles (UTC-8)")
    expect(va.locator(posted)).to_have_text("16 Jan 2026, 06:00 Manila (UTC+8)")
    expect(owner.locator("footer")).to_contain_text(re.compile(r"Los Angeles \(UTC-[78]\)"))
    expect(va.locator("footer")).to_contain_text("Times are shown in Manila (UTC+8).")
    expect(va.locator("dt:has-text('time zone') + dd")).to_contain_text("Los Angeles (UTC-")
    for viewer in (owner, va):
        expect(viewer.locator("body")).not_to_contain_text("PST")
