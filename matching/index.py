"""Column store for one side of the market (assistants or tasks).

Rows are append-only with tombstones: an update appends a new row and buries the old one, a
removal buries it. Rankings only ever look at live rows and break ties by row order, which
compaction preserves, so adding then removing an item cannot change anyone else's ranking.

`attributes` turns items into the numeric columns the scorer reads; the index stores them
for its rows and the ranking applies the same function to its queries, so an item's figures
are derived in one place whichever side of a ranking it is on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.sparse as sp

from .models import Assistant, Task
from .timezones import DEFAULT_HOURS, assistant_week, owner_week, span
from .vocabulary import normalise_skill

_NAN = float("nan")


def text_fields(item: Assistant | Task) -> tuple[str, str, str]:
    if isinstance(item, Assistant):
        return item.headline, item.bio, "; ".join(item.skills)
    return item.title, item.description, "; ".join(item.skills)


_normalise = lru_cache(maxsize=65536)(normalise_skill)


def skill_set(item: Assistant | Task) -> tuple[str, ...]:
    """The item's skills as canonical keys, each once, in the order first named."""
    seen: dict[str, None] = {}
    for s in item.skills:
        key = _normalise(s)
        if key:
            seen.setdefault(key, None)
    return tuple(seen)


def tz_key(item: Assistant | Task) -> tuple[str, int, int] | None:
    """(zone, local start minute, duration) of the item's working day, None without a zone."""
    if item.timezone is None:
        return None
    if isinstance(item, Assistant):
        return (item.timezone, *span(item.work_start, item.work_end))
    # the task has no hours of its own: its owner is taken to keep office hours
    return (item.timezone, *span(*DEFAULT_HOURS))


def currency_code(cur: str | None) -> int:
    # ISO codes are three ASCII letters: pack them into an int, 0 for "not given"
    return 0 if not cur else int.from_bytes(cur.encode("ascii"), "big")


def _floats(values: list) -> np.ndarray:
    return np.array([_NAN if v is None else v for v in values], dtype=np.float64)


def attributes(kind: str, items: Sequence[Assistant | Task]) -> dict[str, np.ndarray]:
    """The scorer's per-item columns (NaN where a figure is not given)."""
    cur = np.fromiter((currency_code(x.currency) for x in items), dtype=np.int64, count=len(items))
    if kind == "assistant":
        return {
            "rate": _floats([x.hourly_rate_cents for x in items]),  # type: ignore[union-attr]
            "currency": cur,
            "hours": _floats([x.hours_per_week for x in items]),
            "rating": _floats([x.rating for x in items]),  # type: ignore[union-attr]
            "reviews": _floats([x.review_count for x in items]),  # type: ignore[union-attr]
        }
    return {
        "max_rate": _floats([x.max_hourly_rate_cents for x in items]),  # type: ignore
        "currency": cur,
        "need": _floats([x.hours_per_week for x in items]),
        "overlap_req": _floats([x.overlap_hours for x in items]),  # type: ignore[union-attr]
        "has_tz": np.array([x.timezone is not None for x in items], dtype=bool),
    }


def week(kind: str, key: tuple[str, int, int], reference: dt.date):
    """UTC working intervals of one (zone, start, duration): 7 owner days for a task, the 9
    assistant days around them for an assistant."""
    return (owner_week if kind == "task" else assistant_week)(*key, reference)


