"""Browsing open jobs: full-text search, filters, sorting and pagination.

Full text searches one document per task: its title, its skill names (``tasks.skill_names``,
kept by the Task model) and its description, with each database's own engine, both built by
the migrations: SQLite's FTS5 table ``tasks_fts`` (porter stemming) and PostgreSQL's stored
``tasks.search_vector`` (English stemming) with a GIN index. Both stem English words, so
"bookkeeper" finds "bookkeeping" and "reconciliations" finds "bank reconciliation"; both treat
several words as all required, wherever each one is; and both rank a word found in the title
or a skill above one found only in the description.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Select, case, column, func, literal_column, select, table
from sqlalchemy.orm import Session, lazyload

from ..accounts.models import in_good_standing
from ..paging import Page
from ..skills.models import Skill, task_skills
from ..skills.services import skill_key
from .models import BudgetType, Category, Engagement, Task, TaskStatus

PAGE_SIZE = 20
MAX_QUERY_LENGTH = 200


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


# What the task pays per hour: the hourly cap, or a fixed budget spread over its hours.
effective_rate_cents = case(
    (Task.budget_type == BudgetType.HOURLY, Task.max_hourly_rate_cents),
    else_=Task.budget_cents / func.nullif(Task.estimated_hours, 0),
)
weekly_hours = func.coalesce(Task.hours_per_week, Task.estimated_hours)

_fts = table("tasks_fts", column("rowid"), column("rank"))
_search_vector = literal_column("tasks.search_vector")  # PostgreSQL only, unmapped


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text[:MAX_QUERY_LENGTH].casefold())[:12]


# Where the stemmers (Porter in FTS5, Snowball English in PostgreSQL, both the same here) leave
# one family of words apart, a query word also searches its other spelling: "reconciliation"
# stems to "reconcili" but "reconcile" to "reconcil"; British "categorise" is "categoris",
# American "categorize" is "categor".
_IATION = re.compile(r"iations?$")
_ISE_IZE = re.compile(r"(i)([sz])(e|ed|es|ing|ation|ations)$")


def _variants(word: str) -> list[str]:
    """The word and the spellings a search for it should also find, word first."""
    found = [word]
    if _IATION.search(word) and len(word) > 8:
        found.append(_IATION.sub("e", word))
    if _ISE_IZE.search(word) and len(word) > 6:
        found.append(_ISE_IZE.sub(lambda m: m[1] + ("z" if m[2] == "s" else "s") + m[3], word))
    return found


def _text_filter(stmt: Select, dialect: str, text: str, by_relevance: bool) -> Select:
    """Every word must be found (in any of its spellings), in the title, skills or text."""
    groups = [_variants(w) for w in _words(text)]
    if not groups:
        return stmt
    if dialect == "postgresql":
        query = _all_of(
            _any_of(func.plainto_tsquery(literal_column("'english'"), v) for v in variants)
            for variants in groups
        )
        stmt = stmt.where(_search_vector.op("@@")(query))
        return stmt.order_by(func.ts_rank(_search_vector, query).desc()) if by_relevance else stmt
    # FTS5: quote every word so user input can never be read as query syntax. The rank column
    # is bm25 with the column weights the migration configured.
    match = " AND ".join("(" + " OR ".join(f'"{v}"' for v in variants) + ")" for variants in groups)
    stmt = stmt.join(_fts, _fts.c.rowid == Task.id).where(
        literal_column("tasks_fts").op("MATCH")(match)
    )
    return stmt.order_by(_fts.c.rank) if by_relevance else stmt


def _any_of(queries):
    return functools.reduce(lambda a, b: a.op("||")(b), queries)


def _all_of(queries):
    return functools.reduce(lambda a, b: a.op("&&")(b), queries)


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
        stmt = stmt.where(effective_rate_cents >= q.min_rate_cents)
    if q.min_budget_cents is not None:
        stmt = stmt.where(
            Task.budget_type == BudgetType.FIXED, Task.budget_cents >= q.min_budget_cents
        )
    if q.max_weekly_hours is not None:
        stmt = stmt.where(weekly_hours <= q.max_weekly_hours)

    by_relevance = q.sort == Sort.RELEVANCE and bool(_words(q.text))
    stmt = _text_filter(stmt, dialect, q.text, by_relevance)
    page, size = max(1, q.page), q.page_size
    # Listed tasks show their skills from `skill_names` (no query per task, nor one for all of
    # them) and not their owner (no join). The total comes with the page, in the same query.
    rows = session.execute(
        stmt.add_columns(func.count().over().label("total"))
        .options(lazyload(Task.owner))
        .order_by(*_ordering(q.sort), Task.id.desc())
        .limit(size)
        .offset(q.first_row)
    ).all()
    items = [task for task, _ in rows]
    if rows:
        total = rows[0].total
    else:  # past the last page (or nothing found): count on its own
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return Page(items=items, total=total or 0, page=page, size=size)


def _ordering(sort: Sort) -> list:
    if sort == Sort.PAY:
        return [effective_rate_cents.desc()]
    if sort == Sort.DEADLINE:
        return [Task.deadline.is_(None), Task.deadline.asc()]
    return [Task.created_at.desc()]
