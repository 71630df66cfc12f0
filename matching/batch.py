"""Batch ranking: one multi-threaded sparse top-n product finds every query's text candidates,
then a whole chunk of queries is scored against its candidates as (queries x candidates) arrays.

Every factor is the single-query path's own arithmetic on the same inputs, so on the same
candidates the scores (and explanations) are the same, bit for bit:

* text: the query after pseudo-relevance feedback, dotted with each candidate's row by
  `pair_dots`, which adds exact float64 products in ascending term order like
  `text.postings_scores` does for the single query;
* skills: the same sparse credit/incidence rows, through `pair_dots` (sums of 1 and the
  related credit are exact in any order);
* overlap: one worst-day overlap per (query time zone, candidate time-zone group), computed
  once per distinct zone in the chunk by the same function, then gathered;
* rate, availability, reputation and the hard constraints: `scoring.score_pairs`, which is
  elementwise and so gives the same numbers broadcast over a chunk as over one query.

Top-k is a stable sort per row over candidates kept in row order (ties go to the earlier row,
as everywhere else); explanations are built only for the k returned pairs, when first read.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import scipy.sparse as sp
from sparse_dot_topn import sp_matmul_topn

from .explain import lazy_matches
from .index import Side, skill_set, text_fields, tz_key
from .models import Task
from .scoring import score_pairs
from .text import prf_expand
from .timezones import intervals

THREADS = 2
SUBCHUNK = 16  # queries per pair_dots block: its gathers stay in cache (3-6x faster than 512)


def pair_dots(q: sp.csr_matrix, docs: sp.csr_matrix, cand: np.ndarray) -> np.ndarray:
    """(n, c) float64: row i of `q` dotted with rows cand[i, :] of `docs`.

    Products are formed in float64 (exact for float32 inputs) and added in each document
    row's own (ascending) term order, which reproduces `postings_scores` exactly.
    """
    n, c = cand.shape
    out = np.zeros((n, c))
    if q.nnz == 0 or cand.size == 0:
        return out
    step = SUBCHUNK
    for lo in range(0, n, step):
        out[lo : lo + step] = _pair_dots(q[lo : lo + step], docs, cand[lo : lo + step])
    return out


def _pair_dots(q: sp.csr_matrix, docs: sp.csr_matrix, cand: np.ndarray) -> np.ndarray:
    n, c = cand.shape
    cols = np.unique(q.indices)
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


def _pair_cosines(qd: np.ndarray, dense: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """(n, c): query embedding i dotted with the embeddings of rows cand[i, :], by the single
    path's own `dense.cosines`. Queries are embedded together here and one at a time there,
    and padding in a batch can move an embedding in its last bits, so with dense_weight > 0
    the two paths agree to about 1e-6 rather than bit for bit."""
    from .dense import cosines

    out = np.empty(cand.shape, dtype=np.float64)
    for i in range(cand.shape[0]):
        out[i] = cosines(dense[cand[i]], qd[i])
    return out


def _overlap_grid(matcher, queries: list, side: Side, gid: np.ndarray) -> np.ndarray:
    """Worst-day shared hours per (query, candidate), NaN where either has no time zone."""
    from .matcher import _overlap

    out = np.full(gid.shape, np.nan)
    if not side.groups:
        return out
    ref = matcher.config.reference()
    keys = [tz_key(x) for x in queries]
    distinct = {k: i for i, k in enumerate(dict.fromkeys(k for k in keys if k is not None))}
    if not distinct:
        return out
    # per-group overlaps of one query time zone, kept until this side changes
    memo = matcher._columns(side).setdefault("overlap", {})
    grid = []
    for key in distinct:
        vec = memo.get((key, ref))
        if vec is None:
            if isinstance(queries[0], Task):
                as_, ae = side.group_intervals(ref)
                os_, oe = intervals(key[0], key[1], key[2], ref, 7)
                vec = _overlap(os_[None, :], oe[None, :], as_, ae)
            else:
                os_, oe = side.group_intervals(ref)
                as_, ae = intervals(key[0], key[1], key[2], ref - dt.timedelta(days=1), 9)
                vec = _overlap(os_, oe, as_[None, :], ae[None, :])
            memo[(key, ref)] = vec
        grid.append(vec)
    per = np.stack(grid)
    kid = np.array([-1 if k is None else distinct[k] for k in keys], dtype=np.int64)[:, None]
    known = (kid >= 0) & (gid >= 0)
    vals = per[np.maximum(kid, 0), np.maximum(gid, 0)]
    return np.where(known, vals, out)


def _col(values) -> np.ndarray:
    return np.array(values, dtype=np.float64)[:, None]


def _inputs(matcher, queries: list, side: Side, cand: np.ndarray):
    """The single path's `_pair_inputs`, for a chunk: arrays of shape (queries, candidates)."""
    cols = matcher._columns(side)
    width = cols["skills"].shape[1]
    qskills = [skill_set(x) for x in queries]
    if isinstance(queries[0], Task):
        t = {
            "max_rate": _col([np.nan if x.max_hourly_rate_cents is None
                              else x.max_hourly_rate_cents for x in queries]),
            "currency": np.array([matcher._currency_code(x.currency) for x in queries],
                                 dtype=np.int64)[:, None],
            "need": _col([np.nan if x.hours_per_week is None else x.hours_per_week
                          for x in queries]),
            "overlap_req": _col([np.nan if x.overlap_hours is None else x.overlap_hours
                                 for x in queries]),
            "has_tz": np.array([x.timezone is not None for x in queries])[:, None],
        }
        a = matcher._side_attrs(side, cand)
        tvec = matcher.skill_space.incidence(qskills, width=width)
        num = pair_dots(tvec, cols["skills"], cand)
        n = _col([len(s) for s in qskills])
        sval = num / np.maximum(n, 1.0)
        sact = n > 0
    else:
        t = matcher._side_attrs(side, cand)
        a = {
            "rate": _col([np.nan if x.hourly_rate_cents is None else x.hourly_rate_cents
                          for x in queries]),
            "currency": np.array([matcher._currency_code(x.currency) for x in queries],
                                 dtype=np.int64)[:, None],
            "hours": _col([np.nan if x.hours_per_week is None else x.hours_per_week
                           for x in queries]),
            "rating": _col([np.nan if x.rating is None else x.rating for x in queries]),
            "reviews": _col([np.nan if x.review_count is None else x.review_count
                             for x in queries]),
        }
        avec = matcher.skill_space.credit(qskills, matcher.config.related_credit, width=width)
        num = pair_dots(avec, cols["skills"], cand)
        cnt = cols["n_skills"][cand]
        sval = np.where(cnt > 0, num / np.maximum(cnt, 1), 0.0)
        sact = cnt > 0
    ov = _overlap_grid(matcher, queries, side, side.group[cand])
    return t, a, np.clip(sval, 0.0, 1.0), sact, ov


