"""``flask contracts release-due``: fixed work's reminders and automatic release, for cron."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..db import get_session
from .runner import release_due

contracts_cli = AppGroup("contracts", help="Fixed contracts.")


@contracts_cli.command("release-due")
def release_due_cmd() -> None:
    """Remind owners of work waiting for their answer; release and pay out what is due."""
    report = release_due(get_session())
    click.echo(
        f"reminded {report.reminded}, released {report.released}, paid out {report.paid_out}"
    )
    for note in report.notes:
        click.echo(note)
