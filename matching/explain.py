"""Explanations for ranked pairs, built on first read.

Ranking scores every candidate as arrays; only the k returned pairs per query need an
explanation, and callers often read few of those. `lazy_matches` keeps the few numbers each
returned pair needs (a row of contributions, values and flags, its overlap) and builds the
dict when `Match.explanation` is first read. It captures matrices and items by reference:
the index never changes a built matrix in place (updates append rows and build new ones), so
an explanation read later still describes the ranking it came from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .index import skill_set, text_fields
from .models import Match, Task, _Pending
from .scoring import FACTORS
from .skills import explain_skills
from .text import matched_terms, surface_forms


def _row(m, i: int) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = m.indptr[i], m.indptr[i + 1]
    return m.indices[lo:hi], m.data[lo:hi]


def _reputation(rating, reviews, prior: float, cfg) -> tuple[float, float]:
    """`scoring.reputation` for one assistant, in the same float operations, as floats."""
    n = 0.0 if reviews is None or rating is None else float(reviews)
    r = prior if rating is None else float(rating)
    bayes = (cfg.prior_strength * prior + n * r) / (cfg.prior_strength + n) / 5.0
    fade = min(max(1.0 - n / max(cfg.cold_start_reviews, 1), 0.0), 1.0)
    return bayes, cfg.cold_start_bonus * fade


class _Pairs:
    """The selected pairs of one ranking call and what their explanations need."""

    __slots__ = ("cfg", "prior", "terms", "text", "items", "queries", "q2", "qrows", "rows",
                 "contrib", "values", "active", "ov", "parts")

    def build(self, m: int) -> dict:
        query, row = self.queries[self.qrows[m]], self.rows[m]
        item = self.items[row]
        task, asst = (query, item) if isinstance(query, Task) else (item, query)
        c = dict(zip(FACTORS, self.contrib[m].tolist(), strict=True))
        vals, act = self.values[m].tolist(), self.active[m].tolist()
        matched, near = explain_skills(skill_set(task), skill_set(asst))
        bayes, bonus = _reputation(asst.rating, asst.review_count, self.prior, self.cfg)
        o = float(self.ov[m])
        # words are shown as the task wrote them, else as the profile did
        surface = {**surface_forms(text_fields(asst)), **surface_forms(text_fields(task))}
        terms = matched_terms(_row(self.q2, self.qrows[m]), _row(self.text, row), self.terms,
                              surface)
        rate_i = FACTORS.index("rate")
        extra = {}
        if self.parts is not None:
            lex, cos = self.parts[m]
            extra["text_similarity"] = {"lexical": lex, "dense": cos,
                                        "dense_weight": self.cfg.dense_weight}
        return {
            "contributions": c,
            "factor_values": {f: v for f, v, a in zip(FACTORS, vals, act, strict=True) if a},
            "matched_skills": matched,
            "related_skills": near,
            "matched_terms": terms,
            "overlap_hours": None if math.isnan(o) else round(o, 2),
            "rate_fit": vals[rate_i] if act[rate_i] else None,
            "hourly_rate_cents": asst.hourly_rate_cents,
            "hours_per_week": asst.hours_per_week,
            "reputation": {
                "rating": asst.rating, "review_count": asst.review_count,
                "bayesian": bayes, "cold_start_bonus": bonus,
            },
            **extra,
        }


def lazy_matches(
    matcher, side, q2, queries: Sequence, qrows: np.ndarray, rows: np.ndarray,
    score: np.ndarray, contrib: dict, values: dict, active: dict, ov: np.ndarray, sel,
    parts: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[Match]:
    """Matches for the pairs `sel` picks out of the factor arrays, in order.

    `qrows[m]`/`rows[m]` are the m-th pair's query (row of `q2`, index into `queries`) and
    side row; `sel` indexes the factor arrays (any numpy index giving one entry per pair).
    A match's score is the ranking score itself (the contributions added in factor order).
    `parts` are the (lexical, cosine) arrays behind a blended text factor, when dense is on.
    """
    shape = np.shape(ov)
    p = _Pairs()
    p.cfg, p.prior, p.terms = matcher.config, matcher.prior, matcher.text.terms
    p.text, p.items, p.queries, p.q2 = side.text, side.items, queries, q2
    p.qrows, p.rows = qrows.tolist(), rows.tolist()
    p.contrib = np.stack([np.broadcast_to(contrib[f], shape)[sel] for f in FACTORS], axis=-1)
    p.values = np.stack([np.broadcast_to(values[f], shape)[sel] for f in FACTORS], axis=-1)
    p.active = np.stack([np.broadcast_to(active[f], shape)[sel] for f in FACTORS], axis=-1)
    p.ov = np.asarray(ov)[sel]
    p.parts = None
    if parts is not None:
        lex, cos = (np.broadcast_to(np.asarray(x, dtype=np.float64), shape)[sel] for x in parts)
        p.parts = list(zip(lex.tolist(), cos.tolist(), strict=True))
    items, build, new, pending = side.items, p.build, Match.__new__, _Pending
    out = []
    for m, (r, sc) in enumerate(zip(p.rows, np.asarray(score)[sel].tolist(), strict=True)):
        # Match.lazy without the dataclass __init__: this loop runs k times per query
        match = new(Match)
        match.__dict__.update(id=items[r].id, score=sc, _explanation=pending(build, m))
        out.append(match)
    return out
