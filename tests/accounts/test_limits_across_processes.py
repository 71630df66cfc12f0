"""Log-in limits under gunicorn with several workers, and with Redis down, on committed data.

Two attempts at a time are released together, so both workers answer (the access log says
which process answered each request).
"""

import os
import socket
import uuid

import pytest

from marketplace.db import Database
from tests.accounts.served import Browser, gunicorn, in_pairs, posts_in_pairs
from tests.db_utils import empty_all_tables
from tests.factories import PASSWORD, make_assistant, make_owner, make_task

pytestmark = pytest.mark.slow

LOCKED = "Too many failed log-ins for this account"
BUSY_NETWORK = "Too many attempts from your network"


@pytest.fixture
def committed(database_url):
    database = Database(database_url)
    session = database.sessionmaker()
    yield session
    session.close()
    empty_all_tables(database.engine)
    database.engine.dispose()


def redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("REDIS_URL is not set (CI sets redis://127.0.0.1:6379/0)")
    return url


def dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again on exit: nothing listens there


def test_account_limit_holds_across_workers_without_redis(committed, database_url, tmp_path):
    victim = make_owner(committed, email="victim@example.com")
    colleague = make_owner(committed, email="colleague@example.com")
    committed.commit()
    with gunicorn(
        database_url,
        tmp_path,
        workers=2,
        RATELIMIT_STORAGE_URI="memory://",
        LOGIN_RATE_LIMIT="1000 per minute",
        PROXY_FIX_X_FOR="1",
    ) as server:
        # 12 guesses at one account, each from another address, as a botnet would.
        guesses = [
            (Browser(server.base_url, client_ip=f"198.51.100.{n}"),
             {"email": victim.email, "password": f"guess number {n}"})
            for n in range(12)
        ]  # fmt: skip
        statuses = [r.status_code for r in in_pairs("/login", guesses)]
        assert len(server.worker_pids("POST", "/login")) == 2
        assert statuses == [422] * 10 + [429] * 2
        # Now even the right password waits, on every worker.
        for n in range(2):
            owner_browser = Browser(server.base_url, client_ip="198.51.100.200")
            refused = owner_browser.log_in(victim.email, PASSWORD)
            assert refused.status_code == 429, n
            assert LOCKED in refused.text and 'value="victim@example.com"' in refused.text
            assert int(refused.headers["Retry-After"]) > 0
        # Somebody else behind the same address is not locked out.
        same_office = Browser(server.base_url, client_ip="198.51.100.5")
        assert same_office.log_in(colleague.email, PASSWORD).status_code == 302
        assert same_office.get("/dashboard").status_code == 200


def test_ip_limit_is_shared_by_workers_through_redis_and_uses_the_proxy_address(
    committed, database_url, tmp_path
):
    owner = make_owner(committed, email="owner@example.com")
    committed.commit()
    with gunicorn(
        database_url,
        tmp_path,
        workers=2,
        RATELIMIT_STORAGE_URI=redis_url(),
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
        LOGIN_RATE_LIMIT="6 per minute",
        PROXY_FIX_X_FOR="1",
    ) as server:
        flood = [
            (Browser(server.base_url, client_ip="203.0.113.7"),
             {"email": f"sprayed{n}@example.com", "password": "Winter2026!"})
            for n in range(8)
        ]  # fmt: skip
        responses = in_pairs("/login", flood)
        assert len(server.worker_pids("POST", "/login")) == 2
        assert sorted(r.status_code for r in responses) == [422] * 6 + [429] * 2
        assert all(BUSY_NETWORK in r.text for r in responses if r.status_code == 429)

        # The next client of the same proxy has its own allowance.
        other_client = Browser(server.base_url, client_ip="203.0.113.8")
        assert other_client.log_in(owner.email, PASSWORD).status_code == 302


def test_address_and_proposal_limits_are_shared_by_workers_through_redis(
    app, committed, database_url, tmp_path
):
    with app.app_context():
        make_owner(committed, email="dana@example.com")
        owner = make_owner(committed, email="owner@example.com")
        tasks = [make_task(committed, owner, title=f"Inbox help {n}") for n in range(6)]
        make_assistant(committed, email="joy@va.example")
        committed.commit()
    with gunicorn(
        database_url,
        tmp_path,
        workers=2,
        RATELIMIT_STORAGE_URI=redis_url(),
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
        ACCOUNT_EMAIL_ADDRESS_LIMIT="4 per hour",
        PROPOSAL_RATE_LIMIT="4 per hour",
        PROXY_FIX_X_FOR="1",
    ) as server:
        # One mailbox asked for from six networks, in two spellings.
        asks = [
            (Browser(server.base_url, client_ip=f"198.51.100.{n}"), "/password/forgot",
             {"email": "dana@example.com" if n % 2 else "DANA@example.com"})
            for n in range(6)
        ]  # fmt: skip
        responses = posts_in_pairs(asks)
        assert len(server.worker_pids("POST", "/password/forgot")) == 2
        assert sorted(r.status_code for r in responses) == [302] * 4 + [429] * 2
        for refused in (r for r in responses if r.status_code == 429):
            assert "Too many emails were asked for this address" in refused.text
            assert int(refused.headers["Retry-After"]) > 0

        # One assistant logged in on two devices: one allowance, whichever worker answers.
        devices = [Browser(server.base_url, client_ip=f"203.0.113.{n}") for n in (5, 6)]
        for device in devices:
            assert device.log_in("joy@va.example", PASSWORD).status_code == 302
        proposals = [
            (devices[n % 2], f"/tasks/{task.id}/apply",
             {"cover_note": "I sort inboxes for three shops.", "proposed_rate": "25"})
            for n, task in enumerate(tasks)
        ]  # fmt: skip
        responses = posts_in_pairs(proposals)
        assert len(server.worker_pids("POST", "/tasks/", prefix=True)) == 2
        assert sorted(r.status_code for r in responses) == [302] * 4 + [429] * 2
        for refused in (r for r in responses if r.status_code == 429):
            assert "You have sent too many proposals" in refused.text
            assert "I sort inboxes for three shops." in refused.text
    assert "Traceback" not in server.log()


def test_log_in_and_sign_up_work_while_redis_is_down(committed, database_url, tmp_path):
    make_owner(committed, email="dana@bakery.example")
    committed.commit()
    with gunicorn(
        database_url,
        tmp_path,
        workers=1,
        RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{dead_port()}/0",
        LOGIN_RATE_LIMIT="4 per minute",
    ) as server:
        browser = Browser(server.base_url)
        signed_up = browser.post(
            "/signup",
            {
                "role": "owner",
                "display_name": "Sam Florist",
                "email": "sam@florist.example",
                "password": "a long enough password",
                "timezone": "Europe/London",
            },
            token=browser.form_token("/signup"),
        )
        assert signed_up.status_code == 302, signed_up.text
        assert "/signup/sent" in signed_up.headers["Location"]

        assert browser.log_in("dana@bakery.example", PASSWORD).status_code == 302
        assert browser.get("/dashboard").status_code == 200
        # The limit still applies, counted in memory until Redis is back.
        wrong = [browser.log_in(f"nobody{n}@example.com", "wrong password") for n in range(4)]
        assert [r.status_code for r in wrong] == [422, 422, 422, 429]
        assert BUSY_NETWORK in wrong[-1].text

    log = server.log()
    assert "Traceback" not in log
    assert log.count("falling back to in-memory storage") == 1
