"""Sending files the way the browser's form does, and looking at what was stored."""

from __future__ import annotations

import io
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from marketplace.messages.models import Message, MessageAttachment
from marketplace.storage import get_storage
from tests.conftest import Client


def send_files(client: Client, cid: int, body: str, *files: tuple[bytes, str], headers=None):
    """Post the form with files. The body is built here, not by client.post, because
    Werkzeug's test client leaves a large body's temporary file open when the app does not
    read it all (a refused 413), which the suite's ResourceWarning-as-error would blame on
    the next test."""
    data = {
        "body": body,
        "csrf_token": client.csrf_token(),
        "files": [(io.BytesIO(data), name) for data, name in files],
    }
    builder = EnvironBuilder(path=f"/messages/{cid}", method="POST", data=data, headers=headers)
    try:
        environ = builder.get_environ()
        try:
            return client.raw.open(environ)
        finally:
            environ["wsgi.input"].close()
    finally:
        builder.close()


def stored_files(app) -> set[Path]:
    """Every file in the local storage folder (the test app's instance/attachments)."""
    with app.app_context():
        root = get_storage().root
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def counts(session) -> tuple[int, int]:
    """(messages, attachments) in the database."""
    return (
        session.scalar(select(func.count(Message.id))),
        session.scalar(select(func.count(MessageAttachment.id))),
    )


def attachments_of(session, cid: int) -> list[MessageAttachment]:
    return list(
        session.scalars(
            select(MessageAttachment)
            .join(Message, Message.id == MessageAttachment.message_id)
            .where(Message.conversation_id == cid)
            .order_by(MessageAttachment.id)
        )
    )


@contextmanager
def storage_in_use(app, storage):
    """The app keeps its files in `storage` for the block, then in its own again."""
    previous = app.extensions.get("storage")
    app.extensions["storage"] = storage
    try:
        yield storage
    finally:
        if previous is None:
            app.extensions.pop("storage", None)
        else:
            app.extensions["storage"] = previous
