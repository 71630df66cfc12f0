"""What the several-hosts test needs around devtools.multihost: an SMTP sink on the bridge,
people made over HTTP as a person makes them, and looks at the database host's state."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import requests
from aiosmtpd.controller import Controller

from devtools.multihost import Deployment, Host, wait_for
from tests.accounts.served import Browser
from tests.notifications.mailbox import body_text

# Short enough that the test sees a killed worker's job handed back within two minutes:
# RQ presumes a job running for JOB_TIMEOUT + 60 s, and a live worker's clean-up (every
# JOBS_MAINTENANCE_INTERVAL) hands it back as a retry. The email sender runs every 2 s.
SETTINGS = {
    "JOB_TIMEOUT": "20",
    "JOBS_MAINTENANCE_INTERVAL": "2",
    "JOBS_PERIODIC_INTERVALS": "notifications.send=2",
    "JOBS_PERIODIC_TICK": "0.5",
}
PASSWORD = "a long enough password"
LINK = re.compile(r"(http://\S+/signup/confirm/\S+)")
SECRET = re.compile(r'data-testid="new-token-secret">(dlg_[A-Za-z0-9_-]+)<')


class Sink:
    """An SMTP server on the bridge (the root namespace) that keeps every message it accepts,
    with the address of the host that sent it."""

    def __init__(self, host: str) -> None:
        self.host = host
        with socket.socket() as probe:
            probe.bind((host, 0))
            self.port = probe.getsockname()[1]
        self.received: list[tuple[str, tuple[str, ...], email.message.EmailMessage]] = []
        self.lock = threading.Lock()
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append((session.peer[0], tuple(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def start(self) -> None:
        self.controller = Controller(self, hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for _, rcpts, m in self.received if address in rcpts]

    def counts(self) -> Counter[tuple[str, str]]:
        """How many times each (recipient, subject) arrived."""
        with self.lock:
            return Counter(
                (rcpt, str(m["Subject"])) for _, rcpts, m in self.received for rcpt in rcpts
            )

    def senders(self) -> Counter[str]:
        with self.lock:
            return Counter(peer for peer, _, _ in self.received)

    def wait_for(
        self, address: str, subject: str, timeout: float = 120
    ) -> email.message.EmailMessage:
        def found():
            return next((m for m in self.to(address) if subject in str(m["Subject"])), None)

        return wait_for(found, timeout, f"an email to {address} about {subject!r}")


@dataclass
class Person:
    email: str
    token: str  # a personal access token made on the settings page
    user_id: int


@dataclass
class Cluster:
    deployment: Deployment
    sink: Sink
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    @property
    def web1(self) -> str:
        return self.deployment.web_urls[0]

    @property
    def web2(self) -> str:
        return self.deployment.web_urls[1]

    def host_at(self, address: str) -> Host:
        return next(h for h in self.deployment.network.hosts.values() if h.address == address)

    # --- people, as a person makes them --------------------------------------------------

    def sign_up(self, web_url: str, role: str, name: str, address: str) -> Person:
        """The sign-up form, the emailed link followed in the same browser, then a token
        made on the settings page (shown once)."""
        browser = Browser(web_url)
        sent = browser.post(
            "/signup",
            {
                "role": role,
                "display_name": name,
                "email": address,
                "password": PASSWORD,
                "timezone": "Europe/London",
            },
        )
        assert sent.status_code == 302 and sent.headers["Location"].endswith("/signup/sent"), (
            sent.status_code,
            sent.text[:500],
        )
        link = LINK.search(body_text(self.sink.wait_for(address, "onfirm")))
        assert link, "no confirmation link in the email"
        confirmed = browser.get(urlsplit(link.group(1)).path)
        assert confirmed.status_code == 302, confirmed.text[:500]
        page = browser.post(
            "/settings/tokens",
            {"name": "multihost", "scope": "read_write", "expires_in": "90"},
            token=browser.form_token("/settings"),
        )
        assert page.status_code == 201, page.text[:500]
        secret = SECRET.search(page.text)
        assert secret, "the new token is not on the settings page"
        me = self.api("GET", web_url, "/api/v1/me", secret.group(1))
        assert me.status_code == 200, me.text
        return Person(address, secret.group(1), me.json()["id"])

    def api(
        self, method: str, web_url: str, path: str, token: str, json: dict | None = None
    ) -> requests.Response:
        return requests.request(
            method,
            web_url + path,
            json=json,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )

    def recommended(self, web_url: str, owner: Person, task_id: int) -> set[int]:
        page = self.api("GET", web_url, f"/api/v1/tasks/{task_id}/recommendations", owner.token)
        assert page.status_code == 200, page.text
        return {item["assistant_id"] for item in page.json()["items"]}

    def wait_for_match(self, web_url: str, owner: Person, task_id: int, assistant: Person,
                       timeout: float = 120) -> None:  # fmt: skip
        wait_for(
            lambda: assistant.user_id in self.recommended(web_url, owner, task_id),
            timeout,
            f"task {task_id} recommending assistant {assistant.user_id} on {web_url}",
            every=1.0,  # under the API's 120 requests a minute per token
        )

    # --- the database host, seen from outside ----------------------------------------------

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.deployment.database_url, connect_timeout=10)

    def waiting_on_lock(self, address: str) -> list[str]:
        """The statements of `address`'s connections that wait for a lock."""
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT query FROM pg_stat_activity WHERE datname = 'delegate'"
                " AND wait_event_type = 'Lock' AND host(client_addr) = %s",
                (address,),
            ).fetchall()
        return [row[0] for row in rows]

    def unsent(self) -> dict[str, int]:
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT status, count(*) FROM notifications WHERE status IN ('pending', 'failed')"
                " GROUP BY status"
            ).fetchall()
        return dict(rows)

    def log(self, host: Host) -> str:
        return "\n".join(p.log.read_text(errors="replace") for p in host.processes)

    def sender_runs(self) -> int:
        return sum(
            self.log(h).count('"Job notifications.send() done') for h in self.deployment.workers
        )

    def settle(self, timeout: float = 120) -> None:
        """Every email owed is sent, and the sender has run twice more on live workers since:
        nothing more is coming, so the sink's counts are final."""
        wait_for(lambda: not self.unsent(), timeout, "every notification sent", every=0.3)
        runs = self.sender_runs()
        wait_for(lambda: self.sender_runs() >= runs + 2, timeout, "two more sender runs")

    def assert_each_email_once(self) -> Counter[tuple[str, str]]:
        counts = self.sink.counts()
        twice = {key: n for key, n in counts.items() if n != 1}
        assert not twice, f"emails sent more than once: {twice}"
        return counts

    def note(self, line: str) -> None:
        self.notes.append(line)

    def summary(self, logs: Path) -> str:
        d = self.deployment
        hosts = ", ".join(f"{h.name} {h.address}" for h in d.network.hosts.values())
        senders = {self.host_at(peer).name: n for peer, n in self.sink.senders().items()}
        lines = [
            "",
            f"== several hosts (network namespaces on one bridge, {d.network.subnet}): {hosts}",
            "   set up in " + ", ".join(f"{k} {v:.1f} s" for k, v in d.timings.items()),
            *(f"   {line}" for line in self.notes),
            f"   emails accepted by the SMTP sink: {len(self.sink.received)}, by sending host "
            f"{senders}; each (recipient, subject) exactly once",
            f"   total {time.monotonic() - self.started:.1f} s; host logs kept in {logs}",
        ]
        return "\n".join(lines)
