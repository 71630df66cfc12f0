"""``flask timesheets run``: the weekly clock of hourly contracts, for cron or by hand."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..db import get_session
from .runner import run_due

timesheets_cli = AppGroup("timesheets", help="Hourly contracts' weeks.")


@timesheets_cli.command("run")
def run_cmd() -> None:
    """Close ended weeks, remind, auto-approve, charge approved weeks and pay them out."""
    report = run_due(get_session())
    click.echo(
        f"ended {report.ended}, closed {report.closed}, auto-approved {report.auto_approved}, "
        f"charged {report.charged}, failed {report.failed}, paid out {report.paid_out}"
    )
    for note in report.notes:
        click.echo(note)
