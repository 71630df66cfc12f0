"""Column store for one side of the market (assistants or tasks).

Rows are append-only with tombstones: an update appends a new row and buries the old one, a
removal buries it. Rankings only ever look at live rows and break ties by row order, which
compaction preserves, so adding then removing an item cannot change anyone else's ranking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from .models import Assistant, Task
from .timezones import DEFAULT_HOURS, intervals, span
from .vocabulary import normalise_skill

NUMERIC = {
    "assistant": ("hourly_rate_cents", "hours_per_week", "rating", "review_count"),
    "task": ("max_hourly_rate_cents", "hours_per_week", "overlap_hours"),
}


def text_fields(item: Assistant | Task) -> tuple[str, str, str]:
    if isinstance(item, Assistant):
        return item.headline, item.bio, "; ".join(item.skills)
    return item.title, item.description, "; ".join(item.skills)


def skill_set(item: Assistant | Task) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for s in item.skills:
        key = normalise_skill(s)
        if key:
            seen.setdefault(key, None)
    return tuple(seen)


def tz_key(item: Assistant | Task) -> tuple[str, int, int] | None:
    if item.timezone is None:
        return None
    if isinstance(item, Assistant):
        return (item.timezone, *span(item.work_start, item.work_end))
    # the task has no hours of its own: its owner is taken to keep office hours
    return (item.timezone, *span(*DEFAULT_HOURS))


class Side:
    def __init__(self, kind: str):
        self.kind = kind
        self.items: list[Assistant | Task] = []
        self.alive = np.zeros(0, dtype=bool)
        self.pos: dict[Any, int] = {}
        self.num = {name: np.zeros(0) for name in NUMERIC[kind]}
        self.currency: list[str | None] = []
        self.skills: list[tuple[str, ...]] = []
        self.groups: dict[tuple[str, int, int], int] = {}
        self.group = np.zeros(0, dtype=np.int64)
        self._blocks: list[sp.csr_matrix] = []
        self._dense_blocks: list[np.ndarray] = []  # unit embeddings, only with dense_weight
        self._dense: np.ndarray | None = None
        self._text: sp.csr_matrix | None = None
        self._text_t: sp.csr_matrix | None = None
        self._skill_vocab: dict[str, int] = {}
        self._skill_m: sp.csc_matrix | None = None
        self._intervals: tuple[dt.date, np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.pos)

    # -- mutation ---------------------------------------------------------------------------
    def add(
        self, items: Sequence[Assistant | Task], text: sp.csr_matrix,
        dense: np.ndarray | None = None,
    ) -> None:
        if not items:
            return
        if dense is not None:
            if len(self.items) and not self._dense_blocks:
                raise ValueError("this side holds no embeddings to append to")
            self._dense_blocks.append(np.asarray(dense, dtype=np.float32))
            self._dense = None
        start = len(self.items)
        for j, item in enumerate(items):
            old = self.pos.get(item.id)
            if old is not None:
                self.alive[old] = False
            self.pos[item.id] = start + j
        # a batch can name one id twice: only its last row stays alive
        last = {item.id: start + j for j, item in enumerate(items)}
        alive = np.zeros(len(items), dtype=bool)
        alive[[r - start for r in last.values()]] = True
        self.items.extend(items)
        self.alive = np.concatenate([self.alive, alive])
        for name in self.num:
            vals = [getattr(it, name) for it in items]
            col = np.array([np.nan if v is None else float(v) for v in vals])
            self.num[name] = np.concatenate([self.num[name], col])
        self.currency.extend(it.currency for it in items)
        self.skills.extend(skill_set(it) for it in items)
        gids = []
        for it in items:
            key = tz_key(it)
            gids.append(-1 if key is None else self.groups.setdefault(key, len(self.groups)))
        self.group = np.concatenate([self.group, np.array(gids, dtype=np.int64)])
        self._blocks.append(text)
        self._text = self._text_t = self._skill_m = None
        self._intervals = None

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
            fresh.add(items, text, dense)  # type: ignore[arg-type]
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

    @property
    def skill_matrix(self) -> tuple[sp.csc_matrix, dict[str, int]]:
        if self._skill_m is None:
            vocab = self._skill_vocab
            rows, cols = [], []
            for r, skills in enumerate(self.skills):
                for s in skills:
                    rows.append(r)
                    cols.append(vocab.setdefault(s, len(vocab)))
            data = np.ones(len(rows), dtype=np.float32)
            shape = (len(self.skills), max(len(vocab), 1))
            self._skill_m = sp.csc_matrix((data, (rows, cols)), shape=shape)
        return self._skill_m, self._skill_vocab

    def group_intervals(self, reference: dt.date) -> tuple[np.ndarray, np.ndarray]:
        """UTC working intervals per time-zone group; tasks need 7 dates, assistants 9."""
        if self._intervals is None or self._intervals[0] != reference:
            n = 9 if self.kind == "assistant" else 7
            first = reference - dt.timedelta(days=1) if n == 9 else reference
            s = np.zeros((max(len(self.groups), 1), n), dtype=np.int64)
            e = np.zeros_like(s)
            for key, g in self.groups.items():
                s[g], e[g] = intervals(key[0], key[1], key[2], first, n)
            self._intervals = (reference, s, e)
        return self._intervals[1], self._intervals[2]

    def live_rows(self) -> np.ndarray:
        return np.flatnonzero(self.alive)
