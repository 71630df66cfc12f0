"""Two approvals at the same moment, on committed data in separate connections: one wins,
one transfer. PostgreSQL serialises them with a row lock, SQLite with BEGIN IMMEDIATE."""

import threading

from sqlalchemy import select

from marketplace.contracts.models import Contract, ContractStatus
from marketplace.contracts.pricing import price_for
from marketplace.db import get_session
from marketplace.hiring.services import apply_to_task
from marketplace.payments.models import EntryKind, LedgerEntry, PayoutAccount
from tests.conftest import Client
from tests.factories import make_assistant, make_owner, make_task
from tests.payments.helpers import checkout_url, hire_response
from tests.stripe_support import StripeRelay


def test_concurrent_approvals_produce_one_transfer(committed_stripe_app, stripe_emulator):
    relay = StripeRelay(stripe_emulator)
    with committed_stripe_app.app_context():
        session = get_session()
        owner, assistant = make_owner(session), make_assistant(session)
        task = make_task(session, owner)
        proposal = apply_to_task(
            session, assistant, task.id, cover_note="x" * 30, proposed_rate_cents=2500
        )
        session.commit()
        owner_id, assistant_id, proposal_id = owner.id, assistant.id, proposal.id

    owner_client = Client(committed_stripe_app.test_client())
    va_client = Client(committed_stripe_app.test_client())
    with committed_stripe_app.app_context():
        owner_client.login_as(get_session().get(type(owner), owner_id))
        va_client.login_as(get_session().get(type(owner), assistant_id))
    contract_id = int(hire_response(owner_client, proposal_id, 4).location.rsplit("/", 1)[1])
    relay.pay(checkout_url(owner_client, contract_id))
    relay.deliver(owner_client)
    va_client.post("/payouts/connect")
    with committed_stripe_app.app_context():
        account = get_session().get(PayoutAccount, assistant_id)
        relay.onboard(account.stripe_account_id)
    relay.deliver(owner_client)
    assert (
        va_client.post(
            f"/contracts/{contract_id}/submit", {"note": "Delivered: see the shared folder."}
        ).status_code
        == 302
    )

    clients = [Client(committed_stripe_app.test_client()) for _ in range(2)]
    token_pages = []
    for c in clients:
        with committed_stripe_app.app_context():
            c.login_as(get_session().get(type(owner), owner_id))
        token_pages.append(c.csrf_token())
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def approve(c: Client, token: str) -> None:
        barrier.wait()
        statuses.append(
            c.raw.post(f"/contracts/{contract_id}/approve", data={"csrf_token": token}).status_code
        )

    threads = [
        threading.Thread(target=approve, args=(c, t))
        for c, t in zip(clients, token_pages, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(statuses) == [302, 409]
    assert len(relay.transfers(contract_id)) == 1
    with committed_stripe_app.app_context():
        session = get_session()
        assert session.get(Contract, contract_id).status == ContractStatus.PAID
        transfers = session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.contract_id == contract_id, LedgerEntry.kind == EntryKind.TRANSFER
            )
        ).all()
        assert [t.amount_cents for t in transfers] == [price_for(4, 2500, 1000, "USD").net_cents]
