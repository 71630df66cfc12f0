"""Storing ranked matches, reading them back for each side, and inviting an assistant.

A pair's row lives while the task's latest ranking or the assistant's latest ranking keeps
it in its top k; pages read only rows of open tasks, so a closed or hired task leaves every
list the moment its status changes, before any job has run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, joinedload, lazyload

from .. import allowances
from ..accounts.models import User, in_good_standing
from ..db import add_once, utcnow
from ..errors import Conflict, NotFound, RateLimited
from ..filters import format_localtime, format_money
from ..jobs.upserts import upsert
from ..messages.services import open_conversation
from ..notifications import notices
from ..notifications.services import preferences_for, preferences_of
from ..profiles.models import AssistantProfile
from ..tasks.models import Task, TaskStatus
from ..tasks.services import get_owned_task, open_tasks_of
from . import events
from .explain import explain, percent
from .models import EventKind, Invitation, Match

if TYPE_CHECKING:  # the web app reads rows; only jobs load the matcher (numpy, scikit-learn)
    import matching


class AlreadyInvited(Conflict):
    def __init__(self) -> None:
        super().__init__("You have already invited this assistant to this task.")


@dataclass(frozen=True)
class Recommendation:
    """One line of a ranked list: the other side, the match, and why, in words."""

    task: Task
    profile: AssistantProfile
    match: Match
    lines: list[str]
    invited: bool

    @property
    def percent(self) -> int:
        return percent(self.match.score)


def row_id(matcher_id: int | str) -> int:
    """The row a matcher result is about: the index is built from rows, keyed by their ids
    (the matcher itself also takes string ids)."""
    if not isinstance(matcher_id, int):
        raise TypeError(f"not a row id: {matcher_id!r}")
    return matcher_id


def _rows(pairs: list[tuple[int, int, matching.Match]], flag: str) -> list[dict]:
    from matching import MATCHER_VERSION

    now = utcnow()
    return [
        {
            "task_id": task_id,
            "assistant_id": assistant_id,
            "score": float(m.score),
            "explanation": m.explanation,
            "matcher_version": MATCHER_VERSION,
            "ranked_for_task": flag == "ranked_for_task",
            "ranked_for_assistant": flag == "ranked_for_assistant",
            "created_at": now,
            "updated_at": now,
        }
        for task_id, assistant_id, m in pairs
    ]


def _replace(session: Session, scope, keep_column, keep_ids, flag: str, rows) -> None:
    """Unflag what this ranking dropped, delete what neither side keeps, upsert the rest."""
    column = getattr(Match, flag)
    session.execute(
        update(Match).where(scope, keep_column.not_in(keep_ids)).values({column: False})
    )
    session.execute(
        delete(Match).where(
            scope, Match.ranked_for_task.is_(False), Match.ranked_for_assistant.is_(False)
        )
    )
    upsert(
        session,
        Match,
        rows,
        keys=["task_id", "assistant_id"],
        update=["score", "explanation", "matcher_version", flag, "updated_at"],
    )


def store_task_matches(session: Session, task: Task, ranked: list[matching.Match], k: int):
    """Keep the task's top k (of assistants who still have a profile); [(id, match)]."""
    ids = [m.id for m in ranked]
    alive = set(
        session.scalars(select(AssistantProfile.user_id).where(AssistantProfile.user_id.in_(ids)))
    )
    kept = [m for m in ranked if m.id in alive][:k]
    rows = _rows([(task.id, row_id(m.id), m) for m in kept], "ranked_for_task")
    _replace(
        session,
        Match.task_id == task.id,
        Match.assistant_id,
        [m.id for m in kept],
        "ranked_for_task",
        rows,
    )
    return kept


def store_assistant_matches(session: Session, assistant_id: int, ranked, k: int):
    """Keep the assistant's top k open tasks; [(task id, match)]."""
    ids = [m.id for m in ranked]
    open_ids = set(
        session.scalars(
            select(Task.id).where(
                Task.id.in_(ids), Task.status == TaskStatus.OPEN, in_good_standing(Task.owner_id)
            )
        )
    )
    kept = [m for m in ranked if m.id in open_ids][:k]
    rows = _rows([(row_id(m.id), assistant_id, m) for m in kept], "ranked_for_assistant")
    _replace(
        session,
        Match.assistant_id == assistant_id,
        Match.task_id,
        [m.id for m in kept],
        "ranked_for_assistant",
        rows,
    )
    return kept


