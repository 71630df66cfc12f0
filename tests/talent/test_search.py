"""Talent search: owners find assistants by words, skills, rate, hours, rating and shared
working time; sort and page; see the matcher's fit for one of their open tasks; never see
anything private. Run on SQLite and PostgreSQL (the text search is each database's own)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import event, select

from marketplace.db import utcnow
from marketplace.errors import NotFound
from marketplace.matches.models import EventKind, Match, MatchEvent
from marketplace.payments.models import PayoutAccount
from marketplace.profiles.models import AssistantProfile
from marketplace.talent.search import (
    Sort,
    TalentQuery,
    WorkingDay,
    search_talent,
    task_for_fit,
)
from tests.factories import make_assistant, make_owner, make_task


def names(page) -> list[str]:
    return [r.profile.user.display_name for r in page.items]


def shown(html: str) -> list[str]:
    """The assistants' names on a results page, in order."""
    return re.findall(r'<a class="title" href="/assistants/\d+">([^<]+)</a>', html)


def rate(session, user, rating: float, count: int) -> None:
    profile = session.get(AssistantProfile, user.id)
    profile.rating, profile.review_count = rating, count
    session.flush()


@pytest.fixture
def talent(db_session):
    """Four assistants unlike each other in every way the search filters on."""
    ana = make_assistant(
        db_session, display_name="Ana Bookkeeper", email="ana.private@example.com",
        headline="QuickBooks bookkeeper for bakeries", skills=["QuickBooks", "Bookkeeping"],
        bio="I reconcile bank feeds every month.", hourly_rate_cents=2500,
        hours_per_week=20, timezone="Asia/Manila",
    )  # fmt: skip
    ben = make_assistant(
        db_session, display_name="Ben Inbox", headline="Inbox and calendar manager",
        skills=["Gmail", "Google Calendar"], bio="Founders' inboxes at zero; some bookkeeping.",
        hourly_rate_cents=1800, hours_per_week=40, timezone="Europe/London",
    )  # fmt: skip
    cleo = make_assistant(
        db_session, display_name="Cleo Xero", headline="Xero and QuickBooks bookkeeping",
        skills=["Xero", "QuickBooks"], bio="Catch-up work for dental practices.",
        hourly_rate_cents=4000, hours_per_week=10, timezone="America/Bogota",
    )  # fmt: skip
    dev = make_assistant(
        db_session, display_name="Dev Research", headline="Market research and spreadsheets",
        skills=["Excel", "research"], bio="Competitor lists and pricing tables.",
        hourly_rate_cents=3000, hours_per_week=30, timezone="Asia/Kolkata", currency="EUR",
    )  # fmt: skip
    rate(db_session, ana, 4.9, 12)
    rate(db_session, ben, 4.2, 3)
    rate(db_session, cleo, 3.1, 1)  # Dev: no reviews yet
    return ana, ben, cleo, dev


def search(db_session, **kw):
    return search_talent(db_session, TalentQuery(**kw))


# -- text ------------------------------------------------------------------------------------
def test_words_are_stemmed_all_required_and_headline_or_skill_hits_rank_first(db_session, talent):
    # "bookkeeper" finds "bookkeeping" (a skill, a headline, a bio) by its stem.
    found = search(db_session, text="bookkeepers")
    assert set(names(found)) == {"Ana Bookkeeper", "Ben Inbox", "Cleo Xero"}
    # Ben has the word only in his bio: below the two whose headline and skills say it.
    assert names(found)[-1] == "Ben Inbox"
    # every word is required, wherever it is
    assert names(search(db_session, text="reconciling quickbooks")) == ["Ana Bookkeeper"]
    assert names(search(db_session, text="reconcile xero")) == []
    # query syntax typed by a user is just words
    assert names(search(db_session, text='"dental" OR (NEAR')) == []
    assert names(search(db_session, text="dental")) == ["Cleo Xero"]


