"""``flask operator grant EMAIL`` / ``revoke EMAIL``: the only way anyone becomes an operator.

Nothing on the web can grant the role: whoever can run commands on the server is trusted
already. Each change is written to the audit log (no operator account: ``via=cli``).
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..db import get_session
from ..errors import DomainError
from . import services

operator_cli = AppGroup("operator", help="Who runs the marketplace (the /operator console).")

_REASON = click.option(
    "--reason",
    default="Granted on the command line",
    show_default=True,
    help="Why, for the audit log.",
)


def _set(email: str, granted: bool, reason: str) -> None:
    session = get_session()
    try:
        user, changed = services.set_operator(session, email, granted, reason)
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from exc
    session.commit()
    if not changed:
        click.echo(f"{user.email} {'is' if granted else 'is not'} an operator already.")
    else:
        click.echo(f"{user.email} {'is now' if granted else 'is no longer'} an operator.")


@operator_cli.command("grant")
@click.argument("email")
@_REASON
def grant(email: str, reason: str) -> None:
    """Make the account with EMAIL an operator."""
    _set(email, True, reason)


@operator_cli.command("revoke")
@click.argument("email")
@click.option("--reason", default="Revoked on the command line", show_default=True)
def revoke(email: str, reason: str) -> None:
    """Take the operator role away from the account with EMAIL."""
    _set(email, False, reason)
