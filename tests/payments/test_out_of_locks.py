"""The site's checkout and cancel wait on Stripe with no lock held (issue 14 part 3): the
contract's row (on SQLite, the database's write lock) is free while Stripe answers, as it is
for the API's, which takes the same path (``payments.flows``). Committed data, real locks."""

import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from marketplace.accounts.models import User
from marketplace.contracts.models import Contract, ContractStatus
from marketplace.db import get_session
from marketplace.hiring.services import apply_to_task
from marketplace.payments.gateway import StripeGateway
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
