"""Two senders on one outbox, on committed rows, through a slow real SMTP server, with a lease
shorter than a batch: the second sender takes over the rows whose lease ran out, the first
notices before sending them, and every email arrives exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from marketplace.db import get_session, utcnow
from marketplace.hiring.services import apply_to_task
from marketplace.notifications.models import Notification, Status
from marketplace.notifications.sender import send_due
from tests.apps import committed_test_app
from tests.factories import make_assistant, make_owner, make_task
from tests.notifications.mailbox import Mailbox, SMTPServer, wait_for

ROWS = 40
NOTE = "I reconcile bank feeds in QuickBooks for three bakeries."


@pytest.fixture
def slow_smtp():
    server = SMTPServer(Mailbox(delay=0.25))  # 20 messages take 5 s, the lease is 1 s
    server.start()
    yield server
    server.stop()


@pytest.fixture
def committed_app(database_url, tmp_path, slow_smtp):
    with committed_test_app(
        database_url,
        tmp_path,
        JOBS_BACKEND="inline",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=slow_smtp.port,
        SMTP_TIMEOUT=10,
        NOTIFICATION_BATCH_SIZE=20,
        NOTIFICATION_LEASE_SECONDS=1,
    ) as app:
        yield app


def test_a_batch_outliving_its_lease_beside_a_second_sender_sends_each_email_once(
    committed_app, slow_smtp, time_machine
):
    app, mailbox = committed_app, slow_smtp.mailbox
    with app.app_context():
        session = get_session()
        owner = make_owner(session, email="busy@owner.example")
        va = make_assistant(session)
        for n in range(ROWS):
            task = make_task(session, owner, title=f"Bookkeeping for shop {n}")
            apply_to_task(session, va, task.id, cover_note=NOTE, proposed_rate_cents=2500)
        # Due in a minute, so the sender that this commit queues finds nothing yet.
        soon = utcnow() + timedelta(minutes=1)
        session.execute(update(Notification).values(next_attempt_at=soon))
        session.commit()
    time_machine.move_to(utcnow() + timedelta(minutes=1))

    reports = {}

    def sender(name: str) -> None:
        with app.app_context():
            reports[name] = send_due(get_session())

    first = threading.Thread(target=sender, args=("first",))
    first.start()
    # The first sender's batch of 20 is a quarter through, and its 1 s lease has run out.
    wait_for(lambda: len(mailbox.messages) >= 5, what="the first sender's fifth message")
    second = threading.Thread(target=sender, args=("second",))
    second.start()
    for thread in (first, second):
        thread.join(timeout=120)
        assert not thread.is_alive()

    ids = Counter(m["Message-ID"] for m in mailbox.messages)
    assert len(ids) == ROWS
    assert ids.most_common(1)[0][1] == 1, f"sent twice: {[i for i, c in ids.items() if c > 1]}"
    assert reports["first"].sent + reports["second"].sent == ROWS
    # The scenario really happened: the second sender took rows the first had claimed.
    assert reports["first"].lost > 0
    with app.app_context():
        statuses = Counter(get_session().scalars(select(Notification.status)))
    assert statuses == {Status.SENT: ROWS}
