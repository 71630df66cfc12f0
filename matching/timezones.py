"""Shared working time between an assistant and a task owner, DST-aware, for the coming week.

Both sides are taken to work every day of the week in their own zone (the profile has no
weekday field). Each of the 7 dates from the reference date is computed with that date's real
UTC offset from `zoneinfo`, and the figure reported is the MINIMUM daily overlap over those 7
days: an owner who needs 3 shared hours needs them every day, including the days after one side
has changed clocks and the other has not. The offset is read at local noon, which is right for
every working interval that does not straddle the 02:00 switch itself.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np

DEFAULT_HOURS = ("09:00", "17:00")
_EPOCH = dt.date(1970, 1, 1)


def minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def span(start: str | None, end: str | None) -> tuple[int, int]:
    """(start minute, duration) of a local working interval; end <= start wraps past midnight."""
    s = minutes(start or DEFAULT_HOURS[0])
    e = minutes(end or DEFAULT_HOURS[1])
    dur = (e - s) % 1440 or 1440  # equal ends mean round the clock
    return s, dur


@lru_cache(maxsize=4096)
def _offsets(tz: str, first: dt.date, n: int) -> tuple[int, ...]:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    out = []
    for i in range(n):
        day = first + dt.timedelta(days=i)
        noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=zone)
        out.append(int(noon.utcoffset().total_seconds() // 60))  # type: ignore[union-attr]
    return tuple(out)


def intervals(
    tz: str, start: int, dur: int, first: dt.date, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """UTC [start, end) in epoch minutes of the working interval on n local dates from `first`."""
    base = np.array([(first - _EPOCH).days + i for i in range(n)], dtype=np.int64) * 1440
    s = base + start - np.array(_offsets(tz, first, n), dtype=np.int64)
    return s, s + dur


class OverlapTable:
    """Working intervals of many (zone, start, duration) groups for one reference week."""

    def __init__(self, groups: list[tuple[str, int, int]], reference: dt.date):
        self.reference = reference
        first = reference - dt.timedelta(days=1)
        g = max(len(groups), 1)
        self.starts = np.zeros((g, 9), dtype=np.int64)
        self.ends = np.zeros((g, 9), dtype=np.int64)
        for i, (tz, s, dur) in enumerate(groups):
            self.starts[i], self.ends[i] = intervals(tz, s, dur, first, 9)
        self.n = len(groups)

    def daily_minimum(self, tz: str, start: int, dur: int) -> np.ndarray:
        """Hours of overlap per group with one (zone, start, duration), worst day of the week."""
        so, eo = intervals(tz, start, dur, self.reference, 7)
        best = np.full(self.n, np.inf)
        for d in range(7):
            s = self.starts[: self.n, d : d + 3]
            e = self.ends[: self.n, d : d + 3]
            ov = np.clip(np.minimum(e, eo[d]) - np.maximum(s, so[d]), 0, None).sum(axis=1)
            best = np.minimum(best, ov)
        return best / 60.0


def overlap_hours(
    tz_a: str, start_a: str | None, end_a: str | None,
    tz_b: str, start_b: str | None, end_b: str | None,
    reference: dt.date,
) -> float:
    """Minimum daily shared hours over the 7 days from `reference` (scalar helper, for tests)."""
    table = OverlapTable([(tz_a, *span(start_a, end_a))], reference)
    return float(table.daily_minimum(tz_b, *span(start_b, end_b))[0])
