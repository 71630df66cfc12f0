"""The per-account log-in limit: ten wrong passwords on one account, then it waits.

Across several gunicorn workers: test_limits_across_processes.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from marketplace.accounts.models import LoginAttempt
from tests.factories import PASSWORD, make_owner

LOCKED = "Too many failed log-ins for this account"


def guess(client, email, n=0):
    return client.post("/login", {"email": email, "password": f"wrong guess {n}"})


@pytest.fixture
def three_per_15_minutes(app, monkeypatch):
    """The default's window with a smaller count: every wrong guess costs an Argon2 hash."""
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_LIMIT", "3 per 15 minutes")


def test_eleventh_bad_attempt_is_refused_while_others_log_in_from_the_same_place(
    client, other_client, db_session
):
    victim = make_owner(db_session, email="victim@example.com")
    colleague = make_owner(db_session, email="colleague@example.com")
    statuses = [guess(client, victim.email, n).status_code for n in range(10)]
    assert statuses == [422] * 10

    refused = guess(client, victim.email, 10)
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert LOCKED in page and "wait 15 minutes" in page
    assert 'value="victim@example.com"' in page  # what was typed is kept
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    # The right password does not get through either: that is the point of the limit.
    assert client.post("/login", {"email": victim.email, "password": PASSWORD}).status_code == 429

    # Another account, same machine (same IP): not affected.
    response = other_client.post("/login", {"email": colleague.email, "password": PASSWORD})
    assert response.status_code == 302
    assert other_client.get("/dashboard").status_code == 200


def test_the_account_opens_again_when_the_window_has_passed(
    client, db_session, three_per_15_minutes
):
    victim = make_owner(db_session, email="victim@example.com")
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        for n in range(3):
            guess(client, victim.email, n)
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        refused = client.post("/login", {"email": victim.email, "password": PASSWORD})
        assert refused.status_code == 429
        assert "wait a minute" in refused.get_data(as_text=True)
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        right = client.post("/login", {"email": victim.email, "password": PASSWORD})
        assert right.status_code == 302


def test_refused_attempts_do_not_extend_the_lock(client, db_session, three_per_15_minutes):
    victim = make_owner(db_session, email="victim@example.com")
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        for n in range(3):
            guess(client, victim.email, n)
    for minute in (1, 5, 10, 14):  # an attacker keeps hammering the locked account
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            assert guess(client, victim.email).status_code == 429
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        right = client.post("/login", {"email": victim.email, "password": PASSWORD})
        assert right.status_code == 302


def test_a_success_clears_the_count(client, db_session, three_per_15_minutes):
    owner = make_owner(db_session, email="typo@example.com")
    for n in range(2):
        guess(client, owner.email, n)
    assert client.post("/login", {"email": owner.email, "password": PASSWORD}).status_code == 302
    client.logout()
    assert [guess(client, owner.email, n).status_code for n in range(4)] == [422] * 3 + [429]


def test_unknown_and_known_emails_are_limited_alike(client, db_session, three_per_15_minutes):
    """Otherwise the 429 would tell which addresses have an account."""
    make_owner(db_session, email="known@example.com")
    for email in ("known@example.com", "ghost@example.com"):
        statuses = [guess(client, email, n).status_code for n in range(4)]
        assert statuses == [422] * 3 + [429], email


def test_the_limit_is_per_account_whatever_the_case_of_the_email(
    client, db_session, three_per_15_minutes
):
    owner = make_owner(db_session, email="victim@example.com")
    for n in range(3):
        guess(client, "VICTIM@example.com" if n % 2 else "victim@example.com", n)
    assert client.post("/login", {"email": owner.email, "password": PASSWORD}).status_code == 429


def test_attempts_store_no_typed_text(client, db_session):
    guess(client, "my secret password@example.com")
    keys = db_session.scalars(select(LoginAttempt.account_key)).all()
    assert len(keys) == 1 and "secret" not in keys[0] and len(keys[0]) == 64


def test_old_attempts_are_forgotten(client, db_session):
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        for n in range(5):
            guess(client, f"someone{n}@example.com")
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        guess(client, "later@example.com")
    assert db_session.scalar(select(func.count(LoginAttempt.id))) == 1


def test_the_window_is_a_setting(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_LIMIT", "2 per hour")
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        assert [guess(client, "victim@example.com", n).status_code for n in range(3)] == [
            422,
            422,
            429,
        ]
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        assert guess(client, "victim@example.com").status_code == 429
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        assert guess(client, "victim@example.com").status_code == 422
