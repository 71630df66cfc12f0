"""The site's checkout and cancel wait on Stripe with no lock held (issue 14 part 3): the
contract's row (on SQLite, the database's write lock) is free while Stripe answers, as it is
for the API's, which takes the same path (``payments.flows``). So are the payouts and refunds
a webhook, the return from Stripe's onboarding or the reconcile command leave owed: they are
made by a job once the change that owes them has committed. Committed data, real locks."""

import sqlite3

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from marketplace.accounts.models import User
from marketplace.contracts.models import Contract, ContractStatus
from marketplace.db import get_session
from marketplace.hiring.models import Proposal
from marketplace.hiring.services import apply_to_task
from marketplace.payments.gateway import StripeGateway
from marketplace.payments.models import EntryKind, LedgerEntry, PayoutAccount
from tests.conftest import Client
from tests.factories import make_assistant, make_owner, make_task
from tests.payments.helpers import checkout_url, hire_response
from tests.stripe_support import StripeRelay


def row_is_free(engine, contract_id: int) -> bool:
    """Could another connection take the contract's row lock right now, without waiting?"""
    if engine.dialect.name == "sqlite":
        conn = sqlite3.connect(engine.url.database, timeout=0)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            conn.close()
    with engine.connect() as conn:
        try:
            conn.execute(
                text("SELECT id FROM contracts WHERE id = :id FOR UPDATE NOWAIT"),
                {"id": contract_id},
            )
            return True
        except OperationalError:
            return False
        finally:
            conn.rollback()


@pytest.fixture
def watched(committed_stripe_app, monkeypatch):
    """Records, for each Stripe call that makes or undoes a payment, whether the contract's
    row was free at that moment."""
    engine = committed_stripe_app.extensions["db"].engine
    seen: list[tuple[str, bool]] = []

    def watch(name: str, contract_of):
        original = getattr(StripeGateway, name)

        def wrapper(self, *args, **kwargs):
            seen.append((name, row_is_free(engine, contract_of(*args, **kwargs))))
            return original(self, *args, **kwargs)

        monkeypatch.setattr(StripeGateway, name, wrapper)

    watch("create_checkout_session", lambda req: req.contract_id)
    watch("create_refund", lambda **kw: kw["contract_id"])
    watch("create_transfer", lambda **kw: kw["contract_id"])
    return seen


def scene(app):
    with app.app_context():
        session = get_session()
        owner, assistant = make_owner(session), make_assistant(session)
        task = make_task(session, owner)
        proposal = apply_to_task(
            session, assistant, task.id, cover_note="x" * 30, proposed_rate_cents=2500
        )
        session.commit()
        owner_id, proposal_id = owner.id, proposal.id
    client = Client(app.test_client())
    with app.app_context():
        client.login_as(get_session().get(User, owner_id))
    return client, proposal_id


def test_site_checkout_and_cancel_call_stripe_with_the_row_free(
    committed_stripe_app, stripe_emulator, watched
):
    relay = StripeRelay(stripe_emulator)
    client, proposal_id = scene(committed_stripe_app)
    contract_id = int(hire_response(client, proposal_id, 4).location.rsplit("/", 1)[1])
    relay.pay(checkout_url(client, contract_id))
    relay.deliver(client)
    assert client.post(f"/contracts/{contract_id}/cancel").status_code == 302
    relay.deliver(client)
    assert watched == [("create_checkout_session", True), ("create_refund", True)]
    with committed_stripe_app.app_context():
        contract = get_session().get(Contract, contract_id)
        assert contract.status == ContractStatus.REFUNDED
        assert contract.checkout_attempt == 1


def two_sides(app):
    """The owner's and the assistant's clients, and the proposal the owner hires."""
    owner, proposal_id = scene(app)
    with app.app_context():
        session = get_session()
        assistant_id = session.scalar(
            select(Proposal.assistant_id).where(Proposal.id == proposal_id)
        )
        assistant = Client(app.test_client())
        assistant.login_as(session.get(User, assistant_id))
    return owner, assistant, proposal_id, assistant_id


def approved_unpaid(app, relay):
    """A contract whose work the owner approved before the assistant connected Stripe: its
    payout waits for the account."""
    owner, assistant, proposal_id, assistant_id = two_sides(app)
    contract_id = int(hire_response(owner, proposal_id, 4).location.rsplit("/", 1)[1])
    relay.pay(checkout_url(owner, contract_id))
    relay.deliver(owner)
    note = {"note": "Delivered: see the shared folder."}
    assert assistant.post(f"/contracts/{contract_id}/submit", note).status_code == 302
    assert owner.post(f"/contracts/{contract_id}/approve").status_code == 302
    assert assistant.post("/payouts/connect").status_code == 303
    with app.app_context():
        account_id = get_session().get(PayoutAccount, assistant_id).stripe_account_id
    relay.onboard(account_id)
    return owner, assistant, contract_id


