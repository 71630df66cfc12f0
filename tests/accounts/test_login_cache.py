"""Each worker's copy of log-in sessions (marketplace/accounts/login_cache.py): a known
session is answered without the database, and a log-out, a password change or a suspension
made in another worker ends it there at once, as long as the worker hears Redis."""

from __future__ import annotations

import os
import time
from contextlib import ExitStack

import pytest
from redis import Redis
from sqlalchemy import event, text, update

from marketplace.accounts import login_cache, sessions
from marketplace.accounts.models import LoginSession, User
from marketplace.db import get_session, utcnow
from tests.apps import committed_test_app
from tests.conftest import Client
from tests.factories import PASSWORD, make_owner

REDIS_URL = os.environ.get("REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="the log-in cache needs REDIS_URL")


@pytest.fixture
def workers(database_url, tmp_path):
    """Two apps on one database and one Redis: two gunicorn workers, each with its copies."""
    with ExitStack() as stack:
        apps = [
            stack.enter_context(
                committed_test_app(
                    database_url,
                    tmp_path / name,
                    REDIS_URL=REDIS_URL,
                    JOBS_BACKEND="inline",
                    LOGIN_CACHE_SECONDS=120,
                )
            )
            for name in ("a", "b")
        ]
        for app in apps:
            wait_until(lambda app=app: hears(app), "the worker to subscribe")
        yield apps
        for app in apps:
            login_cache.cache_of(app).stop()


def hears(app) -> bool:
    cache = login_cache.cache_of(app)
    cache._start_listening()
    return cache._listening


def wait_until(condition, what: str, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def owner_in(app) -> int:
    with app.app_context():
        session = get_session()
        owner = make_owner(session)
        session.commit()
        return owner.id


def browser(app, user_id: int, cookie: str | None = None) -> Client:
    client = Client(app.test_client())
    if cookie is None:
        response = client.post("/login", {"email": email_of(app, user_id), "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
    else:
        client.raw.set_cookie("session", cookie)
    return client


def email_of(app, user_id: int) -> str:
    with app.app_context():
        return get_session().get_one(User, user_id).email


def is_logged_in(client) -> bool:
    response = client.get("/dashboard")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def statements_of(app, request):
    seen: list[str] = []
    engine = app.extensions["db"].engine

    def record(*args):
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        request()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def kept(app, client) -> None:
    """Until the worker keeps this browser's session: the log-in's own eviction may reach
    it after its first read, which is then not kept."""
    wait_until(lambda: is_logged_in(client) and login_cache.cache_of(app)._copies, "a copy")


def test_a_worker_answers_a_session_it_knows_without_reading_it_again(workers):
    a, _ = workers
    client = browser(a, owner_in(a))
    kept(a, client)
    from_copy = statements_of(a, lambda: client.get("/dashboard"))
    assert not any("login_sessions" in sql for sql in from_copy)
    assert is_logged_in(client)
    login_cache.cache_of(a).evict({login_cache._EVERYONE})
    read = statements_of(a, lambda: client.get("/dashboard"))
    assert any("login_sessions" in sql for sql in read)


def client_user(app, client) -> int:
    with client.raw.session_transaction() as session:
        return int(session["_user_id"])


def test_logging_out_in_one_worker_ends_the_session_in_the_other(workers):
    a, b = workers
    in_a = browser(a, owner_in(a))
    cookie = in_a.raw.get_cookie("session").value
    in_b = browser(b, client_user(a, in_a), cookie)
    kept(a, in_a)
    assert is_logged_in(in_b)

    assert in_b.post("/logout").status_code == 302
    wait_until(lambda: not is_logged_in(browser(a, 0, cookie)), "a to drop the session")


def test_a_suspension_or_a_password_change_elsewhere_ends_the_copies(workers):
    a, b = workers
    owner_id = owner_in(a)
    suspended = browser(a, owner_id)
    kept(a, suspended)
    with b.app_context():  # an ORM change in the other worker (the operator's suspend does so)
        session = get_session()
        session.get_one(User, owner_id).suspended_at = utcnow()
        session.commit()
    wait_until(lambda: not is_logged_in(suspended), "a to drop the suspended user")

    other_id = owner_in(a)
    signed_out = browser(a, other_id)
    kept(a, signed_out)
    with b.app_context():  # a bulk UPDATE, as "sign out my other sessions" makes
        session = get_session()
        assert sessions.sign_out_other_sessions(session, other_id, keep_token=None) == 1
        session.commit()
    wait_until(lambda: not is_logged_in(signed_out), "a to drop the signed-out session")


def test_a_copy_read_before_an_eviction_is_not_kept_after_it(workers):
    a, _ = workers
    client = browser(a, owner_in(a))
    cache = login_cache.cache_of(a)
    generation = cache.generation
    cache.evict({login_cache._EVERYONE})  # the commit this read may predate
    with a.app_context():
        session = get_session()
        row = session.query(LoginSession).one()
        user = session.get_one(User, row.user_id)
        cache.keep(row.token_hash, row, user, generation=generation)
        assert cache.get(session, row.token_hash) is None
        cache.keep(row.token_hash, row, user, generation=cache.generation)
        assert cache.get(session, row.token_hash) is not None
    assert is_logged_in(client)


def test_a_worker_that_stops_hearing_redis_reads_the_database_again(workers):
    a, _ = workers
    client = browser(a, owner_in(a))
    kept(a, client)
    cache = login_cache.cache_of(a)
    redis = Redis.from_url(REDIS_URL)
    killed = sum(
        redis.client_kill_filter(_id=entry["id"])
        for entry in redis.client_list(_type="pubsub")
        if entry.get("name") == cache.client_name
    )
    assert killed == 1
    wait_until(lambda: not cache._listening or not cache._copies, "a to notice")
    # A change no worker can hear (made outside the app) is seen at once: nothing was kept.
    with a.app_context():
        session = get_session()
        session.execute(text("UPDATE login_sessions SET revoked_at = expires_at"))
        session.commit()
    assert not is_logged_in(client)
    wait_until(lambda: hears(a), "a to subscribe again")


def test_without_redis_nothing_is_kept(database_url, tmp_path):
    with committed_test_app(
        database_url,
        tmp_path,
        REDIS_URL="redis://127.0.0.1:1/0",
        JOBS_BACKEND="inline",
        LOGIN_CACHE_SECONDS=120,
    ) as app:
        client = browser(app, owner_in(app))
        assert is_logged_in(client) and is_logged_in(client)
        engine = app.extensions["db"].engine
        with engine.begin() as conn:  # unheard by any worker: only no copy makes it seen
            conn.execute(update(User).values(suspended_at=utcnow()))
        assert not is_logged_in(client)
