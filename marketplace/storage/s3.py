"""Files in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2 ...), through boto3.

Credentials come from the settings when given, else from boto3's usual chain (environment,
instance role). Objects are private; downloads go through the app's authorised route, which
streams them, so no bucket policy or signed URL is ever exposed to a browser.
"""

from __future__ import annotations

from typing import BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


class S3Storage:
    def __init__(self, client, bucket: str, prefix: str = ""):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def from_config(cls, config) -> S3Storage:
        client = boto3.client(
            "s3",
            endpoint_url=config.get("STORAGE_S3_ENDPOINT_URL") or None,
            region_name=config.get("STORAGE_S3_REGION") or None,
            aws_access_key_id=config.get("STORAGE_S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("STORAGE_S3_SECRET_ACCESS_KEY") or None,
            # Bounded waits: a hung storage server must not hold a web worker for minutes.
            config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3}),
        )
        return cls(client, config["STORAGE_S3_BUCKET"], config.get("STORAGE_S3_PREFIX") or "")

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def put(self, key: str, stream: BinaryIO) -> None:
        self.client.upload_fileobj(stream, self.bucket, self._key(key))

    def open(self, key: str) -> BinaryIO:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(key) from exc
            raise

    def delete(self, key: str) -> None:
        # S3 answers a delete of a missing key with success too.
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
