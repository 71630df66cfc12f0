"""One page of a longer list (jobs, assistants' profiles): what the pagers show."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

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
