"""A card dispute opened after the payout: the console shows what the card holder disputed
(Stripe's amount, not the contract's total) until an operator marks it handled, once, with a
note and a reason that go into the audit log."""

from sqlalchemy import select

from marketplace.contracts.models import ContractStatus
from marketplace.payments.models import CardDispute, CardDisputeOutcome
from tests.conftest import Client
from tests.operator.helpers import audit_rows
from tests.operator.test_disputes import scene
from tests.payments.helpers import contract
from tests.stripe_support import http

DONE = {
    "outcome": "lost",
    "note": "Lost in Stripe; the assistant agreed to repay $200 by 1 Jan.",
    "reason": "Chargeback ticket 88",
}


def paid_then_disputed(app, client, other_client, db_session, relay):
    """$250 paid out; $50 of it refunded in Stripe's dashboard; the card holder then disputes
    the $200 left."""
    owner, assistant, operator, contract_id = scene(client, other_client, db_session, relay)
    owner_client = Client(app.test_client())  # other_client is the assistant's now
    owner_client.login_as(owner)
    note = {"note": "Delivered: see the shared folder."}
    assert other_client.post(f"/contracts/{contract_id}/submit", note).status_code == 302
    assert owner_client.post(f"/contracts/{contract_id}/approve").status_code == 302
    paid = contract(db_session, contract_id)
    assert paid.status == ContractStatus.PAID
    relay.client.v1.refunds.create(
        params={"payment_intent": paid.payment_intent_id, "amount": 5000}
    )
    relay.deliver(other_client, types={"charge.refunded"})
    http("POST", f"{relay.base_url}/_emulator/charges/{paid.charge_id}/dispute")
    relay.deliver(other_client, types={"charge.dispute.created"})
    [event] = relay.events("charge.dispute.created")
    relay.post_event(other_client, {**event, "id": event["id"] + "_again"})  # once only
    (dispute,) = db_session.scalars(select(CardDispute)).all()
    return owner_client, contract_id, dispute


def queue(client) -> str:
    home = client.get("/operator/").get_data(as_text=True)
    return home.split('id="paid-disputes"')[1].split("</section>")[0]


def handled(client, dispute_id: int, **data):
    return client.post(f"/operator/card-disputes/{dispute_id}/handled", {**DONE, **data})


def test_the_queue_shows_the_disputed_amount_and_handling_it_takes_it_out_once(
    app, client, other_client, db_session, stripe_relay
):
    _, contract_id, dispute = paid_then_disputed(
        app, client, other_client, db_session, stripe_relay
    )
    assert (dispute.amount_cents, dispute.currency) == (20000, "USD")
    section = queue(client)
    assert f"Contract #{contract_id}" in section
    assert "$200 disputed" in section and "$250" not in section, section
    page = client.get(f"/operator/contracts/{contract_id}").get_data(as_text=True)
    assert "$200 disputed" in page and "Disputed by the card issuer after the payout" in page
    assert f'action="/operator/card-disputes/{dispute.id}/handled"' in page

    response = handled(client, dispute.id)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert "Marked handled" in client.get(response.location).get_data(as_text=True)
    assert f"Contract #{contract_id}" not in queue(client)
    (row,) = audit_rows(db_session)
    assert (row.action, row.target_type, row.target_id) == (
        "card_dispute.lost",
        "contract",
        contract_id,
    )
    assert row.reason == DONE["reason"] and row.details["note"] == DONE["note"]
    assert row.details["amount_cents"] == 20000
    db_session.expire_all()
    closed = db_session.get(CardDispute, dispute.id)
    assert closed.outcome == CardDisputeOutcome.LOST and closed.handled_at is not None
    page = client.get(f"/operator/contracts/{contract_id}").get_data(as_text=True)
    assert "Lost in Stripe" in page and DONE["note"] in page
    assert "Disputed by the card issuer after the payout" not in page

    again = handled(client, dispute.id, outcome="won")  # a double submit, or a second operator
    assert again.status_code == 409
    assert "marked handled already (lost in stripe)" in again.get_data(as_text=True)
    assert len(audit_rows(db_session)) == 1
    db_session.expire_all()
    assert db_session.get(CardDispute, dispute.id).outcome == CardDisputeOutcome.LOST


def test_handling_needs_an_outcome_a_note_a_reason_an_operator_and_the_form_token(
    app, client, other_client, db_session, stripe_relay
):
    owner_client, contract_id, dispute = paid_then_disputed(
        app, client, other_client, db_session, stripe_relay
    )
    for bad in ({"outcome": "maybe"}, {"note": ""}, {"reason": "x"}):
        assert handled(client, dispute.id, **bad).status_code == 422, bad
    url = f"/operator/card-disputes/{dispute.id}/handled"
    assert client.post(url, DONE, csrf=False).status_code == 400
    assert owner_client.post(url, DONE).status_code == 404  # not an operator: no console
    assert handled(client, 999999).status_code == 404
    assert audit_rows(db_session) == []
    assert f"Contract #{contract_id}" in queue(client)
