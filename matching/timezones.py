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


@lru_cache(maxsize=4096)
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


def owner_week(tz: str, start: int, dur: int, reference: dt.date):
    """An owner's (or a task's) working intervals on the 7 dates from `reference`."""
    return intervals(tz, start, dur, reference, 7)


def assistant_week(tz: str, start: int, dur: int, reference: dt.date):
    """An assistant's intervals on the 9 dates from the day before `reference`: each owner
    day can meet the assistant's shift of the day before, the same day and the day after."""
    return intervals(tz, start, dur, reference - dt.timedelta(days=1), 9)


def daily_overlap(owner_s, owner_e, va_s, va_e) -> np.ndarray:
    """Shared minutes on each of the 7 owner days, (..., 7), broadcasting leading axes.

    owner_s/owner_e: (..., 7) UTC minutes; va_s/va_e: (..., 9), day d of the owner meeting
    the assistant's days d-1, d and d+1 (columns d..d+2)."""
    days = []
    for d in range(7):
        s, e = va_s[..., d : d + 3], va_e[..., d : d + 3]
        ov = np.minimum(e, owner_e[..., d : d + 1]) - np.maximum(s, owner_s[..., d : d + 1])
        days.append(np.clip(ov, 0, None).sum(axis=-1))
    return np.stack(days, axis=-1)


def worst_day_overlap(owner_s, owner_e, va_s, va_e) -> np.ndarray:
    """Hours both work on the worst of the 7 days - the overlap figure, in its one place."""
    return daily_overlap(owner_s, owner_e, va_s, va_e).min(axis=-1) / 60.0


def shared_windows(owner_s, owner_e, va_s, va_e) -> tuple[np.ndarray, np.ndarray]:
    """Per pair, the longest shared stretch (UTC epoch minutes [start, end)) on the worst day
    of the week - the day whose overlap the score and the hours figure use - from the same
    `daily_overlap`. Arrays (pairs, 7) and (pairs, 9) in; start == end where that day has
    none."""
    per_day = daily_overlap(owner_s, owner_e, va_s, va_e)
    d = np.argmin(per_day, axis=1)
    pick = d[:, None] + np.arange(3)
    lo = np.maximum(
        np.take_along_axis(va_s, pick, axis=1), np.take_along_axis(owner_s, d[:, None], axis=1)
    )
    hi = np.minimum(
        np.take_along_axis(va_e, pick, axis=1), np.take_along_axis(owner_e, d[:, None], axis=1)
    )
    j = np.argmax(hi - lo, axis=1)[:, None]
    start = np.take_along_axis(lo, j, axis=1)[:, 0]
    end = np.take_along_axis(hi, j, axis=1)[:, 0]
    none = per_day[np.arange(len(d)), d] <= 0
    return np.where(none, start, start), np.where(none, start, np.maximum(end, start))


def overlap_hours(
    tz_a: str,
    start_a: str | None,
    end_a: str | None,
    tz_b: str,
    start_b: str | None,
    end_b: str | None,
    reference: dt.date,
) -> float:
    """Minimum daily shared hours over the 7 days from `reference` between assistant a and
    owner b (scalar helper, for tests and the naive benchmark)."""
    as_, ae = assistant_week(tz_a, *span(start_a, end_a), reference)
    os_, oe = owner_week(tz_b, *span(start_b, end_b), reference)
    return float(worst_day_overlap(os_, oe, as_, ae))
