"""What a page showed for a task, recorded for the matcher to learn from (impressions).

A view's helper, shared by the owner's task page and talent search: it commits, once the
page is rendered (a GET's one write). The table's unique key keeps one impression per task,
assistant and day whatever happens; the memo only spares a reload the INSERT.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from ..db import utcnow
from ..microcache import Microcache
from . import events

# Lists this worker recorded today. Emptied by any write to match_events in this worker, so
# the entry is put after the commit that wrote it (the commit empties the memo first).
_recorded = Microcache("impressions recorded", tables={"match_events"}, seconds=3600)


def record_shown(
    session: Session,
    task_id: int,
    shown: Sequence[tuple[int, float | None, dict[str, float] | None]],
    first_position: int = 1,
) -> None:
    """(assistant id, the match's score, its factor values) for each result, in order."""
    if not shown:
        return
    key = (task_id, utcnow().date(), first_position, tuple(item[0] for item in shown))
    if _recorded.get(key):
        return
    events.record_impressions(session, task_id, shown, first_position=first_position)
    session.commit()
    _recorded.put(key, True)
