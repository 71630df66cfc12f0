"""Log-in sessions live on the server: a copied cookie dies with log-out and with age."""

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from marketplace.accounts import auth, sessions
from marketplace.accounts.models import LoginSession
from tests.conftest import Client
from tests.factories import PASSWORD, make_owner


def log_in(client, user) -> None:
    response = client.post("/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def cookie_of(client) -> str:
    return client.raw.get_cookie("session").value


def browser_with(app, cookie: str) -> Client:
    """Another browser that was handed a copy of the session cookie."""
    browser = Client(app.test_client())
    browser.raw.set_cookie("session", cookie)
    return browser


def is_logged_in(client) -> bool:
    response = client.get("/dashboard")
    if response.status_code == 302:
        assert "/login" in response.location
        return False
    assert response.status_code == 200
    return True


def test_cookie_replayed_after_logout_no_longer_works(app, client, db_session):
    owner = make_owner(db_session)
    log_in(client, owner)
    stolen = cookie_of(client)
    assert is_logged_in(browser_with(app, stolen))

    assert client.post("/logout").status_code == 302
    assert not is_logged_in(client)
    assert not is_logged_in(browser_with(app, stolen))


def test_a_session_ends_after_its_lifetime_whatever_the_cookie_says(app, client, db_session):
    owner = make_owner(db_session)
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        log_in(client, owner)
    lifetime = timedelta(days=app.config["LOGIN_SESSION_DAYS"])
    assert lifetime == timedelta(days=14)
    with time_machine.travel(start + lifetime - timedelta(minutes=1), tick=False):
        assert is_logged_in(client)
    with time_machine.travel(start + lifetime + timedelta(seconds=1), tick=False):
        assert not is_logged_in(client)
        # and it stays refused: logging in again is the only way back
        log_in(client, owner)
        assert is_logged_in(client)


def test_every_log_in_is_a_new_session_and_revokes_the_browsers_old_one(app, client, db_session):
    owner = make_owner(db_session)
    before_login = cookie_of(client) if client.raw.get_cookie("session") else None
    log_in(client, owner)
    first = cookie_of(client)
    assert first != before_login
    log_in(client, owner)  # again, in the same browser
    second = cookie_of(client)
    assert is_logged_in(browser_with(app, second))
    assert not is_logged_in(browser_with(app, first))
    # In the order they were made: PostgreSQL returns updated rows in any order without one.
    rows = db_session.scalars(
        select(LoginSession).where(LoginSession.user_id == owner.id).order_by(LoginSession.id)
    ).all()
    assert [row.revoked_at is None for row in rows] == [False, True]


def test_a_cookie_without_a_server_session_is_refused(app, db_session):
    """Cookies signed before sessions lived on the server only name the user id."""
    owner = make_owner(db_session)
    db_session.commit()
    browser = Client(app.test_client())
    with browser.raw.session_transaction() as cookie:
        cookie["_user_id"] = str(owner.id)
        cookie["_fresh"] = True
    assert not is_logged_in(browser)
    with browser.raw.session_transaction() as cookie:
        cookie[auth.TOKEN_KEY] = "made-up-token"
    assert not is_logged_in(browser)


def test_sign_out_other_sessions_keeps_this_browser(app, client, other_client, db_session):
    owner = make_owner(db_session)
    log_in(client, owner)
    log_in(other_client, owner)
    with client.raw.session_transaction() as cookie:
        this_browser = cookie[auth.TOKEN_KEY]

    revoked = sessions.sign_out_other_sessions(db_session, owner.id, keep_token=this_browser)
    db_session.commit()

    assert revoked == 1
    assert is_logged_in(client)
    assert not is_logged_in(other_client)
    assert sessions.sign_out_other_sessions(db_session, owner.id, keep_token=None) == 1
    db_session.commit()
    assert not is_logged_in(client)


def test_a_session_of_someone_else_cannot_be_borrowed(app, client, other_client, db_session):
    """The token must belong to the user the cookie names."""
    owner, other = make_owner(db_session), make_owner(db_session)
    log_in(client, owner)
    log_in(other_client, other)
    with other_client.raw.session_transaction() as cookie:
        others_token = cookie[auth.TOKEN_KEY]
    with client.raw.session_transaction() as cookie:
        cookie[auth.TOKEN_KEY] = others_token
    assert not is_logged_in(client)


def test_activity_is_recorded_every_few_minutes_not_on_every_request(client, db_session):
    owner = make_owner(db_session)
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        log_in(client, owner)
    row = db_session.scalar(select(LoginSession).where(LoginSession.user_id == owner.id))
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        assert is_logged_in(client)
    db_session.refresh(row)
    assert row.last_seen_at == row.created_at
    with time_machine.travel(start + timedelta(minutes=7), tick=False):
        assert is_logged_in(client)
    db_session.refresh(row)
    assert row.last_seen_at - row.created_at == timedelta(minutes=7)


def test_a_host_whose_clock_is_a_little_behind_keeps_the_person_logged_in(app, client, db_session):
    """Another web host re-signed the cookie a few seconds 'in the future' of this one."""
    owner = make_owner(db_session)
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        log_in(client, owner)
    with time_machine.travel(start - timedelta(seconds=5), tick=False):
        assert is_logged_in(client)
    # Far further ahead than hosts' clocks drift: not a cookie this site signed honestly.
    with time_machine.travel(start - timedelta(hours=1), tick=False):
        assert not is_logged_in(client)
