"""Match events: what owners and assistants did with the matches they were shown.

Recorded where each action happens, in the action's own transaction, one row per action
(`MatchEvent.dedup_key`): an impression when the owner's task page shows its recommendations
or talent search shows results with one of the owner's tasks chosen (one statement for the
whole list, at most one per task, assistant and day, whichever page showed it), an invitation,
a proposal, a hire (a contract from a proposal or from an accepted invitation) and the
owner's review of the assistant they hired. Each row keeps the matcher's score and factor
values for the pair at the time, read from its stored match; numbers and ids only, never
anything a person wrote.

The worker's index trains the matcher's outcome model on these rows
(`marketplace.matches.index`), once there are enough of them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from ..db import utcnow
from ..jobs.upserts import insert_ignoring_duplicates, insert_many_ignoring_duplicates
from ..tasks.models import Task
from .models import EventKind, Match, MatchEvent


def factor_values(explanation: dict | None) -> dict[str, float] | None:
    """The factor values of a stored explanation, numbers only (None when it has none)."""
    values = (explanation or {}).get("factor_values")
    if not isinstance(values, dict):
        return None
    out = {}
    for name, v in values.items():
        number = isinstance(v, int | float) and not isinstance(v, bool)
        if isinstance(name, str) and number and math.isfinite(v):
            out[name[:32]] = float(v)
    return out


def _row(
    kind: EventKind,
    task_id: int,
    assistant_id: int,
    key: str,
    score: float | None,
    factors: dict[str, float] | None,
    value: float | None = None,
    position: int | None = None,
) -> dict:
    return {
        "task_id": task_id,
        "assistant_id": assistant_id,
        "kind": kind,
        "value": value,
        "score": score,
        "factors": factors,
        "position": position,
        "dedup_key": key,
        "created_at": utcnow(),
    }


def record_impressions(
    session: Session,
    task_id: int,
    shown: Iterable[tuple[int, float | None, dict[str, float] | None]],
    first_position: int = 1,
) -> None:
    """A page showed these (assistant id, the match's score and factor values), in this order,
    from `first_position` on (a later page of results): one statement, and a pair already
    recorded today, on this page or another, is left as it is."""
    day = utcnow().date().isoformat()
    rows = [
        _row(EventKind.IMPRESSION, task_id, assistant_id,
             f"impression:{task_id}:{assistant_id}:{day}", score, factors, position=position)
        for position, (assistant_id, score, factors) in enumerate(shown, start=first_position)
    ]  # fmt: skip
    insert_many_ignoring_duplicates(session, MatchEvent, rows)


def record(
    session: Session,
    kind: EventKind,
    task_id: int,
    assistant_id: int,
    key: str,
    value: float | None = None,
) -> bool:
    """One action on a pair, with the pair's stored match as it is now; True when new."""
    match = session.scalar(
        select(Match)
        .where(Match.task_id == task_id, Match.assistant_id == assistant_id)
        .options(lazyload(Match.task))
    )
    score = None if match is None else float(match.score)
    factors = None if match is None else factor_values(match.explanation)
    row = _row(kind, task_id, assistant_id, f"{kind.value}:{key}", score, factors, value=value)
    return insert_ignoring_duplicates(session, MatchEvent, row)


def training_events(session: Session, limit: int | None = None) -> list:
    """The recorded events as the matcher's learner reads them, oldest first: every one, or
    the latest `limit`; each with its task's owner, whose pairs the learner caps together."""
    from matching.learning import OutcomeEvent  # the worker's side: numpy, scikit-learn

    query = (
        select(
            MatchEvent.task_id, MatchEvent.assistant_id, MatchEvent.kind, MatchEvent.factors,
            MatchEvent.score, MatchEvent.value, MatchEvent.position, Task.owner_id,
        )
        .join(Task, Task.id == MatchEvent.task_id)
        .order_by(MatchEvent.id.desc())
        .limit(limit)
    )  # fmt: skip
    rows = session.execute(query).all()
    return [
        OutcomeEvent(t, a, kind.value, factors_or_none(f), s, v, p, owner)
        for t, a, kind, f, s, v, p, owner in reversed(rows)
    ]


def factors_or_none(stored) -> dict | None:
    if not isinstance(stored, dict):
        return None
    return {k: float(v) for k, v in stored.items() if isinstance(v, int | float)}


def count(session: Session) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count()).select_from(MatchEvent)) or 0
