"""Per-factor values, hard constraints and the weighted score, vectorised over pairs.

A factor only counts for a pair when the task asks for it (a maximum rate, a weekly need, a
time zone, skills); its weight is then shared out among the factors that do count, so the
score stays in [0, 1] and the contributions add up to it whatever data is missing.

Hard constraints need evidence: when a task states a maximum rate, weekly hours or an overlap,
an assistant who has not given the matching figure cannot be shown to meet it and is left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

FACTORS = ("text", "skills", "rate", "overlap", "availability", "reputation")


@dataclass(frozen=True)
class MatcherConfig:
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "text": 0.50,
            "skills": 0.20,
            "rate": 0.08,
            "overlap": 0.08,
            "availability": 0.06,
            "reputation": 0.08,
        }
    )
    # headline/title, bio/description, skills; with prf_weight, tuned on the even (tune) O*NET
    # split only: 0.604 -> 0.615 NDCG@10 there against (1.0, 1.0, 0.6) and 0.5
    field_weights: tuple[float, float, float] = (1.0, 0.7, 0.8)
    # a task's title, description, skills: a posting's description says what the work is,
    # its title is a few words (SkillSpan tune split; O*NET tasks have a title only)
    task_field_weights: tuple[float, float, float] = (0.7, 1.0, 0.8)
    prf_weight: float = 0.4
    prf_docs: int = 3
    prf_terms: int = 0  # keep this many expansion terms (0: all; pruning measured worse)
    # a long query's (a whole job post's) term weights times idf ** e, e from 0 at
    # long_query_terms[0] terms to long_query_idf_power - 1 at [1] (`text.sharpen_long`);
    # chosen on the SkillSpan tune split only, NDCG@10 by power (ramp 64-128 terms): 1: 0.430,
    # 2.5: 0.449, 3: 0.462, 3.5: 0.488, 4: 0.486, 4.5: 0.461, 5: 0.441. O*NET's requests (at
    # most 66 terms) are below or at the foot of the ramp
    long_query_idf_power: float = 3.5
    long_query_terms: tuple[int, int] = (64, 128)
    related_credit: float = 0.5  # a related skill is worth half a named one
    prior_mean: float | None = None  # None: the fitted corpus' review-weighted mean rating
    prior_strength: float = 5.0  # reviews the prior is worth
    cold_start_bonus: float = 0.10  # lift for assistants with few reviews, fading to 0
    cold_start_reviews: int = 5
    overlap_target_hours: float = 4.0  # shared hours per day that earn the full overlap value
    candidate_pool: int = 200  # batch ranking re-scores this many text candidates per query
    # first day of "the coming week" for time-zone overlap when a ranking call names none;
    # None: today (UTC). The web app passes its own clock's date to each call instead.
    reference_date: dt.date | None = None
    # optional dense similarity (the `embeddings` extra): text = (1-w) lexical + w cosine of
    # sentence embeddings; 0 keeps the matcher free of any deep-learning import
    dense_weight: float = 0.0
    # a local sentence-transformers directory (None: the packaged one), or "static" (or a
    # directory holding table.npy): MiniLM distilled to word-piece rows, numpy only
    dense_model: str | None = None

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(FACTORS)
        if unknown:
            raise ValueError(f"unknown factor weight(s): {sorted(unknown)}")
        if any(w < 0 for w in self.weights.values()) or not any(self.weights.values()):
            raise ValueError("factor weights must be non-negative and not all zero")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ValueError("dense_weight must be between 0 and 1")
        if self.long_query_idf_power < 1.0:
            raise ValueError("long_query_idf_power must be at least 1 (1: no sharpening)")
        lo, hi = self.long_query_terms
        if not 0 <= lo < hi:
            raise ValueError("long_query_terms must be (start, full) with 0 <= start < full")

    def reference(self, explicit: dt.date | None = None) -> dt.date:
        """The week's first day: `explicit` (the caller's clock), else the configured date,
        else today in UTC."""
        return explicit or self.reference_date or dt.datetime.now(dt.UTC).date()


class Scored(NamedTuple):
    """Everything `score_pairs` derives for an array of pairs, each figure computed here only;
    explanations read these arrays rather than recomputing any of them."""

    score: np.ndarray
    feasible: np.ndarray
    values: dict  # factor -> value in [0, 1]
    active: dict  # factor -> whether it counts for the pair
    contrib: dict  # factor -> share of the score
    bayesian: np.ndarray  # reputation: Bayesian mean rating on 0..1
    cold_start_bonus: np.ndarray
    overlap_hours: np.ndarray  # worst-day shared hours, NaN where either has no time zone


def reputation(rating: np.ndarray, reviews: np.ndarray, prior: float, cfg: MatcherConfig):
    """Bayesian mean rating on a 0..1 scale, plus a cold-start bonus that fades with reviews."""
    n = np.nan_to_num(reviews, nan=0.0)
    r = np.where(np.isnan(rating), prior, rating)
    n = np.where(np.isnan(rating), 0.0, n)
    bayes = (cfg.prior_strength * prior + n * r) / (cfg.prior_strength + n) / 5.0
    fade = np.clip(1.0 - n / max(cfg.cold_start_reviews, 1), 0.0, 1.0)
    bonus = cfg.cold_start_bonus * fade
    return np.clip(bayes + bonus, 0.0, 1.0), bayes, bonus


def score_pairs(t: dict, a: dict, text, skill_val, skill_active, overlap, prior, cfg) -> Scored:
    """All arrays broadcast against each other (one query against many candidates).

    t: max_rate, currency, need, overlap_req, has_tz;  a: rate, currency, hours, rating, reviews.
    `overlap` is shared hours per day, NaN where either side has no time zone.
    """
    n = np.broadcast_shapes(np.shape(text), np.shape(a["rate"]), np.shape(t["max_rate"]))
    ones = np.ones(n, dtype=bool)
    w = cfg.weights
    feasible = ones.copy()

    rate_active = ~np.isnan(t["max_rate"]) & ones
    same_cur = (t["currency"] == 0) | (a["currency"] == 0) | (t["currency"] == a["currency"])
    rate_ok = ~np.isnan(a["rate"]) & same_cur & (a["rate"] <= t["max_rate"])
    feasible &= ~rate_active | rate_ok
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(t["max_rate"] > 0, a["rate"] / t["max_rate"], 1.0)
    rate_val = np.where(rate_ok, 0.5 + 0.5 * np.clip(1.0 - ratio, 0.0, 1.0), 0.0)

    avail_active = ~np.isnan(t["need"]) & ones
    avail_ok = ~np.isnan(a["hours"]) & (a["hours"] >= t["need"])
    feasible &= ~avail_active | avail_ok
    with np.errstate(invalid="ignore", divide="ignore"):
        avail_val = np.where(
            avail_ok, np.clip(a["hours"] / np.maximum(2.0 * t["need"], 1e-9), 0.0, 1.0), 0.0
        )

    req = np.nan_to_num(t["overlap_req"], nan=0.0)
    known = ~np.isnan(overlap)
    ov = np.nan_to_num(overlap, nan=0.0)
    feasible &= (req <= 0) | (known & (ov + 1e-9 >= req))
    ov_active = t["has_tz"] & ones
    target = np.maximum(cfg.overlap_target_hours, req)
    ov_val = np.where(known, np.clip(ov / np.maximum(target, 1e-9), 0.0, 1.0), 0.0)

    rep_val, bayes, bonus = reputation(a["rating"], a["reviews"], prior, cfg)

    values = {
        "text": np.clip(text, 0.0, 1.0) * ones,
        "skills": skill_val * ones,
        "rate": rate_val * ones,
        "overlap": ov_val * ones,
        "availability": avail_val * ones,
        "reputation": rep_val * ones,
    }
    active = {
        "text": ones,
        "skills": skill_active & ones,
        "rate": rate_active,
        "overlap": ov_active,
        "availability": avail_active,
        "reputation": ones,
    }
    total_w = sum(np.where(active[f], w.get(f, 0.0), 0.0) for f in FACTORS)
    total_w = np.where(total_w > 0, total_w, 1.0)
    contrib = {f: np.where(active[f], w.get(f, 0.0) * values[f], 0.0) / total_w for f in FACTORS}
    score = np.clip(sum(contrib[f] for f in FACTORS), 0.0, 1.0)
    return Scored(
        score, feasible, values, active, contrib, bayes * ones, bonus * ones, overlap * ones
    )
