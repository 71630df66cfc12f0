"""The suite's clock: time-machine moves every reader of the time in this process at once,
``marketplace.db.utcnow`` included (the app's one clock), in every thread.

``DELEGATE_TEST_UTC=00:30 pytest`` runs the whole session as if it were 00:30 UTC (the next
00:30 from now, so the clock only ever moves forward: cookie expiries seen by Chromium and
the emulator's signatures stay valid). A full ISO datetime (``2027-03-14T08:59:00+00:00``)
pins the date too. Time keeps ticking from there.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, time, timedelta

import time_machine

from marketplace.db import utcnow

SUITE_TIME_VARIABLE = "DELEGATE_TEST_UTC"


def next_utc(at: time | str, *, after: datetime | None = None) -> datetime:
    """The next moment (from `after`, default now) when a UTC clock reads `at`."""
    if isinstance(at, str):
        at = time.fromisoformat(at)
    after = after or utcnow()
    candidate = datetime.combine(after.date(), at, UTC)
    return candidate if candidate > after else candidate + timedelta(days=1)


def suite_destination(value: str | None = None) -> datetime | None:
    value = os.environ.get(SUITE_TIME_VARIABLE, "") if value is None else value
    value = value.strip()
    if not value:
        return None
    if "T" in value or len(value) > 8:
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return next_utc(value)


def travel_suite(destination: datetime) -> time_machine.travel:
    return time_machine.travel(destination, tick=True)
