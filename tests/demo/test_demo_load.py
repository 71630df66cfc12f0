"""`flask demo load` against the Stripe emulator: a lived-in demo, every money state real.

The loader runs as `make demo` runs it (the CLI, the app's Stripe settings pointing at the
emulator); each contract's ledger, each side's balances and the emulator's own records must
agree, and the pages the README's walk-through names must open for its demo users.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Role, User
from marketplace.contracts.models import Contract, ContractStatus, Milestone, MilestoneStatus
from marketplace.db import utcnow
from marketplace.demo.activity import OWNER1_CONTRACTS, demo_user
from marketplace.demo.data import DEMO_PASSWORD
from marketplace.hiring.models import Proposal, ProposalStatus
from marketplace.matches.models import Invitation
from marketplace.payments import ledger
from marketplace.payments.models import EntryKind, LedgerEntry, PayoutAccount
from marketplace.tasks.models import Task, TaskStatus
from marketplace.timesheets.models import Timesheet, TimesheetStatus

S = ContractStatus
SMALL = ["--owners", "3", "--assistants", "12", "--tasks", "12"]


@pytest.fixture
def demo(app, db_session, stripe_relay):
    result = app.test_cli_runner().invoke(args=["demo", "load", *SMALL])
    assert result.exit_code == 0, result.output
    assert "Contracts through the Stripe emulator" in result.output, result.output
    db_session.expire_all()
    return db_session


def _entries(session, contract: Contract) -> dict[EntryKind, int]:
    rows = session.scalars(select(LedgerEntry).where(LedgerEntry.contract_id == contract.id))
    totals: dict[EntryKind, int] = {}
    for row in rows:
        totals[row.kind] = totals.get(row.kind, 0) + row.amount_cents
    return totals


def _expected(contract: Contract) -> dict[EntryKind, int]:
    charged = {EntryKind.CHARGE: contract.total_cents, EntryKind.FEE: contract.fee_cents}
    return {
        S.AWAITING_FUNDING: {},
        S.CANCELLED: {},
        S.FUNDED: charged,
        S.SUBMITTED: charged,
        S.APPROVED: charged,
        S.PAID: {**charged, EntryKind.TRANSFER: contract.net_cents},
        S.REFUNDED: {
            **charged,
            EntryKind.REFUND: contract.total_cents,
            EntryKind.FEE_REVERSAL: contract.fee_cents,
        },
    }[contract.status]


def hourly_weeks(session, owner) -> list[Timesheet]:
    return list(
        session.scalars(
            select(Timesheet)
            .join(Contract, Contract.id == Timesheet.contract_id)
            .where(Contract.owner_id == owner.id)
            .order_by(Timesheet.week_start)
        )
    )


def test_demo_hourly_contract_has_a_paid_week_a_week_to_review_and_this_weeks_time(
    demo, stripe_relay
):
    session = demo
    owner1 = demo_user(session, Role.OWNER, 1)
    [hourly] = session.scalars(
        select(Contract).where(Contract.owner_id == owner1.id, Contract.kind == "hourly")
    )
    assert hourly.status == S.ACTIVE and hourly.assistant == demo_user(session, Role.ASSISTANT, 2)
    older, last, current = hourly_weeks(session, owner1)
    now = utcnow()
    # Two weeks back: closed and past its review window, approved as logged and paid out.
    assert older.status == TimesheetStatus.PAID and older.auto_approved
    intent = stripe_relay.client.v1.payment_intents.retrieve(older.payment_intent_id)
    assert (intent.status, intent.amount) == ("succeeded", older.amount_cents)
    [transfer] = [t for t in stripe_relay.transfers(hourly.id) if t.id == older.transfer_id]
    assert transfer.amount == older.net_cents
    # Last week: waiting for owner 1 unless it has not closed yet or its window has passed
    # (which of these depends on the weekday the demo is loaded).
    if last.closes_at > now:
        assert last.status == TimesheetStatus.OPEN
    elif last.review_due_at > now:
        assert last.status == TimesheetStatus.IN_REVIEW
    else:
        assert last.status == TimesheetStatus.PAID
    assert current.status == TimesheetStatus.OPEN
    assert [(e.minutes, e.memo) for e in current.entries] == [
        (75, "Morning inbox and two bookings")
    ]


def test_demo_load_makes_every_contract_state_through_the_emulator(demo, stripe_relay):
    session = demo
    owner1 = demo_user(session, Role.OWNER, 1)
    mine = list(
        session.scalars(
            select(Contract).where(Contract.owner_id == owner1.id, Contract.kind == "fixed")
        )
    )
    assert sorted(c.status for c in mine) == sorted(status for status, _ in OWNER1_CONTRACTS)
    everyone = list(
        session.scalars(
            select(Contract).where(
                Contract.kind == "fixed", Contract.funded_per_milestone.is_(False)
            )
        )
    )
    for contract in everyone:
        assert _entries(session, contract) == _expected(contract), contract.status

    by_status = {c.status: c for c in mine}
    # What Stripe (the emulator) holds agrees with the ledger.
    for status in (S.FUNDED, S.SUBMITTED, S.APPROVED, S.PAID, S.REFUNDED):
        intent = stripe_relay.client.v1.payment_intents.retrieve(
            by_status[status].payment_intent_id
        )
        assert (intent.status, intent.amount) == ("succeeded", by_status[status].total_cents)
    [transfer] = stripe_relay.transfers(by_status[S.PAID].id)
    assert transfer.amount == by_status[S.PAID].net_cents
    assert stripe_relay.transfers(by_status[S.APPROVED].id) == []  # assistant 3 not connected
    refund = stripe_relay.client.v1.refunds.retrieve(by_status[S.REFUNDED].refund_id)
    assert refund.amount == by_status[S.REFUNDED].total_cents
    assert by_status[S.AWAITING_FUNDING].payment_intent_id is None
    assert by_status[S.CANCELLED].payment_intent_id is None

    [usd] = ledger.balances_for(session, owner1).values()
    paid = [c for c in mine if c.status not in (S.AWAITING_FUNDING, S.CANCELLED)]
    weeks = hourly_weeks(session, owner1)
    charged = [w for w in weeks if w.status in (TimesheetStatus.CHARGED, TimesheetStatus.PAID)]
    assert usd.paid_cents == sum(c.total_cents for c in paid) + sum(w.amount_cents for w in charged)
    assert usd.refunded_cents == by_status[S.REFUNDED].total_cents
    held = (S.FUNDED, S.SUBMITTED, S.APPROVED)
    assert usd.held_cents == sum(c.total_cents for c in mine if c.status in held)
    # A refund gives the platform fee back with it: only contracts not refunded keep theirs.
    assert usd.fees_cents == sum(c.fee_cents for c in paid if c.status != S.REFUNDED) + sum(
        w.fee_cents for w in charged
    )

    assistant1 = demo_user(session, Role.ASSISTANT, 1)
    assert session.get(PayoutAccount, assistant1.id).payouts_enabled
    [received] = ledger.balances_for(session, assistant1).values()
    paid_to_1 = [c for c in everyone if c.assistant_id == assistant1.id and c.status == S.PAID]
    assert len(paid_to_1) == 2  # owner 1's and owner 2's
    # And owner 2's first milestone of the contract paid for a milestone at a time.
    by_milestone = session.scalars(
        select(Milestone)
        .join(Contract, Contract.id == Milestone.contract_id)
        .where(Contract.funded_per_milestone, Milestone.status == MilestoneStatus.PAID)
    ).all()
    assert len(by_milestone) == 1
    assert received.paid_cents == sum(c.net_cents for c in paid_to_1) + by_milestone[0].net_cents
    assert session.get(PayoutAccount, demo_user(session, Role.ASSISTANT, 3).id) is None


def test_demo_load_adds_proposals_invitations_and_loads_only_once(app, demo):
    session = demo
    owner1 = demo_user(session, Role.OWNER, 1)
    assistant1 = demo_user(session, Role.ASSISTANT, 1)
    open_tasks = session.scalars(
        select(Task).where(Task.owner_id == owner1.id, Task.status == TaskStatus.OPEN)
    ).all()
    proposals = {
        t.id: session.scalar(select(func.count()).where(Proposal.task_id == t.id))
        for t in open_tasks
    }
    with_proposals = [t for t in open_tasks if proposals[t.id]]
    assert len(with_proposals) >= 2
    statuses = dict(
        session.execute(
            select(Proposal.status, func.count())
            .where(Proposal.assistant_id == assistant1.id)
            .group_by(Proposal.status)
        ).all()
    )
    # Accepted: owner 1's funded, submitted and paid contracts; owner 2's paid one and hers
    # paid for a milestone at a time.
    assert statuses[ProposalStatus.WITHDRAWN] == 1 and statuses[ProposalStatus.ACCEPTED] == 5
    assert session.scalar(select(func.count()).where(Invitation.assistant_id == assistant1.id))
    hired = {c.status: c.task.status for c in session.scalars(select(Contract))}
    assert hired[S.APPROVED] == hired[S.PAID] == TaskStatus.COMPLETED
    assert hired[S.FUNDED] == TaskStatus.HIRED
    assert hired[S.CANCELLED] == TaskStatus.OPEN  # the owner can hire someone else

    counts = [session.scalar(select(func.count(m.id))) for m in (Contract, Proposal, User)]
    again = app.test_cli_runner().invoke(args=["demo", "load", *SMALL])
    assert "already loaded" in again.output
    session.expire_all()
    assert [session.scalar(select(func.count(m.id))) for m in (Contract, Proposal, User)] == counts


def _log_in(client, email: str) -> None:
    response = client.post("/login", {"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def _contract(session, owner: User, status: ContractStatus) -> int:
    return session.scalar(
        select(Contract.id).where(Contract.owner_id == owner.id, Contract.status == status)
    )


def test_walkthrough_pages_open_for_the_demo_users(app, demo, client):
    """The pages the README's "first five minutes" names, as its three demo users see them."""
    session = demo
    app.config["DEMO_MODE"] = True  # `make demo` sets it: the local outbox is readable
    try:
        owner1 = demo_user(session, Role.OWNER, 1)
        task_id = session.scalar(
            select(Proposal.task_id).join(Task).where(Task.owner_id == owner1.id).limit(1)
        )
        _log_in(client, owner1.email)
        pages = ["/dashboard", f"/tasks/{task_id}", f"/tasks/{task_id}/proposals", "/contracts"]
        pages += [f"/contracts/{_contract(session, owner1, s)}" for s, _ in OWNER1_CONTRACTS]
        pages += ["/ledger", "/dev/outbox"]
        for page in pages:
            assert client.get(page).status_code == 200, page
        contracts_page = client.get("/contracts").get_data(as_text=True)
        for status, _ in OWNER1_CONTRACTS:
            assert status.label in contracts_page
        submitted = client.get(f"/contracts/{_contract(session, owner1, S.SUBMITTED)}")
        submitted = submitted.get_data(as_text=True)
        assert "Approve and release payment" in submitted and "Ask for changes" in submitted
        # Sent back once with a note, then delivered again: both rounds on the page.
        assert 'data-testid="submission-1" data-answer="changes_requested"' in submitted
        assert 'data-testid="submission-2" data-answer="none"' in submitted
        assert "match the 14 open items against last month" in submitted
        assert '<a href="https://sheets.example.com/demo-1"' in submitted

        client.logout()
        _log_in(client, "assistant1@demo.delegate.test")
        for page in ["/jobs", "/jobs/for-you", "/proposals", "/contracts", "/payouts", "/profile"]:
            assert client.get(page).status_code == 200, page
        funded = client.get(f"/contracts/{_contract(session, owner1, S.FUNDED)}")
        assert "Mark work as submitted" in funded.get_data(as_text=True)

        client.logout()
        _log_in(client, "assistant3@demo.delegate.test")
        payouts = client.get("/payouts")
        assert payouts.status_code == 200 and "Connect Stripe" in payouts.get_data(as_text=True)
    finally:
        app.config["DEMO_MODE"] = False