def test_a_profile_edit_is_searchable_at_once(db_session, talent):
    from marketplace.profiles.services import save_profile
    from tests.factories import profile_input

    dev = talent[3]
    save_profile(db_session, dev, profile_input(skills=["Shopify"], headline="Shop assistant"))
    assert names(search(db_session, text="shopify")) == ["Dev Research"]
    assert names(search(db_session, text="spreadsheets")) == []


# -- filters ---------------------------------------------------------------------------------
def test_filters_by_skills_rate_hours_and_rating(db_session, talent):
    assert names(search(db_session, skills=("quickbooks", "XERO"))) == ["Cleo Xero"]
    assert set(names(search(db_session, skills=("QuickBooks",)))) == {
        "Ana Bookkeeper",
        "Cleo Xero",
    }
    in_usd = search(db_session, min_rate_cents=2000, max_rate_cents=3500)
    assert names(in_usd) == ["Ana Bookkeeper"]  # Dev's 30.00 is in euros
    assert names(search(db_session, currency="EUR", max_rate_cents=3000)) == ["Dev Research"]
    assert set(names(search(db_session, min_hours_per_week=30))) == {"Ben Inbox", "Dev Research"}
    assert names(search(db_session, min_rating=4.0)) == ["Ana Bookkeeper", "Ben Inbox"]


def test_only_complete_profiles_of_assistants_in_good_standing_are_listed(db_session, talent):
    ana = talent[0]
    ana.suspended_at = utcnow()
    incomplete = make_assistant(db_session, display_name="Half Done")
    db_session.get(AssistantProfile, incomplete.id).skills = []
    db_session.flush()
    listed = names(search(db_session))
    assert "Ana Bookkeeper" not in listed and "Half Done" not in listed
    assert len(listed) == 3


# -- working-time overlap, across a DST change -----------------------------------------------
NEW_YORK_DAY = WorkingDay("America/New_York", time(9, 0), time(17, 0))


@pytest.fixture
def manila_night_shift(db_session):
    # 22:00-06:00 in Manila (UTC+8 all year) is 14:00-22:00 UTC. New York's 09:00-17:00 is
    # 14:00-22:00 UTC in winter (8 h shared) and 13:00-21:00 UTC in summer time (7 h).
    return make_assistant(
        db_session, display_name="Joy Night", timezone="Asia/Manila",
        work_start=time(22, 0), work_end=time(6, 0),
    )  # fmt: skip


def overlap_of(db_session, minimum: float | None = None):
    page = search(db_session, owner_day=NEW_YORK_DAY, min_overlap_hours=minimum)
    return {r.profile.user.display_name: r.overlap_hours for r in page.items}


def test_overlap_follows_the_us_clock_change_and_the_filter_uses_the_worst_day(
    db_session, manila_night_shift
):
    # The US moves its clocks on Sunday 14 March 2027.
    with time_machine.travel(datetime(2027, 3, 1, 12, 0, tzinfo=UTC), tick=False):
        assert overlap_of(db_session) == {"Joy Night": 8.0}
        assert overlap_of(db_session, 8) == {"Joy Night": 8.0}
    # The week from Friday 12 March holds days on both sides of the change: its worst day
    # counts, as the matcher's does.
    with time_machine.travel(datetime(2027, 3, 12, 12, 0, tzinfo=UTC), tick=False):
        assert overlap_of(db_session) == {"Joy Night": 7.0}
        assert overlap_of(db_session, 8) == {}
        assert overlap_of(db_session, 7) == {"Joy Night": 7.0}
    with time_machine.travel(datetime(2027, 3, 20, 12, 0, tzinfo=UTC), tick=False):
        assert overlap_of(db_session) == {"Joy Night": 7.0}


