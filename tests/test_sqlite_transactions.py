"""SQLite: only transactions that write take the write lock. Readers never wait behind a
writer; writers (including ones that read first, as jobs and GET pages do) queue behind each
other instead of failing with "database is locked". Threads on a committed SQLite file, on
every backend of the suite: this is about SQLite's locking, so it always uses SQLite."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, update

from marketplace import create_app
from marketplace.db import get_session
from marketplace.migrate import upgrade_database
from marketplace.profiles.models import AssistantProfile
from marketplace.tasks.models import Task
from tests.concurrency import together
from tests.conftest import Client
from tests.factories import make_assistant, make_owner, make_task
from tests.rate_limit_support import GENEROUS_LIMITS

WRITERS = 8


@pytest.fixture
def sqlite_app(tmp_path):
    url = f"sqlite:///{tmp_path / 'locking.sqlite3'}"
    upgrade_database(url)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "SECRET_KEY": "sqlite-locking",
            "RATELIMIT_STORAGE_URI": "memory://",
            **GENEROUS_LIMITS,
        }
    )
    app.instance_path = str(tmp_path)
    with app.app_context():
        session = get_session()
        owner = make_owner(session)
        task = make_task(session, owner, title="Monthly bookkeeping in QuickBooks")
        assistants = [make_assistant(session) for _ in range(WRITERS)]
        session.commit()
        app.scene = {"owner": owner.id, "task": task.id, "assistants": [a.id for a in assistants]}
    yield app
    app.extensions["db"].engine.dispose()


def logged_in_client(app, user_id: int) -> Client:
    """A browser logged in as the user (its server-side session is written and committed)."""
    from marketplace.accounts.models import User

    client = Client(app.test_client())
    with app.app_context():
        session = app.extensions["db"].sessionmaker()
        client.login_as(session.get(User, user_id))
        session.close()
    return client


def test_pages_and_reads_do_not_wait_behind_a_writer_holding_the_lock(sqlite_app):
    app, task_id = sqlite_app, sqlite_app.scene["task"]
    locked, release = threading.Event(), threading.Event()
    # Logged in before the writer takes the lock: a log-in writes its session row.
    readers = [logged_in_client(app, app.scene["assistants"][0]) for _ in range(2)]

    def writer():
        with app.app_context():
            session = app.extensions["db"].sessionmaker()
            session.execute(update(Task).where(Task.id == task_id).values(title="Renamed"))
            locked.set()  # holds SQLite's write lock until released
            assert release.wait(60)
            session.commit()
            session.close()

    holder = threading.Thread(target=writer)
    holder.start()
    try:
        assert locked.wait(30)
        seen: list[str] = []

        def read_pages(client):
            for path in ("/jobs", f"/tasks/{task_id}", "/jobs?q=bookkeeping"):
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
            with app.app_context():
                seen.append(get_session().scalar(select(Task.title).where(Task.id == task_id)))

        # With every transaction taking the lock at BEGIN these would wait 30 s, then fail.
        together(*(lambda c=c: read_pages(c) for c in readers), timeout=20)
        assert seen == ["Monthly bookkeeping in QuickBooks"] * 2  # the committed state
    finally:
        release.set()
        holder.join(30)
    with app.app_context():
        assert get_session().scalar(select(Task.title).where(Task.id == task_id)) == "Renamed"


def test_writers_that_read_first_queue_behind_each_other_without_errors(sqlite_app):
    """Each thread reads (so SQLite has given it a snapshot), waits until all have, then
    writes the same row: a plain DEFERRED transaction would fail with "database is locked"."""
    app, profile_id = sqlite_app, sqlite_app.scene["assistants"][0]
    everyone_has_read = threading.Barrier(WRITERS)

    def read_then_write():
        with app.app_context():
            session = app.extensions["db"].sessionmaker()
            assert session.get(AssistantProfile, profile_id).review_count >= 0
            everyone_has_read.wait(30)
            session.execute(
                update(AssistantProfile)
                .where(AssistantProfile.user_id == profile_id)
                .values(review_count=AssistantProfile.review_count + 1)
            )
            session.commit()
            session.close()

    together(*[read_then_write] * WRITERS)
    with app.app_context():
        assert get_session().get(AssistantProfile, profile_id).review_count == WRITERS


def test_concurrent_posts_on_one_task_all_land(sqlite_app):
    """Eight assistants apply to the same task at the same moment: eight proposals, no 500."""
    from marketplace.hiring.models import Proposal

    app, task_id = sqlite_app, sqlite_app.scene["task"]
    clients = []
    for user_id in app.scene["assistants"]:
        client = logged_in_client(app, user_id)
        clients.append((client, client.csrf_token()))

    def apply(client, token):
        form = {
            "csrf_token": token,
            "cover_note": "I reconcile bank feeds in QuickBooks every month for shops.",
            "proposed_rate": "25",
        }
        return lambda: client.raw.post(f"/tasks/{task_id}/apply", data=form).status_code

    statuses = together(*(apply(c, t) for c, t in clients))
    assert statuses == [302] * len(clients)
    with app.app_context():
        proposals = get_session().scalars(select(Proposal).where(Proposal.task_id == task_id))
        assert len(proposals.all()) == len(clients)


def test_two_reading_pages_and_a_writer_run_side_by_side(sqlite_app, monkeypatch):
    """Two job searches stop halfway, each inside its open read transaction, until both are
    there; meanwhile an assistant applies to the task. If a read took the write lock at
    BEGIN, the second search would wait for the first (and the barrier would time out), and
    the proposal would wait for both."""
    from marketplace.hiring.models import Proposal
    from marketplace.tasks import views

    app, task_id = sqlite_app, sqlite_app.scene["task"]
    app.config["MICROCACHE_SECONDS"] = 0
    both_reading, applied = threading.Barrier(3), threading.Event()  # two readers, the writer
    real_search = views.search_jobs

    def search_then_pause(session, query):
        page = real_search(session, query)
        assert session.in_transaction()  # the read transaction is still open
        both_reading.wait(20)
        assert applied.wait(20)
        return page

    monkeypatch.setattr(views, "search_jobs", search_then_pause)
    readers = [Client(app.test_client()) for _ in range(2)]
    writer = logged_in_client(app, app.scene["assistants"][0])
    token = writer.csrf_token()
    statuses: dict[str, int] = {}

    def read(name, client):
        def go():
            statuses[name] = client.get("/jobs?q=bookkeeping").status_code

        return go

    def apply():
        both_reading.wait(20)
        form = {
            "csrf_token": token,
            "cover_note": "I reconcile bank feeds in QuickBooks every month for shops.",
            "proposed_rate": "25",
        }
        statuses["apply"] = writer.raw.post(f"/tasks/{task_id}/apply", data=form).status_code
        applied.set()

    together(read("first", readers[0]), read("second", readers[1]), apply, timeout=40)
    assert statuses == {"first": 200, "second": 200, "apply": 302}
    with app.app_context():
        proposals = get_session().scalars(select(Proposal).where(Proposal.task_id == task_id))
        assert len(proposals.all()) == 1
