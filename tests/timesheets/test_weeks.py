"""Which week a day of work lands in and when that week closes, across zones and DST."""

from datetime import UTC, date, datetime

from marketplace.timesheets.weeks import closes_at, format_minutes, week_start


def test_a_day_belongs_to_the_monday_to_sunday_week_holding_it():
    assert week_start(date(2026, 12, 7)) == date(2026, 12, 7)  # a Monday
    assert week_start(date(2026, 12, 13)) == date(2026, 12, 7)  # its Sunday
    assert week_start(date(2026, 12, 14)) == date(2026, 12, 14)


def test_a_manila_assistant_keeps_logging_until_the_la_owners_sunday_ends():
    # Sunday 13 Dec ends at 08:00 UTC on the 14th in Los Angeles, 16:00 UTC on the 13th in
    # Manila: the week closes at the later, so the assistant's Monday morning is still open.
    assert closes_at(date(2026, 12, 7), "America/Los_Angeles", "Asia/Manila") == datetime(
        2026, 12, 14, 8, 0, tzinfo=UTC
    )


def test_across_the_date_line_the_assistant_behind_gets_their_whole_sunday():
    # Owner in Auckland (UTC+13 in December), assistant in Honolulu (UTC-10): the owner's
    # Sunday ends 23 hours before the assistant's; the week waits for the assistant's.
    closing = closes_at(date(2026, 12, 7), "Pacific/Auckland", "Pacific/Honolulu")
    assert closing == datetime(2026, 12, 14, 10, 0, tzinfo=UTC)


def test_a_week_holding_a_daylight_saving_change_still_ends_at_local_midnight():
    # US clocks went back on Sunday 1 Nov 2026: that week ends at 00:00 PST (08:00 UTC) on
    # Monday 2 Nov, the week before at 00:00 PDT (07:00 UTC) on Monday 26 Oct.
    assert closes_at(date(2026, 10, 26), "America/New_York", "America/Los_Angeles") == datetime(
        2026, 11, 2, 8, 0, tzinfo=UTC
    )
    assert closes_at(date(2026, 10, 19), "America/Los_Angeles") == datetime(
        2026, 10, 26, 7, 0, tzinfo=UTC
    )


def test_durations_read_as_people_write_them():
    assert [format_minutes(m) for m in (5, 60, 90, 600)] == ["5 min", "1 h", "1 h 30 min", "10 h"]
