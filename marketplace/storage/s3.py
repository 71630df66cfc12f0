"""Files in an S3-compatible bucket (AWS S3, MinIO, Ceph, R2 ...), through boto3.

Credentials come from the settings when given, else from boto3's usual chain (environment,
instance role). Objects are private; downloads go through the app's authorised route, which
streams them, so no bucket policy or signed URL is ever exposed to a browser.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import IO, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from ..config import Settings


class S3Storage:
    def __init__(self, client, bucket: str, prefix: str = ""):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def from_settings(cls, config: Settings) -> S3Storage:
        client = boto3.client(
            "s3",
            endpoint_url=config.storage_s3_endpoint_url,
            region_name=config.storage_s3_region,
            aws_access_key_id=config.storage_s3_access_key_id,
            aws_secret_access_key=config.storage_s3_secret_access_key,
            # Bounded waits: a hung storage server must not hold a web worker for minutes.
            config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3}),
        )
        return cls(client, config.storage_s3_bucket or "", config.storage_s3_prefix)

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def put(self, key: str, stream: IO[bytes]) -> None:
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

    def stored_before(self, cutoff: datetime) -> Iterator[str]:
        # Times are the bucket's LastModified: the storage server's clock, not ours; the
        # sweep's grace period (a day) is far longer than any skew between the two.
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", ()):
                key = item["Key"][len(self.prefix) :]
                if item["LastModified"] < cutoff and key:
                    yield key

    def remove_partials_before(self, cutoff: datetime) -> int:
        # A large file goes up in parts; a process that dies half-way leaves the parts
        # stored (and billed) until the upload is aborted.
        removed = 0
        pages = self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for upload in page.get("Uploads", ()):
                if upload["Initiated"] < cutoff:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    removed += 1
        return removed
