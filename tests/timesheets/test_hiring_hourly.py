"""How hourly contracts come about: an invitation to recurring work, an owner's choice for a
one-off, and the weekly limit's bounds on the hire page."""

import re

from sqlalchemy import func, select

from marketplace.contracts.models import Contract, ContractKind, ContractStatus
from marketplace.hiring.services import apply_to_task
from marketplace.matches.services import invite_assistant
from marketplace.tasks.models import TaskStatus
from tests.factories import make_assistant, make_owner, make_task
from tests.payments.helpers import contract, quoted_total
from tests.timesheets.helpers import hire_hourly, hourly_scene


def test_accepting_an_invitation_to_recurring_work_starts_an_hourly_contract(client, db_session):
    owner, assistant, proposal = hourly_scene(db_session)
    other = make_assistant(db_session, email="invited@example.com", hourly_rate_cents=2200)
    invite_assistant(db_session, owner, proposal.task_id, other.id, 2200, per_day=10)
    client.login_as(other)
    response = client.post(f"/tasks/{proposal.task_id}/accept-invitation")
    assert response.status_code == 302
    c = contract(db_session, int(response.location.rsplit("/", 1)[1]))
    # The invitation's terms: the rate shown, the task's 10 hours as the weekly limit.
    assert (c.kind, c.status, c.rate_cents, c.hours) == (
        ContractKind.HOURLY,
        ContractStatus.ACTIVE,
        2200,
        10,
    )
    assert (c.total_cents, c.fee_cents, c.fee_bps) == (0, 0, 1000)


def test_an_owner_may_hire_a_one_off_by_the_hour(client, db_session):
    owner = make_owner(db_session)
    task = make_task(db_session, owner)  # one-off, 10 hours, fixed budget
    assistant = make_assistant(db_session, email="oneoff@example.com")
    proposal = apply_to_task(
        db_session,
        assistant,
        task.id,
        cover_note="Happy to bill by the hour.",
        proposed_rate_cents=3000,
    )
    client.login_as(owner)
    page = client.get(f"/proposals/{proposal.id}/hire").get_data(as_text=True)
    assert re.search(r'<input checked[^>]* value="fixed"', page)  # a one-off: fixed by default
    contract_id = hire_hourly(client, proposal, weekly_hours=8)
    c = contract(db_session, contract_id)
    assert (c.kind, c.hours, c.status) == (ContractKind.HOURLY, 8, ContractStatus.ACTIVE)
    assert db_session.get(type(task), task.id).status == TaskStatus.HIRED


def test_a_weekly_limit_past_sixty_hours_is_a_form_message(client, db_session):
    owner, _, proposal = hourly_scene(db_session)
    client.login_as(owner)
    response = client.post(
        f"/proposals/{proposal.id}/hire",
        {
            "kind": "hourly",
            "hours": "61",
            "quoted_total_cents": quoted_total(client, proposal.id, 61),
            "action": "hire",
        },
    )
    assert response.status_code == 422
    assert "Agree between 1 and 60 hours a week." in response.get_data(as_text=True)
    hired = db_session.scalar(select(func.count()).where(Contract.proposal_id == proposal.id))
    assert hired == 0
