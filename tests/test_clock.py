"""One clock: `marketplace.db.utcnow` is the app's only "now", so moving it (time-machine)
moves deadlines, working-hour windows, the matcher's week and the suite itself."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from marketplace.db import today_in, utcnow
from marketplace.errors import Invalid
from tests.clock import next_utc, suite_destination
from tests.factories import make_assistant, make_owner, make_task


def test_a_deadline_is_judged_by_the_day_in_the_tasks_own_zone(db_session, time_machine):
    time_machine.move_to(datetime(2027, 3, 14, 23, 30, tzinfo=UTC))  # the 15th in Manila
    owner = make_owner(db_session)
    assert today_in("Asia/Manila") == date(2027, 3, 15)
    assert today_in("America/Los_Angeles") == date(2027, 3, 14)
    make_task(db_session, owner, timezone="Asia/Manila", deadline=date(2027, 3, 15))
    with pytest.raises(Invalid, match="in the past"):
        make_task(db_session, owner, timezone="Asia/Manila", deadline=date(2027, 3, 14))
    make_task(db_session, owner, timezone="America/Los_Angeles", deadline=date(2027, 3, 14))


@pytest.mark.parametrize(
    ("moment", "office_day_utc"),
    [
        (datetime(2027, 1, 12, 15, 0, tzinfo=UTC), (14, 22)),  # New York on EST
        (datetime(2027, 7, 12, 15, 0, tzinfo=UTC), (13, 21)),  # and on EDT
    ],
)
def test_the_shared_hours_window_follows_the_clock_across_daylight_saving(
    app, db_session, time_machine, moment, office_day_utc
):
    """The window the owner reads comes from the matcher, measured from the app's today."""
    from marketplace.matches.index import MatcherIndex, to_matching_task

    time_machine.move_to(moment)
    owner = make_owner(db_session)
    va = make_assistant(db_session, timezone="UTC", work_start=time(0, 0), work_end=time(23, 59))
    task = make_task(db_session, owner, timezone="America/New_York")
    [match] = [
        m
        for m in MatcherIndex().current(db_session).rank_assistants(to_matching_task(task), k=5)
        if m.id == va.id
    ]
    window = match.explanation["overlap_window"]
    start, end = (datetime.fromisoformat(window[k]) for k in ("start", "end"))
    assert (start.hour, end.hour) == office_day_utc
    assert start.date() >= moment.date()  # a working day from today on, not a stale one


def test_the_matcher_measures_the_week_from_the_apps_today(app, db_session, time_machine):
    from marketplace.matches.index import MatcherIndex

    make_assistant(db_session)
    index = MatcherIndex()
    time_machine.move_to(datetime(2027, 3, 13, 12, 0, tzinfo=UTC))
    assert index.current(db_session).config.reference_date == date(2027, 3, 13)
    time_machine.move_to(datetime(2027, 3, 20, 12, 0, tzinfo=UTC))  # a week on: after DST
    assert index.current(db_session).config.reference_date == date(2027, 3, 20)


def test_the_suite_travels_forward_to_the_time_it_is_given():
    after = datetime(2027, 3, 14, 8, 0, tzinfo=UTC)
    assert next_utc("08:59", after=after) == datetime(2027, 3, 14, 8, 59, tzinfo=UTC)
    assert next_utc("00:30", after=after) == datetime(2027, 3, 15, 0, 30, tzinfo=UTC)
    assert next_utc(time(8, 0), after=after) == datetime(2027, 3, 15, 8, 0, tzinfo=UTC)
    pinned = suite_destination("2027-03-14T23:59:00")
    assert pinned == datetime(2027, 3, 14, 23, 59, tzinfo=UTC)
    travelled = suite_destination("23:59")
    assert travelled.time() == time(23, 59) and travelled > utcnow() - timedelta(seconds=1)
    assert suite_destination("") is None