def test_the_demo_has_reviews_on_its_paid_contracts(app, demo, client):
    session = demo
    assistant1 = demo_user(session, Role.ASSISTANT, 1)
    profile = client.get(f"/assistants/{assistant1.id}").get_data(as_text=True)
    assert "5.0 ★ from 1 review" in profile and "What owners say" in profile
    owner1 = demo_user(session, Role.OWNER, 1)
    _log_in(client, owner1.email)
    page = client.get(f"/contracts/{_contract(session, owner1, S.PAID)}").get_data(as_text=True)
    assert "Your review is hidden until" in page
    client.logout()
    _log_in(client, assistant1.email)
    page = client.get(f"/contracts/{_contract(session, owner1, S.PAID)}").get_data(as_text=True)
    assert "has written their review of you" in page and "Publish review" in page


def test_demo_has_a_contract_paid_for_a_milestone_at_a_time(demo, stripe_relay):
    session = demo
    owner2 = demo_user(session, Role.OWNER, 2)
    [contract] = session.scalars(
        select(Contract).where(Contract.owner_id == owner2.id, Contract.funded_per_milestone)
    )
    first, second = session.scalars(
        select(Milestone).where(Milestone.contract_id == contract.id).order_by(Milestone.number)
    )
    assert contract.status == S.FUNDED
    assert (first.status, second.status) == (MilestoneStatus.PAID, MilestoneStatus.AWAITING_FUNDING)
    intent = stripe_relay.client.v1.payment_intents.retrieve(first.payment_intent_id)
    assert (intent.status, intent.amount) == ("succeeded", first.amount_cents)
    [transfer] = stripe_relay.transfers(contract.id)
    assert transfer.amount == first.net_cents and transfer.source_transaction == first.charge_id
    assert _entries(session, contract) == {
        EntryKind.CHARGE: first.amount_cents,
        EntryKind.FEE: first.fee_cents,
        EntryKind.TRANSFER: first.net_cents,
    }
