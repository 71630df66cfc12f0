"""Addresses by the email standards (item 18): the domain through IDNA, the local part as
typed, one account per address however it is capitalised; mail goes to the right domain."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from marketplace.config import normalise_database_url
from marketplace.migrate import upgrade_database
from tests.accounts.signup import SIGNUP, confirmation_link, messages_to, path_of
from tests.accounts.test_accounts import count_users, user_with
from tests.factories import PASSWORD, make_owner


def test_a_german_domain_stays_german_and_mail_goes_there(client, db_session, smtp_app, mailbox):
    response = client.post("/signup", {**SIGNUP, "email": "victim@straße.de"})
    assert response.location.endswith("/signup/sent")
    assert "victim@straße.de" in client.get("/signup/sent").get_data(as_text=True)

    # straße.de in IDNA 2008 is xn--strae-oqa.de; strasse.de would be somebody else's domain.
    ((envelope_to, message),) = [(r, m) for r, m in mailbox.received]
    assert envelope_to == ["victim@xn--strae-oqa.de"]
    assert message["To"] == "victim@xn--strae-oqa.de"
    assert messages_to(mailbox, "victim@strasse.de", timeout=0) == []

    link = confirmation_link(mailbox, "victim@xn--strae-oqa.de")
    assert client.get(path_of(link)).location.endswith("/tasks/new")
    user = user_with(db_session, "victim@xn--strae-oqa.de")
    assert user.email == "victim@straße.de"
    assert user.is_verified


def test_strasse_de_is_another_account(client, other_client, db_session, smtp_app, mailbox):
    make_owner(db_session, email="victim@straße.de")
    db_session.commit()
    other_client.post("/signup", {**SIGNUP, "email": "victim@strasse.de"})
    (message,) = messages_to(mailbox, "victim@strasse.de")
    assert message["Subject"] == "Confirm your email address for Delegate"  # a new account
    assert count_users(db_session) == 2


def test_capitals_make_no_second_account_and_log_in_as_the_first(
    client, db_session, smtp_app, mailbox
):
    owner = make_owner(db_session, email="victim@example.com")
    db_session.commit()
    client.post("/signup", {**SIGNUP, "email": "Victim@EXAMPLE.com"})
    (message,) = messages_to(mailbox, "victim@example.com")
    assert message["Subject"] == "You already have a Delegate account"
    assert count_users(db_session) == 1

    response = client.post("/login", {"email": "Victim@Example.com", "password": PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/dashboard")
    with client.raw.session_transaction() as browser:
        assert browser["_user_id"] == str(owner.id)


def test_the_unicode_and_punycode_spellings_of_a_domain_are_one_address(
    client, db_session, smtp_app, mailbox
):
    make_owner(db_session, email="anna@bücher.de")
    db_session.commit()
    response = client.post("/login", {"email": "ANNA@xn--bcher-kva.de", "password": PASSWORD})
    assert response.status_code == 302


@pytest.fixture
def scratch_database_url(tmp_path):
    """An empty database of the kind the suite runs on (PostgreSQL: a scratch schema)."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if not configured:
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    url = normalise_database_url(configured)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migration_0005 CASCADE"))
        conn.execute(text("CREATE SCHEMA migration_0005"))
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3Dmigration_0005"
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migration_0005 CASCADE"))
    engine.dispose()


def test_migration_renormalises_existing_rows_and_keeps_everyone_able_to_log_in(
    scratch_database_url,
):
    upgrade_database(scratch_database_url, "0004")
    engine = create_engine(scratch_database_url)
    # As the old code stored them: case-folded, unique on email.
    rows = [
        (1, "dana@bakery.example"),
        (2, "anna@bücher.de"),
        (3, "anna@xn--bcher-kva.de"),  # the same mailbox as 2, spelled in Punycode
        (4, "owner1@demo.delegate.test"),
    ]
    with engine.begin() as conn:
        for user_id, email in rows:
            conn.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, role, display_name, timezone,"
                    " created_at) VALUES (:id, :email, 'x', 'owner', 'Someone', 'UTC',"
                    " '2026-01-02 03:04:05')"
                ),
                {"id": user_id, "email": email},
            )
    upgrade_database(scratch_database_url)
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT id, email, email_key, email_verified_at FROM users ORDER BY id")
        ).all()
    engine.dispose()
    keys = {user_id: key for user_id, _, key, _ in found}
    assert keys[1] == "dana@bakery.example"
    assert keys[2] == "anna@xn--bcher-kva.de"
    assert keys[3].startswith("duplicate-3:")  # kept, logged, and unreachable by typing
    assert keys[4] == "owner1@demo.delegate.test"
    assert [email for _, email, _, _ in found][:3] == [
        "dana@bakery.example",
        "anna@bücher.de",
        "anna@bücher.de",
    ]
    assert all(verified is not None for *_, verified in found)  # existing accounts stay usable
