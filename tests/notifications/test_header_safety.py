"""Names and titles with line breaks cannot break the email that carries them (item 12):
cleaned on input, and made safe when the email is built for rows stored before."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.hiring.services import apply_to_task
from marketplace.tasks.models import Task
from tests.accounts.signup import messages_to, sign_up_and_confirm
from tests.factories import make_assistant, make_owner, make_task, task_form

LINE_BREAKING_NAME = "Dana\r\nBcc: mallory@evil.example\r\n Baker"


def test_a_name_with_line_breaks_is_one_line_after_sign_up_and_mail_still_arrives(
    app, client, db_session, smtp_app, mailbox
):
    response = sign_up_and_confirm(
        client, mailbox, display_name=LINE_BREAKING_NAME, email="dana@bakery.example"
    )
    assert response.location.endswith("/tasks/new")
    owner = db_session.scalar(select(User).where(User.email == "dana@bakery.example"))
    assert owner.display_name == "Dana Bcc: mallory@evil.example Baker"
    # The owner's first piece of news by email: a proposal on their task.
    client.post("/tasks/new", task_form(title="Inbox\r\nclean-up\tplease"))
    task = db_session.scalar(select(Task).where(Task.owner_id == owner.id))
    assert task.title == "Inbox clean-up please"
    _proposal_email_arrives(app, db_session, owner, task, mailbox)


def test_a_stored_name_with_line_breaks_no_longer_stops_its_email(
    app, db_session, smtp_app, mailbox
):
    # A row written before input was cleaned: the email builder must cope too.
    owner = make_owner(db_session, display_name=LINE_BREAKING_NAME, email="old@bakery.example")
    task = make_task(db_session, owner, title="Old\r\ntitle")
    _proposal_email_arrives(app, db_session, owner, task, mailbox)


def _proposal_email_arrives(app, db_session, owner, task, mailbox) -> None:
    with app.app_context():
        apply_to_task(
            db_session,
            make_assistant(db_session),
            task.id,
            cover_note="I reconcile bank feeds for bakeries.",
            proposed_rate_cents=2500,
        )
        db_session.commit()
    proposals = [
        m for m in messages_to(mailbox, owner.email, count=1) if "proposal" in m["Subject"]
    ]
    assert len(proposals) == 1, [m["Subject"] for m in mailbox.messages]
    message = proposals[0]
    assert message["Bcc"] is None
    assert "\n" not in message["To"] and "\n" not in message["Subject"]
    # One recipient, the owner, the whole name quoted as its display name.
    assert message["To"] == f'"Dana Bcc: mallory@evil.example Baker" <{owner.email}>'
    assert [a.addr_spec for a in message["To"].addresses] == [owner.email]
    assert all(rcpt == [owner.email] for rcpt, m in mailbox.received if m is message)
