"""The periodic sweep of stored files whose database row never committed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..jobs import job
from ..messages.attachments import sweep_orphan_files


@job("storage.sweep_orphans")
def sweep_orphans_job(session: Session) -> int:
    """Idempotent: a file already gone is not an error, and only unreferenced ones go."""
    report = sweep_orphan_files(session)
    return report.removed + report.partials
