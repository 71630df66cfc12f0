"""``flask payments reconcile``: repair state that lost webhooks left behind."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..db import get_session
from .gateway import get_gateway
from .reconcile import reconcile

payments_cli = AppGroup("payments", help="Stripe payments.")


@payments_cli.command("reconcile")
def reconcile_cmd() -> None:
    """Ask Stripe for the state of every unsettled contract and repair ours: funding, refunds
    (ours, and those made in Stripe's dashboard), disputes and payouts."""
    session = get_session()
    report = reconcile(session, get_gateway())
    session.commit()
    click.echo(
        f"funded {report.funded}, refunded {report.refunded}, paid out {report.paid_out}, "
        f"payout held {report.held}"
    )
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
