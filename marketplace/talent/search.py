"""Owners searching assistants: full text, filters, working-time overlap, sorting and pages.

Reads profiles and stored matches; writes nothing (the page records what it showed for a
chosen task as impressions, as the task page does). The text search is job search's
(``marketplace/fulltext.py``) over one document per profile: headline, skill names and bio
(``assistant_profiles_fts`` on SQLite, ``assistant_profiles.search_vector`` on PostgreSQL, both
from migration 0022_talent_search).

Working-time overlap is the matcher's own figure (``matching.timezones``: the worst day's
shared hours over the 7 days from today, each with its real UTC offsets, so a week in which one
side changes clocks counts its worst day), computed when asked, never stored. It is computed
once per distinct working shift (zone, start, end) among the candidates, not per profile, and
the shifts that meet the minimum become a WHERE clause, so counting and paging stay in SQL.

The matcher's fit for one of the owner's open tasks is the stored Match row (what the
recommendations show), read in the same query as the page; the index is never built here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session, lazyload

from ..accounts.models import User, in_good_standing
from ..db import utcnow
from ..errors import NotFound
from ..fulltext import Document, text_filter, words
from ..matches.explain import explain, percent
from ..matches.models import Invitation, Match
from ..paging import Page, page_rows
from ..profiles.models import AssistantProfile
from ..skills.models import Skill, assistant_skills
from ..skills.services import skill_key
from ..tasks.models import Task, TaskStatus

PAGE_SIZE = 20

_DOCUMENT = Document(
    "assistant_profiles_fts", AssistantProfile.user_id, "assistant_profiles.search_vector"
)


class Sort(StrEnum):
    BEST = "best"  # the chosen task's match score, else the words' relevance, else rating
    RATING = "rating"
    RATE = "rate"  # lowest rate first
    HOURS = "hours"  # most hours a week first


@dataclass(frozen=True)
class WorkingDay:
    """The owner's working hours, in their zone, for the overlap filter."""

    timezone: str
    start: time
    end: time


@dataclass(frozen=True)
class TalentQuery:
    text: str = ""
    skills: tuple[str, ...] = ()  # every one required
    currency: str = "USD"  # of the rate range
    min_rate_cents: int | None = None
    max_rate_cents: int | None = None
    min_hours_per_week: int | None = None
    min_rating: float | None = None
    owner_day: WorkingDay | None = None
    min_overlap_hours: float | None = None  # with owner_day
    task: Task | None = None  # one of the viewer's open tasks: show (and sort by) its fit
    sort: Sort = Sort.BEST
    page: int = 1
    page_size: int = PAGE_SIZE


@dataclass(frozen=True)
class Fit:
    """The matcher's stored view of this assistant for the chosen task, in words."""

    percent: int
    lines: list[str]


@dataclass(frozen=True)
class TalentResult:
    profile: AssistantProfile
    overlap_hours: float | None = None  # with the query's owner_day, when it has one
    fit: Fit | None = None  # None: not among the matcher's ranked assistants for the task
    invited: bool = False  # to the query's task
    match: Match | None = None  # the query's task's stored match (what `fit` says in words)


def listed():
    """SQL: profiles owners may find: complete (a headline and a skill) and not suspended."""
    return and_(
        in_good_standing(AssistantProfile.user_id),
        AssistantProfile.headline != "",
        AssistantProfile.skill_names != "",
    )


def task_for_fit(session: Session, owner: User, task_id: int) -> Task:
    """One of the owner's open tasks, for ``TalentQuery.task`` (the JSON API's check; the page
    offers only these tasks). Any other id gets the same NotFound: it says nothing of a
    stranger's task."""
    task = session.scalar(
        select(Task).where(
            Task.id == task_id, Task.owner_id == owner.id, Task.status == TaskStatus.OPEN
        )
    )
    if task is None:
        raise NotFound("Choose one of your open tasks.", "task")
    return task


