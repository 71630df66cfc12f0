"""A real S3-compatible server (moto's, in a thread of the test process) and a bucket."""

from __future__ import annotations

import uuid

import pytest

BUCKET = "delegate-test-attachments"


@pytest.fixture(scope="session")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_settings(s3_endpoint) -> dict:
    """Settings for a fresh bucket (each test its own, so none sees another's files)."""
    import boto3

    settings = {
        "STORAGE_S3_BUCKET": f"{BUCKET}-{uuid.uuid4().hex[:8]}",
        "STORAGE_S3_ENDPOINT_URL": s3_endpoint,
        "STORAGE_S3_REGION": "us-east-1",
        "STORAGE_S3_PREFIX": "attachments/",
        "STORAGE_S3_ACCESS_KEY_ID": "testing",
        "STORAGE_S3_SECRET_ACCESS_KEY": "testing",
    }
    boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=settings["STORAGE_S3_BUCKET"])
    return settings


def s3_storage(s3_settings: dict):
    """The S3 storage those settings describe, as the app would build it."""
    from marketplace.config import Settings
    from marketplace.storage.s3 import S3Storage

    return S3Storage.from_settings(
        Settings.from_mapping({"SECRET_KEY": "s3", "DATABASE_URL": "sqlite://", **s3_settings})
    )
