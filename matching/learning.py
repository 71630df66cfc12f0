"""Learning the factor weights from what owners and assistants did with shown matches.

The app records events per (task, assistant) pair - an impression when a ranked match was
shown (with its position and the factor values it was scored with), then perhaps an invite,
a proposal, the owner shortlisting or declining it, a hire and the owner's review of the
hire. `train` turns them into one example per pair that was shown: positive when anything
followed (weighted: a hire counts more than an invite, a hire reviewed badly less), negative
when nothing did or the owner declined the proposal. A logistic regression over the factor
values (a factor the task did not ask for counts as 0) plus a few pair features then says
how much each factor moved owners.

Those pair features are controls, not factors: the position the match was shown at (owners
look at the top of a list first, so a factor the current weights favour would otherwise earn
the credit for being shown first) and whether the task asked for rate, hours, overlap and
skills at all. Features are centred within each task, so the model compares the assistants
one owner saw with each other (as a conditional logit does) rather than busy tasks with
quiet ones.

The factors' coefficients, negative ones cut to 0, scaled to the fixed weights' total and
shrunk towards the fixed weights by how many positive pairs support them, become the
`OutcomeModel`'s weights. The matcher ranks with them exactly as with the fixed ones: the
score is still the sum of per-factor contributions, so the explanation shows the learned
weights' effect in the same terms. Nothing is learned below `LearnerConfig.min_events`
labelled pairs or `min_positives` positive ones: `train` returns None and the fixed weights
stay.

What one person can teach it is bounded, so a heavy user cannot steer everyone's ranking:
a pair is one example however many events it has (its weight at most a reviewed hire's),
and an owner's or an assistant's pairs together count as at most
`LearnerConfig.max_pairs_per_person` pairs (each weighed down in proportion when they have
more). Training reads only the most recent `max_events` events, so its time and memory stay
bounded as the events table grows.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .scoring import FACTORS, MatcherConfig

KINDS = ("impression", "invite", "proposal", "hire", "review", "shortlist", "decline")
# how strongly each action says "this was a good match" (the pair takes its strongest); an
# owner's short list says more than the assistant's proposal, less than a hire
ACTION_WEIGHTS = {"invite": 1.0, "proposal": 2.0, "shortlist": 3.0, "hire": 4.0}
# a reviewed hire: good reviews confirm it, bad ones take most of it back
REVIEW_GOOD, REVIEW_GOOD_FACTOR = 4.0, 1.5
REVIEW_BAD, REVIEW_BAD_FACTOR = 2.0, 0.25
# whether the task asked for the factor (text and reputation always count)
ASKED = ("skills", "rate", "overlap", "availability")
FEATURES = (*(f"value:{f}" for f in FACTORS), *(f"asked:{f}" for f in ASKED), "position")
MODEL_FORMAT = 1


@dataclass(frozen=True)
class OutcomeEvent:
    """One recorded event. `factors` are the factor values the pair was scored with (only
    the factors that counted for it, as in an explanation's "factor_values"); `value` is a
    review's rating; `position` the 1-based place an impression was shown at."""

    task_id: Any
    assistant_id: Any
    kind: str
    factors: Mapping[str, float] | None = None
    score: float | None = None
    value: float | None = None
    position: int | None = None
    owner_id: Any = None  # the task's owner, when known: their pairs are capped together

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}; expected one of {KINDS}")


@dataclass(frozen=True)
class LearnerConfig:
    min_events: int = 500  # labelled (shown) pairs needed before anything is learned
    min_positives: int = 20  # ... of which acted on
    c: float = 1.0  # inverse L2 strength of the logistic regression
    # positive pairs' worth of belief in the fixed weights: with n positives the learned
    # weights get n / (n + shrinkage) of the say
    shrinkage: float = 50.0
    position_control: bool = True  # the position a match was shown at as a control feature
    # one owner's (or one assistant's) pairs weigh at most this many pairs' worth
    max_pairs_per_person: int | None = 100
    max_events: int | None = 200_000  # train on the most recent this many events

    def __post_init__(self) -> None:
        if self.min_events < 1 or self.min_positives < 1:
            raise ValueError("min_events and min_positives must be at least 1")
        if (self.max_pairs_per_person is not None and self.max_pairs_per_person < 1) or (
            self.max_events is not None and self.max_events < 1
        ):
            raise ValueError("max_pairs_per_person and max_events must be at least 1 (or None)")
        if self.c <= 0 or self.shrinkage < 0:
            raise ValueError("c must be positive and shrinkage non-negative")


