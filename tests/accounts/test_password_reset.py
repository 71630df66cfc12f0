"""Forgot password: a link by email that works once, for an hour, and tells nobody whether an
address has an account; using it logs out every device."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from marketplace.accounts import tokens
from marketplace.accounts.models import User
from marketplace.db import utcnow
from marketplace.notifications.models import Notification
from tests.accounts.signup import emailed_link, messages_to
from tests.factories import PASSWORD, make_owner
from tests.notifications.mailbox import body_text
from tests.rate_limit_support import rate_limits

CSRF = re.compile(r'name="csrf_token" type="hidden" value="[^"]+"')
NEW_PASSWORD = "violet tractor umbrella"
RESET = "/password/reset/"


def ask_for_reset(client, email: str):
    response = client.post("/password/forgot", {"email": email})
    assert response.status_code == 302 and response.location.endswith("/password/forgot/sent")
    return client.get("/password/forgot/sent")


def log_in(client, email: str, password: str):
    return client.post("/login", {"email": email, "password": password})


def is_logged_in(client) -> bool:
    response = client.get("/dashboard")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def reset_link(client, mailbox, email: str, *, count: int = 1) -> str:
    return emailed_link(mailbox, email, RESET, count=count)


def test_forgot_password_emails_a_link_that_sets_a_new_password(
    client, db_session, smtp_app, mailbox
):
    make_owner(db_session, email="dana@bakery.example", display_name="Dana Baker")
    db_session.commit()
    login_page = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot">Forgot password?</a>' in login_page

    sent = ask_for_reset(client, "Dana@Bakery.example").get_data(as_text=True)
    assert "If an account exists for <strong>Dana@bakery.example</strong>" in sent
    (message,) = messages_to(mailbox, "dana@bakery.example")
    assert message["Subject"] == "Choose a new password for Delegate"
    assert "List-Unsubscribe" not in message
    assert "within 60 minutes" in body_text(message)

    link = reset_link(client, mailbox, "dana@bakery.example")
    form = client.get(link)
    assert form.status_code == 200
    assert "Choose a new password" in form.get_data(as_text=True)
    done = client.post(link, {"password": NEW_PASSWORD})
    assert done.status_code == 302 and done.location.endswith("/login")
    assert "Log in with your new password" in client.get("/login").get_data(as_text=True)

    assert log_in(client, "dana@bakery.example", PASSWORD).status_code == 422
    assert log_in(client, "dana@bakery.example", NEW_PASSWORD).status_code == 302
    # and the address is told, whoever asked
    changed = messages_to(mailbox, "dana@bakery.example", count=2)[1]
    assert changed["Subject"] == "Your Delegate password was changed"


def test_an_unknown_address_gets_the_identical_page_and_no_email(
    client, other_client, db_session, smtp_app, mailbox
):
    make_owner(db_session, email="known@example.com")
    db_session.commit()
    before = db_session.scalar(select(func.count(Notification.id)))
    unknown = ask_for_reset(other_client, "ghost@example.com").get_data(as_text=True)
    assert db_session.scalar(select(func.count(Notification.id))) == before  # nothing queued
    known = ask_for_reset(client, "known@example.com").get_data(as_text=True)
    assert CSRF.sub("", known).replace("known@", "X@") == CSRF.sub("", unknown).replace(
        "ghost@", "X@"
    )
    assert len(messages_to(mailbox, "known@example.com")) == 1
    assert mailbox.to("ghost@example.com") == []
    assert len(mailbox.messages) == 1


def test_a_reset_logs_out_every_device(client, other_client, db_session, smtp_app, mailbox):
    make_owner(db_session, email="dana@example.com")
    db_session.commit()
    assert log_in(other_client, "dana@example.com", PASSWORD).status_code == 302  # a laptop
    assert log_in(client, "dana@example.com", PASSWORD).status_code == 302  # this phone
    ask_for_reset(client, "dana@example.com")
    link = reset_link(client, mailbox, "dana@example.com")
    assert client.post(link, {"password": NEW_PASSWORD}).location.endswith("/login")
    assert not is_logged_in(other_client)
    assert not is_logged_in(client)  # this browser logs in again, with the new password
    assert log_in(other_client, "dana@example.com", NEW_PASSWORD).status_code == 302
    assert is_logged_in(other_client)


def test_a_used_link_is_refused_with_a_clear_page(client, db_session, smtp_app, mailbox):
    make_owner(db_session, email="dana@example.com")
    db_session.commit()
    ask_for_reset(client, "dana@example.com")
    link = reset_link(client, mailbox, "dana@example.com")
    assert client.post(link, {"password": NEW_PASSWORD}).status_code == 302
    for again in (client.get(link), client.post(link, {"password": "another fine passphrase"})):
        assert again.status_code == 400
        page = again.get_data(as_text=True)
        assert "This link was used already" in page and "Ask for a new link" in page
    assert log_in(client, "dana@example.com", NEW_PASSWORD).status_code == 302


def test_an_expired_link_is_refused_with_a_clear_page(
    client, db_session, smtp_app, mailbox, time_machine
):
    make_owner(db_session, email="dana@example.com")
    db_session.commit()
    ask_for_reset(client, "dana@example.com")
    link = reset_link(client, mailbox, "dana@example.com")
    time_machine.move_to(utcnow() + timedelta(minutes=61))
    for expired in (client.get(link), client.post(link, {"password": NEW_PASSWORD})):
        assert expired.status_code == 400
        assert "This link has expired" in expired.get_data(as_text=True)
    assert log_in(client, "dana@example.com", PASSWORD).status_code == 302  # unchanged


def test_a_tampered_link_is_refused_with_a_clear_page(client, db_session, smtp_app, mailbox):
    make_owner(db_session, email="dana@example.com")
    db_session.commit()
    ask_for_reset(client, "dana@example.com")
    link = reset_link(client, mailbox, "dana@example.com")
    tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    for response in (client.get(tampered), client.post(tampered, {"password": NEW_PASSWORD})):
        assert response.status_code == 400
        assert "Copy the whole link from the email" in response.get_data(as_text=True)
    assert client.get(RESET + "not-a-token").status_code == 400


def test_a_link_for_another_account_is_refused(
    app, client, other_client, db_session, smtp_app, mailbox
):
    dana = make_owner(db_session, email="dana@example.com")
    eve = make_owner(db_session, email="eve@example.com")
    db_session.commit()
    secret = app.config["SECRET_KEY"]
    # Eve's account with Dana's fingerprint: only we can sign it, and it still does not work.
    forged = tokens._serializer(secret, tokens.RESET_PASSWORD).dumps(
        {"u": eve.id, "f": tokens.fingerprint(dana)}
    )
    response = client.post(RESET + forged, {"password": NEW_PASSWORD})
    assert response.status_code == 400 and "This link was used already" in response.text
    # A link made for another purpose (signing up) is no reset link.
    signup_token = tokens.make_token(secret, tokens.CONFIRM_SIGNUP, dana)
    assert client.get(RESET + signup_token).status_code == 400

    # Dana's link opened where Eve is logged in: refused, and nobody's password changes.
    ask_for_reset(client, "dana@example.com")
    link = reset_link(client, mailbox, "dana@example.com")
    assert log_in(other_client, "eve@example.com", PASSWORD).status_code == 302
    for refused in (other_client.get(link), other_client.post(link, {"password": NEW_PASSWORD})):
        assert refused.status_code == 403
        assert "This link is for another Delegate account" in refused.text
    assert log_in(client, "dana@example.com", PASSWORD).status_code == 302
    assert is_logged_in(other_client)


def test_the_new_password_follows_the_sign_up_rules(client, db_session, smtp_app, mailbox):
    make_owner(db_session, email="dana@example.com", display_name="Dana Baker")
    db_session.commit()
    ask_for_reset(client, "dana@example.com")
    link = reset_link(client, mailbox, "dana@example.com")
    for weak, reason in [
        ("short", "Use 10 to 200 characters"),
        ("password1234", "common password"),
        ("dana baker", "Do not use your email address or your name"),
        ("", "Choose a password"),
    ]:
        response = client.post(link, {"password": weak})
        assert response.status_code == 422, weak
        assert reason in response.text
    assert client.post(link, {"password": NEW_PASSWORD}).status_code == 302  # still works


def test_resetting_an_unconfirmed_sign_up_confirms_the_address(
    client, db_session, smtp_app, mailbox
):
    pending = make_owner(db_session, email="new@example.com", email_verified_at=None)
    db_session.commit()
    ask_for_reset(client, "new@example.com")
    (message,) = messages_to(mailbox, "new@example.com")
    assert "also confirms this address and finishes signing up" in body_text(message)
    client.post(reset_link(client, mailbox, "new@example.com"), {"password": NEW_PASSWORD})
    db_session.expire_all()
    assert db_session.get(User, pending.id).is_verified
    assert log_in(client, "new@example.com", NEW_PASSWORD).status_code == 302


def test_bad_input_gets_a_message_not_an_error(client, db_session):
    for email, message in [("", "Enter your email."), ("not-an-address", "valid email address")]:
        response = client.post("/password/forgot", {"email": email})
        assert response.status_code == 422
        assert message in response.text
    assert client.get("/password/forgot/sent").location.endswith("/password/forgot")


def test_a_reset_lifts_the_log_in_lock(app, client, db_session, smtp_app, mailbox):
    make_owner(db_session, email="dana@example.com")
    db_session.commit()
    limit = int(app.config["LOGIN_ACCOUNT_LIMIT"].split()[0])
    for _ in range(limit + 1):
        log_in(client, "dana@example.com", "wrong wrong wrong")
    assert log_in(client, "dana@example.com", PASSWORD).status_code == 429
    ask_for_reset(client, "dana@example.com")
    client.post(reset_link(client, mailbox, "dana@example.com"), {"password": NEW_PASSWORD})
    assert log_in(client, "dana@example.com", NEW_PASSWORD).status_code == 302


def test_reset_requests_are_rate_limited_with_a_friendly_page(app, client, db_session):
    with rate_limits(app, ACCOUNT_EMAIL_RATE_LIMIT="3 per minute"):
        responses = [
            client.post("/password/forgot", {"email": f"a{n}@example.com"}) for n in range(4)
        ]
    assert [r.status_code for r in responses] == [302, 302, 302, 429]
    assert "Too many requests for account emails from your network" in responses[-1].text
    assert 'value="a3@example.com"' in responses[-1].text  # the form again, as typed


def test_at_most_five_reset_emails_an_hour_for_one_address(
    client, db_session, smtp_app, mailbox
):
    make_owner(db_session, email="dana@example.com")
    db_session.commit()
    for _ in range(7):
        ask_for_reset(client, "dana@example.com")
    assert len(messages_to(mailbox, "dana@example.com", count=5)) == 5
    assert len(messages_to(mailbox, "dana@example.com", count=6, timeout=0.5)) == 5
