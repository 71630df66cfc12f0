"""Files sent with messages: checking them before anything is stored, storing them, finding
one for a party to download, and deleting a conversation's or a person's files.

A file over the limit or of a refused kind stops the whole message before any byte reaches
storage or any row is written; once stored, a file is removed again if the transaction rolls
back (storage.put_in_transaction), so a failed post leaves neither rows nor files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import IO

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..config import settings
from ..errors import Invalid, NotFound, Unavailable
from ..storage import delete_after_commit, get_storage, put_in_transaction
from ..storage.sweep import SweepReport, sweep_orphans
from . import file_types
from .models import Conversation, Message, MessageAttachment

FIELD = "files"
NOT_FOUND = "This file does not exist, or it is not yours to see."


@dataclass(frozen=True)
class Upload:
    """A file as the browser sent it: its name and its bytes."""

    name: str
    stream: IO[bytes]


@dataclass(frozen=True)
class CheckedFile:
    name: str
    kind: file_types.FileKind
    size: int
    stream: IO[bytes]


def limits() -> tuple[int, int]:
    """(most bytes per file, most files per message), from the settings."""
    config = settings()
    return config.attachment_max_bytes, config.attachments_per_message


def human_size(size: int) -> str:
    """ "840 kB", "2.5 MB", "10 MB" (binary units, as file managers count them)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} kB"
    value = size / (1024 * 1024)
    return f"{value:.0f} MB" if value >= 10 or value == int(value) else f"{value:.1f} MB"


def _size(stream: IO[bytes]) -> int:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def check_uploads(uploads: Iterable[Upload]) -> list[CheckedFile]:
    """Every file accepted, or Invalid naming the first that is not (and why)."""
    uploads = list(uploads)
    max_bytes, max_files = limits()
    if len(uploads) > max_files:
        raise Invalid(
            f"Attach at most {max_files} files to one message; you chose {len(uploads)}.", FIELD
        )
    return [_check(upload, max_bytes) for upload in uploads]


def _check(upload: Upload, max_bytes: int) -> CheckedFile:
    name = file_types.clean_name(upload.name)
    kind = file_types.kind_for(name)
    if kind is None:
        raise Invalid(
            f"“{name}” is not a kind of file we accept: send {file_types.ACCEPTED}.", FIELD
        )
    size = _size(upload.stream)
    if size == 0:
        raise Invalid(f"“{name}” is empty; choose the file again.", FIELD)
    if size > max_bytes:
        raise Invalid(
            f"“{name}” is {human_size(size)}; each file can be at most {human_size(max_bytes)}.",
            FIELD,
        )
    if not file_types.content_matches(kind, upload.stream):
        raise Invalid(
            f"“{name}” is not {kind.label} inside, whatever its name says; send the file in "
            "its real format.",
            FIELD,
        )
    return CheckedFile(name, kind, size, upload.stream)


def store(session: Session, files: list[CheckedFile]) -> list[MessageAttachment]:
    """Put the files in storage (removed again on rollback); the rows are not added yet,
    as they need the message's id. Done before the post takes any row lock."""
    stored = []
    for f in files:
        try:
            key = put_in_transaction(session, f.stream)
        except Exception as exc:
            # A full disk or an unreachable bucket: say so; the rollback removes any part.
            current_app.logger.exception("Could not store an attachment")
            raise Unavailable(
                "Your files could not be stored just now, so nothing was sent. Try again in a "
                "few minutes; what you wrote is kept.",
                FIELD,
            ) from exc
        stored.append(
            MessageAttachment(
                storage_key=key,
                filename=f.name,
                content_type=f.kind.content_type,
                size_bytes=f.size,
            )
        )
    return stored


def attach(session: Session, message: Message, attachments: list[MessageAttachment]) -> None:
    for attachment in attachments:
        attachment.message_id = message.id
        session.add(attachment)
    session.flush()