@dataclass(frozen=True)
class OutcomeModel:
    """Factor weights learned from outcomes; saved with the index (`to_json`)."""

    weights: dict[str, float]
    coefficients: dict[str, float]  # the regression's, per feature (FEATURES)
    base_weights: dict[str, float]
    n_events: int
    n_pairs: int
    n_positive: int
    version: str = field(default="")

    def __post_init__(self) -> None:
        if not self.version:
            digest = hashlib.sha256(
                json.dumps([self.weights, self.n_events], sort_keys=True).encode()
            ).hexdigest()
            object.__setattr__(self, "version", f"learned-{digest[:12]}")

    def to_json(self) -> dict:
        return {
            "format": MODEL_FORMAT, "version": self.version, "weights": self.weights,
            "coefficients": self.coefficients, "base_weights": self.base_weights,
            "n_events": self.n_events, "n_pairs": self.n_pairs, "n_positive": self.n_positive,
        }  # fmt: skip

    @classmethod
    def from_json(cls, d: Mapping) -> OutcomeModel:
        if d.get("format") != MODEL_FORMAT:
            raise ValueError(f"outcome model format {d.get('format')!r} is not {MODEL_FORMAT}")
        return cls(
            weights={f: float(d["weights"][f]) for f in FACTORS if f in d["weights"]},
            coefficients={k: float(v) for k, v in d["coefficients"].items()},
            base_weights={k: float(v) for k, v in d["base_weights"].items()},
            n_events=int(d["n_events"]), n_pairs=int(d["n_pairs"]),
            n_positive=int(d["n_positive"]), version=str(d["version"]),
        )  # fmt: skip

    def config(self, base: MatcherConfig) -> MatcherConfig:
        """`base` with this model's factor weights."""
        from dataclasses import replace

        return replace(base, weights=dict(self.weights))


@dataclass
class _Pair:
    task: Any
    assistant: Any = None
    owner: Any = None
    factors: Mapping[str, float] | None = None
    position: int | None = None
    action: float = 0.0
    hired: bool = False
    declined: bool = False
    rating: float | None = None


def pairs(events: Iterable[OutcomeEvent]) -> list[_Pair]:
    """One record per (task, assistant): first shown factors and best position, strongest
    action, the hire's review."""
    by: dict[tuple, _Pair] = {}
    for e in events:
        p = by.get((e.task_id, e.assistant_id))
        if p is None:
            p = by[(e.task_id, e.assistant_id)] = _Pair(e.task_id, e.assistant_id)
        if p.owner is None:
            p.owner = e.owner_id
        if e.kind == "impression":
            if e.factors is not None and p.factors is None:
                p.factors = e.factors
            if e.position is not None and (p.position is None or e.position < p.position):
                p.position = e.position
        elif e.kind == "review":
            if e.value is not None:
                p.rating = float(e.value)
        elif e.kind == "decline":
            p.declined = True
        else:
            p.action = max(p.action, ACTION_WEIGHTS[e.kind])
            p.hired |= e.kind == "hire"
    for p in by.values():
        if p.declined and not p.hired:
            # the owner read the proposal and said no: whatever came before it (an invite, the
            # proposal, a short list), the match was not taken
            p.action = 0.0
    # only pairs that were shown say anything about what was shown and not taken
    return [p for p in by.values() if p.factors is not None]


def features(factors: Mapping[str, float], position: int | None) -> list[float]:
    """One pair's feature row (FEATURES), as `feature_matrix` builds it for many."""
    return feature_matrix([factors], [position])[0].tolist()


def feature_matrix(factors: list[Mapping[str, float]], positions: list[int | None]) -> np.ndarray:
    """(pairs, FEATURES) float64: factor values cut to [0, 1] (anything not a finite number
    counts as 0), whether the task asked for each of ASKED, log position (0 if unknown).
    Array work past one pass over the dicts: training reads up to `max_events` of them."""
    n = len(factors)
    raw = [tuple(f.get(name, 0.0) for name in FACTORS) for f in factors]
    try:
        vals = np.array(raw, dtype=np.float64).reshape(n, len(FACTORS))
    except (TypeError, ValueError):  # a stored value that is not a number: per value
        vals = np.array([[_number(v) for v in row] for row in raw]).reshape(n, len(FACTORS))
    vals = np.clip(np.where(np.isfinite(vals), vals, 0.0), 0.0, 1.0)
    asked = np.array([[name in f for name in ASKED] for f in factors], dtype=np.float64)
    pos = np.array([p if p and p > 0 else 1 for p in positions], dtype=np.float64)
    return np.hstack([vals, asked.reshape(n, len(ASKED)), np.log(pos).reshape(n, 1)])


