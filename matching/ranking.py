"""The one ranking path: one query or many, retrieve candidates, score them, keep the best k.

A single query is a batch of one: `Matcher.rank_assistants(t)` is
`rank_assistants_batch([t])[0]`, so the two can never disagree.

0. Queries. A long query (a whole job post) weighs its rarer words more (`text.sharpen_long`);
   short ones are as analysed.
1. Candidates. With more live items than the candidate pool (`MatcherConfig.candidate_pool`,
   at least k), one multi-threaded `sparse_dot_topn` product finds each query's best `pool`
   items by text. Otherwise every live item is a candidate ("exhaustive"), and so it is for a
   query that fewer items share a term with than the pool holds.
2. Feedback. Each query is pulled toward its best few first-pass documents (Rocchio).
3. Factors, on (queries x candidates) arrays: text and skills as exact float64 dot products
   (`pair_dots` for pooled candidates, `text.postings_scores` when every item is a candidate:
   the same sums in the same order, so the same bits), overlap from one worst-day vector per
   (query time zone, candidate time-zone group), and rate, availability, reputation and the
   hard constraints in `scoring.score_pairs`, elementwise.
4. Top k. A stable sort per query over candidates in row order (ties go to the earlier
   row). A pooled query with fewer than k feasible candidates is ranked again exhaustively:
   items outside its pool may still qualify. Beyond that, an item outside a query's text
   top-`pool` is not reached (the retrieve-then-rerank trade, measured in benchmarks/).

Explanations are built only for the k returned pairs, when first read (`explain`).
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from .arrays import distinct
from .explain import explained_matches
from .index import Side, attributes, skill_set, text_fields, tz_key, week
from .models import Match
from .scoring import Scored, score_pairs
from .text import postings_scores, prf_expand, sharpen_long
from .timezones import shared_windows, worst_day_overlap

try:  # optional accelerator: without it every query is ranked exhaustively (same scores)
    from sparse_dot_topn import sp_matmul_topn
except ImportError:  # pragma: no cover
    sp_matmul_topn = None

THREADS = 2
CHUNK = 512  # queries per retrieval product
SUBCHUNK = 16  # queries per pair_dots block: its gathers stay in cache (3-6x faster than 512)
EXHAUSTIVE_CELLS = 1 << 22  # (queries x items) scored at once when every item is a candidate


def pair_dots(q: sp.csr_matrix, docs: sp.csr_matrix, cand: np.ndarray) -> np.ndarray:
    """(n, c) float64: row i of `q` dotted with rows cand[i, :] of `docs`.

    Products are formed in float64 (exact for float32 inputs) and added in each document
    row's own (ascending) term order, which reproduces `postings_scores` exactly.
    """
    n, c = cand.shape
    out = np.zeros((n, c))
    if q.nnz == 0 or cand.size == 0:
        return out
    for lo in range(0, n, SUBCHUNK):
        out[lo : lo + SUBCHUNK] = _pair_dots(q[lo : lo + SUBCHUNK], docs, cand[lo : lo + SUBCHUNK])
    return out


def _pair_dots(q: sp.csr_matrix, docs: sp.csr_matrix, cand: np.ndarray) -> np.ndarray:
    n, c = cand.shape
    cols = distinct(q.indices)
    width = len(cols) + 1  # last slot: every term no query of the block has (value 0)
    local = np.full(docs.shape[1], width - 1, dtype=np.int64)
    local[cols] = np.arange(len(cols))
    dense = np.zeros((n, width))
    dense[np.repeat(np.arange(n), np.diff(q.indptr)), local[q.indices]] = q.data
    sub = docs[cand.ravel()]
    per_query = np.add.reduceat(np.diff(sub.indptr), np.arange(0, n * c, c))
    offset = np.repeat(np.arange(n, dtype=np.int64) * width, per_query)
    # one matrix-vector product: pair p's row, re-indexed into its own query's dense slice
    block = sp.csr_matrix(
        (sub.data.astype(np.float64), local[sub.indices] + offset, sub.indptr),
        shape=(n * c, n * width),
    )
    return (block @ dense.ravel()).reshape(n, c)


def text_candidates(q: sp.csr_matrix, docs_t: sp.csr_matrix, top_n: int) -> sp.csr_matrix:
    """Each query row's `top_n` best documents by text (sparse_dot_topn, unsorted).

    sparse_dot_topn copies its right-hand index arrays on every call: for one query against
    the whole index that copy cost more than the product. A batch whose terms touch few
    postings is handed just those rows of the term-major matrix (terms keep their order, so
    the sums and the selection are the same); a large batch touches most of them anyway.
    One thread below 32 queries: one row on two threads took three times as long."""
    threads = THREADS if q.shape[0] >= 32 else 1
    used = distinct(q.indices)
    touched = int(np.diff(docs_t.indptr)[used].sum())
    if touched > docs_t.nnz // 4:
        return sp_matmul_topn(q, docs_t, top_n=top_n, sort=False, n_threads=threads)
    sub = docs_t[used]
    local = sp.csr_matrix(
        (q.data, np.searchsorted(used, q.indices), q.indptr), shape=(q.shape[0], len(used))
    )
    return sp_matmul_topn(local, sub, top_n=top_n, sort=False, n_threads=threads)


def best_positions(vals: np.ndarray, tiebreak: np.ndarray, m: int) -> np.ndarray:
    """(n, m) positions of each row's m largest `vals` (all >= 0), ties to the lower
    `tiebreak` (the item's row), best first.

    One packed uint64 key per entry - inverted float32 bits (monotone for non-negative
    floats) above the tiebreak - so one vectorised partition finds them, ties included.
    """
    bits = np.ascontiguousarray(vals, dtype=np.float32).view(np.uint32).astype(np.uint64)
    key = ((np.uint64(0xFFFFFFFF) - bits) << np.uint64(32)) | tiebreak.astype(np.uint64)
    if key.shape[1] > m:
        idx = np.argpartition(key, m - 1, axis=1)[:, :m]
    else:
        idx = np.broadcast_to(np.arange(key.shape[1]), key.shape).copy()
    order = np.argsort(np.take_along_axis(key, idx, axis=1), axis=1)
    return np.take_along_axis(idx, order, axis=1)


def _top_rows(scores: np.ndarray, m: int) -> np.ndarray:
    """(n, m) indices of each row's m best positive scores, ties to the lower index, -1 pads."""
    n, c = scores.shape
    m = min(m, c)
    out = np.full((n, m), -1, dtype=np.int64)
    for i in range(n):
        s = scores[i]
        cand = np.argpartition(-s, m - 1)[:m] if c > m else np.arange(c)
        cut = s[cand].min()
        if cut > 0:
            cand = np.flatnonzero(s >= cut)  # every tie at the cut, so row order decides
        top = cand[np.lexsort((cand, -s[cand]))][:m]
        out[i, : len(top)] = np.where(s[top] > 0, top, -1)
    return out


def top_k(key: np.ndarray, k: int) -> np.ndarray:
    """(n, min(k, c)) columns of each row's k smallest keys, ties to the lower column."""
    n, c = key.shape
    if c <= 4096:  # a candidate pool: one vectorised sort
        return np.argsort(key, axis=1, kind="stable")[:, :k]
    out = np.empty((n, k), dtype=np.int64)
    for i in range(n):
        row = key[i]
        cut = row[np.argpartition(row, k - 1)[:k]].max()
        sel = np.flatnonzero(row <= cut)  # ties at the cut stay, so the column decides them
        out[i] = sel[np.argsort(row[sel], kind="stable")[:k]]
    return out


class Ranking:
    """One ranking call: the matcher's fitted parts, the side ranked, the reference week."""

    def __init__(self, matcher, side: Side, reference: dt.date):
        self.m, self.side, self.reference = matcher, side, reference
        self.cfg = matcher.scoring_config  # learned factor weights when the matcher has them
        self.query_kind = "assistant" if side.kind == "task" else "task"

    # -- the side's derived columns, kept until it changes ----------------------------------
    def skill_rows(self) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """The side's skill rows (credit for assistants, incidence for tasks) and transpose."""
        side, space, credit = self.side, self.m.skill_space, self.cfg.related_credit

        def build():
            if side.kind == "assistant":
                rows = space.credit(side.skills, credit)
            else:
                rows = space.incidence(side.skills)
            return rows, rows.T.tocsr()

        return side.derived(("skills", credit), build)

    def n_skills(self) -> np.ndarray:
        side = self.side
        return side.derived(
            "n_skills",
            lambda: np.fromiter(map(len, side.skills), dtype=np.float64, count=len(side.skills)),
        )

    def overlap_by_group(self, key: tuple[str, int, int]) -> np.ndarray:
        """Worst-day shared hours of one query time zone with each of the side's groups."""
        side, ref = self.side, self.reference

        def build():
            gs, ge = side.group_intervals(ref)
            qs, qe = week(self.query_kind, key, ref)
            if side.kind == "assistant":
                return worst_day_overlap(qs[None, :], qe[None, :], gs, ge)
            return worst_day_overlap(gs, ge, qs[None, :], qe[None, :])

        return side.derived(("overlap", key, ref), build)

    def prepare(self) -> None:
        """Build what every ranking of this side reads, so the first query does not pay."""
        if len(self.side.items):
            _ = self.side.text_t, self.skill_rows(), self.n_skills()
            self.side.group_intervals(self.reference)

    # -- factors for (queries x candidates) -------------------------------------------------
    def _dots(self, q, rows_m, rows_t, cand, every: bool) -> np.ndarray:
        if every:  # every live row is a candidate, in row order: one postings pass
            return postings_scores(q, rows_t)[:, cand[0]]
        return pair_dots(q, rows_m, cand)

    def score(self, queries: list, cand: np.ndarray, text: np.ndarray, every: bool) -> Scored:
        side, cfg = self.side, self.cfg
        qa = {k: v[:, None] for k, v in attributes(self.query_kind, queries).items()}
        sa = {k: v[cand] for k, v in side.attrs.items()}
        t, a = (qa, sa) if self.query_kind == "task" else (sa, qa)
        rows_m, rows_t = self.skill_rows()
        width = rows_m.shape[1]
        qskills = [skill_set(x) for x in queries]
        space = self.m.skill_space
        if self.query_kind == "task":
            qvec = space.incidence(qskills, width=width)
            n = np.fromiter(map(len, qskills), dtype=np.float64, count=len(qskills))[:, None]
            sval = self._dots(qvec, rows_m, rows_t, cand, every) / np.maximum(n, 1.0)
            sact = n > 0
        else:
            qvec = space.credit(qskills, cfg.related_credit, width=width)
            cnt = self.n_skills()[cand]
            sval = np.where(
                cnt > 0, self._dots(qvec, rows_m, rows_t, cand, every) / np.maximum(cnt, 1), 0.0
            )
            sact = cnt > 0
        ov = self.overlap(queries, cand)
        return score_pairs(t, a, text, np.clip(sval, 0.0, 1.0), sact, ov, self.m.prior, cfg)

    def zone_keys(self, queries: list) -> tuple[np.ndarray, list]:
        """(index into the distinct keys per query, -1 without a zone; the distinct keys)."""
        keys = [tz_key(x) for x in queries]
        distinct_keys = {k: i for i, k in enumerate(dict.fromkeys(k for k in keys if k))}
        kid = np.array([-1 if k is None else distinct_keys[k] for k in keys], dtype=np.int64)
        return kid, list(distinct_keys)

    def overlap(self, queries: list, cand: np.ndarray) -> np.ndarray:
        """Worst-day shared hours per (query, candidate), NaN where either has no zone:
        one vector per distinct query zone over the candidates' zone groups, gathered."""
        side = self.side
        kid, keys = self.zone_keys(queries)
        if not side.groups or not keys:
            return np.full(cand.shape, np.nan)
        per = np.stack([self.overlap_by_group(k) for k in keys])
        gid = side.group[cand]
        kid = kid[:, None]
        vals = per[np.maximum(kid, 0), np.maximum(gid, 0)]
        return np.where((kid >= 0) & (gid >= 0), vals, np.nan)

    def windows(self, queries: list, qi: np.ndarray, rows: np.ndarray):
        """UTC epoch minutes [start, end) of each selected pair's longest shared stretch on
        its worst day (`timezones.shared_windows`); start == end where there is none."""
        side = self.side
        kid, keys = self.zone_keys(queries)
        if not side.groups or not keys:
            zero = np.zeros(len(qi), dtype=np.int64)
            return zero, zero
        weeks = [week(self.query_kind, k, self.reference) for k in keys]
        ks, ke = np.stack([w[0] for w in weeks]), np.stack([w[1] for w in weeks])
        pk = kid[qi]
        qs, qe = ks[np.maximum(pk, 0)], ke[np.maximum(pk, 0)]
        gid = side.group[rows]
        known = (pk >= 0) & (gid >= 0)
        gs, ge = side.group_intervals(self.reference)
        gs, ge = gs[np.maximum(gid, 0)], ge[np.maximum(gid, 0)]
        if self.query_kind == "task":
            start, end = shared_windows(qs, qe, gs, ge)
        else:
            start, end = shared_windows(gs, ge, qs, qe)
        return start, np.where(known, end, start)

    def cosines(self, qd: np.ndarray, cand: np.ndarray) -> np.ndarray:
        """Query embedding i dotted with the embeddings of rows cand[i, :], float64, row by
        row (no BLAS blocking), so a pair's value does not depend on its batch."""
        from .dense import cosines

        emb = self.side.dense
        return np.stack([cosines(emb[cand[i]], qd[i]) for i in range(cand.shape[0])])

    # -- ranking ----------------------------------------------------------------------------
    def run(self, queries: list, k: int) -> list[list[Match]]:
        out: list[list[Match]] = []
        for lo in range(0, len(queries), CHUNK):
            out.extend(self._chunk(queries[lo : lo + CHUNK], k))
        return out

    def _chunk(self, queries: list, k: int) -> list[list[Match]]:
        side, cfg = self.side, self.cfg
        n = len(queries)
        # the queries are tasks when the items ranked are assistants
        q = self.m.text.transform([text_fields(x) for x in queries], side.kind == "assistant")
        q = sharpen_long(q, self.m.text.idf, cfg.long_query_idf_power, cfg.long_query_terms)
        qd = self.m.dense.encode(queries) if self.m.dense is not None else None
        out: list[list[Match] | None] = [None] * n
        pool = max(cfg.candidate_pool, k)
        if len(side) > pool and sp_matmul_topn is not None:
            dead = len(side.items) - len(side)
            hits = text_candidates(q, side.text_t, pool + dead)
            counts = np.diff(hits.indptr)
            # queries sharing a term with fewer items than the pool holds go exhaustive below
            full = np.flatnonzero(counts >= pool + dead)
            if full.size:
                got = self._pooled(queries, q, qd, hits, full, pool, dead, k)
                for i, ms in zip(full.tolist(), got, strict=True):
                    out[i] = ms
        rest = [i for i in range(n) if out[i] is None]
        # fewer than k feasible in the pool, or few items share a term: rank against all
        group = max(1, EXHAUSTIVE_CELLS // max(len(side.items), 1))
        for lo in range(0, len(rest), group):
            idx = rest[lo : lo + group]
            got = self._exhaustive(
                [queries[i] for i in idx], q[idx], None if qd is None else qd[idx], k
            )
            for i, ms in zip(idx, got, strict=True):
                out[i] = ms
        return out  # type: ignore[return-value]

    def _pooled(self, queries, q, qd, hits, full, pool, dead, k) -> list:
        """Rank the `full` queries on their text candidates; None where fewer than k of
        them are feasible."""
        side, cfg = self.side, self.cfg
        width = pool + dead
        at = (hits.indptr[full][:, None] + np.arange(width)).ravel()
        found = hits.indices[at].reshape(len(full), width).astype(np.int64)
        first = hits.data[at].reshape(len(full), width)
        if dead:
            # buried rows took places in the product: keep each query's best `pool` live ones
            first = np.where(side.alive[found], first, np.float32(0))
            pos = best_positions(first, found, pool)
            found = np.take_along_axis(found, pos, axis=1)
            first = np.take_along_axis(first, pos, axis=1)
        qf = q[full]
        m = min(cfg.prf_docs, pool) if cfg.prf_weight > 0 else 0
        if m:
            # each query's best m, ties to the lower row, as exhaustively
            top = np.take_along_axis(found, best_positions(first, found, m), axis=1)
            q2 = prf_expand(qf, side.text, top, cfg.prf_weight, cfg.prf_terms)
        else:
            q2 = qf
        q2.sort_indices()
        cand = np.sort(found, axis=1)
        fq = [queries[i] for i in full.tolist()]
        text, parts = self._text(q2, cand, None if qd is None else qd[full], every=False)
        scored = self.score(fq, cand, text, every=False)
        key = np.where(scored.feasible, -scored.score, np.inf)
        best = top_k(key, k)
        enough = np.isfinite(np.take_along_axis(key, best, axis=1)).all(axis=1)
        out: list = [None] * len(full)
        good = np.flatnonzero(enough)
        if good.size:
            ms = self._matches(fq, qf, q2, cand, scored, parts, good, best)
            for g, i in enumerate(good.tolist()):
                out[i] = ms[g]
        return out

    def _text(self, q2, cand, qd, every: bool):
        side = self.side
        text = self._dots(q2, side.text, side.text_t, cand, every)
        if qd is None:
            return text, None
        from .dense import blend

        cos = self.cosines(qd, cand)
        return blend(text, cos, self.cfg.dense_weight), (text, cos)

    def _exhaustive(self, queries: list, q: sp.csr_matrix, qd, k: int) -> list:
        side, cfg = self.side, self.cfg
        live = side.live_rows()
        q.sort_indices()
        if cfg.prf_weight > 0 and cfg.prf_docs > 0:
            first = postings_scores(q, side.text_t)
            first[:, ~side.alive] = -1.0
            top = _top_rows(first, cfg.prf_docs)
            q2 = prf_expand(q, side.text, top, cfg.prf_weight, cfg.prf_terms)
            q2.sort_indices()
        else:
            q2 = q
        cand = np.broadcast_to(live, (len(queries), len(live)))
        text, parts = self._text(q2, cand, qd, every=True)
        scored = self.score(queries, cand, text, every=True)
        key = np.where(scored.feasible, -scored.score, np.inf)
        best = top_k(key, min(k, len(live)))
        rows = np.arange(len(queries))
        return self._matches(queries, q, q2, cand, scored, parts, rows, best)

    def _matches(self, queries, q, q2, cand, scored: Scored, parts, rows, best) -> list:
        """Matches for queries `rows` (indices into `queries`, q, q2, cand): their best
        candidate columns `best[i]` that are feasible, explained when read."""
        per = [(i, best[i][scored.feasible[i, best[i]]]) for i in rows.tolist()]
        qi = np.concatenate([np.full(len(c), i, dtype=np.int64) for i, c in per])
        cj = np.concatenate([c for _i, c in per]).astype(np.int64)
        rows = cand[qi, cj]
        ms = explained_matches(
            self, queries, q, q2, qi, rows, scored, (qi, cj), parts, self.windows(queries, qi, rows)
        )
        out, at = [], 0
        for _i, c in per:
            out.append(ms[at : at + len(c)])
            at += len(c)
        return out


def rank(
    matcher, queries: Sequence, side: Side, k: int, reference: dt.date | None = None
) -> list[list[Match]]:
    """Best k of `side` for each query, explained; see the module docstring."""
    queries = list(queries)
    if not queries or k <= 0 or not len(side):
        return [[] for _ in queries]
    dead = len(side.items) - len(side)
    if dead > max(matcher.config.candidate_pool, k):
        side.compact()  # many buried rows would crowd the text product
    ranking = Ranking(matcher, side, matcher.config.reference(reference))
    # thousands of small acyclic objects per chunk would trigger full cyclic-GC passes
    # over the whole index (1M items at 1M); refcounting frees everything made here
    was_enabled = gc.isenabled()
    if len(queries) > 1:
        gc.disable()
    try:
        return ranking.run(queries, k)
    finally:
        if was_enabled:
            gc.enable()
