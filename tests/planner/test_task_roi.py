"""The owner's task page says what handing the task off frees and costs, from the owner's
own hourly worth and the recommended assistants' rates."""

from marketplace.db import utcnow
from marketplace.matches.models import Match
from marketplace.planner.models import Plan
from marketplace.tasks.models import BudgetType, Engagement
from tests.factories import make_assistant, make_owner, make_task


def matched(session, task, rates):
    now = utcnow()
    for i, rate in enumerate(rates):
        va = make_assistant(session, skills=["Gmail"], hourly_rate_cents=rate)
        session.add(
            Match(
                task_id=task.id,
                assistant_id=va.id,
                score=0.6 + i / 100,
                explanation={"matched_skills": ["Gmail"], "overlap_hours": 2},
                matcher_version="test",
                ranked_for_task=True,
                ranked_for_assistant=True,
                created_at=now,
                updated_at=now,
            )  # fmt: skip
        )
    session.flush()


def recurring_task(session, owner):
    return make_task(
        session,
        owner,
        title="Inbox, ten hours a week",
        engagement=Engagement.RECURRING,
        estimated_hours=None,
        hours_per_week=10,
        budget_type=BudgetType.HOURLY,
        budget_cents=None,
        max_hourly_rate_cents=4000,
    )


def roi_line(client, task) -> str:
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    start = page.index('data-testid="roi">') + len('data-testid="roi">')
    return page[start : page.index("</p>", start)]


def test_the_line_prices_the_hours_at_the_owners_worth_and_the_middle_market_rate(
    client, db_session
):
    owner = make_owner(db_session)
    task = recurring_task(db_session, owner)
    matched(db_session, task, [2000, 3000, 2500])
    db_session.add(Plan(owner_id=owner.id, hourly_worth_cents=12000, currency="USD"))
    db_session.flush()
    client.login_as(owner)
    line = roi_line(client, task)
    assert line.startswith(
        "Frees about 10 h a week of your time, worth $1,200, for about $250 a week"
    )
    assert "the middle rate of the 3 assistants recommended below" in line


def test_without_a_plan_it_asks_for_the_owners_worth(client, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner)  # one-off, 10 hours
    matched(db_session, task, [2200])
    client.login_as(owner)
    line = roi_line(client, task)
    assert line.startswith("Frees about 10 h of your time, for about $220 at today")
    assert "Say what your hour is worth" in line