def _number(v: Any) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return 0.0
    return x if math.isfinite(x) else 0.0


def _sample_weight(p: _Pair) -> float:
    if not p.action:
        return 1.0
    w = p.action
    if p.hired and p.rating is not None:
        if p.rating >= REVIEW_GOOD:
            w *= REVIEW_GOOD_FACTOR
        elif p.rating <= REVIEW_BAD:
            w *= REVIEW_BAD_FACTOR
    return w


def _person_scale(records: list[_Pair], cap: int) -> np.ndarray:
    """Per pair: how much to weigh it down so that no owner's and no assistant's pairs
    count as more than `cap` pairs (1 for anyone with fewer)."""
    scale = np.ones(len(records))
    for who in (lambda p: p.assistant, lambda p: p.owner):
        people = [who(p) for p in records]
        n: dict[Any, int] = {}
        for person in people:
            if person is not None:
                n[person] = n.get(person, 0) + 1
        scale *= [min(1.0, cap / n[x]) if x is not None else 1.0 for x in people]
    return scale


def design(
    records: list[_Pair], position_control: bool = True, max_pairs_per_person: int | None = None
):
    """(X centred within task, y, sample weights) for the pairs."""
    x = feature_matrix([p.factors or {} for p in records], [p.position for p in records])
    if not position_control:
        x[:, -1] = 0.0
    y = np.array([1 if p.action else 0 for p in records], dtype=np.int64)
    w = np.array([_sample_weight(p) for p in records], dtype=np.float64)
    if max_pairs_per_person is not None:
        w *= _person_scale(records, max_pairs_per_person)
    index: dict[Any, int] = {}
    group = np.array([index.setdefault(p.task, len(index)) for p in records], dtype=np.int64)
    sums = np.zeros((len(index), x.shape[1]))
    np.add.at(sums, group, x)
    x -= (sums / np.bincount(group, minlength=len(index))[:, None])[group]
    return x, y, w


def train(
    events: Iterable[OutcomeEvent],
    base: MatcherConfig | None = None,
    cfg: LearnerConfig | None = None,
) -> OutcomeModel | None:
    """Learned factor weights, or None when there is too little to learn from."""
    from sklearn.linear_model import LogisticRegression

    base, cfg = base or MatcherConfig(), cfg or LearnerConfig()
    events = list(events)
    if cfg.max_events is not None and len(events) > cfg.max_events:
        events = events[-cfg.max_events :]  # the most recent: bounded time, current tastes
    records = pairs(events)
    n_pos = sum(1 for p in records if p.action)
    if len(records) < cfg.min_events or n_pos < cfg.min_positives or n_pos == len(records):
        return None
    x, y, w = design(records, cfg.position_control, cfg.max_pairs_per_person)
    # centring leaves no intercept to learn: a pair's odds only move against its own task's
    model = LogisticRegression(C=cfg.c, fit_intercept=False, max_iter=1000)
    model.fit(x, y, sample_weight=w)
    coef = model.coef_[0]
    raw = {f: max(float(coef[i]), 0.0) for i, f in enumerate(FACTORS)}
    base_w = {f: float(base.weights.get(f, 0.0)) for f in FACTORS}
    total = sum(base_w.values())
    if not sum(raw.values()):
        return None  # nothing a factor explains: keep the fixed weights
    learned = {f: raw[f] / sum(raw.values()) * total for f in FACTORS}
    share = n_pos / (n_pos + cfg.shrinkage) if cfg.shrinkage else 1.0
    weights = {f: round(share * learned[f] + (1 - share) * base_w[f], 6) for f in FACTORS}
    return OutcomeModel(
        weights=weights,
        coefficients={name: round(float(c), 6) for name, c in zip(FEATURES, coef, strict=True)},
        base_weights=base_w, n_events=len(events), n_pairs=len(records), n_positive=n_pos,
    )  # fmt: skip
