"""Sign-up (confirmed by email), log-in and log-out as a person would use them."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import Role, User
from marketplace.accounts.services import password_matches
from marketplace.notifications.models import Frequency
from marketplace.notifications.services import save_preferences
from tests.accounts.signup import (
    SIGNUP,
    confirmation_link,
    messages_to,
    path_of,
    sign_up_and_confirm,
)
from tests.factories import PASSWORD, make_owner
from tests.notifications.mailbox import body_text
from tests.rate_limit_support import rate_limits

CSRF = re.compile(r'name="csrf_token" type="hidden" value="[^"]+"')


def count_users(session) -> int:
    return session.scalar(select(func.count(User.id)))


def user_with(session, email_key: str) -> User | None:
    session.expire_all()
    return session.scalar(select(User).where(User.email_key == email_key))


def test_owner_signs_up_confirms_by_email_and_lands_on_post_a_task(
    client, db_session, smtp_app, mailbox
):
    sent = client.post("/signup", SIGNUP)
    assert sent.location.endswith("/signup/sent")
    page = client.get("/signup/sent").get_data(as_text=True)
    assert "We sent a link to <strong>Dana@bakery.example</strong> to finish signing up" in page
    assert client.get("/dashboard").status_code == 302  # not logged in before confirming

    (message,) = messages_to(mailbox, "Dana@bakery.example")
    assert message["Subject"] == "Confirm your email address for Delegate"
    assert message["To"] == "Dana@bakery.example"
    assert "List-Unsubscribe" not in message
    confirmed = client.get(path_of(confirmation_link(mailbox, "Dana@bakery.example")))
    assert confirmed.status_code == 302 and confirmed.location.endswith("/tasks/new")
    assert "Welcome to Delegate" in client.get("/tasks/new").get_data(as_text=True)

    user = user_with(db_session, "dana@bakery.example")
    assert user.email == "Dana@bakery.example"  # the local part as typed
    assert user.role == Role.OWNER and user.timezone == "Europe/London"
    assert user.is_verified
    assert user.password_hash.startswith("$argon2id$")
    assert "a long enough password" not in user.password_hash


def test_assistant_signs_up_and_is_asked_for_a_profile(client, db_session, smtp_app, mailbox):
    response = sign_up_and_confirm(client, mailbox, role="assistant", email="va@example.com")
    assert response.location.endswith("/profile")
    assert client.get("/profile").status_code == 200


def session_of(app, client) -> dict:
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.loads(client.raw.get_cookie("session").value)


def test_a_known_address_gets_the_same_page_and_an_email_saying_so(
    app, client, other_client, db_session, smtp_app, mailbox
):
    owner = make_owner(db_session, email="dana@bakery.example", display_name="Dana Baker")
    db_session.commit()
    new = other_client.post("/signup", {**SIGNUP, "email": "new@bakery.example"})
    known = client.post(
        "/signup", {**SIGNUP, "email": "  DANA@bakery.EXAMPLE ", "password": "another long one"}
    )
    assert new.status_code == known.status_code == 302
    assert new.location == known.location
    page_new = CSRF.sub("", other_client.get("/signup/sent").get_data(as_text=True))
    page_known = CSRF.sub("", client.get("/signup/sent").get_data(as_text=True))
    assert page_known.replace("DANA@bakery.example", "X") == page_new.replace(
        "new@bakery.example", "X"
    )
    assert "already exists" not in page_known
    # The session cookie is readable by its holder: it must not tell the two apart either.
    known_cookie, new_cookie = (
        session_of(app, client)["signup"],
        session_of(app, other_client)["signup"],
    )
    assert set(known_cookie) == set(new_cookie) == {"email", "check"}
    assert len(known_cookie["check"]) == len(new_cookie["check"]) == 32

    (message,) = messages_to(mailbox, "dana@bakery.example")
    assert message["Subject"] == "You already have a Delegate account"
    assert "http://localhost/login" in body_text(message)
    assert count_users(db_session) == 2
    db_session.refresh(owner)
    assert password_matches(owner, PASSWORD)  # the sign-up changed nothing of the account
    assert not password_matches(owner, "another long one")


def test_an_unconfirmed_sign_up_is_replaced_by_a_new_one(
    client, other_client, db_session, smtp_app, mailbox
):
    # Somebody pre-registers Dana's address; Dana signs up herself afterwards.
    other_client.post(
        "/signup", {**SIGNUP, "display_name": "Squatter", "password": "squat squat 42!"}
    )
    first_link = confirmation_link(mailbox, "Dana@bakery.example")
    client.post("/signup", {**SIGNUP, "password": "dana's own passphrase"})
    second_link = confirmation_link(mailbox, "Dana@bakery.example", count=2)

    stale = other_client.get(path_of(first_link))
    assert stale.status_code == 400
    assert "a newer sign-up for the address replaced it" in stale.get_data(as_text=True)
    assert client.get(path_of(second_link)).location.endswith("/tasks/new")
    assert count_users(db_session) == 1
    user = user_with(db_session, "dana@bakery.example")
    assert user.display_name == "Dana Baker" and user.is_verified
    client.logout()
    assert (
        client.post(
            "/login", {"email": "dana@bakery.example", "password": "squat squat 42!"}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/login", {"email": "dana@bakery.example", "password": "dana's own passphrase"}
        ).status_code
        == 302
    )


def test_the_link_opened_elsewhere_asks_for_the_password(
    client, other_client, db_session, smtp_app, mailbox
):
    client.post("/signup", SIGNUP)
    link = path_of(confirmation_link(mailbox, "Dana@bakery.example"))
    # A phone, or a mail scanner that opens links: no session of the sign-up.
    page = other_client.get(link)
    assert page.status_code == 200
    assert "enter the password you chose" in page.get_data(as_text=True)
    assert not user_with(db_session, "dana@bakery.example").is_verified
    wrong = other_client.post(link, {"password": "not the password"})
    assert wrong.status_code == 422
    assert "not the password of this sign-up" in wrong.get_data(as_text=True)
    right = other_client.post(link, {"password": SIGNUP["password"]})
    assert right.location.endswith("/tasks/new")
    assert other_client.get("/dashboard").status_code == 200
    # Single use: the same link again (in the first browser too) logs nobody in.
    again = client.get(link)
    assert again.status_code == 400 and "used already" in again.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_tampered_and_expired_links_are_refused_with_a_reason(
    app, client, db_session, smtp_app, mailbox, monkeypatch
):
    client.post("/signup", SIGNUP)
    link = path_of(confirmation_link(mailbox, "Dana@bakery.example"))
    tampered = client.get(link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb"))
    assert tampered.status_code == 400
    assert "Copy the whole link" in tampered.get_data(as_text=True)

    from marketplace.accounts import tokens

    monkeypatch.setattr(tokens, "SIGNUP_LINK_MAX_AGE", timedelta(seconds=-1))
    expired = client.get(link)
    assert expired.status_code == 400
    assert "This link has expired" in expired.get_data(as_text=True)
    assert not user_with(db_session, "dana@bakery.example").is_verified


def test_logging_in_before_confirming_says_so_and_can_resend_the_link(
    client, db_session, smtp_app, mailbox
):
    client.post("/signup", SIGNUP)
    client.logout()  # another day, cookie gone
    wrong = client.post("/login", {"email": "dana@bakery.example", "password": "wrong password"})
    assert "Email or password is incorrect." in wrong.get_data(as_text=True)  # says no more
    early = client.post("/login", {"email": "dana@bakery.example", "password": SIGNUP["password"]})
    assert early.status_code == 403
    text = early.get_data(as_text=True)
    assert "Confirm your email address first" in text and "Send the link again" in text
    assert client.get("/dashboard").status_code == 302

    statuses = [
        client.post("/signup/resend", {"email": "dana@bakery.example"}).status_code
        for _ in range(7)
    ]
    assert statuses == [302] * 7
    # One per sign-up and resend, up to five an hour for one address.
    messages = messages_to(mailbox, "Dana@bakery.example", count=5)
    assert len(messages) == 5
    assert "We sent the link again" in client.get("/signup/sent").get_data(as_text=True)
    # The newest link works; in this browser it needs the password (the cookie was cleared).
    link = path_of(confirmation_link(mailbox, "Dana@bakery.example", count=5))
    assert client.post(link, {"password": SIGNUP["password"]}).location.endswith("/tasks/new")


def test_resend_for_an_unknown_address_looks_the_same(client, db_session, smtp_app, mailbox):
    response = client.post("/signup/resend", {"email": "nobody@example.com"})
    assert response.location.endswith("/signup/sent")
    assert mailbox.messages == []


def test_account_emails_go_out_even_with_email_turned_off(
    app, client, db_session, smtp_app, mailbox
):
    owner = make_owner(db_session, email="quiet@example.com")
    with app.app_context():
        save_preferences(db_session, owner, Frequency.OFF, 0.4)
    db_session.commit()
    client.post("/signup", {**SIGNUP, "email": "quiet@example.com"})
    (message,) = messages_to(mailbox, "quiet@example.com")
    assert message["Subject"] == "You already have a Delegate account"


def test_signup_rejects_bad_input_and_stores_nothing(client, db_session):
    cases = [
        {"email": "not-an-email"},
        {"email": "josé@example.com"},  # would need SMTPUTF8 all the way: refused, said why
        {"password": "short"},
        {"timezone": "Mars/Olympus_Mons"},
        {"role": "admin"},
        {"display_name": ""},
        {"display_name": "x" * 100_000},
    ]
    for change in cases:
        response = client.post("/signup", {**SIGNUP, **change})
        assert response.status_code in (413, 422), change
    assert count_users(db_session) == 0
    page = client.post("/signup", {**SIGNUP, "timezone": "Mars/Olympus_Mons"}).get_data(
        as_text=True
    )
    assert "Choose a time zone from the list" in page
    page = client.post("/signup", {**SIGNUP, "email": "josé@example.com"}).get_data(as_text=True)
    assert "Internationalized characters before the @-sign are not supported" in page


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("aaaaaaaaaa", "Repeats like"),
        ("password1234", "very common password"),
        ("qwertyuiop", "common password"),
        ("1234567890", "common password"),
        ("Dana@Bakery.example", "Do not use your email address or your name"),
        ("dana baker", "Do not use your email address or your name"),
        ("danabaker99", "too close to your name or email address"),
        ("short", "Use 10 to 200 characters"),
    ],
)
def test_common_and_personal_passwords_are_refused_with_a_reason(
    client, db_session, password, message
):
    response = client.post("/signup", {**SIGNUP, "password": password})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'value="Dana Baker"' in page  # the rest of what was typed is kept
    assert count_users(db_session) == 0


def test_login_with_any_case_of_email(client, db_session):
    owner = make_owner(db_session, email="victim@example.com")
    response = client.post("/login", {"email": "Victim@Example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response.location.endswith("/dashboard")
    assert "My tasks" in client.get("/dashboard").get_data(as_text=True)
    assert owner.email == "victim@example.com"


def test_login_errors_do_not_reveal_which_emails_exist(client, db_session):
    make_owner(db_session, email="known@example.com")
    make_owner(db_session, email="pending@example.com", email_verified_at=None)
    wrong_password = client.post(
        "/login", {"email": "known@example.com", "password": "nope nope nope"}
    )
    unknown_email = client.post(
        "/login", {"email": "ghost@example.com", "password": "nope nope nope"}
    )
    unconfirmed = client.post(
        "/login", {"email": "pending@example.com", "password": "nope nope nope"}
    )
    assert wrong_password.status_code == unknown_email.status_code == 422
    assert unconfirmed.status_code == 422
    # The CSRF token is signed with a timestamp; everything else must be identical.
    text_a = CSRF.sub("", wrong_password.get_data(as_text=True))
    text_b = CSRF.sub("", unknown_email.get_data(as_text=True))
    text_c = CSRF.sub("", unconfirmed.get_data(as_text=True))
    assert "Email or password is incorrect." in text_a
    assert text_a.replace("known@", "X@") == text_b.replace("ghost@", "X@")
    assert text_a.replace("known@", "X@") == text_c.replace("pending@", "X@")
    assert client.get("/dashboard").status_code == 302  # still logged out


def test_logout_needs_a_post_with_csrf_and_ends_the_session(client, db_session):
    owner = make_owner(db_session)
    client.login_as(owner)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout", csrf=False).status_code == 400
    assert client.get("/dashboard").status_code == 200
    assert client.post("/logout").status_code == 302
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.location


def test_login_redirects_only_to_local_pages(client, db_session):
    make_owner(db_session, email="next@example.com")
    evil = client.post(
        "/login?next=https://evil.example/steal",
        {"email": "next@example.com", "password": PASSWORD},
    )
    assert evil.location.endswith("/dashboard")
    client.logout()
    local = client.post("/login?next=/jobs", {"email": "next@example.com", "password": PASSWORD})
    assert local.location.endswith("/jobs")


def test_login_is_rate_limited(app, client, db_session):
    # Per client IP, whatever accounts it tries (per account: test_login_limits).
    with rate_limits(app, LOGIN_RATE_LIMIT="10 per minute"):
        responses = [
            client.post("/login", {"email": f"x{n}@example.com", "password": "wrong password"})
            for n in range(12)
        ]
    assert [r.status_code for r in responses[:10]] == [422] * 10
    assert responses[-1].status_code == 429
    assert "Too many attempts from your network" in responses[-1].get_data(as_text=True)


def test_resend_is_rate_limited_per_client(app, client, db_session):
    with rate_limits(app, ACCOUNT_EMAIL_RATE_LIMIT="3 per minute"):
        statuses = [
            client.post("/signup/resend", {"email": f"a{n}@example.com"}).status_code
            for n in range(4)
        ]
    assert statuses == [302, 302, 302, 429]


def test_two_spellings_of_one_address_cannot_be_two_accounts(db_session):
    # The lookup key is the one rule for "same address", and the unique constraint holds it.
    make_owner(db_session, email="Case@Example.com", email_verified_at=None)
    with pytest.raises(IntegrityError):
        make_owner(db_session, email="case@EXAMPLE.com")
