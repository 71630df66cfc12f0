"""The one way tests build an app: the test settings every app shares, plus what a test changes.

``make_test_app`` is the suite's app (the ``app`` fixture) and every app a test needs of its
own; ``committed_test_app`` is one whose requests commit for real (races between threads,
several senders), its tables emptied afterwards. A setting is changed by naming it, e.g.
``make_test_app(url, path, JOBS_BACKEND="inline")``; on the shared app, ``rate_limits`` and
``monkeypatch.setitem(app.config, ...)`` change one for a test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from marketplace import create_app
from tests.db_utils import empty_all_tables
from tests.rate_limit_support import GENEROUS_LIMITS

TEST_SETTINGS: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "RATELIMIT_STORAGE_URI": "memory://",
    # Tests log in far more often than people do; rate-limit tests lower these.
    **GENEROUS_LIMITS,
    "BASE_URL": "http://localhost",
    # The shared app's tests roll their rows back, which a worker's copies of log-in
    # sessions would outlive; tests/accounts/test_login_cache.py turns it on, on apps that
    # commit for real.
    "LOGIN_CACHE_SECONDS": 0,
}


def make_test_app(database_url: str, instance_path: Path | str, **overrides: Any) -> Flask:
    app = create_app({**TEST_SETTINGS, "DATABASE_URL": database_url, **overrides})
    app.instance_path = str(instance_path)
    return app


@contextmanager
def committed_test_app(
    database_url: str, instance_path: Path | str, **overrides: Any
) -> Iterator[Flask]:
    app = make_test_app(database_url, instance_path, **overrides)
    try:
        yield app
    finally:
        empty_all_tables(app.extensions["db"].engine)
        app.extensions["db"].engine.dispose()


@pytest.fixture
def committed_app(database_url, tmp_path):
    """An app whose requests commit for real, for races between threads on committed rows."""
    with committed_test_app(database_url, tmp_path) as app:
        yield app
