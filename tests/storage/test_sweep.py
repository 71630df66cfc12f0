"""The orphan sweep, on both backends: a file whose message committed stays downloadable; a
file stored by a process that died before committing goes once it is older than the grace
period (and not before); uploads left half-written go too. Time moves by the fake clock."""

from __future__ import annotations

import io
import os
from datetime import timedelta

import pytest

from marketplace.db import utcnow
from marketplace.jobs import run_job
from marketplace.jobs.schedule import PERIODIC
from marketplace.storage import new_key
from marketplace.storage.local import LocalStorage
from tests.messages import files
from tests.messages.attachment_helpers import attachments_of, send_files, storage_in_use
from tests.messages.helpers import open_as_owner, scene
from tests.s3_support import s3_storage

INVOICE = files.pdf("Invoice 77")
GRACE = timedelta(hours=24)  # the default STORAGE_ORPHAN_GRACE_HOURS


@pytest.fixture(params=["local", "s3"])
def storage(request, app, tmp_path):
    if request.param == "local":
        backend = LocalStorage(tmp_path / "files")
    else:
        backend = s3_storage(request.getfixturevalue("s3_settings"))
    with storage_in_use(app, backend):
        yield backend


def exists(storage, key: str) -> bool:
    try:
        storage.open(key).close()
    except FileNotFoundError:
        return False
    return True


def orphan(storage) -> str:
    """What a process that died between storing and committing leaves: a file, no row."""
    key = new_key()
    storage.put(key, io.BytesIO(b"%PDF-1.4 never committed"))
    return key


def test_a_committed_file_stays_and_an_orphan_goes_after_the_grace_period(
    app, client, other_client, db_session, storage, time_machine
):
    owner, task, va = scene(db_session)
    cid = open_as_owner(client, owner, task, va)
    assert send_files(client, cid, "November", (INVOICE, "invoice.pdf")).status_code == 302
    (attachment,) = attachments_of(db_session, cid)
    died = orphan(storage)

    time_machine.move_to(utcnow() + GRACE - timedelta(minutes=5))
    assert run_job(app, "storage.sweep_orphans", ()) == 0  # not a day old yet: may be uploading
    assert exists(storage, died)

    time_machine.move_to(utcnow() + timedelta(minutes=10))
    just_stored = orphan(storage)  # a fresh upload whose transaction is still open
    assert run_job(app, "storage.sweep_orphans", ()) == 1
    assert not exists(storage, died)
    assert exists(storage, just_stored)
    other_client.login_as(va)
    download = other_client.get(f"/messages/files/{attachment.id}", buffered=True)
    assert download.status_code == 200 and download.data == INVOICE

    assert run_job(app, "storage.sweep_orphans", ()) == 0  # again: nothing more to do


def test_half_written_uploads_go_too_and_the_command_says_what_it_removed(
    app, db_session, storage, time_machine
):
    if isinstance(storage, LocalStorage):
        folder = storage.root / "ab"
        folder.mkdir(parents=True)
        partial = folder / ".upload-k3j2h1"  # the temporary name put() writes under
        partial.write_bytes(b"%PDF-1.4 half")
        stamp = utcnow().timestamp()
        os.utime(partial, (stamp, stamp))

        def left() -> bool:
            return partial.exists()
    else:
        key = f"{storage.prefix}{new_key()}"
        storage.client.create_multipart_upload(Bucket=storage.bucket, Key=key)

        def left() -> bool:
            return bool(storage.client.list_multipart_uploads(Bucket=storage.bucket).get("Uploads"))

    died = orphan(storage)
    time_machine.move_to(utcnow() + GRACE + timedelta(hours=1))
    result = app.test_cli_runner().invoke(args=["storage", "sweep"])
    assert result.exit_code == 0, result.output
    assert "Removed 1 orphan file(s) and 1 partial upload(s)." in result.output
    assert not left() and not exists(storage, died)


def test_the_sweep_is_on_the_schedule():
    assert ("storage.sweep_orphans", 3600) in PERIODIC
