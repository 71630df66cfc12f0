"""What happens to files after they are sent: deleted with a conversation or an account
(rows at once, bytes once that commits), kept in S3 when so configured, and told of in the
email without being attached to it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.db import utcnow
from marketplace.messages.attachments import delete_conversation_files, delete_user_files
from marketplace.notifications.sender import send_due
from marketplace.storage import get_storage
from marketplace.storage.local import LocalStorage
from tests.factories import make_assistant, make_task
from tests.messages import files
from tests.messages.attachment_helpers import (
    attachments_of,
    counts,
    send_files,
    storage_in_use,
    stored_files,
)
from tests.messages.helpers import conversation_id, open_as_owner, scene, start
from tests.notifications.mailbox import body_html, body_text
from tests.s3_support import s3_storage

INVOICE = files.pdf()


def two_conversations(client, db_session):
    """The owner writes to Joy about one task (two files) and to Sam about another (one)."""
    owner, task, va = scene(db_session)
    sam = make_assistant(db_session, display_name="Sam Cruz", email="sam@va.example")
    other_task = make_task(db_session, owner, title="Answer support email")
    joy_cid = open_as_owner(client, owner, task, va)
    sam_cid = conversation_id(start(client, other_task.id, sam.id))
    send_files(client, joy_cid, "Two files", (INVOICE, "a.pdf"), (files.png(), "b.png"))
    send_files(client, sam_cid, "One file", (files.csv(), "c.csv"))
    return owner, va, sam, joy_cid, sam_cid


def paths(app, attachments) -> set:
    with app.app_context():
        root = get_storage().root
    return {root / a.storage_key[:2] / a.storage_key for a in attachments}


def test_a_conversations_files_go_once_the_deletion_commits(app, client, db_session):
    owner, va, sam, joy_cid, sam_cid = two_conversations(client, db_session)
    joy_files = paths(app, attachments_of(db_session, joy_cid))
    sam_files = paths(app, attachments_of(db_session, sam_cid))
    assert joy_files | sam_files <= stored_files(app)

    with app.app_context():
        assert delete_conversation_files(db_session, joy_cid) == 2
        assert joy_files <= stored_files(app)  # not before the commit
        db_session.rollback()
        assert len(attachments_of(db_session, joy_cid)) == 2 and joy_files <= stored_files(app)

        assert delete_conversation_files(db_session, joy_cid) == 2
        db_session.commit()
    assert attachments_of(db_session, joy_cid) == []
    assert not joy_files & stored_files(app)
    assert sam_files <= stored_files(app) and len(attachments_of(db_session, sam_cid)) == 1


def test_a_persons_files_are_the_files_they_sent(app, client, db_session):
    owner, va, sam, joy_cid, sam_cid = two_conversations(client, db_session)
    sam_files = paths(app, attachments_of(db_session, sam_cid))
    joy_files = paths(app, attachments_of(db_session, joy_cid))
    with app.app_context():
        assert delete_user_files(db_session, sam.id) == 0  # Sam only received the owner's
        db_session.commit()
    assert sam_files | joy_files <= stored_files(app)
    with app.app_context():
        assert delete_user_files(db_session, owner.id) == 3
        assert delete_user_files(db_session, owner.id) == 0
        db_session.commit()
    assert not (joy_files | sam_files) & stored_files(app)


def test_files_go_to_s3_when_configured(app, client, other_client, db_session, s3_settings):
    s3 = s3_storage(s3_settings)
    with storage_in_use(app, s3):
        owner, task, va = scene(db_session)
        cid = open_as_owner(client, owner, task, va)
        assert send_files(client, cid, "Via S3", (INVOICE, "s3.pdf")).status_code == 302
        (attachment,) = attachments_of(db_session, cid)
        other_client.login_as(va)
        response = other_client.get(f"/messages/files/{attachment.id}", buffered=True)
        assert response.status_code == 200 and response.data == INVOICE
        listed = s3.client.list_objects_v2(Bucket=s3_settings["STORAGE_S3_BUCKET"])
        assert [o["Key"] for o in listed["Contents"]] == [f"attachments/{attachment.storage_key}"]
        with app.app_context():
            delete_conversation_files(db_session, cid)
            db_session.commit()
        listed = s3.client.list_objects_v2(Bucket=s3_settings["STORAGE_S3_BUCKET"])
        assert listed.get("Contents", []) == []


@pytest.mark.parametrize(
    "body, sent, subject, line",
    [
        ("", [("invoice.pdf", INVOICE)], "sent you a file", "Sent you a file: invoice.pdf"),
        (
            "The receipts",
            [("a.png", files.png()), ("b.csv", files.csv())],
            "sent you 1 message and 2 files",
            "Sent you 2 files: a.png, b.csv",
        ),
    ],
)
def test_the_email_says_a_file_was_sent_and_carries_none(
    app, smtp_app, client, db_session, mailbox, time_machine, body, sent, subject, line
):
    owner, task, va = scene(db_session)
    cid = open_as_owner(client, owner, task, va)
    uploads = [(data, name) for name, data in sent]
    assert send_files(client, cid, body, *uploads).status_code == 302
    with app.app_context():
        time_machine.move_to(utcnow() + timedelta(minutes=3))
        assert send_due(db_session).sent == 1
    (message,) = mailbox.to("joy@va.example")
    # (A subject this long is folded onto a second header line; a reader sees it unfolded.)
    shown_subject = " ".join(message["Subject"].split())
    assert shown_subject == f'Dana Baker {subject} about "Reconcile our QuickBooks"'
    assert line in body_text(message) and line in body_html(message)
    assert body in body_text(message)
    assert list(message.iter_attachments()) == []


class DiskFillsUp(LocalStorage):
    """A disk that fills up half-way through the second file of a message (the one failure
    that cannot be made for real here)."""

    def __init__(self, root):
        super().__init__(root)
        self.puts = 0

    def put(self, key, stream):
        self.puts += 1
        if self.puts == 2:
            path = self._path(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(stream.read(10))
            raise OSError(28, "No space left on device")
        super().put(key, stream)


def test_a_storage_failure_says_so_and_leaves_nothing(app, client, db_session, tmp_path):
    with storage_in_use(app, DiskFillsUp(tmp_path / "files")):
        owner, task, va = scene(db_session)
        cid = open_as_owner(client, owner, task, va)
        before = counts(db_session)
        response = send_files(client, cid, "Both scans", (INVOICE, "1.pdf"), (INVOICE, "2.pdf"))
        assert response.status_code == 503
        page = response.get_data(as_text=True)
        assert "Your files could not be stored just now, so nothing was sent." in page
        assert "Both scans</textarea>" in page
        assert counts(db_session) == before
        assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []
