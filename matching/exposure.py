"""Fair exposure: a cap on the recommendation slots one assistant takes, and places in each
list kept for new assistants, chosen by relevance.

Ranking alone sends the same few strong profiles to every similar task, so they collect the
impressions (and the invites) while equally able people are never seen; a profile with no
history has no reviews to lift it and no outcomes to learn from. `allocate` works on a list
the matcher already ranked, longer than the k it keeps (`ExposurePolicy.candidates`):

1. Cap. An assistant who has already taken `cap` slots in the caller's window (a day in the
   app, a round in the simulator) is passed over for a new slot; a slot they already hold in
   this list (`keep`: a re-ranked task) is not new and stays theirs. When too few others
   qualify, the passed-over fill the list after all, best first: the cap spreads slots, it
   never leaves a task with fewer recommendations than it could have.
2. Quota. `quota(k)` of the k places go to newcomers (the caller says who: in the app, a
   complete profile without reviews or hires) when fewer than that earned a place on score.
   They are the best-scoring newcomers in the candidates whose score is at least
   `new_min_relative` of the list's best, and they replace the lowest-scoring others. Each
   such match says so in its explanation (``"shown_by": "new_assistant_quota"``), so the
   page can tell the owner why it is there; a newcomer placed on score alone is not marked.

Scores are never changed: the list is returned in score order, so a quota place sits where
its own score puts it. Everything here is plain Python over a few dozen candidates per list.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .models import Match

SHOWN_BY_QUOTA = "new_assistant_quota"


@dataclass(frozen=True)
class ExposurePolicy:
    cap: int | None = None  # most slots one assistant takes in the caller's window
    new_share: float = 0.0  # share of each list's places kept for newcomers
    # a newcomer fills a kept place only with at least this share of the list's best score:
    # the quota is for relevant new people, not for anyone new
    new_min_relative: float = 0.6
    pool: int = 3  # rank pool x k candidates so passed-over assistants can be replaced

    def __post_init__(self) -> None:
        if self.cap is not None and self.cap < 1:
            raise ValueError("cap must be at least 1 (None: no cap)")
        if not 0.0 <= self.new_share <= 1.0 or not 0.0 <= self.new_min_relative <= 1.0:
            raise ValueError("new_share and new_min_relative must be between 0 and 1")
        if self.pool < 1:
            raise ValueError("pool must be at least 1")

    @property
    def active(self) -> bool:
        return self.cap is not None or self.quota(10) > 0

    def quota(self, k: int) -> int:
        """Places of a k-long list kept for newcomers."""
        return math.floor(self.new_share * k + 0.5)

    def candidates(self, k: int) -> int:
        """How many ranked candidates `allocate` should be given for a k-long list."""
        return k * self.pool if self.active else k


def share_cap(share: float, slots: int) -> int:
    """The cap that keeps anyone from taking more than `share` of `slots` slots."""
    if not 0.0 < share <= 1.0:
        raise ValueError("share must be in (0, 1]")
    return max(1, math.floor(share * slots))


def _by_quota(m: Match) -> Match:
    return Match.lazy(m.id, m.score, lambda: {**m.explanation, "shown_by": SHOWN_BY_QUOTA})


def allocate(
    ranked: Sequence[Match],
    k: int,
    policy: ExposurePolicy,
    *,
    counts: Mapping[Any, int] | None = None,
    newcomers: Collection = (),
    keep: Collection = (),
) -> list[Match]:
    """The k matches to show from `ranked` (best first, as the matcher returns them): the
    cap applied with `counts` (slots each id already took in the window, this list's
    `keep` aside), newcomers' places filled, in score order."""
    counts = counts or {}
    cap = policy.cap

    def open_to(m: Match) -> bool:
        return cap is None or m.id in keep or counts.get(m.id, 0) < cap

    eligible = [m for m in ranked if open_to(m)]
    chosen = eligible[:k]
    if len(chosen) < k:  # too few under the cap: the passed-over fill the rest, best first
        chosen += [m for m in ranked if not open_to(m)][: k - len(chosen)]
    want = min(policy.quota(k), k)
    have = sum(1 for m in chosen if m.id in newcomers)
    if want > have and chosen:
        floor = policy.new_min_relative * max(m.score for m in chosen)
        taken = {m.id for m in chosen}
        extra = [
            m for m in eligible if m.id in newcomers and m.id not in taken and m.score >= floor
        ][: want - have]
        if extra:
            # the lowest-scoring others give way; a list shorter than k just grows
            others = [i for i, m in enumerate(chosen) if m.id not in newcomers]
            room = k - len(chosen)
            drop = set(others[::-1][: max(0, len(extra) - room)])
            extra = extra[: room + len(drop)]
            chosen = [m for i, m in enumerate(chosen) if i not in drop]
            chosen += [_by_quota(m) for m in extra]
    # stable: among equal scores the matcher's order stands
    order = {m.id: i for i, m in enumerate(ranked)}
    return sorted(chosen, key=lambda m: (-m.score, order[m.id]))


def allocate_batch(
    lists: Iterable[Sequence[Match]],
    k: int,
    policy: ExposurePolicy,
    *,
    counts: MutableMapping[Any, int] | None = None,
    newcomers: Collection = (),
) -> list[list[Match]]:
    """`allocate` for lists shown one after another in the same window: each list's slots
    count against the cap of the lists after it. `counts` (if given) is updated in place."""
    counts = {} if counts is None else counts
    out = []
    for ranked in lists:
        shown = allocate(ranked, k, policy, counts=counts, newcomers=newcomers)
        for m in shown:
            counts[m.id] = counts.get(m.id, 0) + 1
        out.append(shown)
    return out


def gini(counts: Iterable[float]) -> float:
    """Gini coefficient of non-negative counts (0: everyone the same; near 1: one has all).
    Include the zeros: an assistant never shown is the point."""
    x = np.sort(np.asarray(list(counts), dtype=np.float64))
    n, total = len(x), float(x.sum()) if len(x) else 0.0
    if n == 0 or total == 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float(2 * (ranks @ x) / (n * total) - (n + 1) / n)
