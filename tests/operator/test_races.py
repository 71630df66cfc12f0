"""Two operators settling the same dispute at the same moment, on committed data in separate
connections: one refund. PostgreSQL serialises them with the contract's row lock and the
compare-and-set; SQLite with BEGIN IMMEDIATE and the same compare-and-set."""

import threading

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.contracts.models import Contract, ContractStatus
from marketplace.db import get_session
from marketplace.hiring.services import apply_to_task
from marketplace.operator.models import AuditEntry, Resolution
from marketplace.payments.gateway import get_gateway
from marketplace.payments.models import EntryKind, LedgerEntry, PayoutAccount
from tests.conftest import Client
from tests.factories import make_assistant, make_owner, make_task
from tests.payments.helpers import checkout_url, hire_response
from tests.stripe_support import StripeRelay


def _logged_in(app, user_id) -> Client:
    client = Client(app.test_client())
    with app.app_context():
        client.login_as(get_session().get(User, user_id))
    return client


def test_two_operators_refunding_at_once_make_one_refund(committed_stripe_app, stripe_emulator):
    relay = StripeRelay(stripe_emulator)
    with committed_stripe_app.app_context():
        session = get_session()
        owner, assistant = make_owner(session), make_assistant(session)
        ops = [make_owner(session, is_operator=True) for _ in range(2)]
        task = make_task(session, owner)
        proposal = apply_to_task(
            session, assistant, task.id, cover_note="x" * 30, proposed_rate_cents=2500
        )
        session.commit()
        owner_id, assistant_id, proposal_id = owner.id, assistant.id, proposal.id
        op_ids = [o.id for o in ops]

    owner_client = _logged_in(committed_stripe_app, owner_id)
    va_client = _logged_in(committed_stripe_app, assistant_id)
    contract_id = int(hire_response(owner_client, proposal_id, 4).location.rsplit("/", 1)[1])
    relay.pay(checkout_url(owner_client, contract_id))
    relay.deliver(owner_client)
    va_client.post("/payouts/connect")
    with committed_stripe_app.app_context():
        relay.onboard(get_session().get(PayoutAccount, assistant_id).stripe_account_id)
    relay.deliver(owner_client)

    clients = [_logged_in(committed_stripe_app, op_id) for op_id in op_ids]
    tokens = [c.csrf_token() for c in clients]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def refund(c: Client, token: str) -> None:
        barrier.wait()
        response = c.raw.post(
            f"/operator/contracts/{contract_id}/resolve",
            data={
                "csrf_token": token,
                "outcome": "refund",
                "refund": "40",
                "note": "Refunding the first two hours.",
                "reason": "Ticket 7, both operators on it",
            },
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=refund, args=pair) for pair in zip(clients, tokens)]  # noqa: B905
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(statuses) == [303, 409]
    with committed_stripe_app.app_context():
        session = get_session()
        settled = session.get(Contract, contract_id)
        facts = get_gateway().payment_facts(settled.payment_intent_id)
        assert [cents for _, cents in facts.refunds] == [4000]  # Stripe: one refund of $40
        refunds = session.scalars(
            select(LedgerEntry.amount_cents).where(
                LedgerEntry.contract_id == contract_id, LedgerEntry.kind == EntryKind.REFUND
            )
        ).all()
        assert refunds == [4000]
        assert settled.status == ContractStatus.PAID
        assert len(session.scalars(select(Resolution)).all()) == 1
        decided = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "dispute.refund")
        ).all()
        assert len(decided) == 1
    # $100 paid, $40 back, fee $10 of which $4 is given up: $60 - $6 = $54 to the assistant.
    assert [t.amount for t in relay.transfers(contract_id)] == [5400]
