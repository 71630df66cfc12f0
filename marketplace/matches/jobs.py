"""Jobs that rank with the matcher and store the results as Match rows.

Both are idempotent: ranking the same task twice stores the same rows (an upsert on
(task, assistant)) and the notifications they write are keyed per (user, kind, task).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import settings
from ..db import utcnow
from ..jobs import job
from ..tasks.models import Task, TaskStatus
from .exposure import exposure_policy, shown_fairly
from .index import load_assistant, matcher_index, to_matching_task
from .models import Match
from .services import (
    notify_assistant_matches,
    notify_task_matches,
    store_assistant_matches,
    store_task_matches,
)

# Rank a few more than we keep: the worker's index may still hold a just-deleted profile.
SLACK = 5
# A profile change makes the pair scores stored by tasks' rankings stale; re-rank at most
# this many of those tasks in the same job (the rest refresh when they are next saved).
MAX_TASKS_TO_REFRESH = 20


def _max_email_age() -> timedelta:
    return timedelta(days=settings().match_email_max_age_days)


def rank_and_store_task(session: Session, task: Task, *, announce: bool = True) -> list:
    """Rank the task's assistants and store them; `announce` emails the newly matched (the
    task was posted or edited), otherwise the rows are only refreshed."""
    k = settings().matches_per_task
    policy = exposure_policy(settings())
    matcher = matcher_index(current_app).current(session)
    ranked = matcher.rank_assistants(
        to_matching_task(task), k=policy.candidates(k) + SLACK, reference_date=utcnow().date()
    )
    # the exposure cap and the newcomers' places (matches/exposure.py) pick the k to keep
    kept = store_task_matches(session, task, shown_fairly(session, task, ranked, k, policy), k)
    if announce:
        notify_task_matches(session, task, kept, max_age=_max_email_age())
    return kept


@job("matches.match_task")
def match_task(session: Session, task_id: int) -> int:
    """After a task is posted or edited: store its top assistants, notify them and the owner."""
    task = session.get(Task, task_id)
    if task is None or task.status != TaskStatus.OPEN:
        return 0  # pages already hide it; nothing to rank
    return len(rank_and_store_task(session, task))


@job("matches.match_assistant")
def match_assistant(session: Session, user_id: int, announce: bool = True) -> int:
    """After a profile changed: store the assistant's top open tasks, refresh stale pairs.
    ``announce=False`` (their reputation moved with a review) re-ranks without match emails."""
    assistant = load_assistant(session, user_id)
    if assistant is None:
        return 0
    k = settings().matches_per_assistant
    matcher = matcher_index(current_app).current(session)
    ranked = matcher.rank_tasks(assistant, k=k + SLACK, reference_date=utcnow().date())
    kept = store_assistant_matches(session, user_id, ranked, k)
    stale = session.scalars(
        select(Task)
        .join(Match, Match.task_id == Task.id)
        .where(Match.assistant_id == user_id, Match.ranked_for_task.is_(True))
        .where(Task.status == TaskStatus.OPEN)
        .order_by(Task.id)
        .limit(MAX_TASKS_TO_REFRESH)
    )
    # Only the assistant who saved hears about it; the tasks' owners and the other assistants
    # in their rankings did nothing, so a refreshed score is no news to them.
    if announce:
        notify_assistant_matches(session, user_id, kept, max_age=_max_email_age())
    for task in list(stale):
        rank_and_store_task(session, task, announce=False)
    return len(kept)
