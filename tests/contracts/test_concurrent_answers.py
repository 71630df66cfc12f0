"""Races on committed data in separate connections: two workers releasing the same work at
once pay it out once; an owner's approval racing their own change request (two tabs) has one
winner. PostgreSQL serialises them with the contract's row lock, SQLite with BEGIN IMMEDIATE;
the answer's compare-and-set decides either way."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.contracts.models import Contract, ContractStatus, Submission, SubmissionAnswer
from marketplace.contracts.runner import release_due
from marketplace.db import get_session
from marketplace.notifications.models import Kind, Notification
from marketplace.payments.models import EntryKind, LedgerEntry, PayoutAccount
from tests.concurrency import together
from tests.conftest import Client
from tests.contracts.helpers import START
from tests.payments.helpers import checkout_url, hire_response, proposal_scene
from tests.stripe_support import StripeRelay


def _submitted(app, relay, time_machine):
    """A contract funded, its assistant paid-ready, its work submitted; committed for real."""
    time_machine.move_to(START, tick=False)
    with app.app_context():
        session = get_session()
        owner, assistant, proposal = proposal_scene(session)
        session.commit()
        ids = owner.id, assistant.id, proposal.id
        owner_client, va_client = Client(app.test_client()), Client(app.test_client())
        owner_client.login_as(owner)
        va_client.login_as(assistant)
    contract_id = int(hire_response(owner_client, ids[2], 4).location.rsplit("/", 1)[1])
    relay.pay(checkout_url(owner_client, contract_id))
    relay.deliver(owner_client)
    va_client.post("/payouts/connect")
    with app.app_context():
        relay.onboard(get_session().get(PayoutAccount, ids[1]).stripe_account_id)
    relay.deliver(owner_client)
    submitted = va_client.post(f"/contracts/{contract_id}/submit", {"note": "All done."})
    assert submitted.status_code == 302
    return contract_id, owner_client, ids


def _counts(session, contract_id: int) -> dict:
    return dict(
        session.execute(
            select(LedgerEntry.kind, func.count())
            .where(LedgerEntry.contract_id == contract_id)
            .group_by(LedgerEntry.kind)
        ).all()
    )


def test_two_workers_releasing_the_same_work_pay_it_out_once(
    committed_stripe_app, stripe_emulator, time_machine
):
    app = committed_stripe_app
    relay = StripeRelay(stripe_emulator)
    contract_id, _, (owner_id, assistant_id, _) = _submitted(app, relay, time_machine)
    time_machine.move_to(START + timedelta(days=14), tick=False)

    def worker():
        with app.app_context():
            session = get_session()
            report = release_due(session)
            session.commit()
            return report

    reports = together(worker, worker)
    assert sorted(r.released for r in reports) == [0, 1]
    assert sum(r.paid_out for r in reports) == 1
    with app.app_context():
        session = get_session()
        assert session.get(Contract, contract_id).status == ContractStatus.PAID
        assert _counts(session, contract_id) == {
            EntryKind.CHARGE: 1,
            EntryKind.FEE: 1,
            EntryKind.TRANSFER: 1,
        }
        released = session.scalars(
            select(Notification.user_id).where(Notification.kind == Kind.WORK_RELEASED)
        ).all()
        assert sorted(released) == sorted([owner_id, assistant_id])
    assert len(relay.transfers(contract_id)) == 1


def test_an_approval_racing_a_change_request_has_one_winner(
    committed_stripe_app, stripe_emulator, time_machine
):
    app = committed_stripe_app
    relay = StripeRelay(stripe_emulator)
    contract_id, owner_client, (owner_id, _, _) = _submitted(app, relay, time_machine)
    tabs = [Client(app.test_client()) for _ in range(2)]
    tokens = []
    for tab in tabs:
        with app.app_context():
            tab.login_as(get_session().get(User, owner_id))
        tokens.append(tab.csrf_token())
    approve, ask = (
        lambda: (
            tabs[0]
            .raw.post(
                f"/contracts/{contract_id}/approve",
                data={"csrf_token": tokens[0], "submission": "1"},
            )
            .status_code
        ),
        lambda: (
            tabs[1]
            .raw.post(
                f"/contracts/{contract_id}/request-changes",
                data={"csrf_token": tokens[1], "submission": "1", "changes": "Redo page 2."},
            )
            .status_code
        ),
    )
    statuses = together(approve, ask)
    assert sorted(statuses) == [302, 409]
    with app.app_context():
        session = get_session()
        contract = session.get(Contract, contract_id)
        [submission] = session.scalars(
            select(Submission).where(Submission.contract_id == contract_id)
        ).all()
        if statuses[0] == 302:  # the approval won: paid out, no change request stored
            assert (contract.status, submission.answer) == (
                ContractStatus.PAID,
                SubmissionAnswer.APPROVED,
            )
            assert submission.answer_note is None
            assert len(relay.transfers(contract_id)) == 1
        else:  # the change request won: back in progress, nothing paid
            assert (contract.status, submission.answer) == (
                ContractStatus.FUNDED,
                SubmissionAnswer.CHANGES_REQUESTED,
            )
            assert relay.transfers(contract_id) == []
