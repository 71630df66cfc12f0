"""One page of a longer list (jobs, assistants' profiles): what the pagers show."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def past_the_end(self) -> bool:
        """Results exist, but not on this page (a stale link, a hand-typed page number)."""
        return self.total > 0 and self.page > self.pages


def page_rows(
    session: Session, stmt: Select, ordered: Select, page: int, size: int, offset: int | None = None
):
    """(rows of page `page` of `ordered`, total rows of `stmt`), the total read with the page
    in the same query (a ``total`` column); only a page with no rows (past the end, or
    nothing found) counts on its own. `ordered` is `stmt` with its full ORDER BY. `offset`
    (the rows to skip, for the API's cursor) replaces the pages before `page`."""
    skip = offset if offset is not None else (page - 1) * size
    rows = session.execute(
        ordered.add_columns(func.count().over().label("total")).limit(size).offset(skip)
    ).all()
    if rows:
        return rows, rows[0].total
    return rows, count_rows(session, stmt)


def count_rows(session: Session, stmt: Select) -> int:
    """How many rows `stmt` returns, for a page that had none to carry its total."""
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
