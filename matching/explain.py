"""Explanations for ranked pairs, built on first read.

Ranking scores every candidate as arrays; only the k returned pairs per query need an
explanation, and callers often read few of those. `explained_matches` keeps the few numbers
each returned pair needs - its row of contributions, values and flags, its overlap and
reputation figures, all as `scoring.score_pairs` computed them - and builds the dict when
`Match.explanation` is first read. Nothing here recomputes a factor.

It captures matrices and items by reference: the index never changes a built matrix in
place (updates append rows and build new ones), so an explanation read later still
describes the ranking it came from.

What an explanation says is true of the people it names (`skills.explain_skills`): a skill
is "had" only when the assistant lists it, related ones are marked as such, and matched
words are words both texts contain that carry meaning (`text.meaningful`), as the task wrote
them, beyond the skills already said.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .index import text_fields
from .models import Match, Task
from .scoring import FACTORS, Scored
from .skills import EXACT, explain_skills
from .text import matched_terms, stem, words, written


def _row(m, i: int) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = m.indptr[i], m.indptr[i + 1]
    return m.indices[lo:hi], m.data[lo:hi]


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _iso(minutes: int) -> str:
    """UTC epoch minutes as an ISO 8601 instant, e.g. 2025-03-03T14:00:00Z."""
    return (_EPOCH + dt.timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def _not_yet_said(terms: list[str], skills: list[dict]) -> list[str]:
    """The words in common less those that only repeat a skill the explanation already says
    the assistant has: after "has QuickBooks", "quickbooks" is nothing more in common."""
    said = {stem(w) for e in skills if e["kind"] == EXACT for name in e["has"] for w in words(name)}
    kept = []
    for term in terms:
        stems = set(map(stem, term.split()))
        # Nor a phrase made only of words said already, by a skill or an earlier term:
        # after "has ADP" and "account management", "adp account" says nothing new.
        if not said.issuperset(stems):
            kept.append(term)
            said |= stems
    return kept


class _Pairs:
    """The selected pairs of one ranking call and what their explanations need."""

    __slots__ = (
        "cfg",
        "reference",
        "terms",
        "text",
        "items",
        "queries",
        "q",
        "q2",
        "qrows",
        "rows",
        "contrib",
        "values",
        "active",
        "ov",
        "bayes",
        "bonus",
        "parts",
        "window",
        "shown",
        "model",
    )
    # Filled field by field by explained_matches: numpy arrays, their .tolist()s, the
    # ranking's config and texts. Declared for the type checker; slots keep them cheap.
    cfg: Any
    reference: dt.date
    terms: Any
    text: Any
    items: Sequence[Any]
    queries: Sequence[Any]
    q: Any
    q2: Any
    qrows: list[int]
    rows: list[int]
    contrib: np.ndarray
    values: np.ndarray
    active: np.ndarray
    ov: np.ndarray
    bayes: np.ndarray
    bonus: np.ndarray
    parts: list[tuple[float, float]] | None
    window: list[tuple[int, int]]
    shown: Any
    model: Any

    def build(self, m: int) -> dict:
        qrow, row = self.qrows[m], self.rows[m]
        query, item = self.queries[qrow], self.items[row]
        task, asst = (query, item) if isinstance(query, Task) else (item, query)
        vals, act = self.values[m].tolist(), self.active[m].tolist()
        skills = explain_skills(task.skills, asst.skills)
        # words both texts contain, shown as the task wrote them
        terms = matched_terms(
            _row(self.q, qrow),
            _row(self.text, row),
            self.terms,
            written(text_fields(task)),
            weight=_row(self.q2, qrow),
            shown=self.shown,
        )
        o = float(self.ov[m])
        start, end = self.window[m]
        window = {"start": _iso(start), "end": _iso(end)} if end > start else None
        rate_i = FACTORS.index("rate")
        extra = {}
        if self.model is not None:
            # the contributions above are the learned weights' (the score is their sum)
            extra["weights"] = {
                "source": "learned",
                "model": self.model.version,
                "n_events": self.model.n_events,
                "factors": {f: self.cfg.weights.get(f, 0.0) for f in FACTORS},
            }
        if self.parts is not None:
            lex, cos = self.parts[m]
            extra["text_similarity"] = {
                "lexical": lex,
                "dense": cos,
                "dense_weight": self.cfg.dense_weight,
            }
        return {
            "contributions": dict(zip(FACTORS, self.contrib[m].tolist(), strict=True)),
            "factor_values": {f: v for f, v, a in zip(FACTORS, vals, act, strict=True) if a},
            "skills": skills,
            "matched_terms": _not_yet_said(terms, skills),
            "overlap_hours": None if math.isnan(o) else round(o, 2),
            "overlap_window": window,
            "reference_date": self.reference.isoformat(),
            "rate_fit": vals[rate_i] if act[rate_i] else None,
            "hourly_rate_cents": asst.hourly_rate_cents,
            "currency": asst.currency,
            "hours_per_week": asst.hours_per_week,
            "reputation": {
                "rating": asst.rating,
                "review_count": asst.review_count,
                "bayesian": float(self.bayes[m]),
                "cold_start_bonus": float(self.bonus[m]),
            },
            **extra,
        }


def explained_matches(
    ranking,
    queries: Sequence,
    q,
    q2,
    qrows: np.ndarray,
    rows: np.ndarray,
    scored: Scored,
    sel,
    parts: tuple[np.ndarray, np.ndarray] | None,
    windows: tuple[np.ndarray, np.ndarray],
) -> list[Match]:
    """Matches for the pairs `sel` picks out of the scored arrays, in order.

    `qrows[m]`/`rows[m]` are the m-th pair's query (row of `q` and `q2`, index into
    `queries`) and side row; `sel` indexes the arrays (any numpy index giving one entry per
    pair). A match's score is the ranking score itself (the contributions added in factor
    order). `parts` are the (lexical, cosine) arrays behind a blended text factor, or
    None; `windows` each pair's shared stretch (UTC epoch minutes start, end).
    """
    shape = np.shape(scored.score)
    side = ranking.side
    p = _Pairs()
    p.cfg, p.reference, p.terms = ranking.cfg, ranking.reference, ranking.m.text.terms
    p.text, p.items, p.queries, p.q, p.q2 = side.text, side.items, queries, q, q2
    p.shown = ranking.m.text.shown
    p.model = ranking.m.outcome_model
    p.qrows, p.rows = qrows.tolist(), rows.tolist()

    def pick(arrays: dict) -> np.ndarray:
        return np.stack([np.broadcast_to(arrays[f], shape)[sel] for f in FACTORS], axis=-1)

    p.contrib, p.values, p.active = pick(scored.contrib), pick(scored.values), pick(scored.active)
    p.ov = np.broadcast_to(scored.overlap_hours, shape)[sel]
    p.bayes = np.broadcast_to(scored.bayesian, shape)[sel]
    p.bonus = np.broadcast_to(scored.cold_start_bonus, shape)[sel]
    p.window = list(zip(windows[0].tolist(), windows[1].tolist(), strict=True))
    p.parts = None
    if parts is not None:
        lex, cos = (np.broadcast_to(np.asarray(x, dtype=np.float64), shape)[sel] for x in parts)
        p.parts = list(zip(lex.tolist(), cos.tolist(), strict=True))
    ids = [side.items[r].id for r in p.rows]
    return Match.lazy_many(ids, np.asarray(scored.score)[sel].tolist(), p.build)
