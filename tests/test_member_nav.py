"""The logged-in nav is kept per person, role and counts (marketplace/nav_counts.py), without
its log-out form's CSRF token: each browser's page carries its own token, and a change of
role or count shows at once."""

from __future__ import annotations

import re

from tests.factories import make_assistant, make_owner

LOGOUT_TOKEN = re.compile(
    r'action="/logout" class="inline">\s*<input type="hidden" name="csrf_token" value="([^"]+)"'
)


def logout_token(client) -> str:
    found = LOGOUT_TOKEN.search(client.get("/no-such-page").get_data(as_text=True))
    assert found, "no log-out form in the nav"
    return found.group(1)


def test_each_browser_logs_out_with_its_own_token(client, other_client, db_session):
    owner = make_owner(db_session)
    db_session.commit()
    client.login_as(owner)
    other_client.login_as(owner)

    mine, theirs = logout_token(client), logout_token(other_client)  # the second from the kept nav
    assert mine != theirs
    refused = client.raw.post("/logout", data={"csrf_token": theirs})
    assert refused.status_code == 400
    assert other_client.raw.post("/logout", data={"csrf_token": theirs}).status_code == 302


def test_the_nav_follows_the_person_and_their_role(client, db_session):
    owner, assistant = make_owner(db_session), make_assistant(db_session)
    db_session.commit()
    client.login_as(owner)
    assert "Post a task" in client.get("/no-such-page").text

    client.login_as(assistant)
    page = client.get("/no-such-page").text
    assert "Post a task" not in page and "My proposals" in page
    assert "Console" not in page

    assistant.is_operator = True
    db_session.commit()
    assert "Console" in client.get("/no-such-page").text
