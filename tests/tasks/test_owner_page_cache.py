"""The owner's part of a task page (its recommendations, who works on it, its actions) is kept
a few seconds per worker (marketplace/microcache.py): a reload reads no matches, contracts or
plan; the owner's own change shows on their next page whichever worker serves it; another
person's change shows once the entry expires; and every form carries the token of the browser
it was sent to."""

from __future__ import annotations

import re
from contextlib import contextmanager

from marketplace import microcache
from marketplace.matches.models import MatchEvent
from marketplace.profiles.models import AssistantProfile
from tests.factories import make_assistant, make_owner, make_task, task_form
from tests.matches.test_match_events import events, stored_match
from tests.tasks.test_browse import titles

TOKENS = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@contextmanager
def served_by_another_worker(monkeypatch):
    """Requests made inside are served as by another worker: what they write empties none of
    the caches this worker keeps."""
    with monkeypatch.context() as patch:
        patch.setattr(microcache.Microcache, "clear", lambda self: None)
        yield


def scene(session):
    owner = make_owner(session, display_name="Dana Baker")
    task = make_task(session, owner, title="Monthly QuickBooks reconciliations")
    vas = [make_assistant(session, display_name=f"Joy Santos {i}") for i in range(2)]
    for i, va in enumerate(vas):
        stored_match(session, task, va, 0.9 - i / 10)
    session.commit()
    return owner, task, vas


def page(client, task) -> str:
    response = client.get(f"/tasks/{task.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_reload_reads_only_the_log_in_and_the_task(client, db_session, statements):
    owner, task, vas = scene(db_session)
    client.login_as(owner)
    first = page(client, task)
    statements.clear()
    second = page(client, task)

    assert "Invite Joy Santos 0" in first and "Invite Joy Santos 1" in first
    assert TOKENS.sub("", first) == TOKENS.sub("", second)
    harness = ("SAVEPOINT", "RELEASE", "ROLLBACK")  # the test's transaction, not the page's
    reads = [s for s in statements if not s.upper().startswith(harness)]
    assert len(reads) == 2, "\n".join(reads)  # the log-in session with its user; the task
    assert not [s for s in reads if "matches" in s or "contracts" in s or "plans" in s]
    assert not [s for s in reads if s.startswith("INSERT")], "impressions: once a day"
    assert len(events(db_session, MatchEvent.task_id == task.id)) == 2


def test_the_owners_invitation_shows_on_their_next_page_in_any_worker(
    client, db_session, monkeypatch
):
    owner, task, vas = scene(db_session)
    client.login_as(owner)
    assert "Invite Joy Santos 0" in page(client, task)  # kept by this worker

    with served_by_another_worker(monkeypatch):
        sent = client.post(f"/tasks/{task.id}/invite/{vas[0].id}", {"rate_cents": "2500"})
    assert sent.status_code == 302

    shown = page(client, task)
    assert "Invite Joy Santos 0" not in shown
    assert 'class="flash flash-success invited">Invited' in shown
    assert "Invite Joy Santos 1" in shown


def test_the_owners_close_shows_at_once_in_any_worker(client, db_session, monkeypatch):
    owner, task, vas = scene(db_session)
    client.login_as(owner)
    assert "Close task" in page(client, task)

    with served_by_another_worker(monkeypatch):
        closed = client.post(f"/tasks/{task.id}/close")
    assert closed.status_code == 302

    shown = page(client, task)
    assert "Close task" not in shown and "Invite Joy Santos" not in shown


def test_another_persons_change_shows_once_the_entry_expires(client, db_session, later):
    owner, task, vas = scene(db_session)
    client.login_as(owner)
    assert 'name="rate_cents" value="2500"' in page(client, task)

    # Flushed, not committed: to this worker's cache a write made elsewhere (the assistant
    # changing their rate in another worker).
    db_session.get(AssistantProfile, vas[0].id).hourly_rate_cents = 3100
    db_session.flush()
    assert 'name="rate_cents" value="3100"' not in page(client, task)

    later(client.raw.application.config["MICROCACHE_SECONDS"] + 1)
    assert 'name="rate_cents" value="3100"' in page(client, task)


def test_each_browser_gets_its_own_csrf_token_in_the_kept_forms(client, other_client, db_session):
    owner, task, vas = scene(db_session)
    client.login_as(owner)
    other_client.login_as(owner)  # the same owner on a phone: another session

    mine = set(TOKENS.findall(page(client, task)))
    theirs = set(TOKENS.findall(page(other_client, task)))  # from what the first one kept

    assert len(mine) == 1 and len(theirs) == 1 and mine != theirs
    form = {"rate_cents": "2500", "csrf_token": theirs.pop()}
    sent = other_client.raw.post(f"/tasks/{task.id}/invite/{vas[1].id}", data=form)
    assert sent.status_code == 302
    refused = client.raw.post(f"/tasks/{task.id}/invite/{vas[0].id}", data=form)
    assert refused.status_code == 400, "a token is good only in the browser it was sent to"


def test_no_ranking_yet_is_not_kept(client, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner, title="Inbox triage every morning")
    va = make_assistant(db_session, display_name="Joy Santos")
    db_session.commit()
    client.login_as(owner)
    assert "We are ranking assistants" in page(client, task)

    # The ranking job stores its matches (here: flushed as if by the worker process).
    stored_match(db_session, task, va, 0.8)
    assert "Invite Joy Santos" in page(client, task)


def test_a_tasks_card_in_the_job_list_shows_its_edit_at_once(client, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner, title="Bank reconciliation for a bakery")
    db_session.commit()
    assert titles(client.get("/jobs?q=reconciliation")) == ["Bank reconciliation for a bakery"]

    client.login_as(owner)
    form = task_form(title="Bank reconciliation for two bakeries")
    assert client.post(f"/tasks/{task.id}/edit", data=form).status_code == 302

    # A search not asked before, listing the same task: its card is made afresh.
    assert titles(client.get("/jobs?q=bank")) == ["Bank reconciliation for two bakeries"]
