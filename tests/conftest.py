"""Test harness: a real database built by the Alembic migrations, one rolled-back
transaction per test, and a CSRF-aware test client.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
Under CI=true a skipped test fails the run: every part must be exercised there.
DELEGATE_TEST_UTC=08:59 runs it as if at that UTC time (see tests/clock.py).
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, make_url, text

from marketplace import microcache
from marketplace.config import normalise_database_url
from marketplace.migrate import upgrade_database
from tests.clock import SUITE_TIME_VARIABLE, suite_destination, travel_suite

# Fixtures every folder may use, shared here rather than imported into each folder's conftest:
# the test SMTP server and mailbox, the Stripe emulator, S3 (moto), a live server for the
# browser, and apps of a test's own.
pytest_plugins = [
    "tests.apps",
    "tests.notifications.mailbox",
    "tests.stripe_fixtures",
    "tests.s3_support",
    "tests.live_server",
]

IN_CI = os.environ.get("CI", "").lower() == "true"
# pytest-xdist names each worker process gw0, gw1, ...; each gets its own PostgreSQL database
# and Redis database, so `pytest -n auto` runs on both backends without one worker's schema
# reset or queue clobbering another's.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
# Redis databases 0-7 are left to people and single runs; worker N uses 8 + N.
FIRST_WORKER_REDIS_DB = 8


def _worker_number() -> int | None:
    if not XDIST_WORKER:
        return None
    return int(XDIST_WORKER.removeprefix("gw"))


def _worker_redis_url(url: str, number: int) -> str:
    database = FIRST_WORKER_REDIS_DB + number
    if database > 15:
        raise pytest.UsageError("Redis has 16 databases: run at most 8 xdist workers")
    return urlsplit(url)._replace(path=f"/{database}").geturl()


if _worker_number() is not None and os.environ.get("REDIS_URL"):
    # Set before any test module reads it at import time (tests/jobs/workers.py does).
    os.environ["REDIS_URL"] = _worker_redis_url(os.environ["REDIS_URL"], _worker_number())
# The app logs INFO and up by default; threads that outlive a test (the SMTP server's) log
# between tests, where pytest captures nothing. A test about logs raises it (caplog).
os.environ.setdefault("LOG_LEVEL", "WARNING")
SUITE_TIME = suite_destination()


def pytest_report_header(config):
    zone = os.environ.get("TZ") or "unset"
    if SUITE_TIME is None:
        return f"clock: real time (set {SUITE_TIME_VARIABLE}=HH:MM to travel); TZ={zone}"
    return f"clock: travelled to {SUITE_TIME.isoformat()} and ticking; TZ={zone}"


@pytest.fixture(scope="session", autouse=True)
def suite_clock():
    """The whole session at DELEGATE_TEST_UTC, when set: no test may depend on the hour."""
    if SUITE_TIME is None:
        yield None
        return
    with travel_suite(SUITE_TIME):
        yield SUITE_TIME


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"Skipped tests fail under CI=true: {reason}"


def _worker_database(url: str) -> str:
    """This xdist worker's own database beside the configured one, created on first use."""
    configured = make_url(url)
    name = f"{configured.database}_{XDIST_WORKER}"
    admin = create_engine(configured, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists.scalar() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return configured.set(database=name).render_as_string(hide_password=False)


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        url = normalise_database_url(configured)
        if XDIST_WORKER:
            url = _worker_database(url)
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    upgrade_database(url)
    return url


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    from tests.apps import make_test_app  # a plugin (pytest_plugins): imported once pytest has it

    application = make_test_app(database_url, tmp_path_factory.mktemp("instance"))
    yield application
    application.extensions["db"].engine.dispose()


@pytest.fixture
def db_session(app):
    """Every request in the test shares one connection whose outer transaction is rolled back.

    Commits in the code under test only release savepoints, so each test starts clean.
    """
    database = app.extensions["db"]
    # What a worker remembers of earlier pages belongs to data this fixture rolls back.
    microcache.clear_all()
    connection = database.engine.connect()
    outer = connection.begin()
    database.sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")
    # A plain session, not the request's: an app context held open here would be reused by
    # every test request, sharing flask.g (and the logged-in user) between them.
    session = database.sessionmaker()
    yield session
    session.close()
    outer.rollback()
    connection.close()
    database.sessionmaker.configure(
        bind=database.engine, join_transaction_mode="conservative_savepoint"
    )


class Client:
    """Flask's test client plus what a browser does with forms: it sends the CSRF token."""

    TOKEN = re.compile(
        r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
    )

    def __init__(self, flask_client):
        self.raw = flask_client

    def get(self, url, **kw):
        return self.raw.get(url, **kw)

    def csrf_token(self) -> str:
        page = self.raw.get("/login").get_data(as_text=True)
        match = self.TOKEN.search(page)
        assert match, "no CSRF token on the log-in page"
        return match.group(1) or match.group(2)

    def post(self, url, data=None, *, csrf=True, **kw):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf_token())
        return self.raw.post(url, data=data, **kw)

    def login_as(self, user) -> None:
        """What a log-in leaves in the browser: a server-side session and its cookie."""
        from datetime import timedelta

        from sqlalchemy.orm import object_session

        from marketplace.accounts import auth, sessions

        app = self.raw.application
        db_session = object_session(user) or app.extensions["db"].sessionmaker()
        token = sessions.start(db_session, user, timedelta(days=app.config["LOGIN_SESSION_DAYS"]))
        db_session.commit()
        with self.raw.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
            session[auth.TOKEN_KEY] = token

    def logout(self) -> None:
        with self.raw.session_transaction() as session:
            session.clear()


@pytest.fixture
def client(app, db_session) -> Client:
    return Client(app.test_client())


@pytest.fixture
def other_client(app, db_session) -> Client:
    return Client(app.test_client())