def is_fresh(task: Task, max_age: timedelta) -> bool:
    """Match emails are news: about tasks posted within `max_age` (MATCH_EMAIL_MAX_AGE_DAYS),
    never about a task that has been up for weeks, whatever re-ranked it."""
    return task.created_at >= utcnow() - max_age


def notify_task_matches(
    session: Session, task: Task, kept: list[matching.Match], *, max_age: timedelta
) -> None:
    """Tell matched assistants above their own threshold, and the owner, once per task."""
    if not kept or not is_fresh(task, max_age):
        return
    prefs = preferences_for(session, [row_id(m.id) for m in kept])
    for m in kept:
        p = prefs[row_id(m.id)]
        if m.score >= p.min_match_score:
            notices.notify_new_match(session, row_id(m.id), task.id, m, prefs=p)
    notices.notify_recommendations(session, task)


# A new profile can match dozens of open tasks at once: its owner hears of the best few only.
NEW_JOBS_PER_PROFILE_SAVE = 3


def notify_assistant_matches(
    session: Session, assistant_id: int, kept: list[matching.Match], *, max_age: timedelta
) -> None:
    """After an assistant changed their profile: tell them, and nobody else, of the best few
    fresh open tasks they now match above their own threshold (once per task, as always)."""
    prefs = preferences_of(session, assistant_id)
    fresh = set(
        session.scalars(
            select(Task.id).where(
                Task.id.in_([m.id for m in kept]),
                Task.status == TaskStatus.OPEN,
                in_good_standing(Task.owner_id),
                Task.created_at >= utcnow() - max_age,
            )
        )
    )
    wanted = [m for m in kept if m.id in fresh and m.score >= prefs.min_match_score]
    for m in wanted[:NEW_JOBS_PER_PROFILE_SAVE]:
        notices.notify_new_match(session, assistant_id, row_id(m.id), m, prefs=prefs)


def _invited(session: Session, task_ids, assistant_ids) -> set[tuple[int, int]]:
    rows = session.execute(
        select(Invitation.task_id, Invitation.assistant_id).where(
            Invitation.task_id.in_(task_ids), Invitation.assistant_id.in_(assistant_ids)
        )
    )
    return {(t, a) for t, a in rows}


def invitation_for(session: Session, task_id: int, assistant_id: int) -> Invitation | None:
    return session.scalar(
        select(Invitation).where(
            Invitation.task_id == task_id, Invitation.assistant_id == assistant_id
        )
    )


def _is_invited_column():
    """Whether the row's assistant is invited to the row's task, read in the same query."""
    return (
        select(Invitation.id)
        .where(Invitation.task_id == Match.task_id, Invitation.assistant_id == Match.assistant_id)
        .exists()
        .label("invited")
    )


def recommended_for_task(session: Session, owner: User, task_id: int, limit: int = 10):
    """The task's ranked assistants with reasons; only its owner may read them."""
    task = get_owned_task(session, owner, task_id)
    if not task.is_open:
        return []
    rows = session.execute(
        select(Match, AssistantProfile, _is_invited_column())
        .join(AssistantProfile, AssistantProfile.user_id == Match.assistant_id)
        .where(Match.task_id == task.id, in_good_standing(Match.assistant_id))
        .order_by(Match.score.desc(), Match.assistant_id)
        .limit(limit)
        .options(lazyload(Match.task))  # the task is in hand; no join, no copies to build
    ).all()
    return [
        Recommendation(
            task, profile, match, explain(match.explanation, task, profile, owner=True), invited
        )
        for match, profile, invited in rows
    ]


@dataclass(frozen=True)
class ShownAssistant:
    """One recommendation as the owner's task page shows it: plain values, which a worker
    may keep between requests (tasks/views), unlike rows bound to a database session."""

    assistant_id: int
    name: str
    headline: str
    rate_cents: int
    currency: str
    percent: int
    lines: tuple[str, ...]
    invited: bool
    score: float  # the stored match's, for the page's impression events
    factors: dict[str, float] | None


