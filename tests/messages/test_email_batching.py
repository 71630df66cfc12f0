"""The email about new messages: batched per conversation, skipped once read, and only for
people whose preferences want it. Sent by the outbox sender over real SMTP, never in the
request."""

from datetime import timedelta

from sqlalchemy import select

from marketplace.db import utcnow
from marketplace.notifications.models import Frequency, Kind, Notification, Status
from marketplace.notifications.sender import send_due
from marketplace.notifications.services import save_preferences
from tests.messages.helpers import open_as_owner, scene, send
from tests.notifications.mailbox import body_html, body_text

JOY = "joy@va.example"


def notices(session, user_id):
    query = select(Notification).where(
        Notification.user_id == user_id, Notification.kind == Kind.NEW_MESSAGES
    )
    return list(session.scalars(query.order_by(Notification.id)))


def test_three_quick_messages_send_one_email(
    app, smtp_app, client, db_session, mailbox, time_machine
):
    owner, task, va = scene(db_session)
    cid = open_as_owner(client, owner, task, va)
    for text in ("Hi Joy!", "The bank feed is <b>Chase</b>.", "Log-in: https://bank.example/x"):
        assert send(client, cid, text).status_code == 302
    assert mailbox.to(JOY) == []  # not in the request, and not before the quiet period
    (notice,) = notices(db_session, va.id)  # one waiting notice gathers all three
    with app.app_context():
        assert send_due(db_session).sent == 0
        time_machine.move_to(utcnow() + timedelta(minutes=3))
        assert send_due(db_session).sent == 1
        assert send_due(db_session).sent == 0
    (message,) = mailbox.to(JOY)
    assert message["Subject"] == 'Dana Baker sent you 3 messages about "Reconcile our QuickBooks"'
    text, html = body_text(message), body_html(message)
    for body in ("Hi Joy!", "The bank feed is <b>Chase</b>.", "https://bank.example/x"):
        assert body in text
    assert "The bank feed is &lt;b&gt;Chase&lt;/b&gt;." in html and "<b>Chase</b>" not in html
    assert f"http://localhost/messages/{cid}" in text

    # More while the first email is fresh: one more email, not before 15 minutes after it.
    send(client, cid, "One more thing")
    send(client, cid, "And another")
    assert len(notices(db_session, va.id)) == 2
    with app.app_context():
        time_machine.move_to(utcnow() + timedelta(minutes=5))
        assert send_due(db_session).sent == 0
        time_machine.move_to(utcnow() + timedelta(minutes=11))
        assert send_due(db_session).sent == 1
    assert len(mailbox.to(JOY)) == 2
    second = mailbox.to(JOY)[1]
    assert "2 messages" in second["Subject"]
    assert "You have 5 unread messages" in body_text(second)
    assert mailbox.to("dana@bakery.example") == []  # the sender gets none


def test_ten_messages_in_a_minute_send_one_email(
    app, smtp_app, client, db_session, mailbox, time_machine
):
    owner, task, va = scene(db_session)
    cid = open_as_owner(client, owner, task, va)
    with app.app_context():
        for n in range(1, 11):  # one every 6 s, the sender running between them
            assert send(client, cid, f"Note {n} of 10").status_code == 302
            assert send_due(db_session).sent == 0
            time_machine.move_to(utcnow() + timedelta(seconds=6))
        assert len(notices(db_session, va.id)) == 1
        time_machine.move_to(utcnow() + timedelta(minutes=2))
        assert send_due(db_session).sent == 1
        assert send_due(db_session).sent == 0
    (message,) = mailbox.to(JOY)
    assert message["Subject"] == 'Dana Baker sent you 10 messages about "Reconcile our QuickBooks"'
    text = body_text(message)
    assert all(f"Note {n} of 10" in text for n in (8, 9, 10))  # the latest, and the rest told
    assert "Note 7 of 10" not in text and "… and 7 earlier messages." in text


def test_no_email_when_the_recipient_read_the_messages_meanwhile(
    app, smtp_app, client, other_client, db_session, mailbox, time_machine
):
    owner, task, va = scene(db_session)
    cid = open_as_owner(client, owner, task, va)
    send(client, cid, "Are you free on Monday?")
    other_client.login_as(va)
    assert other_client.get(f"/messages/{cid}").status_code == 200  # read it in the app
    with app.app_context():
        time_machine.move_to(utcnow() + timedelta(minutes=3))
        report = send_due(db_session)
    assert (report.sent, report.skipped) == (0, 1)
    assert mailbox.to(JOY) == []
    (notice,) = notices(db_session, va.id)
    assert notice.status == Status.SKIPPED


def test_an_off_preference_means_no_message_email(
    app, smtp_app, client, db_session, mailbox, time_machine
):
    owner, task, va = scene(db_session)
    save_preferences(db_session, va, Frequency.OFF, 0.4)
    cid = open_as_owner(client, owner, task, va)
    send(client, cid, "Hello?")
    assert notices(db_session, va.id) == []
    # Turned off after the notice was queued: it is skipped when due.
    save_preferences(db_session, owner, Frequency.INSTANT, 0.4)
    client.login_as(va)
    send(client, cid, "Hello Dana")
    (queued,) = notices(db_session, owner.id)
    save_preferences(db_session, owner, Frequency.OFF, 0.4)
    db_session.commit()
    with app.app_context():
        time_machine.move_to(utcnow() + timedelta(minutes=3))
        send_due(db_session)
    assert mailbox.messages == []
    db_session.refresh(queued)
    assert queued.status == Status.SKIPPED


def test_a_daily_digest_preference_bundles_the_messages_in_the_digest(
    app, smtp_app, client, db_session, mailbox
):
    owner, task, va = scene(db_session)
    save_preferences(db_session, va, Frequency.DAILY, 0.4)
    cid = open_as_owner(client, owner, task, va)
    send(client, cid, "First")
    send(client, cid, "Second")
    (notice,) = notices(db_session, va.id)
    assert notice.channel.value == "digest"
    from marketplace.notifications.emails import CONTEXTS

    with app.app_context():
        context = CONTEXTS[Kind.NEW_MESSAGES](db_session, notice)
    assert context["summary"] == "Dana Baker sent you 2 messages about Reconcile our QuickBooks"