def _best_m(vals: np.ndarray, cols: np.ndarray, m: int) -> np.ndarray:
    """(n, m) column of each row's m largest `vals` (all > 0), ties to the lower column.

    One packed uint64 key per entry - inverted float32 bits (monotone for positive floats)
    above the column - so a single vectorised partition finds them, ties included.
    """
    bits = np.ascontiguousarray(vals, dtype=np.float32).view(np.uint32).astype(np.uint64)
    key = ((np.uint64(0xFFFFFFFF) - bits) << np.uint64(32)) | cols.astype(np.uint64)
    if key.shape[1] > m:
        key = np.partition(key, m - 1, axis=1)[:, :m]
    key.sort(axis=1)
    return (key & np.uint64(0xFFFFFFFF)).astype(np.int64)


def rank_chunk(matcher, queries: list, side: Side, k: int, pool: int) -> list:
    cfg = matcher.config
    n = len(queries)
    q = matcher.text.transform([text_fields(x) for x in queries])
    # unsorted: rows are re-sorted by row index below, and _best_m finds the PRF documents
    cand = sp_matmul_topn(q, side.text_t, top_n=pool, sort=False, n_threads=THREADS)
    counts = np.diff(cand.indptr)
    out: list = [None] * n
    # queries sharing a term with fewer items than the pool holds are ranked exactly below
    full = np.flatnonzero(counts >= pool)
    if full.size:
        at = (cand.indptr[full][:, None] + np.arange(pool)).ravel()
        found = cand.indices[at].reshape(len(full), pool).astype(np.int64)
        q = q[full]
        m = min(cfg.prf_docs, pool) if cfg.prf_weight > 0 else 0
        if m:
            # each query's best m text candidates, ties to the lower row, as the single path
            top = _best_m(cand.data[at].reshape(len(full), pool), found, m)
            q2f = prf_expand(q, side.text, top, cfg.prf_weight, cfg.prf_terms)
        else:
            q2f = q
        q2f.sort_indices()
        rows = np.sort(found, axis=1)
        fq = [queries[i] for i in full.tolist()]
        text = pair_dots(q2f, side.text, rows)
        parts = None
        if matcher.dense is not None:
            from .dense import blend

            cos = _pair_cosines(matcher.dense.encode(fq), side.dense, rows)
            parts = (text, cos)
            text = blend(text, cos, cfg.dense_weight)
        t, a, sval, sact, ov = _inputs(matcher, fq, side, rows)
        score, feasible, values, active, contrib = score_pairs(
            t, a, text, sval, sact, ov, matcher.prior, cfg
        )
        key = np.where(feasible, -score, np.inf)
        best = np.argsort(key, axis=1, kind="stable")[:, :k]
        enough = np.isfinite(np.take_along_axis(key, best, axis=1)).all(axis=1)
        good = np.flatnonzero(enough)
        qi = np.repeat(good, k)
        cj = best[good].ravel()
        ms = lazy_matches(matcher, side, q2f, fq, qi, rows[qi, cj],
                          score, contrib, values, active, ov, (qi, cj), parts)
        for g, i in enumerate(full[good].tolist()):
            out[i] = ms[g * k : (g + 1) * k]
    for i in range(n):
        if out[i] is None:
            # fewer items share a term with the query than the pool holds, or fewer than k of
            # the pool are feasible: items outside it may still qualify, so rank this one exactly
            out[i] = matcher._rank_one(queries[i], side, k)
    return out