def file_for(session: Session, user: User, attachment_id: int) -> MessageAttachment:
    """The attachment, if the person is one of the two parties of its conversation and its
    message has not been removed by an operator."""
    found = session.execute(
        select(MessageAttachment, Conversation, Message.removed_at)
        .join(Message, Message.id == MessageAttachment.message_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(MessageAttachment.id == attachment_id)
    ).first()
    if found is None or not found[1].is_party(user.id):
        raise NotFound(NOT_FOUND)
    if found[2] is not None:  # an operator removed the message, and its files with it
        raise NotFound("This file was removed by Delegate's support.")
    return found[0]


def names_by_message(session: Session, message_ids: list[int]) -> dict[int, list[str]]:
    """The file names of each message, in the order sent (for the email)."""
    if not message_ids:
        return {}
    rows = session.execute(
        select(MessageAttachment.message_id, MessageAttachment.filename)
        .where(MessageAttachment.message_id.in_(message_ids))
        .order_by(MessageAttachment.id)
    )
    names: dict[int, list[str]] = {}
    for message_id, filename in rows:
        names.setdefault(message_id, []).append(filename)
    return names


def _delete_where(session: Session, *conditions) -> int:
    in_scope = (
        select(MessageAttachment.id)
        .join(Message, Message.id == MessageAttachment.message_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(*conditions)
    )
    rows = session.execute(
        select(MessageAttachment.id, MessageAttachment.storage_key).where(
            MessageAttachment.id.in_(in_scope)
        )
    ).all()
    if not rows:
        return 0
    ids = [row.id for row in rows]
    session.execute(
        delete(MessageAttachment)
        .where(MessageAttachment.id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    delete_after_commit(session, [row.storage_key for row in rows])
    return len(rows)


def delete_conversation_files(session: Session, conversation_id: int) -> int:
    """Delete every file of the conversation: the rows now, the stored bytes once the
    caller commits (never if it rolls back). Returns how many."""
    return _delete_where(session, Conversation.id == conversation_id)


def delete_user_files(session: Session, user_id: int) -> int:
    """Delete every file the person sent (account deletion: the conversations stay for the
    other party, with the deleted person's words and files gone; what the other party sent
    is theirs). Stored bytes go once the caller commits."""
    return _delete_where(session, Message.sender_id == user_id)


def referenced_keys(session: Session, keys: list[str]) -> set[str]:
    """Which of these storage keys an attachment row points at (attachments are the only
    rows that hold storage keys)."""
    found = session.scalars(
        select(MessageAttachment.storage_key).where(MessageAttachment.storage_key.in_(keys))
    )
    return set(found)


def sweep_orphan_files(session: Session) -> SweepReport:
    """Remove stored files whose message never committed, after STORAGE_ORPHAN_GRACE_HOURS."""
    grace = timedelta(hours=settings().storage_orphan_grace_hours)
    return sweep_orphans(session, get_storage(), referenced_keys, grace)


def file_note(names: list[str]) -> str:
    """What an email says in place of the files (it never carries them)."""
    if len(names) == 1:
        return f"Sent you a file: {names[0]}"
    return f"Sent you {len(names)} files: {', '.join(names)}"


def with_file_note(body: str, names: list[str] | None) -> str:
    if not names:
        return body
    return f"{body}\n{file_note(names)}" if body.strip() else file_note(names)


def what_was_sent(messages: list[Message], names: dict[int, list[str]]) -> str:
    """ "3 messages", "a file", "2 messages and 3 files": for the email's subject."""
    files = sum(len(names.get(m.id, ())) for m in messages)
    if not files:
        return f"{len(messages)} message{'s' if len(messages) > 1 else ''}"
    texts = sum(1 for m in messages if m.body.strip())
    shown_files = "a file" if files == 1 else f"{files} files"
    if not texts:
        return shown_files
    return f"{texts} message{'s' if texts > 1 else ''} and {shown_files}"
