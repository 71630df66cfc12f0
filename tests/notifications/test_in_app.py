"""The bell and the notifications page: what a person was sent, in the app, with the email's
words and link; opening the page clears the bell; account links stay in the mailbox."""

from __future__ import annotations

import re

from marketplace.hiring.services import apply_to_task
from marketplace.notifications.models import Kind
from marketplace.notifications.services import notify
from tests.factories import make_assistant, make_owner, make_task


def bell(client) -> int:
    page = client.get("/dashboard").get_data(as_text=True)
    found = re.search(r'class="nav-notifications">Notifications(?: <span[^>]*>(\d+)</span>)?', page)
    assert found, "no Notifications link in the nav"
    return int(found.group(1) or 0)


def test_a_proposal_rings_the_owners_bell_and_the_page_links_it(client, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner, title="Monthly bookkeeping for a bakery")
    va = make_assistant(db_session, display_name="Joy Nguyen")
    db_session.commit()
    client.login_as(owner)
    assert bell(client) == 0

    apply_to_task(
        db_session, va, task.id, cover_note="Done this for years.", proposed_rate_cents=2500
    )
    db_session.commit()

    assert bell(client) == 1
    page = client.get("/notifications").get_data(as_text=True)
    assert "New proposal from Joy Nguyen: Monthly bookkeeping for a bakery" in page
    assert re.search(rf'<a href="[^"]*/tasks/{task.id}/proposals[^"]*">New proposal', page)
    assert ">New</strong>" in page
    assert bell(client) == 0, "opening the page reads them"
    assert ">New</strong>" not in client.get("/notifications").get_data(as_text=True)


def test_each_person_sees_only_their_own_and_account_links_stay_in_the_mailbox(
    client, other_client, db_session
):
    owner = make_owner(db_session)
    task = make_task(db_session, owner, title="Inbox triage")
    va = make_assistant(db_session)
    apply_to_task(db_session, va, task.id, cover_note="Hello", proposed_rate_cents=2000)
    notify(db_session, owner.id, Kind.PASSWORD_RESET, "password_reset:test", {"fingerprint": "x"})
    db_session.commit()

    client.login_as(owner)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Inbox triage" in page
    assert "Choose a new password" not in page and "password" not in page.split("<main>")[1]

    other_client.login_as(va)
    theirs = other_client.get("/notifications").get_data(as_text=True)
    assert "Inbox triage" not in theirs
    assert "Nothing yet" in theirs


def test_a_visitor_is_sent_to_log_in(client, db_session):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login" in response.location
