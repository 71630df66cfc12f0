"""Which week a day of work belongs to, and when that week closes: pure date arithmetic.

A day of work is the calendar date the assistant worked, in their own zone; it belongs to
the Monday-to-Sunday week holding that date. The week closes when Sunday has ended for both
parties: at the owner's Sunday midnight when the assistant is ahead of them (the usual case,
a Manila assistant for a US owner), at the assistant's when they are behind, so neither can
have a day of work that was never loggable. Zones are looked up by the one zone database, so
a week holding a daylight-saving change is still seven calendar days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEK = timedelta(days=7)


def week_start(day: date) -> date:
    """The Monday of the week holding `day`."""
    return day - timedelta(days=day.weekday())


def week_end(start: date) -> date:
    """The Sunday of the week starting on Monday `start`."""
    return start + timedelta(days=6)


def closes_at(start: date, *zones: str) -> datetime:
    """The moment, in UTC, when the week starting `start` has ended in every one of `zones`."""
    monday = start + WEEK
    return max(datetime.combine(monday, time(0), ZoneInfo(z)).astimezone(UTC) for z in zones)


def format_minutes(minutes: int) -> str:
    """90 -> "1 h 30 min", 60 -> "1 h", 5 -> "5 min"."""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"
