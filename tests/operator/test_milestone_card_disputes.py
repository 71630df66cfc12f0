"""A card holder's dispute of a milestone's own payment (milestone 2 and later are paid by
their own Checkout, not the contract's): it lands in the operator's card-dispute records under
its contract with Stripe's amount, and that milestone's payout waits. Through the emulator."""

from sqlalchemy import select

from marketplace.payments.models import CardDispute, CardDisputeOutcome
from tests.conftest import Client
from tests.contracts.helpers import approve, submit
from tests.contracts.test_milestone_funding import fund, hired_in_parts, milestone
from tests.contracts.test_milestones import transfers
from tests.operator.helpers import audit_rows, make_operator
from tests.operator.test_card_disputes import handled
from tests.payments.helpers import connect_payouts
from tests.stripe_support import http


def test_a_dispute_of_milestone_2s_own_payment_is_recorded_and_holds_its_payout(
    app, client, other_client, db_session, stripe_relay, time_machine
):
    _, assistant, contract_id = hired_in_parts(client, db_session, time_machine)
    fund(client, stripe_relay, contract_id)
    connect_payouts(other_client, stripe_relay, db_session, assistant)
    assert submit(other_client, contract_id, "The draft chart.").status_code == 302
    assert approve(client, contract_id, 1).status_code == 302
    fund(client, stripe_relay, contract_id, 2)
    second = milestone(db_session, contract_id, 2)
    assert second.charge_id

    http("POST", f"{stripe_relay.base_url}/_emulator/charges/{second.charge_id}/dispute")
    stripe_relay.deliver(client, types={"charge.dispute.created"})
    [event] = stripe_relay.events("charge.dispute.created")
    stripe_relay.post_event(client, {**event, "id": event["id"] + "_again"})  # recorded once

    (dispute,) = db_session.scalars(select(CardDispute)).all()
    assert (dispute.contract_id, dispute.amount_cents) == (contract_id, 10000)
    assert dispute.payment_intent_id == second.payment_intent_id

    # The assistant delivers and the owner approves, yet milestone 2's $90 does not go out.
    assert submit(other_client, contract_id, "The books.").status_code == 302
    approve(client, contract_id, 2)
    assert transfers(db_session, contract_id) == [13500]

    console = Client(app.test_client())
    console.login_as(make_operator(db_session))
    page = console.get(f"/operator/contracts/{contract_id}").get_data(as_text=True)
    assert "$100 disputed" in page, page
    # As for a contract's own payment disputed while money is held: its payout waits.
    assert "its payout is held while the contract" in page
    response = handled(console, dispute.id)
    assert response.status_code == 303, response.get_data(as_text=True)
    (row,) = audit_rows(db_session)
    assert (row.action, row.target_id) == ("card_dispute.lost", contract_id)
    db_session.expire_all()
    assert db_session.get(CardDispute, dispute.id).outcome == CardDisputeOutcome.LOST
