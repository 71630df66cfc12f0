"""Assistants find open jobs: full-text search, filters, sorting, pagination."""

import re
from datetime import date, timedelta

from marketplace.tasks.models import BudgetType, Category, Engagement
from tests.factories import make_assistant, make_owner, make_task


def titles(response) -> list[str]:
    return re.findall(
        r'<a class="title" href="/tasks/\d+">([^<]+)</a>', response.get_data(as_text=True)
    )


def seed_jobs(session):
    owner = make_owner(session)
    make_task(
        session,
        owner,
        title="Bookkeeper for a bakery",
        description="Reconcile accounts in QuickBooks each month.",
        budget_cents=40000,
    )
    make_task(
        session,
        owner,
        title="Instagram posts for a yoga studio",
        description="Schedule posts and reply to comments.",
        skills=["Instagram", "Canva"],
        category=Category.SOCIAL_MEDIA,
        engagement=Engagement.RECURRING,
        estimated_hours=None,
        hours_per_week=5,
        budget_type=BudgetType.HOURLY,
        budget_cents=None,
        max_hourly_rate_cents=1500,
    )
    make_task(
        session,
        owner,
        title="Inbox triage",
        description="Answer customer emails, keep the books of replies tidy.",
        skills=["Gmail"],
        category=Category.INBOX_CALENDAR,
        estimated_hours=40,
        budget_cents=60000,
        deadline=date.today() + timedelta(days=3),
    )
    closed = make_task(session, owner, title="Old bookkeeping job", description="Books.")
    from marketplace.tasks.services import close_task

    close_task(session, owner, closed.id)
    return owner


def test_search_finds_words_in_title_and_description_with_stemming(client, db_session):
    seed_jobs(db_session)
    client.login_as(make_assistant(db_session))
    assert titles(client.get("/jobs?q=bakery")) == ["Bookkeeper for a bakery"]
    assert titles(client.get("/jobs?q=reconciling")) == ["Bookkeeper for a bakery"]  # stemmed
    assert titles(client.get("/jobs?q=QUICKBOOKS month")) == ["Bookkeeper for a bakery"]
    assert titles(client.get("/jobs?q=comments")) == ["Instagram posts for a yoga studio"]
    assert titles(client.get("/jobs?q=nothing-like-this")) == []


def test_closed_tasks_never_appear(client, db_session):
    seed_jobs(db_session)
    client.login_as(make_assistant(db_session))
    everything = titles(client.get("/jobs"))
    assert "Old bookkeeping job" not in everything
    assert len(everything) == 3
    assert "Old bookkeeping job" not in titles(client.get("/jobs?q=bookkeeping"))


def test_search_input_cannot_break_the_query(client, db_session):
    seed_jobs(db_session)
    client.login_as(make_assistant(db_session))
    for q in [
        '"',
        "NEAR(",
        "a AND OR NOT",
        "'; DROP TABLE tasks; --",
        "*",
        "ü∂ƒ",
        "x" * 5000,
        "title:bakery",
    ]:
        response = client.get("/jobs", query_string={"q": q})
        assert response.status_code in (200, 400), q
    assert len(titles(client.get("/jobs"))) == 3


def test_filters(client, db_session):
    seed_jobs(db_session)
    client.login_as(make_assistant(db_session))
    assert titles(client.get("/jobs?category=social_media")) == [
        "Instagram posts for a yoga studio"
    ]
    assert titles(client.get("/jobs?engagement=recurring")) == ["Instagram posts for a yoga studio"]
    assert titles(client.get("/jobs?skill=%20quickbooks")) == ["Bookkeeper for a bakery"]
    # pay per hour: bakery 400/10 = $40/h, inbox 600/40 = $15/h, instagram up to $15/h
    assert titles(client.get("/jobs?min_rate=20")) == ["Bookkeeper for a bakery"]
    assert titles(client.get("/jobs?min_budget=500")) == ["Inbox triage"]
    assert sorted(titles(client.get("/jobs?max_hours=10"))) == [
        "Bookkeeper for a bakery",
        "Instagram posts for a yoga studio",
    ]


def test_sorting(client, db_session):
    seed_jobs(db_session)
    client.login_as(make_assistant(db_session))
    assert titles(client.get("/jobs?sort=pay"))[0] == "Bookkeeper for a bakery"
    assert titles(client.get("/jobs?sort=deadline"))[0] == "Inbox triage"
    newest = titles(client.get("/jobs?sort=newest"))
    assert newest[0] == "Inbox triage"  # posted last


def test_relevance_sort_puts_the_closest_match_first(client, db_session):
    owner = make_owner(db_session)
    make_task(db_session, owner, title="Spreadsheet help", description="Some invoices to type up.")
    make_task(
        db_session,
        owner,
        title="Invoice chasing",
        description="Send invoices, chase unpaid invoices, record invoice payments.",
    )
    make_task(db_session, owner, title="Newsletter", description="Write a newsletter.")
    client.login_as(make_assistant(db_session))
    ranked = titles(client.get("/jobs?q=invoices&sort=relevance"))
    assert ranked == ["Invoice chasing", "Spreadsheet help"]


def test_bad_filters_are_explained_with_400(client, db_session):
    client.login_as(make_assistant(db_session))
    for query, message in [
        ("min_rate=lots", "Enter an amount"),
        ("max_hours=-3", "Between 1 and 500"),
        ("category=unknown", "Not a valid choice"),
        ("sort=random", "Not a valid choice"),
        ("page=0", "Number must be"),
        ("page=abc", "Not a valid integer"),
    ]:
        response = client.get(f"/jobs?{query}")
        assert response.status_code == 400, query
        assert message in response.get_data(as_text=True), query


def test_pagination(client, db_session):
    owner = make_owner(db_session)
    for i in range(45):
        make_task(
            db_session, owner, title=f"Data entry batch {i:02d}", description="Type receipts."
        )
    client.login_as(make_assistant(db_session))
    first = client.get("/jobs")
    assert len(titles(first)) == 20
    assert "Page 1 of 3" in first.get_data(as_text=True)
    third = client.get("/jobs?page=3")
    assert len(titles(third)) == 5
    seen = titles(first) + titles(client.get("/jobs?page=2")) + titles(third)
    assert len(set(seen)) == 45
    assert titles(client.get("/jobs?page=9")) == []
    second_filtered = client.get("/jobs?q=batch&page=2").get_data(as_text=True)
    assert "q=batch" in second_filtered and "page=3" in second_filtered
