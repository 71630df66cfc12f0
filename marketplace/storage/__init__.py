"""Where uploaded files live: a small interface (put, open, delete) with a local-folder
backend (the default, under the app's ``instance/``) and an S3-compatible one when
``STORAGE_S3_BUCKET`` is set.

Files and database rows cannot share a transaction, so files follow the session's:
``put_in_transaction`` deletes what it stored if the transaction then rolls back (no orphan
files), and ``delete_after_commit`` removes files only once the rows pointing at them are gone
for good (a rollback keeps both). Keys are random; a user's file name never reaches storage.

A process that dies between storing a file and committing its row runs neither hook: the
file stays with nothing pointing at it. The periodic sweep (``storage.sweep``) removes such
files once they are older than a grace period, and uploads left half-written.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, BinaryIO, Protocol

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..config import settings

log = logging.getLogger(__name__)

_STORED = "delegate_storage_stored"  # session.info: (storage, key) put in this transaction
_DOOMED = "delegate_storage_doomed"  # ... to delete once this transaction commits
_DELETE_NOW = "delegate_storage_delete_now"  # ... committed: delete when it has ended


class Storage(Protocol):
    def put(self, key: str, stream: IO[bytes]) -> None:
        """Store the stream's bytes (read from where it stands) under ``key``."""

    def open(self, key: str) -> BinaryIO:
        """The stored bytes as a readable file; raises FileNotFoundError if there are none."""

    def delete(self, key: str) -> None:
        """Remove the file; a key with no file is not an error (deletes may repeat)."""

    def stored_before(self, cutoff: datetime) -> Iterator[str]:
        """The keys of the files stored before ``cutoff``, in no particular order."""

    def remove_partials_before(self, cutoff: datetime) -> int:
        """Remove uploads begun before ``cutoff`` and never finished; how many."""


def new_key() -> str:
    return secrets.token_hex(16)


def _build(app: Flask) -> Storage:
    config = settings(app)
    if config.storage_s3_bucket:
        from .s3 import S3Storage

        return S3Storage.from_settings(config)
    from .local import LocalStorage

    root = config.storage_local_path or Path(app.instance_path) / "attachments"
    return LocalStorage(Path(root))


def get_storage(app: Flask | None = None) -> Storage:
    """The app's storage, built on first use (not in create_app: no I/O at start-up)."""
    # the app itself, not the proxy: the storage is kept in its extensions
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    storage = app.extensions.get("storage")
    if storage is None:
        storage = app.extensions["storage"] = _build(app)
    return storage


def put_in_transaction(session: Session, stream: IO[bytes]) -> str:
    """Store the stream under a new key, deleted again if the session's transaction rolls
    back. Call it before taking row locks: an upload to S3 may take seconds."""
    if not session.in_transaction():
        session.begin()  # so that a rollback before any SQL still removes the file
    storage, key = get_storage(), new_key()
    # Noted before the put: a put that fails half-way leaves nothing behind either.
    session.info.setdefault(_STORED, []).append((storage, key))
    storage.put(key, stream)
    return key


def delete_after_commit(session: Session, keys: list[str]) -> None:
    """Delete these files once the session's transaction commits; never if it rolls back."""
    if not keys:
        return
    if not session.in_transaction():
        session.begin()
    storage = get_storage()
    session.info.setdefault(_DOOMED, []).extend((storage, key) for key in keys)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop(_STORED, None)  # the rows that point at them are saved: keep them
    doomed = session.info.pop(_DOOMED, None)
    if doomed:
        session.info[_DELETE_NOW] = doomed


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return
    session.info.pop(_DOOMED, None)  # rolled back: the rows are still there, so are the files
    for storage, key in session.info.pop(_STORED, None) or ():
        _delete_quietly(storage, key)  # rolled back: nothing points at them
    for storage, key in session.info.pop(_DELETE_NOW, None) or ():
        _delete_quietly(storage, key)


def _delete_quietly(storage: Storage, key: str) -> None:
    # A file left behind costs disk space; an exception here would turn a finished request
    # into an error page. Log it for the operator and go on.
    try:
        storage.delete(key)
    except Exception:
        if has_app_context():
            current_app.logger.exception("Could not delete stored file %s", key)
        else:
            log.exception("Could not delete stored file %s", key)
