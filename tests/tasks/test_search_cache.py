"""The job search remembers each query's results for a few seconds per worker
(marketplace/microcache.py): a repeated search costs no full-text query, a worker's own
writes show at once, and what another worker wrote shows once the entry expires."""

from __future__ import annotations

from marketplace.profiles.models import AssistantProfile
from tests.factories import make_assistant, make_owner, make_task, task_form
from tests.tasks.test_browse import titles

SEARCH = "/jobs?q=reconciliation"


def test_a_repeated_search_does_not_search_again(client, db_session, statements):
    make_task(db_session, make_owner(db_session), title="Bank reconciliation for a bakery")
    db_session.commit()
    client.login_as(make_assistant(db_session))

    first = client.get(SEARCH)
    searched = [s for s in statements if "tasks" in s]
    statements.clear()
    second = client.get(SEARCH)

    assert titles(first) == titles(second) == ["Bank reconciliation for a bakery"]
    assert searched, "the first visit searched the tasks table"
    assert [s for s in statements if "FROM tasks" in s] == []


def test_a_task_posted_through_this_worker_is_found_at_once(client, db_session):
    owner = make_owner(db_session)
    db_session.commit()
    assert titles(client.get(SEARCH)) == []

    client.login_as(owner)
    posted = client.post("/tasks/new", data=task_form(title="Monthly bank reconciliation"))
    assert posted.status_code == 302

    assert titles(client.get(SEARCH)) == ["Monthly bank reconciliation"]


def test_what_another_worker_wrote_shows_once_the_entry_expires(client, db_session, later):
    assert titles(client.get(SEARCH)) == []
    # Flushed, not committed here: to this worker's cache it is a write made elsewhere.
    make_task(db_session, make_owner(db_session), title="Quarterly reconciliation")

    assert titles(client.get(SEARCH)) == [], "within the expiry the remembered page is shown"
    later(client.raw.application.config["MICROCACHE_SECONDS"] + 1)
    assert titles(client.get(SEARCH)) == ["Quarterly reconciliation"]


def test_each_query_string_is_remembered_on_its_own(client, db_session):
    owner = make_owner(db_session)
    make_task(db_session, owner, title="Bank reconciliation", skills=["Xero"])
    make_task(
        db_session, owner, title="Inbox triage", skills=["Gmail"],
        description="Sort my inbox every morning and draft the routine replies.",
    )  # fmt: skip
    db_session.commit()

    assert titles(client.get(SEARCH)) == ["Bank reconciliation"]
    assert titles(client.get("/jobs?q=inbox")) == ["Inbox triage"]
    assert sorted(titles(client.get("/jobs"))) == ["Bank reconciliation", "Inbox triage"]


def test_no_cache_when_the_setting_is_zero(client, db_session, monkeypatch):
    monkeypatch.setitem(client.raw.application.config, "MICROCACHE_SECONDS", 0)
    assert titles(client.get(SEARCH)) == []
    make_task(db_session, make_owner(db_session), title="Bank reconciliation")
    assert titles(client.get(SEARCH)) == ["Bank reconciliation"]


def test_writes_to_tables_the_results_do_not_read_leave_them_alone(client, db_session, statements):
    make_task(db_session, make_owner(db_session), title="Bank reconciliation for a bakery")
    assistant = make_assistant(db_session)
    db_session.commit()
    client.login_as(assistant)
    client.get(SEARCH)

    # This worker writes elsewhere (a profile), as reading a message or saving a profile does.
    profile = db_session.get(AssistantProfile, assistant.id)
    profile.headline = "Bookkeeper for bakeries"
    db_session.commit()
    statements.clear()

    assert titles(client.get(SEARCH)) == ["Bank reconciliation for a bakery"]
    assert [s for s in statements if "FROM tasks" in s] == []
