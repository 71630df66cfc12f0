"""An hourly contract between an owner in Los Angeles and an assistant in Manila."""

from __future__ import annotations

import re

from marketplace.hiring.services import apply_to_task
from marketplace.tasks.models import BudgetType, Engagement
from marketplace.timesheets.models import Timesheet
from tests.factories import make_assistant, make_owner, make_task
from tests.payments.helpers import quoted_total


def hourly_scene(session, rate_cents: int = 2500, weekly_hours: int = 10):
    owner = make_owner(session, timezone="America/Los_Angeles")
    task = make_task(
        session,
        owner,
        title="Inbox and calendar, ten hours a week",
        engagement=Engagement.RECURRING,
        estimated_hours=None,
        hours_per_week=weekly_hours,
        budget_type=BudgetType.HOURLY,
        budget_cents=None,
        max_hourly_rate_cents=4000,
    )
    assistant = make_assistant(session, email=f"va-{owner.id}@example.com")
    assistant.timezone = "Asia/Manila"
    proposal = apply_to_task(
        session,
        assistant,
        task.id,
        cover_note="I keep three founders' inboxes at zero.",
        proposed_rate_cents=rate_cents,
    )
    session.flush()
    return owner, assistant, proposal


def hire_hourly(client, proposal, weekly_hours: int = 10) -> int:
    response = client.post(
        f"/proposals/{proposal.id}/hire",
        {
            "kind": "hourly",
            "hours": str(weekly_hours),
            "quoted_total_cents": quoted_total(client, proposal.id, weekly_hours),
            "action": "hire",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/contracts/(\d+)", response.location).group(1))


def log(client, contract_id: int, day: str, hours: int, minutes: int = 0, memo: str = "Inbox"):
    return client.post(
        f"/contracts/{contract_id}/time",
        {"work_date": day, "hours": str(hours), "minutes": str(minutes), "memo": memo},
    )


def sheet_of(session, contract_id: int, week_start) -> Timesheet:
    session.expire_all()
    return session.query(Timesheet).filter_by(contract_id=contract_id, week_start=week_start).one()
