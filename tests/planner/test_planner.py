"""The delegation planner: audit, market range from the matched pool, monthly arithmetic,
a visitor's plan moving into the account, and items becoming one bundled task."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.contracts.pricing import share_of
from marketplace.hiring.services import apply_to_task
from marketplace.jobs import run_job
from marketplace.matches.models import Match
from marketplace.notifications.models import Kind, Notification
from marketplace.planner.figures import per_month, weekly_hours
from marketplace.planner.market import percentile
from marketplace.planner.models import MarketFit, Period, Plan
from marketplace.tasks.models import Engagement, Task
from tests.accounts.signup import sign_up_and_confirm
from tests.factories import PASSWORD, make_assistant, make_owner
from tests.timesheets.helpers import hire_hourly

pytestmark = pytest.mark.usefixtures("fresh_matcher_index")

BOOKKEEPERS = [2000, 2500, 3000, 3500, 4000, 4500]  # cents an hour


def bookkeeping_pool(db_session, rates=BOOKKEEPERS):
    for n, rate in enumerate(rates):
        make_assistant(
            db_session,
            display_name=f"Bookkeeper {n}",
            headline="Bookkeeper: bank reconciliation and monthly profit and loss",
            bio="I reconcile bank and card accounts and categorise transactions in QuickBooks.",
            skills=["bookkeeping", "bank reconciliation", "QuickBooks"],
            hourly_rate_cents=rate,
            hours_per_week=5 if n < 2 else 30,
        )
    make_assistant(
        db_session,
        display_name="Social Sam",
        headline="Instagram content creator",
        bio="Reels, stories and captions.",
        skills=["Instagram", "content creation"],
        hourly_rate_cents=9900,
    )
    db_session.commit()


def rebuild(app):
    return run_job(app, "planner.rebuild_market", ())


def audit(client, **kw):
    data = {
        "hours_bookkeeping": "8",
        "period_bookkeeping": "week",
        "hours_sales_calls": "5",
        "period_sales_calls": "week",
        "hourly_worth": "100",
        "currency": "USD",
        "timezone": "America/New_York",
    }
    data.update(kw)
    return client.post("/plan", data)


def market_fact(page: str) -> str:
    return re.sub(r"\s+", " ", page)


def test_market_range_comes_from_the_assistants_who_match(app, client, db_session):
    bookkeeping_pool(db_session)
    counts = rebuild(app)
    assert counts["bookkeeping"] == len(BOOKKEEPERS)  # Sam does not fit bookkeeping
    fits = db_session.scalars(select(MarketFit).where(MarketFit.item_key == "bookkeeping"))
    assert sorted(f.rate_cents for f in fits) == BOOKKEEPERS
    assert audit(client).status_code == 302
    page = market_fact(client.get("/plan").get_data(as_text=True))
    # numpy's linear percentiles of 20, 25, 30, 35, 40, 45: 26.25 and 38.75
    assert "Market: $26.25–$38.75/h from 6 fitting assistants; 4 offer 8 h a week" in page
    assert percentile(BOOKKEEPERS, 50) == 3250
    assert "typically 0 h/day overlap with your working day" in page  # Manila and New York


def test_too_few_fitting_assistants_says_so_instead_of_a_price(app, client, db_session):
    bookkeeping_pool(db_session, rates=[2000, 3000, 4000])
    rebuild(app)
    audit(client)
    page = market_fact(client.get("/plan").get_data(as_text=True))
    assert "Not enough assistants yet to price this (3 fit; we need 5)." in page


def test_monthly_arithmetic_in_integer_cents_with_the_fee(app, client, db_session):
    bookkeeping_pool(db_session)
    rebuild(app)
    audit(client, hours_invoicing="26", period_invoicing="month")
    page = market_fact(client.get("/plan").get_data(as_text=True))
    # 8 h a week at the median $32.50: 8 * 3250 * 52 / 12 = 112,666.67 -> 112,667 cents
    cost = per_month(8 * 3250, Period.WEEK)
    assert cost == share_of(8 * 3250, 52, 12) == 112667
    worth = per_month(8 * 10000, Period.WEEK)
    assert worth == 346667
    fee = share_of(cost, app.config["PLATFORM_FEE_BPS"], 10_000)
    assert fee == 11267
    assert "<dd>$1,126.67<" in page and "<dd>$3,466.67<" in page
    assert '<dd class="gain">$2,340<' in page
    # 26 h a month of invoicing at the same pool's median: no conversion, 26 * 3250
    assert "<dd>$845<" in page and "<dd>$2,600<" in page
    # weekly and monthly hours through the one conversion: 8 h/week = 34.7 h/month
    assert "8 h a week = 34.7 h a month" in page
    assert "26 h a month = 26 h a month" in page
    assert weekly_hours(26, Period.MONTH) == 6  # 26 * 12 / 52 = 6
    # sales calls need the owner: scored low, listed last, with the reason, out of the totals
    assert "Needs your judgement: Sales calls sell you" in page
    items = re.findall(r'data-testid="plan-item">.*?<strong>([^<]+)</strong>', page)
    assert items == [
        "Bookkeeping and reconciliation",
        "Invoicing and chasing payments",
        "Sales calls",
    ]
    total_fee = fee + share_of(84500, 1000, 10_000)
    assert total_fee == 19717
    assert "include Delegate's 10% fee ($197.17 of the total)" in page
    assert 'data-testid="total-cost">$1,971.67<' in page  # sales calls left out
    assert 'data-testid="total-hours">60.7 h<' in page  # 34.7 + 26
    assert 'data-testid="total-net">$4,095<' in page


def test_bad_audit_input_is_a_message_not_a_500(client, db_session):
    response = audit(client, hours_bookkeeping="lots", hourly_worth="abc")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Not a valid integer value." in page and "Enter an amount such as 25" in page
    empty = client.post("/plan", {"timezone": "UTC", "currency": "USD"})
    assert empty.status_code == 422
    assert "List at least one thing that fills your week" in empty.get_data(as_text=True)
    assert client.post("/plan", {"hours_inbox": "3"}, csrf=False).status_code == 400


def test_a_typed_in_item_is_priced_by_its_own_job(app, client, db_session):
    bookkeeping_pool(db_session)
    audit(
        client,
        custom_label_0="Reconcile the shop's bank accounts",
        custom_category_0="bookkeeping",
        custom_skills_0="bookkeeping, QuickBooks",
        custom_hours_0="3",
        custom_period_0="week",
    )
    plan = db_session.scalar(select(Plan))
    item = next(i for i in plan.items if i.catalogue_key is None)
    assert item.priced_at is not None  # the job ran after the commit (inline in tests)
    page = market_fact(client.get("/plan").get_data(as_text=True))
    assert "Reconcile the shop&#39;s bank accounts" in page
    assert "from 6 fitting assistants" in page


def test_worth_from_revenue_per_hour_worked(client, db_session):
    audit(client, hourly_worth="", revenue_per_month="24000", hours_worked_per_month="200")
    assert db_session.scalar(select(Plan)).hourly_worth_cents == 12000


def test_a_visitors_plan_survives_sign_up(client, db_session, smtp_app, mailbox):
    audit(client)
    plan = db_session.scalar(select(Plan))
    assert plan.owner_id is None and plan.visitor_token
    response = sign_up_and_confirm(client, mailbox)
    assert response.status_code == 302
    db_session.expire_all()
    plan = db_session.scalar(select(Plan))
    assert plan.visitor_token is None and plan.owner.email == "Dana@bakery.example"
    page = client.get("/plan").get_data(as_text=True)
    assert "Bookkeeping and reconciliation" in page and "Your delegation plan" in page


def test_a_visitors_plan_moves_in_at_log_in_and_returns_to_the_intake(client, db_session):
    owner = make_owner(db_session, email="lee@shop.example")
    db_session.commit()
    audit(client)
    plan = db_session.scalar(select(Plan))
    ids = ",".join(str(i.id) for i in plan.items)
    ask = client.get(f"/plan/intake?items={ids}")
    assert "sign up or log in as a business owner" in ask.get_data(as_text=True)
    response = client.post(
        f"/login?next=/plan/intake?items={ids}", {"email": owner.email, "password": PASSWORD}
    )
    assert response.status_code == 302 and "/plan/intake" in response.location
    db_session.expire_all()
    assert db_session.get(Plan, plan.id).owner_id == owner.id
    assert "Bookkeeping and reconciliation" in client.get(response.location).get_data(as_text=True)


def test_someone_elses_plan_items_are_not_found(client, other_client, db_session):
    audit(client)
    plan = db_session.scalar(select(Plan))
    stranger = make_owner(db_session)
    db_session.commit()
    other_client.login_as(stranger)
    assert other_client.get(f"/plan/intake?items={plan.items[0].id}").status_code == 404


def test_two_items_become_one_bundled_recurring_task_that_gets_matched(app, client, db_session):
    bookkeeping_pool(db_session)
    joy = make_assistant(
        db_session,
        display_name="Joy Santos",
        headline="Inbox and calendar manager for founders",
        bio="I triage Gmail inboxes, schedule meetings and send invoices.",
        skills=["inbox management", "Gmail", "invoicing", "bookkeeping"],
        hourly_rate_cents=2500,
        hours_per_week=40,
    )
    owner = make_owner(db_session, timezone="America/New_York")
    db_session.commit()
    rebuild(app)
    client.login_as(owner)
    audit(client, hours_inbox="5", period_inbox="week")
    plan = db_session.scalar(select(Plan).where(Plan.owner_id == owner.id))
    inbox = next(i for i in plan.items if i.catalogue_key == "inbox")
    books = next(i for i in plan.items if i.catalogue_key == "bookkeeping")
    chosen = client.post("/plan/delegate", {"items": [str(inbox.id), str(books.id)]})
    intake_url = chosen.location
    assert f"items={inbox.id},{books.id}" in intake_url.replace("%2C", ",")
    intake = {
        f"outcome_{inbox.id}": "Inbox at zero every evening",
        f"tools_{inbox.id}": "Gmail",
        f"done_{inbox.id}": "Only mail that needs me is left, flagged",
        f"steps_{inbox.id}": "Archive newsletters\nDraft routine replies",
        f"outcome_{books.id}": "Books reconciled weekly",
        f"tools_{books.id}": "QuickBooks",
        f"done_{books.id}": "Every transaction categorised",
        f"steps_{books.id}": "",
        "cadence": "recurring",
    }
    refused = client.post(intake_url, {**intake, f"tools_{inbox.id}": "Gmail password: hunter2"})
    assert refused.status_code == 422
    assert "share access through a password manager" in refused.get_data(as_text=True)
    draft = client.post(intake_url, intake)
    page = draft.get_data(as_text=True)
    assert draft.status_code == 200 and "Review and post" in page
    assert "13 h/week: inbox triage and bookkeeping" in page
    action = re.search(r'action="(/plan/post[^"]+)"', page).group(1).replace("&amp;", "&")
    form = {
        "title": "13 h/week: inbox and bookkeeping",
        "description": re.search(r"<textarea[^>]*>\s*(.*?)</textarea>", page, re.S).group(1),
        "skills": re.search(r'name="skills"[^>]*value="([^"]*)"', page).group(1),
        "category": "inbox_calendar",
        "engagement": "recurring",
        "hours_per_week": "13",
        "estimated_hours": "",
        "budget_type": "hourly",
        "max_hourly_rate": re.search(r'name="max_hourly_rate"[^>]*value="([^"]*)"', page).group(1),
        "currency": "USD",
        "timezone": "America/New_York",
        "overlap_hours": "0",
        "deadline": "",
    }
    posted = client.post(action, form)
    assert posted.status_code == 302, posted.get_data(as_text=True)
    task = db_session.scalar(select(Task).where(Task.owner_id == owner.id))
    assert task.engagement == Engagement.RECURRING and task.hours_per_week == 5 + 8
    names = {s.name.casefold() for s in task.skills}
    assert {"inbox management", "gmail", "bookkeeping", "quickbooks"} <= names
    assert task.max_hourly_rate_cents == 3875  # the top of the bookkeeping range
    assert "password manager" in task.description
    db_session.expire_all()
    assert {
        i.task_id for i in db_session.get(Plan, plan.id).items if i.id in (inbox.id, books.id)
    } == {task.id}
    # matched like any other post: Joy is recommended on the owner's task page
    assert db_session.scalar(
        select(Match).where(Match.task_id == task.id, Match.assistant_id == joy.id)
    )
    assert "Joy Santos" in client.get(f"/tasks/{task.id}").get_data(as_text=True)
    # ... and emailed like any other: Joy's new-match notice is in the outbox.
    assert db_session.scalar(
        select(Notification).where(
            Notification.user_id == joy.id,
            Notification.kind == Kind.NEW_MATCH,
            Notification.object_key == f"task:{task.id}",
        )
    )
    assert task.title in client.get("/dashboard").get_data(as_text=True)
    plan_page = client.get("/plan").get_data(as_text=True)
    assert f'href="/tasks/{task.id}"' in plan_page and "Posted:" in plan_page
    # Hired: the plan says to whom its items went.
    proposal = apply_to_task(
        db_session, joy, task.id, cover_note="I run inboxes and books.", proposed_rate_cents=2500
    )
    contract_id = hire_hourly(client, proposal, weekly_hours=13)
    plan_page = client.get("/plan").get_data(as_text=True)
    assert (
        plan_page.count(f'href="/contracts/{contract_id}" data-testid="delegated-to">Joy Santos')
        == 2
    )
    assert "Delegated to" in plan_page and "(active: time is billed weekly)" in plan_page
    # Revisited and edited: the items keep their task and say so; the form shows the new hours.
    assert audit(client, hours_inbox="6", period_inbox="week").status_code == 302
    plan_page = client.get("/plan").get_data(as_text=True)
    assert plan_page.count('data-testid="delegated-to">Joy Santos') == 2
    assert re.search(r'id="hours_inbox"[^>]*value="6"', plan_page)
    assert "6 h a week = 26 h a month" in plan_page


def test_suspended_and_deleted_assistants_price_nothing(app, client, db_session):
    from marketplace.accounts.deletion import CONFIRM_WORD, delete_account
    from marketplace.accounts.models import User
    from marketplace.operator.services import suspend

    bookkeeping_pool(db_session, rates=[*BOOKKEEPERS, 9000])
    rebuild(app)
    audit(client)
    page = market_fact(client.get("/plan").get_data(as_text=True))
    # 20, 25, 30, 35, 40, 45, 90: the 25th and 75th percentiles fall at ranks 1.5 and 4.5
    assert "Market: $27.50–$42.50/h from 7 fitting assistants" in page
    by_rate = {
        f.rate_cents: f.assistant_id
        for f in db_session.scalars(select(MarketFit).where(MarketFit.item_key == "bookkeeping"))
    }
    suspend(db_session, make_owner(db_session), by_rate[9000], "Took payments off the platform")
    delete_account(db_session, db_session.get(User, by_rate[2000]), PASSWORD, CONFIRM_WORD)
    db_session.commit()
    # At once, before any job: 25, 30, 35, 40, 45 is 30 to 40.
    page = market_fact(client.get("/plan").get_data(as_text=True))
    assert "Market: $30–$40/h from 5 fitting assistants" in page
    # And the next rebuild stores no fit for them at all.
    assert rebuild(app)["bookkeeping"] == 5
    kept = db_session.scalars(
        select(MarketFit.rate_cents).where(MarketFit.item_key == "bookkeeping")
    )
    assert sorted(kept) == BOOKKEEPERS[1:]


def test_nearest_catalogue_item_by_the_words_typed():
    from marketplace.planner.catalogue import nearest
    from marketplace.tasks.models import Category

    def key(label, skills=(), category=Category.OTHER):
        found = nearest(label, list(skills), category)
        return found[0].key if found else None

    assert key("Reconcile the shop's bank accounts", ["QuickBooks"], Category.BOOKKEEPING) == (
        "bookkeeping"
    )
    assert key("Chase unpaid invoices") == "invoicing"
    assert key("Answer support tickets") == "customer_email"
    assert key("Book my flights") == "travel"
    assert key("Schedule podcast guests", ["Calendly"]) == "calendar"
    assert key("Weekly Instagram reels") == "social"
    # Nothing like any catalogue work: no stand-in price is made up.
    assert key("Walk the dog") is None
    assert key("Clean the office") is None
    assert key("Prepare tax returns") is None


@pytest.fixture
def queued_jobs(app, monkeypatch):
    """Jobs go to a real Redis queue that no worker reads until the test runs one."""
    from tests.jobs.test_jobs import REDIS_URL

    if not REDIS_URL:
        pytest.skip("REDIS_URL is not set")  # a failure under CI=true
    import uuid

    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "rq")
    monkeypatch.setitem(app.config, "JOBS_QUEUE", f"test-{uuid.uuid4().hex}")
    app.extensions.pop("jobs_redis", None)
    yield app
    from marketplace.jobs.queue import queue

    queue(app).delete(delete_jobs=True)
    app.extensions.pop("jobs_redis").close()


def typed_in(**kw):
    return {
        "custom_label_0": "Reconcile the shop's bank accounts",
        "custom_category_0": "bookkeeping",
        "custom_skills_0": "bank reconciliation, QuickBooks",
        "custom_hours_0": "3",
        "custom_period_0": "week",
        **kw,
    }


def test_a_typed_in_item_shows_the_nearest_catalogue_market_until_its_own_is_in(
    app, queued_jobs, client, db_session
):
    from tests.jobs.test_jobs import run_worker

    bookkeeping_pool(db_session)
    with app.app_context():
        rebuild(app)
    audit(client, **typed_in())
    item = next(i for i in db_session.scalar(select(Plan)).items if i.catalogue_key is None)
    assert item.priced_at is None  # its job waits in the queue
    page = market_fact(client.get("/plan").get_data(as_text=True))
    assert (
        "About $26.25–$38.75/h, from similar “Bookkeeping and reconciliation” work, while we "
        "price yours." in page
    )
    # The stand-in is shown, never counted: the totals hold the catalogue bookkeeping only.
    assert 'data-testid="total-hours">34.7 h<' in page
    run_worker(queued_jobs)
    db_session.expire_all()
    page = market_fact(client.get("/plan").get_data(as_text=True))
    assert "while we price yours" not in page
    assert page.count("Market: $26.25–$38.75/h from 6 fitting assistants") == 2
    assert 'data-testid="total-hours">47.7 h<' in page  # 34.7 + 3 * 52 / 12 = 13


def test_a_typed_in_item_like_nothing_in_the_catalogue_is_honestly_being_priced(
    app, queued_jobs, client, db_session
):
    bookkeeping_pool(db_session)
    audit(client, **typed_in(custom_label_0="Walk the dog", custom_category_0="other",
                             custom_skills_0="dog walking"))  # fmt: skip
    page = market_fact(client.get("/plan").get_data(as_text=True))
    assert "Walk the dog" in page
    assert "Being priced: we are asking the assistant pool (reload in a moment)." in page
    assert "from similar" not in page


def test_one_item_becomes_a_one_off_draft_that_asks_for_its_estimate(app, client, db_session):
    owner = make_owner(db_session)
    db_session.commit()
    client.login_as(owner)
    audit(client, hours_travel="2", period_travel="month")
    travel = next(i for i in db_session.scalar(select(Plan)).items if i.catalogue_key == "travel")
    url = f"/plan/intake?items={travel.id}"
    intake = {
        f"outcome_{travel.id}": "A booked trip to Lisbon in March",
        f"done_{travel.id}": "Flights, hotel and transfers booked, itinerary in my inbox",
        f"steps_{travel.id}": "- Compare three flights\n• Book the hotel by the river",
        "cadence": "one_off",
    }
    asked = client.post(url, intake)
    assert asked.status_code == 422
    assert "Estimate how many hours this one-off takes." in asked.get_data(as_text=True)
    page = client.post(url, {**intake, "one_off_hours": "6"}).get_data(as_text=True)
    assert re.search(r'id="title"[^>]*value="Travel booking"', page)
    assert re.search(r'id="estimated_hours"[^>]*value="6"', page)
    assert re.search(r'value="one_off"[^>]*checked|checked[^>]*value="one_off"', page)
    assert "Steps:\n- Compare three flights\n- Book the hotel by the river" in page
    assert "never in this text" in page  # the access line every draft carries
    # Nobody fits travel yet in this pool, so there is no market top to cap the rate at.
    assert re.search(r'id="max_hourly_rate"[^>]*value=""', page)
