"""What a task pays per hour and asks per week: one rule, the same whether read from a loaded
task (the matcher's input, explanations) or in SQL (search's filters and sort by pay)."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.tasks.models import BudgetType, Engagement, Task
from tests.factories import make_owner, make_task

HOURLY, FIXED = BudgetType.HOURLY, BudgetType.FIXED
ONE_OFF, RECURRING = Engagement.ONE_OFF, Engagement.RECURRING
# (what the owner asked for, pay per hour in cents, hours a week)
CASES = [
    (dict(budget_type=HOURLY, max_hourly_rate_cents=2500, budget_cents=None), 2500, 10),
    # $300 over 7 hours: $42.857… a whole number of cents, rounded down, on both sides.
    (dict(budget_cents=30000, estimated_hours=7), 4285, 7),
    (
        dict(
            engagement=RECURRING,
            estimated_hours=None,
            hours_per_week=8,
            budget_type=HOURLY,
            max_hourly_rate_cents=1800,
            budget_cents=None,
        ),
        1800,
        8,
    ),
]


def test_pay_per_hour_and_weekly_hours_agree_in_python_and_sql(db_session):
    owner = make_owner(db_session)
    tasks = [make_task(db_session, owner, **asked) for asked, _, _ in CASES]
    db_session.flush()
    # A one-off edited from recurring keeps its old weekly figure: the one-off's hours count.
    tasks[1].hours_per_week = 30
    db_session.flush()
    rows = db_session.execute(
        select(Task.id, Task.pay_per_hour_cents, Task.weekly_hours).where(
            Task.id.in_([t.id for t in tasks])
        )
    )
    in_sql = {task_id: (pay, weekly) for task_id, pay, weekly in rows}
    for task, (_, pay, weekly) in zip(tasks, CASES, strict=True):
        assert (task.pay_per_hour_cents, task.weekly_hours) == (pay, weekly)
        assert in_sql[task.id] == (pay, weekly), task.id