class Side:
    def __init__(self, kind: str):
        self.kind = kind
        self.items: list[Assistant | Task] = []
        self.alive = np.zeros(0, dtype=bool)
        self.pos: dict[Any, int] = {}
        self.attrs = attributes(kind, [])
        self.skills: list[tuple[str, ...]] = []
        self.groups: dict[tuple[str, int, int], int] = {}
        self.group = np.zeros(0, dtype=np.int64)
        self._blocks: list[sp.csr_matrix] = []
        self._dense_blocks: list[np.ndarray] = []  # unit embeddings, only with dense_weight
        self._dense: np.ndarray | None = None
        self._text: sp.csr_matrix | None = None
        self._text_t: sp.csr_matrix | None = None
        self._derived: dict[Any, Any] = {}  # skill matrices, per-week intervals and overlaps

    def __len__(self) -> int:
        return len(self.pos)

    # -- mutation ---------------------------------------------------------------------------
    def add(
        self,
        items: Sequence[Assistant | Task],
        text: sp.csr_matrix,
        dense: np.ndarray | None = None,
    ) -> None:
        if not items:
            return
        if dense is not None:
            if len(self.items) and not self._dense_blocks:
                raise ValueError("this side holds no embeddings to append to")
            self._dense_blocks.append(np.asarray(dense, dtype=_dense_dtype(dense)))
            self._dense = None
        start = len(self.items)
        pos = self.pos
        alive = np.ones(len(items), dtype=bool)
        for j, item in enumerate(items):
            old = pos.get(item.id)
            if old is not None:
                # an update buries the old row; a batch naming one id twice keeps the last
                if old >= start:
                    alive[old - start] = False
                else:
                    self.alive[old] = False
            pos[item.id] = start + j
        self.items.extend(items)
        self.alive = np.concatenate([self.alive, alive])
        new = attributes(self.kind, items)
        self.attrs = {k: np.concatenate([v, new[k]]) for k, v in self.attrs.items()}
        self.skills.extend(map(skill_set, items))
        groups = self.groups
        gids = np.fromiter(
            (
                -1 if (key := tz_key(it)) is None else groups.setdefault(key, len(groups))
                for it in items
            ),
            dtype=np.int64,
            count=len(items),
        )
        self.group = np.concatenate([self.group, gids])
        self._blocks.append(text)
        self._text = self._text_t = None
        self._derived = {}

    def remove(self, ids: Sequence[Any]) -> None:
        for i in ids:
            row = self.pos.pop(i, None)
            if row is not None:
                self.alive[row] = False
        if len(self.items) > 64 and self.alive.sum() < len(self.items) // 2:
            self.compact()

    def compact(self) -> None:
        keep = np.flatnonzero(self.alive)
        text = self.text[keep] if len(self.items) else None
        dense = self.dense[keep] if len(self.items) and self._dense_blocks else None
        items = [self.items[i] for i in keep]
        fresh = Side(self.kind)
        if items:
            fresh.add(items, text, dense)
        self.__dict__.update(fresh.__dict__)

    # -- derived, rebuilt lazily after mutation ------------------------------------------------
    @property
    def text(self) -> sp.csr_matrix:
        if self._text is None:
            if len(self._blocks) != 1:
                self._blocks = [sp.vstack(self._blocks, format="csr", dtype=np.float32)]
            self._text = self._blocks[0]
        return self._text

    @property
    def dense(self) -> np.ndarray:
        """(rows, dim) float32 unit embeddings, row-aligned with `text`."""
        if self._dense is None:
            if not self._dense_blocks:
                return np.zeros((len(self.items), 0), dtype=np.float32)
            if len(self._dense_blocks) != 1:
                self._dense_blocks = [np.concatenate(self._dense_blocks)]
            self._dense = self._dense_blocks[0]
        return self._dense

    @property
    def text_t(self) -> sp.csr_matrix:
        # term-major copy: a query touches only the postings of its own terms
        if self._text_t is None:
            self._text_t = self.text.T.tocsr()
        return self._text_t

    def derived(self, key: Any, build) -> Any:
        """A value computed from this side's rows, kept until the side next changes."""
        value = self._derived.get(key)
        if value is None:
            value = self._derived[key] = build()
        return value

    def group_intervals(self, reference: dt.date) -> tuple[np.ndarray, np.ndarray]:
        """UTC working intervals per time-zone group for the week from `reference`."""

        def build():
            n = 9 if self.kind == "assistant" else 7
            s = np.zeros((max(len(self.groups), 1), n), dtype=np.int64)
            e = np.zeros_like(s)
            for key, g in self.groups.items():
                s[g], e[g] = week(self.kind, key, reference)
            return s, e

        return self.derived(("intervals", reference), build)

    def live_rows(self) -> np.ndarray:
        return np.flatnonzero(self.alive)


def _dense_dtype(dense: np.ndarray) -> type:
    # a static table's float16 vectors stay float16: half the memory at a million rows
    return np.float16 if np.asarray(dense).dtype == np.float16 else np.float32
