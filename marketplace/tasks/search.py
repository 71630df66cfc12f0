"""Browsing open jobs: full-text search, filters, sorting and pagination.

Full text (``marketplace/fulltext.py``) searches one document per task: its title, its skill
names (``tasks.skill_names``, kept by the Task model) and its description: SQLite's FTS5 table
``tasks_fts`` and PostgreSQL's stored ``tasks.search_vector``. "bookkeeper" finds
"bookkeeping" and "reconciliations" finds "bank reconciliation"; a word found in the title or
a skill ranks above one found only in the description.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from ..accounts.models import in_good_standing
from ..fulltext import Document, text_filter, words
from ..paging import Page, count_rows
from ..skills.models import Skill, task_skills
from ..skills.services import skill_key
from .models import BudgetType, Category, Engagement, Task, TaskStatus

PAGE_SIZE = 20


class Sort(StrEnum):
    RELEVANCE = "relevance"  # with no words to search, the newest first
    NEWEST = "newest"
    PAY = "pay"
    DEADLINE = "deadline"


@dataclass(frozen=True)
class JobQuery:
    text: str = ""
    skill: str = ""
    category: Category | None = None
    engagement: Engagement | None = None
    min_rate_cents: int | None = None
    min_budget_cents: int | None = None
    max_weekly_hours: int | None = None
    sort: Sort = Sort.RELEVANCE
    page: int = 1
    page_size: int = PAGE_SIZE
    skip: int | None = None  # rows to skip, instead of the pages before `page` (the API's cursor)

    @property
    def first_row(self) -> int:
        return self.skip if self.skip is not None else (max(1, self.page) - 1) * self.page_size


_DOCUMENT = Document("tasks_fts", Task.id, "tasks.search_vector")  # built by 0009_search


def search_jobs(session: Session, q: JobQuery) -> Page[Task]:
    dialect = session.get_bind().dialect.name
    # A suspended owner's tasks are listed nowhere until they are reinstated.
    stmt = select(Task).where(Task.status == TaskStatus.OPEN, in_good_standing(Task.owner_id))
    if q.skill:
        stmt = stmt.where(
            Task.id.in_(
                select(task_skills.c.task_id)
                .join(Skill, Skill.id == task_skills.c.skill_id)
                .where(Skill.key == skill_key(q.skill))
            )
        )
    if q.category:
        stmt = stmt.where(Task.category == q.category)
    if q.engagement:
        stmt = stmt.where(Task.engagement == q.engagement)
    if q.min_rate_cents is not None:
        stmt = stmt.where(Task.pay_per_hour_cents >= q.min_rate_cents)
    if q.min_budget_cents is not None:
        stmt = stmt.where(
            Task.budget_type == BudgetType.FIXED, Task.budget_cents >= q.min_budget_cents
        )
    if q.max_weekly_hours is not None:
        stmt = stmt.where(Task.weekly_hours <= q.max_weekly_hours)

    by_relevance = q.sort == Sort.RELEVANCE and bool(words(q.text))
    stmt = text_filter(stmt, dialect, q.text, by_relevance, _DOCUMENT)
    page, size = max(1, q.page), q.page_size
    # The page is picked among the matching tasks' ids, and only its own rows are read:
    # ordering and counting every match with its description (the total is a window over
    # all of them) spilled 10,000 wide rows to disk on each front page at marketplace size.
    ordering = stmt.order_by(*_ordering(q.sort), Task.id.desc())._order_by_clauses
    hits = (
        stmt.order_by(None)
        .with_only_columns(
            Task.id,
            func.count().over().label("total"),
            func.row_number().over(order_by=ordering).label("position"),
        )
        .order_by(*ordering)
        .limit(size)
        .offset(q.first_row)
        .subquery("hits")
    )
    # Listed tasks show their skills from `skill_names` (no query per task, nor one for all of
    # them) and not their owner (no join). The total comes with the page, in the same query.
    rows = session.execute(
        select(Task, hits.c.total)
        .join(hits, hits.c.id == Task.id)
        .options(lazyload(Task.owner))
        .order_by(hits.c.position)
    ).all()
    total = rows[0].total if rows else count_rows(session, stmt)
    return Page(items=[row[0] for row in rows], total=total, page=page, size=size)


def _ordering(sort: Sort) -> list:
    if sort == Sort.PAY:
        return [Task.pay_per_hour_cents.desc()]
    if sort == Sort.DEADLINE:
        return [Task.deadline.is_(None), Task.deadline.asc()]
    return [Task.created_at.desc()]
