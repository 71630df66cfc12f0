"""A real SMTP server (aiosmtpd) on 127.0.0.1 for tests, and fixtures that point the app at it.

Imported by the conftest of every test folder that reads mail (notifications, matches, jobs,
browser), so each gets the same fixtures.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """What the server received: (envelope recipients, parsed message) pairs.

    `delay` makes each message take that long to accept (a slow server); `gate`, when given,
    holds every message until the test sets it (a server that hangs until released).
    """

    def __init__(self, *, delay: float = 0.0, gate: threading.Event | None = None) -> None:
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []
        self.lock = threading.Lock()
        self.delay = delay
        self.gate = gate
        self.waiting = threading.Event()  # set once a message is being held at the gate

    async def handle_DATA(self, server, session, envelope):
        if self.gate is not None and not self.gate.is_set():
            self.waiting.set()
            while not self.gate.is_set():  # polled: blocking here would stall the server
                await asyncio.sleep(0.02)
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for _, m in self.received]

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for rcpt, m in self.received if address in rcpt]


class SMTPServer:
    """Start, stop and start again on the same port: the outage a test needs to stage."""

    def __init__(self, mailbox: Mailbox | None = None) -> None:
        self.port = free_port()
        self.mailbox = mailbox or Mailbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(smtp_server) -> Mailbox:
    return smtp_server.mailbox


@pytest.fixture
def smtp_app(app, smtp_server, monkeypatch):
    """The test app sending through the test SMTP server (no TLS, no log-in)."""
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", smtp_server.port)
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 5)
    return app


@pytest.fixture(autouse=True)
def fresh_matcher_index(request):
    """Each test's rows are rolled back, so a matcher index kept from another test is stale.
    Only for tests that use the shared app: the matcher's own tests need none."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    app.extensions.pop("matcher_index", None)
    yield
    app.extensions.pop("matcher_index", None)


def wait_for(condition, timeout: float = 30.0, what: str = "the condition") -> None:
    """Poll until `condition()` holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def body_text(message) -> str:
    return message.get_body(("plain",)).get_content()


def body_html(message) -> str:
    return message.get_body(("html",)).get_content()
