"""Fair exposure where a task's recommendations are made: the matcher's `allocate` with what
the database knows (issue 13 part 6).

- The cap (``MATCHER_DAILY_RECOMMENDATION_CAP``): an assistant already newly recommended to
  that many other tasks today (UTC) is passed over for a new place in this task's list, so a
  few strong profiles do not take every owner's attention; a place they already hold in this
  task's list is not new and stays. 0 turns it off.
- Newcomers (``MATCHER_NEWCOMER_SHARE`` of each list): complete profiles (headline, bio,
  skills) with no reviews and no hire yet. When fewer of them earned a place on score, the
  most relevant of them fill that many places; their stored explanation says so and the
  owner's page tells the owner (`explain`).

Only the job that ranks a task calls this: numbers and ids only, a few small queries on the
candidates the matcher returned.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..profiles.models import AssistantProfile
from ..tasks.models import Task
from .models import EventKind, Match, MatchEvent

if TYPE_CHECKING:
    import matching
    from matching.exposure import ExposurePolicy

    from ..config import Settings


def exposure_policy(config: Settings) -> ExposurePolicy:
    from matching.exposure import ExposurePolicy

    cap = config.matcher_daily_recommendation_cap
    return ExposurePolicy(cap=cap or None, new_share=config.matcher_newcomer_share)


def _newcomers(session: Session, ids: list) -> set[int]:
    hired = select(MatchEvent.assistant_id).where(
        MatchEvent.kind == EventKind.HIRE, MatchEvent.assistant_id.in_(ids)
    )
    return set(
        session.scalars(
            select(AssistantProfile.user_id).where(
                AssistantProfile.user_id.in_(ids),
                AssistantProfile.review_count == 0,
                AssistantProfile.headline != "",
                AssistantProfile.bio != "",
                AssistantProfile.skill_names != "",
                AssistantProfile.user_id.not_in(hired),
            )
        )
    )


def _placed_today(session: Session, ids: list) -> dict[int, int]:
    """Tasks' lists each candidate newly joined today (UTC): a row is made when the pair
    enters a list, and deleted when it leaves both sides' lists. (The task being ranked
    counts too, but a place there is `keep`, which the cap never touches.)"""
    start = datetime.combine(utcnow().date(), time(0), UTC)
    rows = session.execute(
        select(Match.assistant_id, func.count())
        .where(
            Match.assistant_id.in_(ids),
            Match.ranked_for_task.is_(True),
            Match.created_at >= start,
        )
        .group_by(Match.assistant_id)
    )
    return {a: n for a, n in rows}


def shown_fairly(
    session: Session, task: Task, ranked: list[matching.Match], k: int, policy: ExposurePolicy
) -> list[matching.Match]:
    """The k of `ranked` (the matcher's best `policy.candidates(k)`, or more) to store for
    the task, of assistants who still have a profile, under the policy."""
    from matching.exposure import allocate

    ids = [m.id for m in ranked]
    alive = set(
        session.scalars(select(AssistantProfile.user_id).where(AssistantProfile.user_id.in_(ids)))
    )
    ranked = [m for m in ranked if m.id in alive]
    if not policy.active or not ranked:
        return ranked[:k]
    ids = [m.id for m in ranked]
    keep = set(
        session.scalars(
            select(Match.assistant_id).where(
                Match.task_id == task.id, Match.ranked_for_task.is_(True)
            )
        )
    )
    counts = _placed_today(session, ids) if policy.cap is not None else {}
    newcomers = _newcomers(session, ids) if policy.quota(k) else set()
    return allocate(ranked, k, policy, counts=counts, newcomers=newcomers, keep=keep)
