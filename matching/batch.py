"""Batch ranking: one multi-threaded sparse top-n product finds every query's text candidates,
then each query's candidates get the full scoring of the single-query path."""

from __future__ import annotations

import numpy as np
from sparse_dot_topn import sp_matmul_topn

from .index import Side, text_fields
from .text import prf_expand


def rank_chunk(matcher, queries: list, side: Side, k: int, pool: int) -> list:
    cfg = matcher.config
    q = matcher.text.transform([text_fields(x) for x in queries])
    cand = sp_matmul_topn(q, side.text_t, top_n=pool, sort=True, n_threads=2)
    m = cfg.prf_docs if cfg.prf_weight > 0 else 0
    top = np.full((len(queries), max(m, 1)), -1, dtype=np.int64)
    for i in range(len(queries)):
        cols = cand.indices[cand.indptr[i] : cand.indptr[i + 1]]
        vals = cand.data[cand.indptr[i] : cand.indptr[i + 1]]
        # sparse_dot_topn sorts by value only; re-sort so ties fall in row order, as elsewhere
        order = np.lexsort((cols, -vals))
        top[i, : min(m, len(cols))] = cols[order][:m]
    q2 = prf_expand(q, side.text, top, cfg.prf_weight, cfg.prf_terms) if m else q
    out = []
    for i, query in enumerate(queries):
        rows = np.sort(cand.indices[cand.indptr[i] : cand.indptr[i + 1]]).astype(np.int64)
        if len(rows) < pool:
            # fewer items share a term with the query than the pool holds: the text-free
            # items may still win on the other factors, so rank this one exactly
            out.append(matcher._rank_one(query, side, k))
            continue
        qi = q2[i]
        text = np.asarray((side.text[rows] @ qi.T).todense()).ravel()
        matches = matcher._finish(query, side, k, qi, rows, text)
        if len(matches) < k:
            matches = matcher._rank_one(query, side, k)
        out.append(matches)
    return out