def test_overlap_page_shows_the_shared_hours_in_the_owners_week(
    client, db_session, manila_night_shift
):
    owner = make_owner(db_session, timezone="America/New_York")
    with time_machine.travel(datetime(2027, 3, 1, 12, 0, tzinfo=UTC), tick=True):
        client.login_as(owner)  # logged in then: a session lasts weeks, not months
        html = client.get("/talent?min_overlap=8").get_data(as_text=True)
    assert shown(html) == ["Joy Night"]
    assert "8 h a day shared with you" in html
    with time_machine.travel(datetime(2027, 3, 15, 12, 0, tzinfo=UTC), tick=True):
        client.login_as(owner)
        html = client.get("/talent?min_overlap=8").get_data(as_text=True)
        assert shown(html) == []
        html = client.get(
            "/talent?min_overlap=4&timezone=Europe/London&work_start=14:00&work_end=22:00"
        ).get_data(as_text=True)
    # London 14:00-22:00 is 14:00-22:00 UTC in March before the UK change: all 8 hours.
    assert shown(html) == ["Joy Night"] and "8 h a day shared with you" in html


# -- sorting and pages -----------------------------------------------------------------------
def test_sorts(db_session, talent):
    assert names(search(db_session, sort=Sort.RATING)) == [
        "Ana Bookkeeper",
        "Ben Inbox",
        "Cleo Xero",
        "Dev Research",
    ]
    assert names(search(db_session, sort=Sort.RATE))[0] == "Ben Inbox"
    assert names(search(db_session, sort=Sort.HOURS)) == [
        "Ben Inbox",
        "Dev Research",
        "Ana Bookkeeper",
        "Cleo Xero",
    ]
    # best match without words or a task: the best reviewed first
    assert names(search(db_session))[0] == "Ana Bookkeeper"


def test_pages_and_a_page_past_the_end(client, db_session, talent):
    first = search(db_session, sort=Sort.HOURS, page_size=3)
    second = search(db_session, sort=Sort.HOURS, page_size=3, page=2)
    assert (first.total, first.pages, second.total) == (4, 2, 4)
    assert names(second) == ["Cleo Xero"]
    client.login_as(make_owner(db_session))
    html = client.get("/talent?page=9").get_data(as_text=True)
    assert "There is only 1 page of results (4 assistants)" in html
    assert "page=1" in html


# -- the page: who sees it, what it shows, and bad input ---------------------------------------
def test_results_show_what_an_owner_needs_and_nothing_private(client, db_session, talent):
    ana = talent[0]
    db_session.add(PayoutAccount(user_id=ana.id, stripe_account_id="acct_private123"))
    db_session.flush()
    owner = make_owner(db_session)
    with time_machine.travel(datetime(2027, 1, 5, 3, 0, tzinfo=UTC), tick=False):
        client.login_as(owner)
        response = client.get("/talent?q=quickbooks+bakeries")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and shown(html) == ["Ana Bookkeeper"]
    assert "$25/h" in html
    assert "11:00 Manila (UTC+8) now" in html
    assert "4.9 ★ from 12 reviews" in html
    assert "QuickBooks" in html and "20 h/week" in html
    for private in ("ana.private@example.com", "acct_private123", "payout", "Payout"):
        assert private not in html
    # The owner's navigation leads here.
    assert 'href="/talent">Find assistants</a>' in html


def test_only_owners_search_and_a_visitor_is_asked_to_log_in(client, db_session, talent):
    assert client.get("/talent").status_code == 302
    client.login_as(talent[1])
    assert client.get("/talent").status_code == 403


