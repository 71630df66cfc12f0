"""Signing up as a person does: the form, then the link from the mailbox."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

from marketplace.accounts.addresses import wire_address
from tests.notifications.mailbox import body_text

LINK = re.compile(r"(http://\S+/signup/confirm/\S+)")

SIGNUP = {
    "role": "owner",
    "display_name": "Dana Baker",
    "email": "Dana@Bakery.example",
    "password": "a long enough password",
    "timezone": "Europe/London",
}


def messages_to(mailbox, address: str, *, count: int = 1, timeout: float = 10.0):
    """The mail the SMTP server has for `address`, waiting (bounded) for `count` messages:
    email goes out after the request, not inside it."""
    deadline = time.monotonic() + timeout
    while True:
        found = mailbox.to(address)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def confirmation_link(mailbox, address: str, *, count: int = 1) -> str:
    messages = messages_to(mailbox, address, count=count)
    assert len(messages) >= count, f"no confirmation email for {address}"
    match = LINK.search(body_text(messages[count - 1]))
    assert match, body_text(messages[count - 1])
    return match.group(1)


def path_of(link: str) -> str:
    return urlsplit(link).path


def sign_up_and_confirm(client, mailbox, **changes):
    """Sign up with the form, follow the emailed link in the same browser; the response."""
    data = {**SIGNUP, **changes}
    response = client.post("/signup", data)
    assert response.status_code == 302 and response.location.endswith("/signup/sent")
    return client.get(path_of(confirmation_link(mailbox, wire_address(data["email"]))))


def emailed_link(mailbox, address: str, path: str, *, count: int = 1) -> str:
    """The path of the link to `path`… in the `count`-th email to `address`."""
    messages = messages_to(mailbox, address, count=count)
    assert len(messages) >= count, f"no email {count} for {address}: {len(messages)}"
    match = re.search(rf"(http://\S+{re.escape(path)}\S+)", body_text(messages[count - 1]))
    assert match, body_text(messages[count - 1])
    return path_of(match.group(1))