def search_talent(session: Session, q: TalentQuery) -> Page[TalentResult]:
    """One page of listed assistants meeting every filter, in the asked order.

    ``q.task`` must be one of the viewer's own open tasks (the view checks it)."""
    stmt = select(AssistantProfile).where(listed(), *_filters(q))
    if q.task is not None:
        stmt = _with_fit(stmt, q.task, first=q.sort == Sort.BEST)
    by_relevance = q.sort == Sort.BEST and bool(words(q.text))
    stmt = text_filter(stmt, session.get_bind().dialect.name, q.text, by_relevance, _DOCUMENT)
    overlaps: dict[tuple, float] = {}
    if q.owner_day is not None:
        overlaps = _shift_overlaps(session, stmt, q.owner_day)
        if q.min_overlap_hours is not None:
            met = [shift for shift, hours in overlaps.items() if hours >= q.min_overlap_hours]
            stmt = stmt.where(_shift_in(met))
    page, size = max(1, q.page), q.page_size
    ordered = stmt.order_by(*_ordering(q.sort), AssistantProfile.user_id.desc())
    rows, total = page_rows(session, stmt, ordered, page, size)
    items = [_result(row, q.task, overlaps) for row in rows]
    return Page(items=items, total=total, page=page, size=size)


def _filters(q: TalentQuery) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [
        AssistantProfile.user_id.in_(
            select(assistant_skills.c.profile_id)
            .join(Skill, Skill.id == assistant_skills.c.skill_id)
            .where(Skill.key == skill_key(name))
        )
        for name in q.skills
    ]
    if q.min_rate_cents is not None or q.max_rate_cents is not None:
        # Amounts in different currencies do not compare: a range is in one currency.
        found.append(AssistantProfile.currency == q.currency)
    if q.min_rate_cents is not None:
        found.append(AssistantProfile.hourly_rate_cents >= q.min_rate_cents)
    if q.max_rate_cents is not None:
        found.append(AssistantProfile.hourly_rate_cents <= q.max_rate_cents)
    if q.min_hours_per_week is not None:
        found.append(AssistantProfile.hours_per_week >= q.min_hours_per_week)
    if q.min_rating is not None:
        found.append(AssistantProfile.rating >= q.min_rating)
    return found


def _with_fit(stmt, task: Task, *, first: bool):
    """The task's stored match (or NULLs) and whether it invited the assistant, in the row;
    best match first when `first` (before the words' relevance)."""
    invited = (
        select(Invitation.id)
        .where(Invitation.task_id == task.id, Invitation.assistant_id == AssistantProfile.user_id)
        .exists()
        .label("invited")
    )
    stmt = (
        stmt.outerjoin(
            Match, and_(Match.task_id == task.id, Match.assistant_id == AssistantProfile.user_id)
        )
        .add_columns(Match, invited)
        .options(lazyload(Match.task))  # the task is in hand: no join, no copies to build
    )
    return stmt.order_by(Match.score.is_(None), Match.score.desc()) if first else stmt


_SHIFT = (AssistantProfile.timezone, AssistantProfile.work_start, AssistantProfile.work_end)


def _shift_overlaps(session: Session, stmt, day: WorkingDay) -> dict[tuple, float]:
    """Each distinct working shift among the candidates -> its shared hours with `day`."""
    # Imported here: only a search by overlap pays for loading the matcher library.
    from matching.timezones import overlap_hours

    week = utcnow().date()  # the matcher's reference date: the 7 days from today
    shifts = session.execute(stmt.with_only_columns(*_SHIFT).distinct().order_by(None)).all()
    owner = (day.timezone, f"{day.start:%H:%M}", f"{day.end:%H:%M}")
    return {
        (zone, start, end): overlap_hours(zone, f"{start:%H:%M}", f"{end:%H:%M}", *owner, week)
        for zone, start, end in shifts
    }


def _shift_in(shifts: list[tuple]):
    if not shifts:
        return false()
    return or_(*(and_(*(c == v for c, v in zip(_SHIFT, shift, strict=True))) for shift in shifts))


def _ordering(sort: Sort) -> list:
    by_rating = [
        AssistantProfile.rating.is_(None),
        AssistantProfile.rating.desc(),
        AssistantProfile.review_count.desc(),
    ]
    if sort == Sort.RATE:
        return [AssistantProfile.hourly_rate_cents.asc()]
    if sort == Sort.HOURS:
        return [AssistantProfile.hours_per_week.desc()]
    return by_rating  # RATING, and BEST after the match score and the words' relevance


def _result(row, task: Task | None, overlaps: dict[tuple, float]) -> TalentResult:
    profile = row[0]
    shift = (profile.timezone, profile.work_start, profile.work_end)
    fit, invited, match = None, False, None
    if task is not None:
        match, invited = row[1], row[2]
        if match is not None:
            lines = explain(match.explanation, task, profile, owner=True)
            fit = Fit(percent(match.score), lines)
    return TalentResult(profile, overlaps.get(shift), fit, bool(invited), match)
