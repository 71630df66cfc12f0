"""``flask notifications ...``: run the outbox by hand or from cron when there is no worker."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..db import get_session
from .digest import send_daily_digests
from .sender import retry_failed, send_due

notifications_cli = AppGroup("notifications", help="Email notifications (the outbox).")


@notifications_cli.command("send")
def send_cmd() -> None:
    """Send every due notification now (batch after batch; safe beside other senders)."""
    report = send_due(get_session())
    click.echo(f"Sent {report.sent} email(s).")


@notifications_cli.command("digest")
def digest_cmd() -> None:
    """Write the daily digests that are due, then send them."""
    session = get_session()
    written = send_daily_digests(session)
    session.commit()
    click.echo(f"Wrote {written} digest(s).")


@notifications_cli.command("retry-failed")
def retry_failed_cmd() -> None:
    """Queue notifications that ran out of attempts again."""
    session = get_session()
    count = retry_failed(session)
    session.commit()
    click.echo(f"{count} notification(s) queued again.")
