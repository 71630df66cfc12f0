"""A task open to more than one hire: the owner says how many assistants they want, the task
stays listed until that many contracts hold it, one more is refused, and a cancelled contract
frees its opening."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.accounts.export import export_for
from marketplace.contracts.models import Contract
from marketplace.hiring.services import apply_to_task
from marketplace.tasks.models import Task, TaskStatus
from tests.factories import make_assistant, make_owner, make_task, task_form
from tests.payments.helpers import hire, hire_response, quoted_total


def _applicants(session, task, n: int):
    proposals = []
    for i in range(n):
        assistant = make_assistant(session, email=f"va-{task.id}-{i}@example.com")
        proposals.append(
            apply_to_task(
                session,
                assistant,
                task.id,
                cover_note="I answer customer emails for two shops.",
                proposed_rate_cents=2000 + i,
            )
        )
    session.flush()
    return proposals


def _hiring(client, session, applicants: int, **task_fields):
    """An owner logged in, their task and the proposals of `applicants` assistants."""
    owner = make_owner(session)
    task = make_task(session, owner, **task_fields)
    proposals = _applicants(session, task, applicants)
    session.commit()
    client.login_as(owner)
    return task, proposals


def _listed(client, title: str) -> bool:
    return title in client.get("/jobs").get_data(as_text=True)


def test_posting_a_task_for_two_assistants(client, db_session):
    owner = make_owner(db_session)
    client.login_as(owner)
    response = client.post(
        "/tasks/new", task_form(title="Customer emails", openings="2"), follow_redirects=True
    )
    assert response.status_code == 200
    task = db_session.scalar(select(Task).where(Task.title == "Customer emails"))
    assert task.openings == 2
    assert "Assistants wanted" in response.get_data(as_text=True)


def test_more_openings_than_allowed_is_refused_on_the_form(client, db_session):
    client.login_as(make_owner(db_session))
    response = client.post("/tasks/new", task_form(title="Too many", openings="21"))
    assert response.status_code == 422
    assert "Between 1 and 20 assistants." in response.get_data(as_text=True)
    assert db_session.scalar(select(Task).where(Task.title == "Too many")) is None


def test_the_task_stays_listed_until_every_opening_is_taken(client, other_client, db_session):
    task, (first, second, third) = _hiring(
        client, db_session, 3, title="Customer emails for the shop", openings=2
    )

    hire(client, first, hours=5)
    db_session.refresh(task)
    assert task.status == TaskStatus.OPEN  # one of two hired: still looking
    other_client.login_as(third.assistant)
    assert _listed(other_client, "Customer emails for the shop")

    hire(client, second, hours=5)
    db_session.refresh(task)
    assert task.status == TaskStatus.HIRED

    refused = hire_response(client, third.id, 5)
    assert refused.status_code == 409
    assert "already has the 2 assistants you asked for" in refused.get_data(as_text=True)
    assert len(db_session.scalars(select(Contract).where(Contract.task_id == task.id)).all()) == 2

    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert first.assistant.display_name in page and second.assistant.display_name in page
    assert "2 (2 hired)" in page


def test_raising_the_number_when_hiring_hires_one_more(client, db_session):
    task, (first, second) = _hiring(client, db_session, 2)
    hire(client, first, hours=5)
    db_session.refresh(task)
    assert task.status == TaskStatus.HIRED

    response = client.post(
        f"/proposals/{second.id}/hire",
        {
            "hours": "5",
            "quoted_total_cents": quoted_total(client, second.id, 5),
            "openings": "2",
            "action": "hire",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db_session.refresh(task)
    assert (task.openings, task.status) == (2, TaskStatus.HIRED)


def test_a_number_below_those_hired_is_refused(client, db_session):
    task, (first, second) = _hiring(client, db_session, 2, openings=3)
    hire(client, first, hours=5)
    hire(client, second, hours=5)

    response = client.post(f"/tasks/{task.id}/edit", task_form(openings="1"))
    assert response.status_code == 422
    assert "You have hired 2 assistants on this task: ask for 2 or more." in response.get_data(
        as_text=True
    )
    db_session.refresh(task)
    assert (task.openings, task.status) == (3, TaskStatus.OPEN)

    # Asking for exactly the two hired ends the search: the task leaves the listings.
    assert client.post(f"/tasks/{task.id}/edit", task_form(openings="2")).status_code == 302
    db_session.refresh(task)
    assert (task.openings, task.status) == (2, TaskStatus.HIRED)


def test_a_cancelled_contract_frees_its_opening(client, db_session):
    task, (first, second, third) = _hiring(client, db_session, 3, title="Two inboxes", openings=2)
    hire(client, first, hours=5)
    cancelled = hire(client, second, hours=5)
    db_session.refresh(task)
    assert task.status == TaskStatus.HIRED

    assert client.post(f"/contracts/{cancelled}/cancel").status_code == 302
    db_session.refresh(task)
    assert task.status == TaskStatus.OPEN
    hire(client, third, hours=5)
    db_session.refresh(task)
    assert task.status == TaskStatus.HIRED


def test_one_finished_contract_does_not_complete_a_task_still_worked_on(client, db_session):
    from marketplace.contracts import services as contracts

    task, (first, second) = _hiring(client, db_session, 2, openings=2)
    done, still = hire(client, first, hours=5), hire(client, second, hours=5)
    for contract_id, status in ((done, "paid"), (still, "funded")):
        db_session.get(Contract, contract_id).status = status
    db_session.flush()
    db_session.refresh(task)

    contracts.finish_task(db_session, task)
    assert task.status == TaskStatus.HIRED
    db_session.get(Contract, still).status = "paid"
    db_session.flush()
    contracts.finish_task(db_session, task)
    assert task.status == TaskStatus.COMPLETED


def test_the_export_carries_the_number(db_session):
    owner = make_owner(db_session)
    make_task(db_session, owner, openings=3)
    assert [t["openings"] for t in export_for(db_session, owner)["tasks"]] == [3]
