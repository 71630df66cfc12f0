"""The visitors' front page: the same for everybody, so a worker renders it once per few
seconds (marketplace/microcache.py) and shows its own writes at once; at marketplace size the
number of assistants is PostgreSQL's estimate, said to be one."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from marketplace.profiles import services as profiles
from tests.factories import make_assistant, make_owner, make_task, task_form

ASSISTANTS_LINK = re.compile(r'href="/assistants">See all ([^<]*)</a>')


def assistants_link(page: str) -> str:
    found = ASSISTANTS_LINK.search(page)
    assert found, "no link to the directory"
    return found.group(1)


def test_a_second_visitor_is_answered_without_a_query(client, other_client, db_session, statements):
    make_task(db_session, make_owner(db_session), title="Reconcile our QuickBooks")
    make_assistant(db_session, display_name="Joy Santos")
    db_session.commit()

    first = client.get("/").get_data(as_text=True)
    statements.clear()
    second = other_client.get("/").get_data(as_text=True)

    assert "Reconcile our QuickBooks" in second and "Joy Santos" in second
    assert second == first
    assert [s for s in statements if "FROM tasks" in s or "FROM assistant_profiles" in s] == []


def test_a_task_posted_through_this_worker_shows_at_once(client, other_client, db_session):
    owner = make_owner(db_session)
    db_session.commit()
    assert "Monthly bank reconciliation" not in other_client.get("/").get_data(as_text=True)

    client.login_as(owner)
    posted = client.post("/tasks/new", data=task_form(title="Monthly bank reconciliation"))
    assert posted.status_code == 302

    page = other_client.get("/").get_data(as_text=True)
    assert "Monthly bank reconciliation" in page
    assert 'href="/jobs">Browse and search all 1 open job</a>' in page


def test_one_visitors_flash_is_not_kept_for_the_next(client, other_client, db_session):
    owner = make_owner(db_session)
    db_session.commit()
    client.login_as(owner)
    assert "You are logged out." not in other_client.get("/").get_data(as_text=True)

    client.post("/logout")  # lands on the front page with a message for this browser
    assert "You are logged out." in client.get("/").get_data(as_text=True)

    assert "You are logged out." not in other_client.get("/").get_data(as_text=True)


def test_a_small_marketplace_counts_its_assistants_exactly(client, db_session):
    for _ in range(3):
        make_assistant(db_session)
    db_session.commit()
    assert assistants_link(client.get("/").get_data(as_text=True)) == "3 assistants"


def test_a_large_marketplace_says_its_count_is_an_estimate(client, db_session, monkeypatch):
    for _ in range(4):
        make_assistant(db_session)
    db_session.commit()
    monkeypatch.setattr(profiles, "EXACT_COUNT_UP_TO", 2)
    if db_session.get_bind().dialect.name != "postgresql":
        # SQLite keeps no row estimate: it counts (a file of one machine's marketplace).
        assert assistants_link(client.get("/").get_data(as_text=True)) == "4 assistants"
        return
    db_session.execute(text("ANALYZE assistant_profiles"))
    estimate = db_session.scalar(
        text("SELECT reltuples FROM pg_class WHERE oid = 'assistant_profiles'::regclass")
    )

    shown = assistants_link(client.get("/").get_data(as_text=True))

    assert shown == f"of about {int(estimate):,} assistants"


@pytest.mark.parametrize(
    ("estimate", "shown"),
    [(7, 7), (99, 99), (100_000, 100_000), (123_456, 120_000), (1_019, 1_000), (-3, 0)],
)
def test_an_estimate_is_rounded_down_to_two_significant_figures(estimate, shown):
    assert profiles._two_significant_figures(estimate) == shown
