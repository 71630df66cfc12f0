"""Fair exposure where tasks are ranked: an assistant newly recommended to the day's cap of
tasks is passed over until tomorrow, a complete new profile gets one of the places kept for
newcomers and the owner's page says why, and learning reads the latest events with owners."""

from datetime import timedelta

import time_machine
from sqlalchemy import select

from marketplace.db import utcnow
from marketplace.matches import events
from marketplace.matches.explain import SHOWN_BY_QUOTA
from marketplace.matches.jobs import rank_and_store_task
from marketplace.matches.models import EventKind, Match
from marketplace.profiles.models import AssistantProfile
from tests.factories import make_assistant, make_owner, make_task

STRONG = dict(
    headline="QuickBooks bookkeeper for small shops",
    bio="Monthly QuickBooks reconciliations, bank feeds and about 200 transactions a month.",
    skills=["QuickBooks", "bookkeeping"],
)
LESSER = dict(
    headline="Bookkeeper",
    bio="Invoices and bank reconciliations for small firms.",
    skills=["bookkeeping"],
)


def listed(session, task) -> set[int]:
    session.expire_all()
    return set(
        session.scalars(
            select(Match.assistant_id).where(
                Match.task_id == task.id, Match.ranked_for_task.is_(True)
            )
        )
    )


def rank(app, session, task) -> None:
    with app.app_context():  # what the job does
        rank_and_store_task(session, task, announce=False)
    session.commit()


def reviewed(session, *users) -> None:
    for user in users:
        profile = session.get(AssistantProfile, user.id)
        profile.review_count, profile.rating = 12, 4.9
    session.commit()


def test_an_assistant_recommended_to_the_days_cap_of_tasks_waits_until_tomorrow(
    app, db_session, monkeypatch
):
    monkeypatch.setitem(app.config, "MATCHES_PER_TASK", 2)
    monkeypatch.setitem(app.config, "MATCHER_DAILY_RECOMMENDATION_CAP", 2)
    monkeypatch.setitem(app.config, "MATCHER_NEWCOMER_SHARE", 0.0)
    owner = make_owner(db_session)
    best = [make_assistant(db_session, display_name=f"Ada {i}", **STRONG) for i in range(2)]
    rest = [make_assistant(db_session, display_name=f"Bo {i}", **LESSER) for i in range(2)]
    reviewed(db_session, *best, *rest)
    tasks = [make_task(db_session, owner) for _ in range(3)]
    db_session.commit()
    for task in tasks:
        rank(app, db_session, task)
    top, others = {u.id for u in best}, {u.id for u in rest}
    assert listed(db_session, tasks[0]) == listed(db_session, tasks[1]) == top
    assert listed(db_session, tasks[2]) == others  # the best two reached the cap today
    rank(app, db_session, tasks[0])  # re-ranked: places already held are not new ones
    assert listed(db_session, tasks[0]) == top
    with time_machine.travel(utcnow() + timedelta(days=1), tick=False):
        task = make_task(db_session, owner)
        db_session.commit()
        rank(app, db_session, task)
        assert listed(db_session, task) == top
    # with no cap, the best two are everyone's
    monkeypatch.setitem(app.config, "MATCHER_DAILY_RECOMMENDATION_CAP", 0)
    rank(app, db_session, tasks[2])
    assert listed(db_session, tasks[2]) == top


def test_a_complete_new_profile_gets_a_kept_place_and_the_owner_is_told_why(
    app, client, db_session, monkeypatch
):
    monkeypatch.setitem(app.config, "MATCHES_PER_TASK", 3)
    monkeypatch.setitem(app.config, "MATCHER_NEWCOMER_SHARE", 0.34)  # one place of three
    owner = make_owner(db_session, display_name="Dana Baker")
    veterans = [make_assistant(db_session, display_name=f"Vera {i}", **STRONG) for i in range(4)]
    reviewed(db_session, *veterans)
    nina = make_assistant(db_session, display_name="Nina Newcomer", **LESSER)
    task = make_task(db_session, owner)
    db_session.commit()
    rank(app, db_session, task)
    rows = {
        m.assistant_id: m for m in db_session.scalars(select(Match).where(Match.task_id == task.id))
    }
    assert nina.id in rows and len(rows) == 3
    assert rows[nina.id].explanation["shown_by"] == SHOWN_BY_QUOTA
    assert rows[nina.id].score < min(m.score for a, m in rows.items() if a != nina.id)
    assert all("shown_by" not in m.explanation for a, m in rows.items() if a != nina.id)

    client.login_as(owner)
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    section = page[page.index("Recommended assistants") :]
    line = "New on Delegate: shown in a place kept for new assistants with complete profiles"
    assert section.count(line) == 1
    assert section.index("Nina Newcomer") < section.index(line)
    # in score order: her kept place is below the two veterans shown
    shown = [f"Vera {i}" for i in range(4) if f"Vera {i}" in section]
    assert len(shown) == 2
    assert all(section.index(name) < section.index("Nina Newcomer") for name in shown)

    # without the kept places she is not among the three
    monkeypatch.setitem(app.config, "MATCHER_NEWCOMER_SHARE", 0.0)
    rank(app, db_session, task)
    assert nina.id not in listed(db_session, task)


def test_a_hired_or_incomplete_profile_is_no_newcomer(app, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "MATCHES_PER_TASK", 3)
    monkeypatch.setitem(app.config, "MATCHER_NEWCOMER_SHARE", 0.34)
    owner = make_owner(db_session)
    veterans = [make_assistant(db_session, display_name=f"Vera {i}", **STRONG) for i in range(4)]
    reviewed(db_session, *veterans)
    hired = make_assistant(db_session, display_name="Hal Hired", **LESSER)
    task = make_task(db_session, owner)
    earlier = make_task(db_session, owner, title="Year-end books")
    db_session.commit()
    # hired for another task, not reviewed yet: there is a history
    events.record(db_session, EventKind.HIRE, earlier.id, hired.id, "contract:1")
    db_session.commit()
    rank(app, db_session, task)
    assert hired.id not in listed(db_session, task)


def test_learning_reads_the_latest_events_with_each_tasks_owner(db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner)
    vas = [make_assistant(db_session, display_name=f"Joy {i}") for i in range(3)]
    db_session.flush()
    shown = [(va.id, 0.5, {"text": 0.5}) for va in vas]
    events.record_impressions(db_session, task.id, shown)
    db_session.flush()
    latest = events.training_events(db_session, limit=2)
    assert [(e.assistant_id, e.position) for e in latest] == [(vas[1].id, 2), (vas[2].id, 3)]
    assert {e.owner_id for e in latest} == {owner.id}
    assert len(events.training_events(db_session)) == 3


def test_the_page_and_the_matcher_name_the_kept_places_alike():
    from matching import exposure  # the worker's side; pages never import it

    assert SHOWN_BY_QUOTA == exposure.SHOWN_BY_QUOTA
