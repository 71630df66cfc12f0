"""``flask demo load``: fill an empty database with realistic, lived-in demo data."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ..config import settings
from ..db import get_session
from .data import DEMO_PASSWORD, load_demo_data

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("load")
@click.option("--seed", default=2026, show_default=True, help="Same seed, same data.")
@click.option("--assistants", default=320, show_default=True)
@click.option("--owners", default=40, show_default=True)
@click.option("--tasks", default=170, show_default=True)
def load_cmd(seed: int, assistants: int, owners: int, tasks: int) -> None:
    """Load demo people, tasks, proposals and invitations, and (with the Stripe emulator)
    contracts in every state; does nothing if demo data is already there."""
    from . import activity

    session = get_session()
    counts = load_demo_data(session, seed=seed, assistants=assistants, owners=owners, tasks=tasks)
    if counts is None:
        click.echo("Demo data is already loaded.")
        return
    session.commit()
    click.echo(
        f"Loaded {counts['owners']} owners, {counts['assistants']} assistants, "
        f"{counts['tasks']} tasks into {settings().database_url}."
    )
    counts = activity.load_proposals_and_invitations(session, seed=seed)
    session.commit()
    click.echo(f"Added {counts['proposals']} proposals and {counts['invitations']} invitations.")
    money = activity.money_from(current_app, session)
    if money is None:
        click.echo(
            "No Stripe emulator at STRIPE_API_BASE, so no contracts or payments were loaded "
            "(`make demo` starts one)."
        )
    else:
        made = activity.load_contracts(session, money, seed=seed)
        click.echo(
            "Contracts through the Stripe emulator: "
            + ", ".join(f"{n} {state.replace('_', ' ')}" for state, n in made.items())
            + "."
        )
        click.echo(f"Added {activity.load_reviews(session)} reviews of the paid contracts.")
    click.echo(
        "Log in as owner1@demo.delegate.test or assistant1@demo.delegate.test, "
        f"password {DEMO_PASSWORD!r}."
    )
