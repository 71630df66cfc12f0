"""The settings page: name, password and email address, as a person changes them."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.db import utcnow
from tests.accounts.signup import emailed_link, messages_to
from tests.accounts.test_sessions import browser_with, cookie_of
from tests.factories import PASSWORD, make_owner
from tests.notifications.mailbox import body_text
from tests.rate_limit_support import rate_limits

CSRF = re.compile(r'name="csrf_token" (type="hidden" )?value="[^"]+"')
NEW_PASSWORD = "violet tractor umbrella"
CONFIRM = "/settings/address/confirm/"


def log_in(client, email: str, password: str = PASSWORD):
    return client.post("/login", {"email": email, "password": password})


def is_logged_in(client) -> bool:
    response = client.get("/dashboard")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def logged_in_owner(db_session, client, **kw) -> User:
    owner = make_owner(db_session, **kw)
    db_session.commit()
    assert log_in(client, owner.email).status_code == 302
    return owner


def test_the_settings_page_is_in_the_nav_and_links_the_email_preferences(client, db_session):
    assert client.get("/settings").location.startswith("/login")
    logged_in_owner(db_session, client, email="dana@example.com")
    assert 'href="/settings">Settings</a>' in client.get("/dashboard").text
    page = client.get("/settings")
    assert page.status_code == 200
    assert "You log in as <strong>dana@example.com</strong>" in page.text
    assert 'href="/settings/email">Email settings</a>' in page.text


def test_changing_the_name(client, db_session):
    logged_in_owner(db_session, client, display_name="Dana Baker")
    saved = client.post("/settings/name", {"display_name": "  Dana Baker-Smith "})
    assert saved.status_code == 302 and saved.location.endswith("/settings")
    page = client.get("/settings").text
    assert "Your name is saved." in page and 'value="Dana Baker-Smith"' in page
    for bad, message in [("", "Tell us your name."), ("x" * 81, "80 characters")]:
        refused = client.post("/settings/name", {"display_name": bad})
        assert refused.status_code == 422 and message in refused.text
    assert client.post("/settings/name", {"display_name": "A\x00B"}).status_code == 422
    assert client.post("/settings/name", {"display_name": "X"}, csrf=False).status_code == 400
    assert 'value="Dana Baker-Smith"' in client.get("/settings").text


def test_a_password_change_needs_the_current_password_and_a_good_new_one(client, db_session):
    logged_in_owner(db_session, client, email="dana@example.com", display_name="Dana Baker")
    wrong = client.post(
        "/settings/password", {"current_password": "not my password", "new_password": NEW_PASSWORD}
    )
    assert wrong.status_code == 422
    assert "That is not your current password." in wrong.text
    for weak, reason in [
        ("short", "Use 10 to 200 characters"),
        ("dana baker", "Do not use your email address or your name"),
    ]:
        response = client.post(
            "/settings/password", {"current_password": PASSWORD, "new_password": weak}
        )
        assert response.status_code == 422 and reason in response.text
    missing = client.post("/settings/password", {"new_password": NEW_PASSWORD})
    assert missing.status_code == 422 and "Enter your current password." in missing.text
    assert is_logged_in(client)
    client.logout()
    assert log_in(client, "dana@example.com").status_code == 302  # unchanged


def test_a_password_change_logs_out_other_devices_and_renews_this_session(
    app, client, other_client, db_session, smtp_app, mailbox
):
    logged_in_owner(db_session, client, email="dana@example.com")
    assert log_in(other_client, "dana@example.com").status_code == 302
    copied_cookie = cookie_of(client)

    changed = client.post(
        "/settings/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 302 and changed.location.endswith("/settings")
    assert "Every other device was logged out" in client.get("/settings").text
    assert is_logged_in(client)
    assert not is_logged_in(other_client)
    # This browser has a new session: a copy of its old cookie is worth nothing.
    assert cookie_of(client) != copied_cookie
    assert not is_logged_in(browser_with(app, copied_cookie))

    (notice,) = messages_to(mailbox, "dana@example.com")
    assert notice["Subject"] == "Your Delegate password was changed"
    assert log_in(other_client, "dana@example.com").status_code == 422
    assert log_in(other_client, "dana@example.com", NEW_PASSWORD).status_code == 302


def ask_to_move(client, new: str, password: str = PASSWORD):
    return client.post("/settings/address", {"email": new, "password": password})


def test_an_email_change_takes_effect_once_the_new_address_is_confirmed(
    client, other_client, db_session, smtp_app, mailbox
):
    logged_in_owner(db_session, client, email="dana@old.example")
    asked = ask_to_move(client, "Dana@New.example")
    assert asked.status_code == 302 and asked.location.endswith("/settings")
    page = client.get("/settings").text
    assert "We sent a link to Dana@new.example" in page
    assert "Waiting for you to confirm <strong>Dana@new.example</strong>" in page

    # Both addresses are told.
    (to_new,) = messages_to(mailbox, "Dana@new.example")
    assert to_new["Subject"] == "Confirm your new email address for Delegate"
    assert to_new["To"] == "Dana@new.example"  # no name: the mailbox is not proven yet
    (to_old,) = messages_to(mailbox, "dana@old.example")
    assert to_old["Subject"] == "Your Delegate email address is about to change"
    assert "Dana@new.example" in body_text(to_old)

    # Until the link is followed, the old address is the one that logs in.
    assert log_in(other_client, "dana@old.example").status_code == 302
    other_client.logout()
    assert log_in(other_client, "dana@new.example").status_code == 422

    link = emailed_link(mailbox, "Dana@new.example", CONFIRM)
    # Opened where nobody is logged in (a phone): a button, and only the click moves it.
    ask = other_client.get(link)
    assert ask.status_code == 200 and "Use Dana@new.example" in ask.text
    assert "You log in as <strong>dana@old.example</strong>" in client.get("/settings").text
    done = other_client.post(link)
    assert done.status_code == 302 and done.location.endswith("/login")
    assert "Your email address is now Dana@new.example" in other_client.get("/login").text

    assert log_in(other_client, "dana@new.example").status_code == 302
    other_client.logout()
    assert log_in(other_client, "dana@old.example").status_code == 422
    moved = messages_to(mailbox, "dana@old.example", count=2)[1]
    assert moved["Subject"] == "Your Delegate account has a new email address"
    assert moved["To"].endswith("<dana@old.example>")
    assert "You log in as <strong>Dana@new.example</strong>" in client.get("/settings").text

    again = client.post(link)
    assert again.status_code == 400 and "This link was used already" in again.text


def test_an_email_change_needs_the_password_and_a_usable_new_address(
    client, db_session, smtp_app, mailbox
):
    logged_in_owner(db_session, client, email="dana@example.com")
    cases = [
        ({"email": "new@example.com", "password": "wrong password"}, "not your current password"),
        ({"email": "new@example.com", "password": ""}, "Enter your password."),
        ({"email": "not an address", "password": PASSWORD}, "valid email address"),
        ({"email": "DANA@example.com", "password": PASSWORD}, "That is already your address."),
    ]
    for data, message in cases:
        response = client.post("/settings/address", data)
        assert response.status_code == 422, data
        assert message in response.text
    assert "Waiting for you to confirm" not in client.get("/settings").text
    assert mailbox.messages == []


def test_moving_to_a_taken_address_looks_the_same_and_only_that_mailbox_is_told(
    client, other_client, db_session, smtp_app, mailbox
):
    make_owner(db_session, email="taken@example.com")
    logged_in_owner(db_session, client, email="dana@example.com", display_name="Sam")
    logged_in_owner(db_session, other_client, email="eve@example.com", display_name="Sam")

    to_taken = ask_to_move(client, "taken@example.com")
    to_free = ask_to_move(other_client, "free@example.com")
    assert to_taken.status_code == to_free.status_code == 302
    assert to_taken.location == to_free.location
    page_taken = CSRF.sub("", client.get("/settings").text)
    page_free = CSRF.sub("", other_client.get("/settings").text)
    assert page_taken.replace("taken@", "X@").replace("dana@", "Y@") == page_free.replace(
        "free@", "X@"
    ).replace("eve@", "Y@")

    (told,) = messages_to(mailbox, "taken@example.com")
    assert told["Subject"] == "You already have a Delegate account"
    assert "asked to move their Delegate account to" in body_text(told)
    assert CONFIRM not in body_text(told)
    (notice,) = messages_to(mailbox, "dana@example.com")
    assert notice["Subject"] == "Your Delegate email address is about to change"
    assert log_in(other_client, "taken@example.com").status_code == 302  # still theirs


def test_email_change_links_expired_used_tampered_or_for_someone_else_are_refused(
    client, other_client, db_session, smtp_app, mailbox, time_machine
):
    logged_in_owner(db_session, client, email="dana@example.com")
    logged_in_owner(db_session, other_client, email="eve@example.com")
    ask_to_move(client, "dana@new.example")
    link = emailed_link(mailbox, "dana@new.example", CONFIRM)

    tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    response = client.post(tampered)
    assert response.status_code == 400 and "Copy the whole link" in response.text
    response = other_client.post(link)  # Eve is logged in there
    assert response.status_code == 403
    assert "This link is for another Delegate account" in response.text

    time_machine.move_to(utcnow() + timedelta(hours=25))
    assert log_in(client, "dana@example.com").status_code == 302
    expired = client.post(link)
    assert expired.status_code == 400 and "This link has expired" in expired.text
    assert log_in(other_client, "dana@new.example").status_code == 422


def test_a_newer_request_a_cancellation_or_a_password_change_retires_the_link(
    client, db_session, smtp_app, mailbox
):
    logged_in_owner(db_session, client, email="dana@example.com")
    ask_to_move(client, "first@example.com")
    first = emailed_link(mailbox, "first@example.com", CONFIRM)
    ask_to_move(client, "second@example.com")
    second = emailed_link(mailbox, "second@example.com", CONFIRM)
    assert "This link was used already" in client.post(first).text

    assert client.post("/settings/address/cancel").location.endswith("/settings")
    page = client.get("/settings").text
    assert "The change of address is cancelled" in page
    assert "Waiting for you to confirm" not in page
    assert client.post(second).status_code == 400

    ask_to_move(client, "third@example.com")
    third = emailed_link(mailbox, "third@example.com", CONFIRM)
    client.post("/settings/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert client.post(third).status_code == 400
    assert "You log in as <strong>dana@example.com</strong>" in client.get("/settings").text


def test_moving_to_an_address_somebody_signed_up_with_but_never_confirmed(
    client, db_session, smtp_app, mailbox
):
    squatter_id = make_owner(db_session, email="mine@example.com", email_verified_at=None).id
    logged_in_owner(db_session, client, email="dana@example.com")
    ask_to_move(client, "mine@example.com")
    link = emailed_link(mailbox, "mine@example.com", CONFIRM)
    assert client.post(link).location.endswith("/settings")
    db_session.expire_all()
    assert db_session.get(User, squatter_id) is None
    owner = db_session.scalar(select(User).where(User.email_key == "mine@example.com"))
    assert owner.email == "mine@example.com" and owner.is_verified


def test_an_address_confirmed_by_another_account_meanwhile_is_refused_with_a_reason(
    client, db_session, smtp_app, mailbox
):
    logged_in_owner(db_session, client, email="dana@example.com")
    ask_to_move(client, "race@example.com")
    link = emailed_link(mailbox, "race@example.com", CONFIRM)
    make_owner(db_session, email="race@example.com")  # signed up and confirmed in between
    db_session.commit()
    refused = client.post(link)
    assert refused.status_code == 409
    assert "so yours is still dana@example.com" in refused.text


def test_password_and_address_changes_are_rate_limited_with_a_friendly_page(
    app, client, db_session
):
    logged_in_owner(db_session, client)
    with rate_limits(app, LOGIN_RATE_LIMIT="2 per minute"):
        guesses = [
            client.post(
                "/settings/password", {"current_password": f"guess {n}", "new_password": "x"}
            )
            for n in range(3)
        ]
        moves = [ask_to_move(client, f"n{n}@example.com", f"guess {n}") for n in range(3)]
    assert [r.status_code for r in guesses] == [422, 422, 429]
    assert [r.status_code for r in moves] == [422, 422, 429]
    assert "Too many attempts from your network" in guesses[-1].text
    assert 'value="n2@example.com"' in moves[-1].text