@pytest.mark.parametrize(
    "query, message",
    [
        ("min_rate=abc", "Enter an amount such as 25 or 25.50."),
        ("min_rate=30&max_rate=20", "The highest rate must not be below the lowest."),
        ("min_hours=500", "Between 1 and 80 hours a week."),
        ("min_rating=9", "Not a valid choice."),
        ("sort=cheapest", "Not a valid choice."),
        ("page=0", "Number must be between 1 and 10000."),
        ("min_overlap=20", "Between 0 and 12 hours a day."),
        ("min_overlap=2&timezone=Mars/Olympus", "Choose a time zone from the list"),
        ("min_overlap=2&work_start=25:00", "Not a valid time value."),
        ("min_overlap=2&work_start=09:00&work_end=09:00", "must start and end at different"),
        ("skills=a,b,c,d,e,f", "Filter by at most 5 skills."),
        ("q=" + "x" * 201, "Field cannot be longer than 200 characters."),
        ("task=999999", "Choose one of your open tasks."),
    ],
)
def test_bad_filters_get_a_clear_message(client, db_session, talent, query, message):
    client.login_as(make_owner(db_session))
    response = client.get(f"/talent?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Some filters are not valid" in html
    assert message in html.replace("&#39;", "'")


# -- the fit for one of the owner's open tasks ---------------------------------------------------
def store_match(session, task, assistant, score: float) -> None:
    now = utcnow()
    session.add(
        Match(
            task_id=task.id,
            assistant_id=assistant.id,
            score=score,
            explanation={
                "skills": [{"kind": "exact", "has": ["QuickBooks"], "asked": "QuickBooks"}],
                "overlap_hours": 2,
                "hourly_rate_cents": 2500,
                "currency": "USD",
                "hours_per_week": 20,
                "reputation": {"rating": 4.9, "review_count": 12},
            },
            matcher_version="test",
            ranked_for_task=True,
            created_at=now,
            updated_at=now,
        )  # fmt: skip
    )
    session.flush()


def test_a_chosen_task_shows_the_stored_fit_first_and_invite_and_message(
    client, db_session, talent
):
    ana, ben, cleo, _ = talent
    owner = make_owner(db_session)
    task = make_task(db_session, owner, title="Monthly books for the bakery")
    store_match(db_session, task, cleo, 0.91)
    store_match(db_session, task, ana, 0.62)
    client.login_as(owner)
    html = client.get(f"/talent?task={task.id}").get_data(as_text=True)
    # best match: the stored scores first, then the rest by rating
    assert shown(html) == ["Cleo Xero", "Ana Bookkeeper", "Ben Inbox", "Dev Research"]
    assert "91% match" in html and "62% match" in html
    assert "Skills you asked for: has QuickBooks" in html
    assert "Reputation: rated 4.9/5 from 12 reviews" in html
    assert html.count("Not among the matcher's ranked assistants") == 2
    assert f'action="/tasks/{task.id}/invite/{ben.id}"' in html
    assert "Message Ben Inbox" in html

    response = client.post(
        f"/tasks/{task.id}/invite/{ben.id}", {"rate_cents": "1800"}, follow_redirects=True
    )
    assert "Invitation sent." in response.get_data(as_text=True)
    html = client.get(f"/talent?task={task.id}&q=inbox").get_data(as_text=True)
    assert shown(html) == ["Ben Inbox"] and "Invited" in html
    assert f'action="/tasks/{task.id}/invite/{ben.id}"' not in html
    nothing = client.get(f"/talent?task={task.id}&q=astrology&page=2").get_data(as_text=True)
    assert "No assistant matches. Try fewer words or filters." in nothing


def test_without_a_task_there_is_no_fit_nor_invite(client, db_session, talent):
    owner = make_owner(db_session)
    make_task(db_session, owner, title="Monthly books for the bakery")
    client.login_as(owner)
    html = client.get("/talent").get_data(as_text=True)
    assert "% match" not in html and "/invite/" not in html
    assert "Monthly books for the bakery" in html  # offered in the task selector


def test_another_owners_task_is_not_a_choice_and_says_nothing_about_it(client, db_session, talent):
    stranger_task = make_task(db_session, make_owner(db_session), title="Secret launch plan")
    store_match(db_session, stranger_task, talent[0], 0.9)
    client.login_as(make_owner(db_session))
    response = client.get(f"/talent?task={stranger_task.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose one of your open tasks." in html
    assert "Secret launch plan" not in html and "% match" not in html


def test_the_service_takes_only_the_owners_open_task_for_a_fit(db_session, talent):
    owner, stranger = make_owner(db_session), make_owner(db_session)
    mine = make_task(db_session, owner)
    theirs = make_task(db_session, stranger)
    assert task_for_fit(db_session, owner, mine.id) is mine
    for task_id in (theirs.id, 999_999):
        with pytest.raises(NotFound, match="Choose one of your open tasks."):
            task_for_fit(db_session, owner, task_id)
    store_match(db_session, mine, talent[2], 0.8)
    page = search(db_session, task=task_for_fit(db_session, owner, mine.id))
    assert names(page)[0] == "Cleo Xero" and page.items[0].fit.percent == 80


def test_results_for_a_chosen_task_are_impressions_once_a_day_with_no_words(
    client, db_session, talent
):
    ana, ben, cleo, dev = talent
    owner = make_owner(db_session)
    task = make_task(db_session, owner, title="Monthly books for the bakery")
    store_match(db_session, task, cleo, 0.91)
    # Noon, the clock still: "the same day" must not end between two requests.
    with time_machine.travel(datetime(2027, 3, 10, 12, 0, tzinfo=UTC), tick=False):
        client.login_as(owner)
        client.get("/talent?q=quickbooks")  # no task chosen: nobody was shown for a task
        assert impressions(db_session) == []

        client.get(f"/talent?task={task.id}&q=quickbooks+bakeries")
        client.get(f"/talent?task={task.id}")  # the same day: only the pairs not yet recorded
        shown_rows = impressions(db_session)
        assert [(e.assistant_id, e.position) for e in shown_rows] == [
            (ana.id, 1),  # the first search showed Ana alone
            (cleo.id, 1),  # the second: Cleo (the stored match) first, then the rest by rating
            (ben.id, 3),
            (dev.id, 4),
        ]
        cleo_row = next(e for e in shown_rows if e.assistant_id == cleo.id)
        assert cleo_row.score == 0.91 and shown_rows[0].score is None  # Ana had no stored match
        assert all(e.task_id == task.id for e in shown_rows)
        # The task page's recommendations count the same pairs once a day too.
        client.get(f"/tasks/{task.id}")
        assert len(impressions(db_session)) == 4
        for e in shown_rows:
            stored = json.dumps([e.value, e.score, e.factors, e.position, e.dedup_key])
            for words in ("quickbooks", "bakeries", "Ana", "Monthly books"):
                assert words not in stored

        with time_machine.travel(utcnow() + timedelta(days=1), tick=False):
            client.get(f"/talent?task={task.id}&q=inbox")
        assert [e.assistant_id for e in impressions(db_session)][4:] == [ben.id]


def test_a_reload_of_the_same_results_writes_nothing_again(app, client, db_session, talent):
    """The unique key would leave the rows out anyway; the reload spares the INSERT, on this
    page and on the task page's recommendations alike."""
    owner = make_owner(db_session)
    task = make_task(db_session, owner, title="Monthly books for the bakery")
    store_match(db_session, task, talent[2], 0.91)
    inserts: list[str] = []

    def note(conn, cursor, statement, *_):
        if "INSERT INTO match_events" in statement:
            inserts.append(statement)

    engine = app.extensions["db"].engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        with time_machine.travel(datetime(2027, 3, 10, 12, 0, tzinfo=UTC), tick=False):
            client.login_as(owner)
            for url in (f"/talent?task={task.id}", f"/tasks/{task.id}"):
                assert client.get(url).status_code == 200
                first = len(inserts)
                assert first >= 1, url  # the first view records what it showed
                assert client.get(url).status_code == 200
                assert len(inserts) == first, f"{url}: the reload wrote impressions again"
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert len(impressions(db_session)) == 4


def impressions(session) -> list[MatchEvent]:
    session.expire_all()
    query = select(MatchEvent).where(MatchEvent.kind == EventKind.IMPRESSION)
    return list(session.scalars(query.order_by(MatchEvent.id)))