def status_of(app, contract_id: int) -> ContractStatus:
    with app.app_context():
        return get_session().get(Contract, contract_id).status


def test_account_updated_pays_out_with_the_row_free_and_once_when_repeated(
    committed_stripe_app, stripe_emulator, watched
):
    relay = StripeRelay(stripe_emulator)
    owner, _, contract_id = approved_unpaid(committed_stripe_app, relay)
    relay.deliver(owner, types={"account.updated"})
    assert watched[-1] == ("create_transfer", True)
    assert status_of(committed_stripe_app, contract_id) == ContractStatus.PAID
    # Stripe sends the account's news again, under another event id: nothing is paid twice.
    again = relay.events("account.updated")[-1]
    assert relay.post_event(owner, {**again, "id": again["id"] + "_again"}).status_code == 200
    assert len(relay.transfers(contract_id)) == 1
    assert transfer_rows(committed_stripe_app, contract_id) == 1


def test_the_return_from_onboarding_pays_out_with_the_row_free(
    committed_stripe_app, stripe_emulator, watched
):
    relay = StripeRelay(stripe_emulator)
    _, assistant, contract_id = approved_unpaid(committed_stripe_app, relay)
    # The webhook is late: the assistant's browser comes back first.
    assert assistant.get("/payouts/return").status_code == 302
    assert watched[-1] == ("create_transfer", True)
    assert status_of(committed_stripe_app, contract_id) == ContractStatus.PAID


def test_reconcile_pays_out_with_the_row_free(committed_stripe_app, stripe_emulator, watched):
    relay = StripeRelay(stripe_emulator)
    _, _, contract_id = approved_unpaid(committed_stripe_app, relay)
    # Every webhook from here on is lost; the reconcile command asks Stripe.
    result = committed_stripe_app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert f"paid out [{contract_id}]" in result.output, result.output
    assert watched[-1] == ("create_transfer", True)
    assert status_of(committed_stripe_app, contract_id) == ContractStatus.PAID


def test_a_payment_after_cancelling_is_refunded_with_the_row_free(
    committed_stripe_app, stripe_emulator, watched
):
    relay = StripeRelay(stripe_emulator)
    owner, proposal_id = scene(committed_stripe_app)
    contract_id = int(hire_response(owner, proposal_id, 4).location.rsplit("/", 1)[1])
    relay.pay(checkout_url(owner, contract_id))
    assert owner.post(f"/contracts/{contract_id}/cancel").status_code == 302  # before the event
    relay.deliver(owner)  # checkout.session.completed: the late payment goes back
    assert watched[-1] == ("create_refund", True)
    relay.deliver(owner)  # charge.refunded
    assert status_of(committed_stripe_app, contract_id) == ContractStatus.REFUNDED


def test_a_second_payment_is_refunded_with_the_row_free_and_once_when_replayed(
    committed_stripe_app, stripe_emulator, watched
):
    relay = StripeRelay(stripe_emulator)
    owner, proposal_id = scene(committed_stripe_app)
    contract_id = int(hire_response(owner, proposal_id, 4).location.rsplit("/", 1)[1])
    relay.pay(checkout_url(owner, contract_id))
    relay.deliver(owner)
    with committed_stripe_app.app_context():
        total = get_session().get(Contract, contract_id).total_cents
    duplicate = relay.checkout_for(contract_id, total, "again")
    relay.pay(duplicate.url)
    relay.deliver(owner, types={"checkout.session.completed"})
    assert watched[-1] == ("create_refund", True)
    completed = relay.events("checkout.session.completed")[0]
    replay = {**completed, "id": completed["id"] + "_again"}
    assert relay.post_event(owner, replay).status_code == 200
    intent = relay.client.v1.checkout.sessions.retrieve(duplicate.id).payment_intent
    refunds = relay.client.v1.refunds.list(params={"limit": 10}).data
    assert [r.payment_intent for r in refunds] == [intent]
    assert status_of(committed_stripe_app, contract_id) == ContractStatus.FUNDED


def transfer_rows(app, contract_id: int) -> int:
    with app.app_context():
        return len(
            get_session()
            .scalars(
                select(LedgerEntry).where(
                    LedgerEntry.contract_id == contract_id,
                    LedgerEntry.kind == EntryKind.TRANSFER,
                )
            )
            .all()
        )
