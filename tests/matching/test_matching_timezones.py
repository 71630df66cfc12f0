import datetime as dt

import pytest

from matching import Assistant, Matcher, MatcherConfig, Task
from matching.timezones import overlap_hours

BEFORE_ANY = dt.date(2025, 3, 3)  # both US and UK on standard time all week
US_ONLY = dt.date(2025, 3, 10)  # US on daylight time, UK not yet (its change is 30 March)
SPANS_US = dt.date(2025, 3, 6)  # week contains the US change on Sunday 9 March
BOTH = dt.date(2025, 4, 7)


@pytest.mark.parametrize(
    ("reference", "expected"),
    [(BEFORE_ANY, 3.0), (US_ONLY, 4.0), (SPANS_US, 3.0), (BOTH, 3.0)],
)
def test_new_york_london_across_dst(reference, expected):
    got = overlap_hours(
        "America/New_York", "09:00", "17:00", "Europe/London", None, None, reference
    )
    assert got == pytest.approx(expected)


def test_india_half_hour_offset():
    # IST is UTC+5:30 all year: 09:00-17:00 is 03:30-11:30 UTC, London 09:00-17:00 GMT
    assert overlap_hours(
        "Asia/Kolkata", "09:00", "17:00", "Europe/London", None, None, BEFORE_ANY
    ) == pytest.approx(2.5)
    # after the UK change London works 08:00-16:00 UTC
    assert overlap_hours(
        "Asia/Kolkata", "09:00", "17:00", "Europe/London", None, None, BOTH
    ) == pytest.approx(3.5)


@pytest.mark.parametrize(("reference", "expected"), [(BEFORE_ANY, 4.5), (US_ONLY, 5.5)])
def test_newfoundland_half_hour_and_dst(reference, expected):
    # St John's: UTC-3:30, UTC-2:30 in summer (changes with the US on 9 March)
    assert overlap_hours(
        "America/St_Johns", "09:00", "17:00", "Europe/London", None, None, reference
    ) == pytest.approx(expected)
    assert overlap_hours(
        "America/St_Johns", "09:00", "17:00", "America/New_York", None, None, reference
    ) == pytest.approx(6.5)


def test_night_shift_crossing_midnight():
    # Manila 21:00-05:00 (UTC+8) is 13:00-21:00 UTC, New York's whole summer office day
    assert overlap_hours(
        "Asia/Manila", "21:00", "05:00", "America/New_York", None, None, BOTH
    ) == pytest.approx(8.0)


def test_dst_change_inside_the_week_counts_the_worst_day():
    # the week of 3 March 2025 ends on Sunday 9 March, when New York moves to UTC-4: that one
    # day Manila 22:00-06:00 (14:00-22:00 UTC) shares only 7 of New York's hours
    assert overlap_hours(
        "Asia/Manila", "22:00", "06:00", "America/New_York", None, None, BEFORE_ANY
    ) == pytest.approx(7.0)


def test_far_apart_zones_have_no_overlap():
    assert (
        overlap_hours(
            "Asia/Kolkata", "09:00", "17:00", "America/Los_Angeles", None, None, BEFORE_ANY
        )
        == 0.0
    )


def test_overlap_requirement_follows_dst_in_the_matcher():
    a = Assistant(id="ny", headline="assistant", timezone="America/New_York")
    task = Task(id="t", title="assistant", timezone="Europe/London", overlap_hours=4)
    before = Matcher(MatcherConfig(reference_date=BEFORE_ANY)).fit([a])
    during = Matcher(MatcherConfig(reference_date=US_ONLY)).fit([a])
    assert before.rank_assistants(task) == []  # only 3 shared hours
    (m,) = during.rank_assistants(task)
    assert m.explanation["overlap_hours"] == 4.0
    # the reverse direction sees the same pair the same way
    (t,) = during.fit([a], [task]).rank_tasks(a)
    assert t.id == "t" and t.score == pytest.approx(m.score)
