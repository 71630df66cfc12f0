"""Without Redis, jobs run after the response in a thread pool of the web process: posting a
task answers while the SMTP server is still holding the email, and the email arrives once
the server lets it through. Real commits, a live server, a real SMTP server."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from marketplace.db import get_session
from marketplace.matches.models import Match
from tests.factories import PASSWORD, make_assistant, make_owner, task_form
from tests.live_server import HttpClient
from tests.notifications.mailbox import Mailbox, SMTPServer, wait_for

INBOX_VA = dict(
    headline="Inbox and calendar manager for founders",
    bio="I triage Gmail inboxes and draft replies every morning.",
    skills=["Gmail", "inbox management", "Google Calendar"],
    timezone="America/Bogota",
)


@pytest.fixture
def gate():
    return threading.Event()


@pytest.fixture
def held_smtp(gate):
    """An SMTP server that accepts connections but holds every message until `gate` is set."""
    server = SMTPServer(Mailbox(gate=gate))
    server.start()
    yield server
    gate.set()
    server.stop()


@pytest.fixture
def live_server_config(held_smtp):
    return {
        "JOBS_BACKEND": "thread",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": held_smtp.port,
        "SMTP_TIMEOUT": 60,  # longer than the client waits: a request stuck on SMTP fails
    }


def test_posting_a_task_answers_while_smtp_hangs_and_the_mail_follows(
    live_server,  # noqa: F811
    held_smtp,
    gate,
):
    app, mailbox = live_server.app, held_smtp.mailbox
    with app.app_context():
        session = get_session()
        make_assistant(session, display_name="Joy Santos", email="joy@va.example", **INBOX_VA)
        make_owner(session, display_name="Dana Baker", email="dana@bakery.example")
        session.commit()

    owner = HttpClient(live_server, timeout=30)
    owner.log_in("dana@bakery.example", PASSWORD)
    try:
        status, headers, _ = owner.post_form("/tasks/new", task_form())
        # The response is here, and the SMTP server has not let a single message through.
        assert status == 302 and "/tasks/" in headers["Location"]
        assert mailbox.messages == []
        # The job went on without the request: it ranked, and its email is now being held.
        wait_for(mailbox.waiting.is_set, what="the sender to reach the held SMTP server")
        assert mailbox.messages == []
    finally:
        gate.set()

    wait_for(lambda: mailbox.to("joy@va.example"), what="Joy's 'New job for you' email")
    wait_for(lambda: mailbox.to("dana@bakery.example"), what="Dana's recommendations email")
    assert mailbox.to("joy@va.example")[0]["Subject"].startswith("New job for you")
    task_path = headers["Location"].removeprefix(live_server)
    _, _, page = owner.get(task_path)
    assert "Recommended assistants" in page and "Joy Santos" in page
    with app.app_context():
        assert len(get_session().scalars(select(Match)).all()) == 1


def test_a_cli_command_runs_its_jobs_before_it_exits(app, db_session, monkeypatch):
    """`flask demo load` and friends commit outside any request: with the thread backend their
    jobs run in the command itself, so the process never exits with work still queued."""
    from marketplace.jobs import JOBS, enqueue_after_commit, job

    ran: list[tuple[int, str]] = []

    @job("tests.record")
    def record(session, value):
        ran.append((value, threading.current_thread().name))

    monkeypatch.setitem(app.config, "JOBS_BACKEND", "thread")
    try:
        with app.app_context():
            session = app.extensions["db"].sessionmaker()
            enqueue_after_commit(session, "tests.record", 7)
            session.commit()
            session.close()
    finally:
        JOBS.pop("tests.record", None)
    assert ran == [(7, threading.current_thread().name)]
