"""Scenes for the message tests, built through the real services and HTTP routes."""

from __future__ import annotations

import re

from sqlalchemy import select

from marketplace.messages.models import Conversation, Message
from tests.conftest import Client
from tests.factories import make_assistant, make_owner, make_task


def scene(session):
    """An owner with a task and an assistant with a profile; no conversation yet."""
    owner = make_owner(session, display_name="Dana Baker", email="dana@bakery.example")
    task = make_task(session, owner, title="Reconcile our QuickBooks")
    va = make_assistant(session, display_name="Joy Santos", email="joy@va.example")
    return owner, task, va


def start(client: Client, task_id: int, assistant_id: int):
    return client.post("/messages/start", {"task_id": task_id, "assistant_id": assistant_id})


def conversation_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(re.search(r"/messages/(\d+)", response.headers["Location"]).group(1))


def open_as_owner(client: Client, owner, task, va) -> int:
    client.login_as(owner)
    return conversation_id(start(client, task.id, va.id))


def send(client: Client, cid: int, body: str):
    return client.post(f"/messages/{cid}", {"body": body})


def conversations(session) -> list[Conversation]:
    return list(session.scalars(select(Conversation).order_by(Conversation.id)))


def messages(session, cid: int) -> list[Message]:
    return list(
        session.scalars(select(Message).where(Message.conversation_id == cid).order_by(Message.id))
    )


def stranger_client(app, session):
    third = make_owner(session, display_name="Eve Stranger")
    client = Client(app.test_client())
    client.login_as(third)
    return client
