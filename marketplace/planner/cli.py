"""``flask plan market rebuild``: the market behind every catalogue item's price."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..db import get_session

plan_cli = AppGroup("plan", help="The delegation planner.")
market_cli = AppGroup("market", help="The assistants fit for each catalogue item.")
plan_cli.add_command(market_cli)


@market_cli.command("rebuild")
def rebuild_cmd() -> None:
    """Rank the assistant pool for every catalogue item and store who fits (no email)."""
    from .jobs import rebuild_market  # numpy, scikit-learn

    session = get_session()
    counts = rebuild_market(session)
    session.commit()
    priced = sum(1 for n in counts.values() if n)
    click.echo(f"Found fit assistants for {priced} of {len(counts)} catalogue items.")
