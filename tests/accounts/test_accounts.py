"""Sign-up, log-in and log-out as a person would use them."""

import re

from sqlalchemy import func, select

from marketplace.accounts.models import Role, User
from tests.factories import PASSWORD, make_owner

SIGNUP = {
    "role": "owner",
    "display_name": "Dana Baker",
    "email": "Dana@Bakery.example",
    "password": "a long enough password",
    "timezone": "Europe/London",
}


def count_users(session) -> int:
    return session.scalar(select(func.count(User.id)))


def test_owner_signs_up_and_lands_on_post_a_task(client, db_session):
    response = client.post("/signup", SIGNUP)
    assert response.status_code == 302
    assert response.location.endswith("/tasks/new")
    user = db_session.scalar(select(User).where(User.email == "dana@bakery.example"))
    assert user.role == Role.OWNER
    assert user.timezone == "Europe/London"
    assert user.password_hash.startswith("$argon2id$")
    assert "a long enough password" not in user.password_hash
    assert client.get("/dashboard").status_code == 200


def test_assistant_signs_up_and_is_asked_for_a_profile(client, db_session):
    response = client.post("/signup", {**SIGNUP, "role": "assistant", "email": "va@example.com"})
    assert response.location.endswith("/profile")
    assert client.get("/profile").status_code == 200


def test_email_is_unique_whatever_its_case(client, db_session):
    client.post("/signup", SIGNUP)
    client.logout()
    again = client.post("/signup", {**SIGNUP, "email": "  DANA@bakery.EXAMPLE "})
    assert again.status_code == 422
    assert "already exists" in again.get_data(as_text=True)
    assert count_users(db_session) == 1


def test_signup_rejects_bad_input_and_stores_nothing(client, db_session):
    cases = [
        {"email": "not-an-email"},
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


def test_login_with_any_case_of_email(client, db_session):
    owner = make_owner(db_session, email="owner@example.com")
    response = client.post("/login", {"email": "OWNER@Example.COM", "password": PASSWORD})
    assert response.status_code == 302
    assert response.location.endswith("/dashboard")
    assert "My tasks" in client.get("/dashboard").get_data(as_text=True)
    assert owner.email == "owner@example.com"


def test_login_errors_do_not_reveal_which_emails_exist(client, db_session):
    make_owner(db_session, email="known@example.com")
    wrong_password = client.post(
        "/login", {"email": "known@example.com", "password": "nope nope nope"}
    )
    unknown_email = client.post(
        "/login", {"email": "ghost@example.com", "password": "nope nope nope"}
    )
    assert wrong_password.status_code == unknown_email.status_code == 422
    # The CSRF token is signed with a timestamp; everything else must be identical.
    token = re.compile(r'name="csrf_token" type="hidden" value="[^"]+"')
    text_a = token.sub("", wrong_password.get_data(as_text=True))
    text_b = token.sub("", unknown_email.get_data(as_text=True))
    assert "Email or password is incorrect." in text_a
    assert text_a.replace("known@", "X@") == text_b.replace("ghost@", "X@")
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
    from marketplace.extensions import limiter

    app.config["LOGIN_RATE_LIMIT"], default = "10 per minute", app.config["LOGIN_RATE_LIMIT"]
    limiter.reset()
    try:
        # Per client IP, whatever accounts it tries (per account: test_login_limits).
        responses = [
            client.post("/login", {"email": f"x{n}@example.com", "password": "wrong password"})
            for n in range(12)
        ]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = default
        limiter.reset()
    assert [r.status_code for r in responses[:10]] == [422] * 10
    assert responses[-1].status_code == 429
    assert "Too many attempts from your network" in responses[-1].get_data(as_text=True)
