"""A task's page keeps its text (title, facts, skills, description) a few seconds per worker
and per version of the task (tasks.views._about): a reload reads the log-in and one row of
who may see the task and what the viewer did about it. Whatever decides what a person sees
is read fresh on every visit, so an edit, a close, a suspension or the viewer's own proposal
shows at once whichever worker made it."""

from __future__ import annotations

import re

from marketplace.accounts.models import User
from marketplace.db import utcnow
from tests.factories import make_assistant, make_owner, make_task, task_form
from tests.tasks.test_owner_page_cache import TOKENS, served_by_another_worker

HARNESS = ("SAVEPOINT", "RELEASE", "ROLLBACK")  # the test's transaction, not the page's


def scene(session):
    owner = make_owner(session, display_name="Dana Baker")
    task = make_task(
        session, owner, title="Monthly QuickBooks reconciliations", skills=["QuickBooks", "Xero"]
    )
    session.commit()
    return owner, task


def page(client, task, status: int = 200) -> str:
    response = client.get(f"/tasks/{task.id}")
    assert response.status_code == status
    return response.get_data(as_text=True)


def test_a_reload_reads_the_log_in_and_one_row_for_the_page(client, db_session, statements):
    owner, task = scene(db_session)
    client.login_as(make_assistant(db_session))
    first = page(client, task)
    statements.clear()
    second = page(client, task)

    assert "Monthly QuickBooks reconciliations" in first and "<li>Xero</li>" in first
    assert TOKENS.sub("", first) == TOKENS.sub("", second)
    reads = [s for s in statements if not s.upper().startswith(HARNESS)]
    assert len(reads) == 2, "\n".join(reads)  # the log-in session with its user; the page's row
    assert not [s for s in reads if "tasks.description" in s or "FROM skills" in s]


def test_the_owners_edit_shows_at_once_to_assistants_in_any_worker(
    client, other_client, db_session, monkeypatch
):
    owner, task = scene(db_session)
    other_client.login_as(make_assistant(db_session))
    assert "Monthly QuickBooks reconciliations" in page(other_client, task)

    client.login_as(owner)
    with served_by_another_worker(monkeypatch):
        edited = client.post(
            f"/tasks/{task.id}/edit", task_form(title="Weekly Xero reconciliations")
        )
    assert edited.status_code == 302

    shown = page(other_client, task)
    assert "Weekly Xero reconciliations" in shown
    assert "Monthly QuickBooks reconciliations" not in shown


def test_a_task_closed_in_another_worker_is_gone_at_once(
    client, other_client, db_session, monkeypatch
):
    owner, task = scene(db_session)
    assert "Monthly QuickBooks reconciliations" in page(other_client, task)  # a visitor

    client.login_as(owner)
    with served_by_another_worker(monkeypatch):
        assert client.post(f"/tasks/{task.id}/close").status_code == 302

    page(other_client, task, status=404)


def test_a_suspended_owners_task_is_gone_at_once(client, db_session, monkeypatch):
    owner, task = scene(db_session)
    assert "Monthly QuickBooks reconciliations" in page(client, task)

    with served_by_another_worker(monkeypatch):
        db_session.get(User, owner.id).suspended_at = utcnow()
        db_session.flush()

    page(client, task, status=404)


def test_the_assistants_own_proposal_shows_on_their_next_page_in_any_worker(
    client, db_session, monkeypatch
):
    owner, task = scene(db_session)
    client.login_as(make_assistant(db_session))
    assert re.search(r'class="button" href="[^"]+/apply">Apply</a>', page(client, task))

    with served_by_another_worker(monkeypatch):
        sent = client.post(
            f"/tasks/{task.id}/apply",
            {"cover_note": "I reconcile QuickBooks every month.", "proposed_rate": "25"},
        )
    assert sent.status_code == 302

    shown = page(client, task)
    assert "You applied on" in shown and ">Apply</a>" not in shown


def test_times_are_shown_in_each_viewers_own_zone(client, other_client, db_session):
    owner, task = scene(db_session)
    in_manila, in_bogota = make_assistant(db_session), make_assistant(db_session)
    in_manila.timezone, in_bogota.timezone = "Asia/Manila", "America/Bogota"
    db_session.commit()
    client.login_as(in_manila)
    other_client.login_as(in_bogota)

    assert "Manila" in posted(page(client, task))
    assert "Bogota" in posted(page(other_client, task))  # not the copy kept for Manila


def posted(html: str) -> str:
    return re.search(r"<dt>Posted</dt><dd>([^<]+)</dd>", html).group(1)
