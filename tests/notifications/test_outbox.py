"""The outbox: one row per (recipient, kind, object), delivered over real SMTP exactly once."""

from datetime import time, timedelta

from sqlalchemy import select

from marketplace.db import utcnow
from marketplace.hiring.services import apply_to_task
from marketplace.notifications.models import (
    Channel,
    Frequency,
    Kind,
    LocalEmail,
    Notification,
    Status,
)
from marketplace.notifications.sender import send_due
from marketplace.notifications.services import notify, save_preferences
from tests.clock import next_utc
from tests.factories import make_assistant, make_owner, make_task
from tests.notifications.mailbox import body_html, body_text

NOTE = "I reconcile bank feeds in QuickBooks for three bakeries."


def proposal_scene(session, email="dana@bakery.example", **owner_kw):
    owner = make_owner(session, display_name="Dana Baker", email=email, **owner_kw)
    task = make_task(session, owner, title="Reconcile our QuickBooks")
    va = make_assistant(session, display_name="Joy Santos")
    proposal = apply_to_task(session, va, task.id, cover_note=NOTE, proposed_rate_cents=2800)
    return owner, task, va, proposal


def rows(session, **where):
    query = select(Notification)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return list(session.scalars(query))


def test_new_proposal_email_arrives_with_both_bodies_and_unsubscribe_headers(
    app, smtp_app, db_session, mailbox
):
    with app.app_context():
        owner, task, va, proposal = proposal_scene(db_session)
        db_session.commit()  # the request's commit: the sender job runs inline after it

    (message,) = mailbox.to("dana@bakery.example")
    assert message["Subject"] == 'New proposal from Joy Santos for "Reconcile our QuickBooks"'
    assert message["To"] == "Dana Baker <dana@bakery.example>"
    assert message["From"] == app.config["MAIL_FROM"]
    (row,) = rows(db_session, kind=Kind.NEW_PROPOSAL)
    assert message["Message-ID"] == f"<notification-{row.id}@localhost>"
    assert NOTE in body_text(message) and NOTE in body_html(message)
    assert f"http://localhost/tasks/{task.id}/proposals" in body_text(message)
    assert f'href="http://localhost/tasks/{task.id}/proposals"' in body_html(message)
    assert message["List-Unsubscribe"].strip().startswith("<http://localhost/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert row.status == Status.SENT and row.sent_at is not None and row.attempts == 0


def test_a_second_trigger_for_the_same_object_is_a_no_op(app, db_session):
    with app.app_context():
        owner, task, va, proposal = proposal_scene(db_session)
        again = notify(
            db_session,
            owner.id,
            Kind.NEW_PROPOSAL,
            f"proposal:{proposal.id}",
            {"task_id": task.id, "proposal_id": proposal.id},
        )
    assert again is False
    assert len(rows(db_session, user_id=owner.id)) == 1


def test_sending_twice_sends_once(app, smtp_app, db_session, mailbox, time_machine):
    with app.app_context():
        proposal_scene(db_session)
        db_session.commit()
        assert send_due(db_session).sent == 0
        time_machine.move_to(utcnow() + timedelta(days=1))
        assert send_due(db_session).sent == 0
    assert len(mailbox.messages) == 1


def test_smtp_outage_loses_nothing_and_delivers_each_once_when_back(
    app, smtp_app, smtp_server, db_session, mailbox, time_machine
):
    smtp_server.stop()
    with app.app_context():
        for n in range(3):
            proposal_scene(db_session, email=f"owner{n}@outage.example")
        db_session.commit()  # the inline sender finds the server down
        pending = rows(db_session, kind=Kind.NEW_PROPOSAL)
        assert len(pending) == 3
        assert all(r.status == Status.PENDING and r.attempts == 1 for r in pending)
        assert all(r.next_attempt_at > utcnow() and "connect" in r.last_error for r in pending)
        assert send_due(db_session).sent == 0  # backing off: not due yet

        later = utcnow() + timedelta(minutes=5)
        time_machine.move_to(later, tick=False)
        report = send_due(db_session)  # still down: a second attempt, longer wait
        assert report.failed == 3
        db_session.refresh(pending[0])
        first_wait = pending[0].next_attempt_at - later
        assert first_wait >= timedelta(seconds=2 * app.config["NOTIFICATION_RETRY_SECONDS"])

        smtp_server.start()
        time_machine.move_to(later + timedelta(hours=1))
        assert send_due(db_session).sent == 3
        time_machine.move_to(later + timedelta(days=2))
        assert send_due(db_session).sent == 0
    assert len(mailbox.messages) == 3
    assert len({m["Message-ID"] for m in mailbox.messages}) == 3
    assert all(r.status == Status.SENT for r in rows(db_session, kind=Kind.NEW_PROPOSAL))


def test_gives_up_loudly_after_the_last_attempt_and_can_be_queued_again(
    app, smtp_app, smtp_server, db_session, monkeypatch, caplog, time_machine
):
    monkeypatch.setitem(app.config, "NOTIFICATION_MAX_ATTEMPTS", 2)
    smtp_server.stop()
    with app.app_context():
        proposal_scene(db_session)
        db_session.commit()
        time_machine.move_to(utcnow() + timedelta(days=1))
        send_due(db_session)
        (row,) = rows(db_session, kind=Kind.NEW_PROPOSAL)
        assert row.status == Status.FAILED and row.attempts == 2
        assert "failed for good" in caplog.text
        result = app.test_cli_runner().invoke(args=["notifications", "retry-failed"])
        assert "1 notification(s) queued again" in result.output
        db_session.refresh(row)
        assert row.status == Status.PENDING and row.attempts == 0


def test_daily_preference_bundles_into_one_digest(app, smtp_app, db_session, mailbox, time_machine):
    from marketplace.notifications.digest import send_daily_digests

    with app.app_context():
        owner = make_owner(db_session, email="digest@owner.example", timezone="UTC")
        save_preferences(db_session, owner, Frequency.DAILY, 0.4)
        task = make_task(db_session, owner, title="Inbox zero every morning")
        for name in ("Ana", "Ben"):
            va = make_assistant(db_session, display_name=name)
            apply_to_task(db_session, va, task.id, cover_note=NOTE, proposed_rate_cents=2500)
        db_session.commit()
        assert mailbox.messages == []  # digest items wait for the digest
        assert {r.channel for r in rows(db_session, user_id=owner.id)} == {Channel.DIGEST}

        # The recipient's morning, on the one clock the digest and the sender both read.
        time_machine.move_to(next_utc(time(9, 0)))
        assert send_daily_digests(db_session) == 1
        assert send_daily_digests(db_session) == 0  # once a day
        db_session.commit()  # queues the sender, which runs inline
    (message,) = mailbox.to("digest@owner.example")
    assert message["Subject"] == "Your Delegate digest: 2 updates"
    text = body_text(message)
    assert "New proposal from Ana" in text and "New proposal from Ben" in text
    assert "New proposal from Ana" in body_html(message)
    statuses = {r.kind: r.status for r in rows(db_session, user_id=owner.id)}
    assert statuses == {Kind.NEW_PROPOSAL: Status.DIGESTED, Kind.DAILY_DIGEST: Status.SENT}


def test_digest_waits_for_the_recipients_morning(app, db_session, time_machine):
    from marketplace.notifications.digest import send_daily_digests

    with app.app_context():
        owner, *_ = proposal_scene(db_session, timezone="Asia/Manila")
        save_preferences(db_session, owner, Frequency.DAILY, 0.4)
        db_session.execute(Notification.__table__.update().values(channel="digest"))
        time_machine.move_to(next_utc(time(18, 0)))  # 02:00 in Manila: not yet
        assert send_daily_digests(db_session) == 0
        time_machine.shift(timedelta(hours=7))  # 09:00 in Manila, still 01:00 in UTC
        assert send_daily_digests(db_session) == 1


def test_off_means_no_rows_and_pending_rows_are_skipped(app, smtp_app, db_session, mailbox):
    with app.app_context():
        owner, *_ = proposal_scene(db_session)
        save_preferences(db_session, owner, Frequency.OFF, 0.4)
        db_session.commit()  # the pending row is now unwanted
    assert mailbox.messages == []
    assert rows(db_session, user_id=owner.id)[0].status == Status.SKIPPED
    with app.app_context():
        assert not notify(db_session, owner.id, Kind.NEW_PROPOSAL, "proposal:999", {})


def test_without_smtp_mail_goes_to_the_local_outbox(app, client, db_session, monkeypatch):
    assert app.config["SMTP_HOST"] is None
    with app.app_context():
        owner, task, *_ = proposal_scene(db_session)
        db_session.commit()
    (local,) = db_session.scalars(select(LocalEmail))
    assert local.subject.startswith("New proposal from Joy Santos")
    assert NOTE in local.text_body and NOTE in local.html_body
    assert local.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    assert client.get("/dev/outbox").status_code == 404  # not outside demo/debug mode
    assert client.get(f"/dev/outbox/{local.id}").status_code == 404
    monkeypatch.setitem(app.config, "DEMO_MODE", True)
    page = client.get("/dev/outbox").get_data(as_text=True)
    assert "New proposal from Joy Santos" in page
    detail = client.get(f"/dev/outbox/{local.id}").get_data(as_text=True)
    assert "I reconcile bank feeds" in detail
    assert client.get("/dev/outbox/999999").status_code == 404


def test_closed_task_news_is_skipped_not_sent(
    app, smtp_app, smtp_server, db_session, mailbox, time_machine
):
    from marketplace.tasks.services import close_task

    smtp_server.stop()
    with app.app_context():
        owner, task, *_ = proposal_scene(db_session)
        db_session.commit()
        notify(db_session, owner.id, Kind.RECOMMENDATIONS, f"task:{task.id}", {"task_id": task.id})
        close_task(db_session, owner, task.id)
        db_session.commit()
        smtp_server.start()
        time_machine.move_to(utcnow() + timedelta(hours=1))
        report = send_due(db_session)
    assert report.skipped == 1  # recommendations for a closed task
    assert [m["Subject"].startswith("New proposal") for m in mailbox.messages] == [True]
