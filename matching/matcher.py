"""The Matcher: ranks assistants for a task and tasks for an assistant, with explanations."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from .explain import lazy_matches
from .index import Side, skill_set, text_fields, tz_key
from .models import Assistant, Match, Task
from .scoring import MatcherConfig, score_pairs
from .skills import SkillSpace
from .text import TextModel, postings_scores, prf_expand
from .timezones import intervals

try:  # optional accelerator; the plain scipy path gives the same candidates
    from sparse_dot_topn import sp_matmul_topn
except ImportError:  # pragma: no cover
    sp_matmul_topn = None

_NAN = float("nan")


def _f(v: Any) -> float:
    return _NAN if v is None else float(v)


def _overlap(os_, oe, as_, ae) -> np.ndarray:
    """Worst-day shared minutes between owners (x7 dates) and assistants (x9 dates), hours."""
    best = None
    for d in range(7):
        s, e = as_[:, d : d + 3], ae[:, d : d + 3]
        ov = np.clip(np.minimum(e, oe[:, d : d + 1]) - np.maximum(s, os_[:, d : d + 1]), 0, None)
        ov = ov.sum(axis=1)
        best = ov if best is None else np.minimum(best, ov)
    return best / 60.0


class Matcher:
    def __init__(self, config: MatcherConfig | None = None):
        self.config = config or MatcherConfig()
        self.text = TextModel(self.config.field_weights)
        self.assistants = Side("assistant")
        self.tasks = Side("task")
        self.skill_space = SkillSpace()
        self.prior = 4.0
        self.fitted = False
        self._cache: dict[str, Any] = {}
        self.dense = None
        if self.config.dense_weight > 0:
            from .dense import DenseEncoder  # numpy only here; torch loads on first encode

            self.dense = DenseEncoder(self.config.dense_model)

    # -- building ---------------------------------------------------------------------------
    def fit(self, assistants: Iterable[Assistant] = (), tasks: Iterable[Task] = ()) -> Matcher:
        assistants, tasks = list(assistants), list(tasks)
        self.text.fit([text_fields(x) for x in [*assistants, *tasks]])
        rated = [(a.rating, a.review_count or 1) for a in assistants if a.rating is not None]
        if self.config.prior_mean is not None:
            self.prior = float(self.config.prior_mean)
        elif rated:
            self.prior = sum(r * n for r, n in rated) / sum(n for _, n in rated)
        else:
            self.prior = 4.0
        self.assistants, self.tasks = Side("assistant"), Side("task")
        self.skill_space = SkillSpace()
        self.fitted = True
        self.upsert_assistants(assistants)
        self.upsert_tasks(tasks)
        return self

    def _check(self) -> None:
        if not self.fitted:
            raise RuntimeError("Matcher.fit() must be called (or an index loaded) first")

    def upsert_assistants(self, items: Iterable[Assistant]) -> None:
        self._upsert(self.assistants, list(items), Assistant)

    def upsert_tasks(self, items: Iterable[Task]) -> None:
        self._upsert(self.tasks, list(items), Task)

    def _upsert(self, side: Side, items: list, cls: type) -> None:
        self._check()
        for it in items:
            if not isinstance(it, cls):
                raise TypeError(f"expected {cls.__name__}, got {type(it).__name__}")
        if items:
            dense = self.dense.encode(items) if self.dense is not None else None
            side.add(items, self.text.transform([text_fields(x) for x in items]), dense)
            self._cache.pop(side.kind, None)

    def remove_assistants(self, ids: Iterable[Any]) -> None:
        self._check()
        self.assistants.remove(list(ids))
        self._cache.pop("assistant", None)

    def remove_tasks(self, ids: Iterable[Any]) -> None:
        self._check()
        self.tasks.remove(list(ids))
        self._cache.pop("task", None)

    def assistant_ids(self) -> set:
        """Ids of the assistants currently in the index."""
        return set(self.assistants.pos)

    def task_ids(self) -> set:
        """Ids of the tasks currently in the index."""
        return set(self.tasks.pos)

    def _columns(self, side: Side) -> dict:
        """Per-side arrays the scorer needs, rebuilt after any change to that side."""
        cols = self._cache.get(side.kind)
        if cols is None:
            cur = np.array([self._currency_code(c) for c in side.currency], dtype=np.int64)
            cols = {"currency": cur}
            if side.kind == "assistant":
                cols["skills"] = self.skill_space.credit(side.skills, self.config.related_credit)
            else:
                cols["skills"] = self.skill_space.incidence(side.skills)
            cols["n_skills"] = np.array([len(s) for s in side.skills], dtype=np.float64)
            cols["skills_t"] = cols["skills"].T.tocsr()  # skill-major: postings per skill
            self._cache[side.kind] = cols
        return cols

    # -- per-item attribute dicts for the scorer --------------------------------------------
    @staticmethod
    def _currency_code(cur: str | None) -> int:
        # ISO codes are three ASCII letters: pack them into an int, 0 for "not given"
        return 0 if not cur else int.from_bytes(cur.encode("ascii"), "big")

    def _task_attrs(self, t: Task) -> dict:
        return {
            "max_rate": _f(t.max_hourly_rate_cents), "currency": self._currency_code(t.currency),
            "need": _f(t.hours_per_week), "overlap_req": _f(t.overlap_hours),
            "has_tz": t.timezone is not None,
        }

    def _assistant_attrs(self, a: Assistant) -> dict:
        return {
            "rate": _f(a.hourly_rate_cents), "currency": self._currency_code(a.currency),
            "hours": _f(a.hours_per_week), "rating": _f(a.rating),
            "reviews": _f(a.review_count),
        }

    def _side_attrs(self, side: Side, rows: np.ndarray | slice) -> dict:
        n, c = side.num, self._columns(side)
        if side.kind == "assistant":
            return {
                "rate": n["hourly_rate_cents"][rows], "currency": c["currency"][rows],
                "hours": n["hours_per_week"][rows], "rating": n["rating"][rows],
                "reviews": n["review_count"][rows],
            }
        return {
            "max_rate": n["max_hourly_rate_cents"][rows], "currency": c["currency"][rows],
            "need": n["hours_per_week"][rows], "overlap_req": n["overlap_hours"][rows],
            "has_tz": side.group[rows] >= 0,
        }

    # -- ranking ----------------------------------------------------------------------------
    def rank_assistants(self, task: Task, k: int = 10) -> list[Match]:
        self._check()
        return self._rank_one(task, self.assistants, k)

    def rank_tasks(self, assistant: Assistant, k: int = 10) -> list[Match]:
        self._check()
        return self._rank_one(assistant, self.tasks, k)

    def _text_scores(self, q: sp.csr_matrix, side: Side) -> tuple[np.ndarray, sp.csr_matrix]:
        cfg = self.config
        s = postings_scores(q, side.text_t)
        s[~side.alive] = -1.0
        if cfg.prf_weight > 0 and cfg.prf_docs > 0 and len(side):
            m = min(cfg.prf_docs, len(side))
            cand = np.argpartition(-s, m - 1)[:m] if len(s) > m else np.arange(len(s))
            # ties at the m-th score go to the earliest rows, as everywhere else
            cut = s[cand].min()
            cand = np.flatnonzero(s >= cut) if cut > 0 else cand
            top = cand[np.lexsort((cand, -s[cand]))][:m]
            top = np.where(s[top] > 0, top, -1)[None, :]
            q = prf_expand(q, side.text, top, cfg.prf_weight, cfg.prf_terms)
            s = postings_scores(q, side.text_t)
        return s, q

    def _pair_inputs(self, query: Assistant | Task, side: Side, rows) -> tuple:
        """(task attrs, assistant attrs, skill value, skill active, overlap) for query x rows."""
        cols = self._columns(side)
        qskills = skill_set(query)
        ref = self.config.reference()
        key = tz_key(query)
        gid = side.group[rows]
        overlap = np.full(len(gid), np.nan)
        if isinstance(query, Task):
            t, a = self._task_attrs(query), self._side_attrs(side, rows)
            width = cols["skills"].shape[1]
            tvec = self.skill_space.incidence([qskills], width=width)
            if isinstance(rows, slice):
                num = postings_scores(tvec, cols["skills_t"]) if tvec.nnz else 0.0
            else:
                num = np.asarray((cols["skills"][rows] @ tvec.T).todense()).ravel()
            sval = num / max(len(qskills), 1) * np.ones(len(gid))
            sact = np.bool_(len(qskills) > 0)
            if key is not None and side.groups:
                os_, oe = intervals(key[0], key[1], key[2], ref, 7)
                as_, ae = side.group_intervals(ref)
                per_group = _overlap(os_[None, :], oe[None, :], as_, ae)
                overlap = np.where(gid >= 0, per_group[np.maximum(gid, 0)], np.nan)
        else:
            t, a = self._side_attrs(side, rows), self._assistant_attrs(query)
            width = cols["skills"].shape[1]
            avec = self.skill_space.credit([qskills], self.config.related_credit, width=width)
            if isinstance(rows, slice):
                num = postings_scores(avec, cols["skills_t"]) if avec.nnz else 0.0
            else:
                num = np.asarray((cols["skills"][rows] @ avec.T).todense()).ravel()
            cnt = cols["n_skills"][rows]
            sval = np.where(cnt > 0, num / np.maximum(cnt, 1), 0.0)
            sact = cnt > 0
            if key is not None and side.groups:
                first = ref - dt.timedelta(days=1)
                as_, ae = intervals(key[0], key[1], key[2], first, 9)
                os_, oe = side.group_intervals(ref)
                per_group = _overlap(os_, oe, as_[None, :], ae[None, :])
                overlap = np.where(gid >= 0, per_group[np.maximum(gid, 0)], np.nan)
        return t, a, np.clip(sval, 0.0, 1.0), sact, overlap

    def _rank_one(self, query: Assistant | Task, side: Side, k: int) -> list[Match]:
        if k <= 0 or not len(side):
            return []
        q = self.text.transform([text_fields(query)])
        text, q2 = self._text_scores(q, side)
        parts = None
        if self.dense is not None:
            from .dense import blend, cosines

            cos = cosines(side.dense, self.dense.encode([query])[0])
            parts = (text, cos)
            text = blend(text, cos, self.config.dense_weight)
        return self._finish(query, side, k, q2, slice(None), text, parts)

    def _finish(self, query, side: Side, k: int, q2, rows, text: np.ndarray, parts=None):
        """Score `rows` (with their text scores) for one query; best k, ties by row order.

        `parts`: (lexical, cosine) arrays behind a blended `text`, for the explanation."""
        t, a, sval, sact, ov = self._pair_inputs(query, side, rows)
        if isinstance(rows, slice):
            rows = np.arange(len(side.items))
        score, feasible, values, active, contrib = score_pairs(
            t, a, text, sval, sact, ov, self.prior, self.config
        )
        ok = np.flatnonzero(feasible & side.alive[rows])
        if ok.size == 0:
            return []
        if ok.size > k:
            part = np.argpartition(-score[ok], k - 1)[:k]
            cut = score[ok][part].min()
            ok = ok[score[ok] >= cut]  # keep ties at the cut so row order decides them
        best = ok[np.lexsort((rows[ok], -score[ok]))][:k]
        return lazy_matches(self, side, q2, [query], np.zeros(len(best), dtype=np.int64),
                            rows[best], score, contrib, values, active, ov, best, parts)

    # -- batch ------------------------------------------------------------------------------
    def rank_assistants_batch(self, tasks: Sequence[Task], k: int = 10) -> list[list[Match]]:
        self._check()
        return self._rank_batch(list(tasks), self.assistants, k)

    def rank_tasks_batch(self, assistants: Sequence[Assistant], k: int = 10) -> list[list[Match]]:
        self._check()
        return self._rank_batch(list(assistants), self.tasks, k)

    def _rank_batch(self, queries: list, side: Side, k: int) -> list[list[Match]]:
        """Text candidates for many queries at once, then every factor on those candidates.

        With fewer live items than the candidate pool this is exactly the single-query result;
        beyond it, an item outside a query's text top-`candidate_pool` can only be reached by
        the single-query path (the usual retrieve-then-rerank trade, measured in benchmarks).
        """
        if not queries or k <= 0 or not len(side):
            return [[] for _ in queries]
        pool = max(self.config.candidate_pool, k)
        if len(side) <= pool or sp_matmul_topn is None:
            return [self._rank_one(q, side, k) for q in queries]
        if not side.alive.all():
            side.compact()
            self._cache.pop(side.kind, None)
        from .batch import rank_chunk

        out: list[list[Match]] = []
        step = 512
        # thousands of small acyclic objects per chunk would trigger full cyclic-GC passes
        # over the whole index (1M items at 1M); refcounting frees everything made here
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            for i in range(0, len(queries), step):
                out.extend(rank_chunk(self, queries[i : i + step], side, k, pool))
        finally:
            if was_enabled:
                gc.enable()
        return out

    # -- persistence ------------------------------------------------------------------------
    def save(self, path) -> None:
        from .persistence import save

        save(self, path)

    @classmethod
    def load(cls, path) -> Matcher:
        from .persistence import load

        return load(cls, path)
