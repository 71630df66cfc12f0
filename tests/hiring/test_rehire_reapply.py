"""Second chances: a cancelled assistant can be hired again on the task, a withdrawn
proposal can be sent again (and the owner hears of it again)."""

from sqlalchemy import select

from marketplace.contracts.models import Contract, ContractStatus
from marketplace.hiring.models import Proposal, ProposalStatus
from marketplace.tasks.models import Task, TaskStatus
from tests.payments.helpers import contract, funded_contract, hire, proposal_scene


def test_a_cancelled_assistant_can_be_hired_again_on_the_task(client, db_session):
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    first = hire(client, proposal, hours=10)
    assert client.post(f"/contracts/{first}/cancel").status_code == 302
    page = client.get(f"/tasks/{proposal.task_id}/proposals").get_data(as_text=True)
    assert f"Hire {assistant.display_name}" in page

    second = hire(client, proposal, hours=6)
    assert second != first
    assert contract(db_session, first).status == ContractStatus.CANCELLED
    c = contract(db_session, second)
    assert (c.status, c.hours, c.assistant_id) == (ContractStatus.AWAITING_FUNDING, 6, assistant.id)
    assert db_session.get(Task, c.task_id).status == TaskStatus.HIRED
    assert db_session.get(Proposal, proposal.id).status == ProposalStatus.ACCEPTED
    # Still only one live contract per proposal.
    again = client.post(
        f"/proposals/{proposal.id}/hire",
        {"hours": "6", "quoted_total_cents": "15000", "action": "hire"},
    )
    assert again.status_code == 409


def test_hired_again_after_a_refunded_contract(client, db_session, stripe_relay):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    first = funded_contract(client, stripe_relay, db_session, proposal)
    client.post(f"/contracts/{first}/cancel")
    stripe_relay.deliver(client)
    assert contract(db_session, first).status == ContractStatus.REFUNDED
    second = hire(client, proposal)
    live = db_session.scalars(
        select(Contract.id).where(
            Contract.proposal_id == proposal.id,
            Contract.status == ContractStatus.AWAITING_FUNDING,
        )
    ).all()
    assert live == [second]


def test_a_withdrawn_proposal_can_be_sent_again_and_the_owner_is_told(
    client, other_client, db_session, smtp_app, mailbox
):
    owner, assistant, proposal = proposal_scene(db_session)
    other_client.login_as(assistant)
    assert other_client.post(f"/proposals/{proposal.id}/withdraw").status_code == 302
    mine = other_client.get("/proposals").get_data(as_text=True)
    assert "Apply again" in mine
    form = other_client.get(f"/tasks/{proposal.task_id}/apply").get_data(as_text=True)
    assert "You withdrew your proposal" in form
    assert "I have done exactly this for five bakeries." in form  # what it said before

    sent = other_client.post(
        f"/tasks/{proposal.task_id}/apply",
        {
            "cover_note": "Back again: I can start Monday and keep the same hours.",
            "proposed_rate": "28.00",
        },
    )
    assert sent.status_code == 302
    db_session.expire_all()
    again = db_session.get(Proposal, proposal.id)  # the same row, sent again
    assert again.status == ProposalStatus.SUBMITTED
    assert (again.proposed_rate_cents, again.revision) == (2800, 2)
    assert again.cover_note.startswith("Back again")
    subjects = [m["Subject"].strip() for m in mailbox.to(owner.email)]
    assert len([s for s in subjects if s.startswith("New proposal")]) == 2

    # Sent once: a second submission of the same form is refused, with no third email.
    twice = other_client.post(
        f"/tasks/{proposal.task_id}/apply",
        {
            "cover_note": "Back again: I can start Monday and keep the same hours.",
            "proposed_rate": "28.00",
        },
    )
    assert twice.status_code == 409
    assert len(mailbox.to(owner.email)) == 2

    client.login_as(owner)
    contract_id = hire(client, again, hours=4)
    assert contract(db_session, contract_id).rate_cents == 2800
