"""Abuse limits (marketplace/rate_limits.py): each limited action is refused at N+1 with a
page in the site's layout (or JSON) saying what was limited and when to try again, the form's
input kept; and another person, IP or address keeps its own allowance.

Counted in this process's memory here (the test app's storage); across gunicorn workers
through Redis: tests/accounts/test_limits_across_processes.py.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from marketplace import create_app
from marketplace.hiring.models import Proposal
from marketplace.messages.models import Message
from marketplace.notifications.models import Kind, Notification
from marketplace.tasks.models import TaskStatus
from tests.factories import PASSWORD, make_assistant, make_owner, make_task
from tests.messages.helpers import open_as_owner, scene
from tests.rate_limit_support import rate_limits

OFFICE, ELSEWHERE, THIRD = "198.51.100.7", "203.0.113.9", "192.0.2.44"
LAYOUT = '<a class="brand" href="/">Delegate</a>'  # base.html's: the site's page, not a bare error
JSON = {"Accept": "application/json"}


def at(ip: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": ip}}


def waits(response) -> int:
    """The Retry-After seconds, checked to be a sensible wait for a per-minute/hour limit."""
    seconds = int(response.headers["Retry-After"])
    assert 0 < seconds <= 3600
    return seconds


def said_when(response) -> None:
    wait = r"(a few seconds|\d+ (seconds|minutes))"
    assert re.search(rf"You can try again in (<strong>)?{wait}", response.text)


def sign_up(client, n: int, ip: str = OFFICE, **kw):
    data = {
        "role": "owner",
        "display_name": f"Sam Florist {n}",
        "email": f"sam{n}@florist.example",
        "password": "a long enough password",
        "timezone": "Europe/London",
        **kw,
    }
    return client.post("/signup", data, **at(ip))


def test_sign_ups_per_ip_with_the_form_kept(app, client, other_client, db_session):
    with rate_limits(app, SIGNUP_RATE_LIMIT="2 per minute"):
        allowed = [sign_up(client, n) for n in range(2)]
        refused = sign_up(client, 2)
        elsewhere = sign_up(other_client, 3, ip=ELSEWHERE)
    assert [r.status_code for r in allowed] == [302, 302]
    assert refused.status_code == 429
    waits(refused)
    said_when(refused)
    assert "Too many sign-ups from your network" in refused.text
    assert LAYOUT in refused.text and "Create your account" in refused.text
    assert (
        'value="Sam Florist 2"' in refused.text and 'value="sam2@florist.example"' in refused.text
    )
    assert "a long enough password" not in refused.text  # a password is never sent back
    assert elsewhere.status_code == 302


def test_log_in_per_ip_keeps_the_address_typed(app, client, other_client, db_session):
    make_owner(db_session, email="dana@example.com")
    with rate_limits(app, LOGIN_RATE_LIMIT="2 per minute"):
        for _ in range(2):
            client.post("/login", {"email": "dana@example.com", "password": "wrong"}, **at(OFFICE))
        refused = client.post("/login", {"email": "dana@example.com", "password": PASSWORD})
        refused_office = client.post(
            "/login", {"email": "dana@example.com", "password": PASSWORD}, **at(OFFICE)
        )
        elsewhere = other_client.post(
            "/login", {"email": "dana@example.com", "password": PASSWORD}, **at(ELSEWHERE)
        )
    assert refused.status_code == 302  # 127.0.0.1 had not used its allowance
    assert refused_office.status_code == 429
    waits(refused_office)
    assert "Too many attempts from your network" in refused_office.text
    assert 'value="dana@example.com"' in refused_office.text and LAYOUT in refused_office.text
    assert elsewhere.status_code == 302


def reset_emails(session, user) -> int:
    return session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.kind == Kind.PASSWORD_RESET
        )
    )


def test_one_address_is_not_flooded_from_many_ips(app, client, db_session):
    dana = make_owner(db_session, email="dana@example.com")
    with rate_limits(app, ACCOUNT_EMAIL_ADDRESS_LIMIT="2 per hour"):
        # Two requests from two networks, in two spellings: the address's allowance is used.
        first = client.post("/password/forgot", {"email": "dana@example.com"}, **at(OFFICE))
        second = client.post("/password/forgot", {"email": "DANA@Example.com"}, **at(ELSEWHERE))
        third = client.post("/password/forgot", {"email": "dana@example.com"}, **at(THIRD))
        resend = client.post("/signup/resend", {"email": "dana@example.com"}, **at(THIRD))
        # An address nobody registered is counted the same: a refusal reveals nothing.
        nobody = [
            client.post("/password/forgot", {"email": "nobody@example.com"}, **at(THIRD))
            for _ in range(3)
        ]
        other_address = client.post("/password/forgot", {"email": "eve@example.com"}, **at(THIRD))
    assert [first.status_code, second.status_code] == [302, 302]
    assert third.status_code == 429 and resend.status_code == 429
    waits(third)
    said_when(third)
    assert "Too many emails were asked for this address" in third.text
    assert 'value="dana@example.com"' in third.text and LAYOUT in third.text
    assert reset_emails(db_session, dana) == 2
    assert [r.status_code for r in nobody] == [302, 302, 429]
    assert other_address.status_code == 302


def test_reset_and_resend_share_a_per_ip_allowance(app, client, db_session):
    with rate_limits(app, ACCOUNT_EMAIL_RATE_LIMIT="2 per minute"):
        forgot = client.post("/password/forgot", {"email": "a@example.com"}, **at(OFFICE))
        resent = client.post("/signup/resend", {"email": "b@example.com"}, **at(OFFICE))
        refused = client.post("/signup/resend", {"email": "c@example.com"}, **at(OFFICE))
        elsewhere = client.post("/signup/resend", {"email": "c@example.com"}, **at(ELSEWHERE))
    assert [forgot.status_code, resent.status_code] == [302, 302]
    # No form to show again (the button was on another page): the limit page, in the layout.
    assert refused.status_code == 429
    waits(refused)
    said_when(refused)
    assert "Too many requests for account emails from your network" in refused.text
    assert LAYOUT in refused.text and "Please wait" in refused.text
    assert elsewhere.status_code == 302


def test_json_clients_get_a_json_429_with_the_reason(app, client, db_session):
    with rate_limits(app, ACCOUNT_EMAIL_RATE_LIMIT="1 per minute"):
        client.post("/password/forgot", {"email": "a@example.com"}, headers=JSON)
        refused = client.post("/password/forgot", {"email": "b@example.com"}, headers=JSON)
    assert refused.status_code == 429 and refused.is_json
    body = refused.get_json()
    assert body["reason"] == "Too many requests for account emails from your network"
    assert body["retry_after"] == waits(refused)
    assert body["message"].startswith(body["reason"] + ". You can try again in")


def test_a_limited_link_page_offers_the_way_back(app, client, db_session):
    with rate_limits(app, LOGIN_RATE_LIMIT="1 per minute"):
        client.post("/password/reset/not-a-token", {"password": "x"})
        refused = client.post("/password/reset/not-a-token", {"password": "y"})
    assert refused.status_code == 429
    waits(refused)
    assert 'href="/password/reset/not-a-token">Back to the page</a>' in refused.text


def ask_to_move(client, new: str, ip: str = OFFICE):
    return client.post("/settings/address", {"email": new, "password": PASSWORD}, **at(ip))


def test_address_changes_per_account(app, client, other_client, db_session):
    dana, eve = make_owner(db_session), make_owner(db_session)
    db_session.commit()
    client.login_as(dana)
    other_client.login_as(eve)
    with rate_limits(app, EMAIL_CHANGE_RATE_LIMIT="2 per hour"):
        asked = [ask_to_move(client, f"dana{n}@example.com") for n in range(2)]
        refused = ask_to_move(client, "dana2@example.com", ip=ELSEWHERE)  # any network
        colleague = ask_to_move(other_client, "eve@new.example")  # the same office
    assert [r.status_code for r in asked] == [302, 302]
    assert refused.status_code == 429
    waits(refused)
    said_when(refused)
    assert "Too many changes of address asked for" in refused.text
    assert 'value="dana2@example.com"' in refused.text and LAYOUT in refused.text
    assert "dana2@example.com" not in client.get("/settings").text  # nothing was asked
    assert colleague.status_code == 302


def test_an_address_change_counts_against_the_new_address(app, client, other_client, db_session):
    dana, eve = make_owner(db_session), make_owner(db_session)
    db_session.commit()
    client.login_as(dana)
    other_client.login_as(eve)
    with rate_limits(app, ACCOUNT_EMAIL_ADDRESS_LIMIT="1 per hour"):
        assert ask_to_move(client, "target@example.com").status_code == 302
        refused = ask_to_move(other_client, "Target@example.com", ip=ELSEWHERE)
    assert refused.status_code == 429
    assert "Too many emails were asked for this address" in refused.text


def apply(client, task, ip: str = OFFICE, note: str = "I have done this for five shops."):
    return client.post(
        f"/tasks/{task.id}/apply", {"cover_note": note, "proposed_rate": "25"}, **at(ip)
    )


def proposals_of(session, assistant) -> int:
    return session.scalar(
        select(func.count(Proposal.id)).where(Proposal.assistant_id == assistant.id)
    )


def test_proposals_per_account(app, client, other_client, db_session):
    owner = make_owner(db_session)
    tasks = [make_task(db_session, owner, title=f"Inbox help {n}") for n in range(4)]
    joy, kim = make_assistant(db_session), make_assistant(db_session)
    db_session.commit()
    client.login_as(joy)
    other_client.login_as(kim)
    with rate_limits(app, PROPOSAL_RATE_LIMIT="2 per hour"):
        sent = [apply(client, task) for task in tasks[:2]]
        refused = apply(client, tasks[2], ip=ELSEWHERE, note="Typed with care")
        colleague = apply(other_client, tasks[2])
    assert [r.status_code for r in sent] == [302, 302]
    assert refused.status_code == 429
    waits(refused)
    said_when(refused)
    assert "You have sent too many proposals" in refused.text
    assert "Typed with care" in refused.text and "Inbox help 2" in refused.text
    assert LAYOUT in refused.text
    assert proposals_of(db_session, joy) == 2
    assert colleague.status_code == 302 and proposals_of(db_session, kim) == 1


def test_proposals_per_ip(app, db_session):
    from tests.conftest import Client

    owner = make_owner(db_session)
    task = make_task(db_session, owner)
    people = [make_assistant(db_session) for _ in range(4)]
    db_session.commit()
    clients = []
    for person in people:
        clients.append(Client(app.test_client()))
        clients[-1].login_as(person)
    with rate_limits(app, PROPOSAL_IP_RATE_LIMIT="2 per hour"):
        office = [apply(c, task) for c in clients[:3]]
        elsewhere = apply(clients[3], task, ip=ELSEWHERE)
    assert [r.status_code for r in office] == [302, 302, 429]
    assert "Too many proposals sent from your network" in office[-1].text
    assert elsewhere.status_code == 302


def test_a_stranger_limited_on_a_hidden_task_still_gets_a_404(app, client, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner)
    task.status = TaskStatus.CLOSED
    db_session.commit()
    client.login_as(make_assistant(db_session))
    with rate_limits(app, PROPOSAL_RATE_LIMIT="1 per hour"):
        apply(client, task)
        refused = apply(client, task)
    assert refused.status_code == 404


def send(client, cid: int, body: str, ip: str = OFFICE, **kw):
    return client.post(f"/messages/{cid}", {"body": body}, **at(ip), **kw)


def test_messages_per_ip_keep_what_was_written(app, client, other_client, db_session):
    owner, task, va = scene(db_session)
    db_session.commit()
    cid = open_as_owner(client, owner, task, va)
    other_client.login_as(va)
    with rate_limits(app, MESSAGE_IP_RATE_LIMIT="2 per minute"):
        sent = [send(client, cid, f"Hello {n}") for n in range(2)]
        refused = send(other_client, cid, "The invoices are in the shared folder")
        as_json = send(other_client, cid, "Second try", headers=JSON)
        elsewhere = send(other_client, cid, "From home", ip=ELSEWHERE)
    assert [r.status_code for r in sent] == [302, 302]
    assert refused.status_code == 429
    waits(refused)
    said_when(refused)
    assert "Too many messages sent from your network" in refused.text
    assert "The invoices are in the shared folder</textarea>" in refused.text
    assert as_json.status_code == 429
    assert as_json.get_json()["reason"] == "Too many messages sent from your network"
    assert elsewhere.status_code == 302
    bodies = db_session.scalars(select(Message.body).where(Message.conversation_id == cid))
    assert sorted(bodies) == ["From home", "Hello 0", "Hello 1"]


def test_the_page_script_gets_the_message_or_the_reason_as_json(app, client, db_session):
    owner, task, va = scene(db_session)
    db_session.commit()
    cid = open_as_owner(client, owner, task, va)
    app.config["MESSAGE_POST_LIMITS"], before = "1 per minute", app.config["MESSAGE_POST_LIMITS"]
    try:
        sent = send(client, cid, "Hi Joy", headers=JSON)
        empty = send(client, cid, "  ", headers=JSON)
        refused = send(client, cid, "Hi again", headers=JSON)
    finally:
        app.config["MESSAGE_POST_LIMITS"] = before
    assert sent.status_code == 201
    message = sent.get_json()["message"]
    assert f'id="message-{message["id"]}"' in message["html"] and "Hi Joy" in message["html"]
    assert empty.status_code == 422 and "Write a message" in empty.get_json()["message"]
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["reason"] == "You have sent 1 messages in a short time"
    assert body["retry_after"] == waits(refused)
    assert "You can send this one in" in body["message"]


def test_a_typo_in_a_limit_setting_fails_at_start_up(database_url):
    with pytest.raises(ValueError, match="PROPOSAL_RATE_LIMIT"):
        create_app(
            {"DATABASE_URL": database_url, "SECRET_KEY": "k", "PROPOSAL_RATE_LIMIT": "lots per day"}
        )
