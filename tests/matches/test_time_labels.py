"""Every time shown names its zone unambiguously: the zone's city and the UTC offset in force.

"PST" is both Asia/Manila and America/Los_Angeles; America/Bogota has no abbreviation at all
and prints "-05". Moments here are fixed, so nothing depends on today's date or DST.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

import pytest

from marketplace.filters import zone_label
from marketplace.matches.explain import explain
from marketplace.profiles.services import get_profile
from tests.factories import make_assistant, make_owner, make_task, task_form
from tests.notifications.mailbox import body_html, body_text

WINTER = datetime(2026, 1, 15, 22, 0, tzinfo=UTC)
SUMMER = datetime(2026, 7, 15, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "at", "label"),
    [
        ("Asia/Manila", WINTER, "Manila (UTC+8)"),
        ("America/Los_Angeles", WINTER, "Los Angeles (UTC-8)"),
        ("America/Los_Angeles", SUMMER, "Los Angeles (UTC-7)"),
        ("America/Bogota", WINTER, "Bogota (UTC-5)"),
        ("Asia/Kolkata", WINTER, "Kolkata (UTC+5:30)"),
        ("Asia/Kathmandu", WINTER, "Kathmandu (UTC+5:45)"),
        ("America/St_Johns", WINTER, "St Johns (UTC-3:30)"),
        ("Europe/London", WINTER, "London (UTC+0)"),
        ("America/Argentina/Buenos_Aires", WINTER, "Buenos Aires (UTC-3)"),
        ("UTC", WINTER, "UTC"),
        ("Etc/GMT+5", WINTER, "UTC-5"),
        ("Not/A_Zone", WINTER, "Not/A_Zone"),
    ],
)
def test_zone_labels_name_the_city_and_the_offset_in_force(zone, at, label):
    assert zone_label(zone, at) == label


def test_the_same_moment_reads_right_for_viewers_in_two_zones(app, client, db_session):
    owner = make_owner(db_session, timezone="America/Los_Angeles")
    task = make_task(db_session, owner)
    task.created_at = WINTER
    db_session.flush()
    manila, bogota = make_assistant(db_session), make_assistant(db_session)
    manila.timezone, bogota.timezone = "Asia/Manila", "America/Bogota"  # the viewer's own zone
    db_session.flush()

    client.login_as(owner)
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "15 Jan 2026, 14:00 Los Angeles (UTC-8)" in page
    assert "Times are shown in Los Angeles (UTC-" in page

    client.login_as(manila)
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "16 Jan 2026, 06:00 Manila (UTC+8)" in page
    assert "Times are shown in Manila (UTC+8)." in page
    assert "New York (UTC-" in page  # the owner's zone, as the task states it

    client.login_as(bogota)
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "15 Jan 2026, 17:00 Bogota (UTC-5)" in page
    for ambiguous in ("PST", "PDT", " -05", "EST", "EDT"):
        assert ambiguous not in page


def test_match_explanations_label_both_zones(db_session):
    owner = make_owner(db_session, timezone="America/Los_Angeles")
    task = make_task(db_session, owner, timezone="America/Los_Angeles")
    va = make_assistant(
        db_session, timezone="Asia/Manila", work_start=time(20, 0), work_end=time(4, 0)
    )
    from marketplace.matches.index import MatcherIndex, to_matching_task

    ranked = MatcherIndex().current(db_session).rank_assistants(to_matching_task(task), k=5)
    (explanation,) = [m.explanation for m in ranked if m.id == va.id]  # as the job stores it
    profile = get_profile(db_session, va.id)
    (line,) = [x for x in explain(explanation, task, profile, owner=True) if "Working" in x]
    assert re.fullmatch(
        r"Working time: 3 h a day in common, 09:00–1[23]:00 Los Angeles \(UTC-[78]\)"
        r" = 0[01]:00–04:00 Manila \(UTC\+8\)",
        line,
    ), line
    (mine,) = [x for x in explain(explanation, task, profile, owner=False) if "Working" in x]
    assert mine.index("Manila (UTC+8)") < mine.index("Los Angeles (UTC-")  # her zone first


def test_emails_label_times_the_same_way(smtp_app, client, db_session, mailbox):
    make_assistant(
        db_session, display_name="Joy Santos", email="joy@va.example", timezone="Asia/Manila",
        skills=["Gmail", "inbox management"], work_start=time(20, 0), work_end=time(4, 0),
    )  # fmt: skip
    client.login_as(make_owner(db_session, timezone="America/Los_Angeles"))
    response = client.post("/tasks/new", task_form(timezone="America/Los_Angeles"))
    assert response.status_code == 302
    (message,) = [m for m in mailbox.to("joy@va.example") if m["Subject"].startswith("New job")]
    for body in (body_text(message), body_html(message)):
        assert re.search(r"Manila \(UTC\+8\) = \d\d:\d\d–\d\d:\d\d Los Angeles \(UTC-[78]\)", body)
        assert "PST" not in body and "America/Los_Angeles" not in body
