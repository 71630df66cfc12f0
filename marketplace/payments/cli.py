"""``flask payments reconcile``: repair state that lost webhooks left behind."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..db import get_session
from .gateway import get_gateway
from .reconcile_all import reconcile_all

payments_cli = AppGroup("payments", help="Stripe payments.")


@payments_cli.command("reconcile")
def reconcile_cmd() -> None:
    """Ask Stripe for the state of every unsettled contract and repair ours: funding, refunds
    (ours, and those made in Stripe's dashboard), disputes and payouts. The worker also runs
    this every hour (the periodic job ``payments.reconcile``)."""
    summary = reconcile_all(get_session(), get_gateway())
    for line in summary.lines:
        click.echo(line)
    for error in summary.errors:
        click.echo(f"error: {error}", err=True)
