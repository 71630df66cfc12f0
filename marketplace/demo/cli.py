"""``flask demo load``: fill an empty database with realistic demo data."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ..db import get_session
from .data import DEMO_PASSWORD, load_demo_data

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("load")
@click.option("--seed", default=2026, show_default=True, help="Same seed, same data.")
@click.option("--assistants", default=320, show_default=True)
@click.option("--owners", default=40, show_default=True)
@click.option("--tasks", default=170, show_default=True)
def load_cmd(seed: int, assistants: int, owners: int, tasks: int) -> None:
    """Load demo owners, assistants and tasks (does nothing if demo data is already there)."""
    session = get_session()
    counts = load_demo_data(session, seed=seed, assistants=assistants, owners=owners, tasks=tasks)
    session.commit()
    if counts is None:
        click.echo("Demo data is already loaded.")
    else:
        click.echo(
            f"Loaded {counts['owners']} owners, {counts['assistants']} assistants, "
            f"{counts['tasks']} tasks into {current_app.config['DATABASE_URL']}."
        )
    click.echo(
        "Log in as owner1@demo.delegate.test or assistant1@demo.delegate.test, "
        f"password {DEMO_PASSWORD!r}."
    )
