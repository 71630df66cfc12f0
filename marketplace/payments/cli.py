"""``flask payments reconcile``: repair state that lost webhooks left behind."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..db import get_session
from .gateway import get_gateway
from .reconcile import pay_out, reconcile

payments_cli = AppGroup("payments", help="Stripe payments.")


@payments_cli.command("reconcile")
def reconcile_cmd() -> None:
    """Ask Stripe for the state of every unsettled contract and repair ours: funding, refunds
    (ours, and those made in Stripe's dashboard), disputes and payouts."""
    session = get_session()
    report = reconcile(session, get_gateway())
    session.commit()
    pay_out(session, get_gateway(), report)
    click.echo(
        f"funded {report.funded}, refunded {report.refunded}, paid out {report.paid_out}, "
        f"payout held {report.held}"
    )
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    # Milestones paid for on their own: a paid page whose webhooks were lost, a refund.
    from .milestone_reconcile import reconcile as reconcile_milestones

    parts = reconcile_milestones(session, get_gateway())
    session.commit()
    click.echo(f"milestones: funded {parts.funded}, refunded {parts.refunded}")
    for error in parts.errors:
        click.echo(f"error: {error}", err=True)
    # Hourly weeks: a refund or dispute of a paid week whose webhook never came holds its
    # payout; a charge or payout a lost job left behind is done now (same idempotency keys).
    from ..timesheets.billing import check_charged_weeks
    from ..timesheets.models import SettlementStatus
    from ..timesheets.runner import run_due, settle_unfinished_disputes

    held = check_charged_weeks(session, get_gateway())
    session.commit()
    weeks = run_due(session)
    session.commit()
    click.echo(
        f"hourly weeks: charged {weeks.charged}, failed {weeks.failed}, "
        f"paid out {weeks.paid_out}, payout held {len(held)}"
    )
    # Disputed time an operator decided to pay whose charge has no known outcome (answer and
    # webhook lost): asked again with its key. Charged ones were paid out by run_due above.
    ended = settle_unfinished_disputes(session, get_gateway())
    click.echo(
        "dispute settlements: "
        + ", ".join(f"{status.value} {ended.get(status, 0)}" for status in SettlementStatus)
    )
