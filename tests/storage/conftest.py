"""Storage tests: the S3-compatible server fixtures."""

from tests.s3_support import s3_endpoint, s3_settings  # noqa: F401