def shown_to_owner(session: Session, owner: User, task_id: int) -> tuple[ShownAssistant, ...]:
    """``recommended_for_task`` as the owner's page shows it."""
    return tuple(
        ShownAssistant(
            assistant_id=r.profile.user_id,
            name=r.profile.user.display_name,
            headline=r.profile.headline,
            rate_cents=r.profile.hourly_rate_cents,
            currency=r.profile.currency,
            percent=r.percent,
            lines=tuple(r.lines),
            invited=r.invited,
            score=float(r.match.score),
            factors=events.factor_values(r.match.explanation),
        )
        for r in recommended_for_task(session, owner, task_id)
    )


def jobs_for_assistant(session: Session, assistant: User, limit: int = 20):
    """Open tasks ranked for this assistant: their own rows only, never anyone else's."""
    profile = session.get(AssistantProfile, assistant.id)
    if profile is None:
        return None
    rows = session.execute(
        select(Match, _is_invited_column())
        .join(Task, Task.id == Match.task_id)
        .where(
            Match.assistant_id == assistant.id,
            Task.status == TaskStatus.OPEN,
            in_good_standing(Task.owner_id),
        )
        .order_by(Match.score.desc(), Match.task_id)
        .limit(limit)
        # The list shows each task's skills: one query for all of them.
        .options(joinedload(Match.task).selectinload(Task.skills))
    ).all()
    return [
        Recommendation(
            m.task, profile, m, explain(m.explanation, m.task, profile, owner=False), invited
        )
        for m, invited in rows
    ]


def invitable_tasks(session: Session, owner: User, assistant_id: int) -> list[tuple[Task, bool]]:
    """The owner's open tasks, each with whether this assistant is already invited to it."""
    tasks = open_tasks_of(session, owner)
    invited = _invited(session, [t.id for t in tasks], [assistant_id]) if tasks else set()
    return [(t, (t.id, assistant_id) in invited) for t in tasks]


class RateChanged(Conflict):
    """The assistant's rate is not the one the owner's page showed: nothing is sent."""


INVITATION_WINDOW = timedelta(hours=24)


def invite_assistant(
    session: Session,
    owner: User,
    task_id: int,
    assistant_id: int,
    shown_rate_cents: int | None,
    per_day: int,
) -> Invitation:
    """Invite an assistant on the terms the recommendation showed: their rate then, and the
    task's hours. Those terms are stored, and accepting the invitation takes them."""
    task = get_owned_task(session, owner, task_id)
    if not task.is_open:
        raise Conflict(f"This task is {task.status.value}; invitations are for open tasks.")
    profile = session.get(AssistantProfile, assistant_id)
    if profile is None:
        raise NotFound("There is no assistant profile to invite here.")
    name = profile.user.display_name
    if profile.currency != task.currency:
        raise Conflict(f"{name} charges in {profile.currency}; this task pays in {task.currency}.")
    if shown_rate_cents != profile.hourly_rate_cents:
        rate = format_money(profile.hourly_rate_cents, profile.currency)
        raise RateChanged(
            f"{name}'s rate is now {rate}/h, not the rate your page showed. "
            "Look at it again below before inviting."
        )
    _within_daily_limit(session, owner, per_day)
    invitation = Invitation(
        task_id=task.id,
        assistant_id=assistant_id,
        rate_cents=profile.hourly_rate_cents,
        currency=profile.currency,
        hours=task.weekly_hours or 1,
    )
    if not add_once(session, invitation):  # the unique key settles a double click
        raise AlreadyInvited()
    events.record(session, EventKind.INVITE, task.id, assistant_id, str(invitation.id))
    open_conversation(session, task, assistant_id)  # the invitation's questions go here
    notices.notify_invitation(session, invitation)
    return invitation


def _within_daily_limit(session: Session, owner: User, per_day: int) -> None:
    """At most ``per_day`` invitations per owner in any 24 hours, counted in the database.

    Counted by ``marketplace.allowances``, so the limit holds across workers.
    """
    allowances.lock_owner(session, owner)
    sent = (
        select(Invitation.created_at)
        .join(Task, Task.id == Invitation.task_id)
        .where(Task.owner_id == owner.id)
    )
    free = allowances.next_free_at(session, sent, per_day, INVITATION_WINDOW)
    if free is not None:
        again = format_localtime(free)
        raise RateLimited(
            f"You have sent {per_day} invitations in the last 24 hours, the most Delegate "
            f"allows, so this one was not sent. You can invite again from {again}; assistants "
            "can still find your task and apply."
        )
