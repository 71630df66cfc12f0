"""Both storage backends keep the same promises: what is put comes back byte for byte, a
delete removes it (and may repeat), a missing key is FileNotFoundError; and files follow the
database transaction: stored then rolled back is removed, deleted then rolled back is kept."""

from __future__ import annotations

import io

import pytest

from marketplace.storage import delete_after_commit, get_storage, new_key, put_in_transaction
from marketplace.storage.local import LocalStorage
from marketplace.storage.s3 import S3Storage
from tests.s3_support import s3_storage

DATA = b"%PDF-1.4 the bytes of a file\x00\xff" * 1000


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    return s3_storage(request.getfixturevalue("s3_settings"))


def read(storage, key: str) -> bytes:
    with storage.open(key) as stream:
        return stream.read()


def test_put_open_delete(storage):
    key = new_key()
    storage.put(key, io.BytesIO(DATA))
    assert read(storage, key) == DATA
    storage.delete(key)
    with pytest.raises(FileNotFoundError):
        storage.open(key)
    storage.delete(key)  # again: nothing there, no error


def test_a_key_never_stored_is_not_found(storage):
    with pytest.raises(FileNotFoundError):
        storage.open(new_key())


def test_keys_stay_inside_the_folder(tmp_path):
    local = LocalStorage(tmp_path / "files")
    for bad in ("../../etc/passwd", "/etc/passwd", "ab", "A" * 32, "0" * 31 + "/"):
        with pytest.raises(ValueError):
            local.put(bad, io.BytesIO(b"x"))
    assert not (tmp_path / "files").exists() or not any((tmp_path / "files").rglob("*"))


def test_s3_objects_sit_under_the_prefix(s3_settings):
    s3 = s3_storage(s3_settings)
    key = new_key()
    s3.put(key, io.BytesIO(DATA))
    listed = s3.client.list_objects_v2(Bucket=s3_settings["STORAGE_S3_BUCKET"])
    assert [item["Key"] for item in listed["Contents"]] == [f"attachments/{key}"]


def test_the_app_picks_s3_when_a_bucket_is_set(app, s3_settings):
    from marketplace import create_app

    other = create_app({"SECRET_KEY": "k", "DATABASE_URL": "sqlite://", **s3_settings})
    assert isinstance(get_storage(other), S3Storage)
    plain = create_app({"SECRET_KEY": "k", "DATABASE_URL": "sqlite://"})
    plain.instance_path = str(app.instance_path)
    assert isinstance(get_storage(plain), LocalStorage)


def test_a_file_stored_in_a_rolled_back_transaction_is_removed(app, db_session):
    with app.app_context():
        storage = get_storage()
        kept = put_in_transaction(db_session, io.BytesIO(b"kept"))
        db_session.commit()
        dropped = put_in_transaction(db_session, io.BytesIO(b"dropped"))
        db_session.rollback()
        assert read(storage, kept) == b"kept"
        with pytest.raises(FileNotFoundError):
            storage.open(dropped)


def test_a_delete_waits_for_the_commit(app, db_session):
    with app.app_context():
        storage = get_storage()
        key = put_in_transaction(db_session, io.BytesIO(b"bytes"))
        db_session.commit()
        delete_after_commit(db_session, [key])
        assert read(storage, key) == b"bytes"  # not before the commit
        db_session.rollback()
        assert read(storage, key) == b"bytes"  # rolled back: the rows stay, so does the file
        delete_after_commit(db_session, [key])
        db_session.commit()
        with pytest.raises(FileNotFoundError):
            storage.open(key)
