"""``flask storage sweep``: the orphan-file sweep by hand or from cron when there is no worker."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..db import get_session

storage_cli = AppGroup("storage", help="Stored files (message attachments).")


@storage_cli.command("sweep")
def sweep_cmd() -> None:
    """Remove stored files no message points at, once past the grace period."""
    from ..messages.attachments import sweep_orphan_files

    report = sweep_orphan_files(get_session())
    click.echo(f"Removed {report.removed} orphan file(s) and {report.partials} partial upload(s).")
