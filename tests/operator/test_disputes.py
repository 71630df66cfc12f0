"""Settling a dispute: release in full, refund in full or in part, through the same gateway,
the ledger agreeing with Stripe, and both parties emailed the operator's note."""

from sqlalchemy import select

from marketplace.contracts.models import ContractStatus
from marketplace.operator.models import Resolution, ResolutionStatus
from marketplace.payments.gateway import get_gateway
from marketplace.payments.models import EntryKind as K
from tests.notifications.mailbox import body_html, body_text
from tests.operator.helpers import audit_rows, make_operator
from tests.payments.helpers import (
    connect_payouts,
    contract,
    funded_contract,
    ledger,
    proposal_scene,
)

NOTE = "We looked at the messages: half the work was delivered."


def scene(client, other_client, db_session, relay, *, payouts=True):
    """A funded contract of 10 h at $25 ($250, fee $25), an operator logged in on `client`."""
    owner, assistant, proposal = proposal_scene(db_session)
    other_client.login_as(owner)
    contract_id = funded_contract(other_client, relay, db_session, proposal)
    if payouts:
        connect_payouts(other_client, relay, db_session, assistant)
    operator = make_operator(db_session)
    client.login_as(operator)
    return owner, assistant, operator, contract_id


def resolve(client, contract_id, outcome, refund="", note=NOTE, reason="Dispute ticket 42"):
    return client.post(
        f"/operator/contracts/{contract_id}/resolve",
        {"outcome": outcome, "refund": refund, "note": note, "reason": reason},
    )


def stripe_says(contract_id, db_session, relay, app):
    """(refunds, transfers) of the contract as Stripe has them: [(id, cents)]."""
    with app.app_context():
        facts = get_gateway().payment_facts(contract(db_session, contract_id).payment_intent_id)
    transfers = [(t.id, t.amount) for t in relay.transfers(contract_id)]
    return list(facts.refunds), transfers


def test_a_partial_refund_moves_the_right_cents(
    app, client, other_client, db_session, stripe_relay, smtp_app, mailbox
):
    owner, assistant, operator, contract_id = scene(client, other_client, db_session, stripe_relay)
    page = client.get(f"/operator/contracts/{contract_id}").get_data(as_text=True)
    assert f'action="/operator/contracts/{contract_id}/resolve"' in page

    response = resolve(client, contract_id, "refund", "100.00")
    assert response.status_code == 303, response.get_data(as_text=True)

    # $100 back to the owner; the fee's share of it ($10 of $25) given up; of the $150 left,
    # the platform keeps $15 and the assistant gets $135.
    refunds, transfers = stripe_says(contract_id, db_session, stripe_relay, app)
    assert [cents for _, cents in refunds] == [10000]
    assert [cents for _, cents in transfers] == [13500]
    expected = [
        (K.CHARGE, 25000), (K.FEE, 2500), (K.REFUND, 10000), (K.FEE_REVERSAL, 1000),
        (K.TRANSFER, 13500),
    ]  # fmt: skip
    assert ledger(db_session, contract_id) == expected
    settled = contract(db_session, contract_id)
    assert settled.status == ContractStatus.PAID and settled.payout_hold is None
    assert settled.transfer_id == transfers[0][0] and settled.refund_id == refunds[0][0]

    stripe_relay.deliver(client)  # Stripe's charge.refunded and friends: nothing changes
    assert ledger(db_session, contract_id) == expected

    told = [(owner, "$100 is refunded to you"), (assistant, "$135 is paid out to you")]
    for person, line in told:
        (mail,) = [m for m in mailbox.to(person.email) if "support settled" in m["Subject"]]
        assert NOTE in body_text(mail) and line in body_text(mail)
        assert NOTE in body_html(mail)

    decided, recorded = audit_rows(db_session)
    assert (decided.action, decided.operator_id, decided.target_id) == (
        "dispute.refund", operator.id, contract_id
    )  # fmt: skip
    assert decided.reason == "Dispute ticket 42"
    assert decided.details["refund_cents"] == 10000 and decided.details["transfer_cents"] == 13500
    assert recorded.action == "dispute.settled"

    history = client.get(f"/operator/contracts/{contract_id}").get_data(as_text=True)
    assert refunds[0][0] in history and transfers[0][0] in history  # ledger rows
    assert "charge.refunded" in history and "checkout.session.completed" in history  # events
    assert 'data-email="dispute_resolved"' in history and 'data-email="contract_funded"' in history
    assert f'action="/operator/contracts/{contract_id}/resolve"' not in history  # settled


def test_a_full_refund_ends_the_contract(
    app, client, other_client, db_session, stripe_relay, smtp_app, mailbox
):
    owner, _, _, contract_id = scene(client, other_client, db_session, stripe_relay)
    assert resolve(client, contract_id, "refund", "250").status_code == 303
    refunds, transfers = stripe_says(contract_id, db_session, stripe_relay, app)
    assert [cents for _, cents in refunds] == [25000] and transfers == []
    assert ledger(db_session, contract_id) == [
        (K.CHARGE, 25000), (K.FEE, 2500), (K.REFUND, 25000), (K.FEE_REVERSAL, 2500),
    ]  # fmt: skip
    assert contract(db_session, contract_id).status == ContractStatus.REFUNDED
    assert any(NOTE in body_text(m) for m in mailbox.to(owner.email))


def test_release_in_full_pays_the_assistant(
    app, client, other_client, db_session, stripe_relay, smtp_app, mailbox
):
    _, assistant, _, contract_id = scene(client, other_client, db_session, stripe_relay)
    assert resolve(client, contract_id, "release").status_code == 303
    refunds, transfers = stripe_says(contract_id, db_session, stripe_relay, app)
    assert refunds == [] and [cents for _, cents in transfers] == [22500]
    assert ledger(db_session, contract_id)[-1] == (K.TRANSFER, 22500)
    assert contract(db_session, contract_id).status == ContractStatus.PAID
    assert any("$225 is paid out to you" in body_text(m) for m in mailbox.to(assistant.email))


def test_a_release_waits_for_the_payout_account_then_a_retry_settles_it(
    app, client, other_client, db_session, stripe_relay
):
    _, assistant, _, contract_id = scene(
        client, other_client, db_session, stripe_relay, payouts=False
    )
    response = resolve(client, contract_id, "release")
    assert response.status_code == 303
    assert "not settled yet" in client.get(response.location).get_data(as_text=True)
    (resolution,) = db_session.scalars(select(Resolution))
    assert resolution.status == ResolutionStatus.SETTLING and resolution.last_error
    held = contract(db_session, contract_id)
    assert held.status == ContractStatus.FUNDED and held.frozen_reason
    assert stripe_relay.transfers(contract_id) == []

    connect_payouts(other_client, stripe_relay, db_session, assistant)
    assert stripe_relay.transfers(contract_id) == []  # the settlement's hold stops pay_out
    client.login_as(make_operator(db_session))  # another operator retries
    retry = client.post(f"/operator/resolutions/{resolution.id}/retry", {"reason": "Now ready"})
    assert retry.status_code == 303
    assert [t.amount for t in stripe_relay.transfers(contract_id)] == [22500]
    assert contract(db_session, contract_id).status == ContractStatus.PAID
    actions = [e.action for e in audit_rows(db_session)]
    assert actions == ["dispute.release", "dispute.retry", "dispute.settled"]


def test_the_parties_cannot_touch_a_contract_being_settled(
    client, other_client, db_session, stripe_relay
):
    _, _, _, contract_id = scene(client, other_client, db_session, stripe_relay, payouts=False)
    resolve(client, contract_id, "release")  # waits for the payout account
    refused = other_client.post(f"/contracts/{contract_id}/cancel")  # the owner
    assert refused.status_code == 409 and "settling" in refused.get_data(as_text=True)
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED


def test_wrong_amounts_and_missing_words_change_nothing(
    client, other_client, db_session, stripe_relay
):
    _, _, _, contract_id = scene(client, other_client, db_session, stripe_relay)
    for outcome, refund, note, reason in [
        ("refund", "250.01", NOTE, "ticket 1"),  # more than was paid
        ("refund", "0", NOTE, "ticket 1"),
        ("refund", "12.345", NOTE, "ticket 1"),
        ("refund", "ten", NOTE, "ticket 1"),
        ("refund", "10", "", "ticket 1"),  # no note for the parties
        ("release", "", NOTE, ""),  # no reason for the log
        ("everything", "", NOTE, "ticket 1"),
    ]:
        response = resolve(client, contract_id, outcome, refund, note, reason)
        assert response.status_code == 422, (outcome, refund, note, reason)
    assert audit_rows(db_session) == []
    assert db_session.scalars(select(Resolution)).all() == []
    assert len(ledger(db_session, contract_id)) == 2
    assert resolve(client, contract_id, "refund", "50").status_code == 303
    assert resolve(client, contract_id, "refund", "50").status_code == 409  # once only


def test_a_card_dispute_after_the_payout_is_shown_to_the_operator(
    app, client, other_client, db_session, stripe_relay
):
    """The money has gone to the assistant, so there is no payout to hold: the operator is
    told instead, on the console's home page and in the contract's history."""
    from tests.conftest import Client
    from tests.stripe_support import http

    owner, assistant, operator, contract_id = scene(client, other_client, db_session, stripe_relay)
    owner_client = Client(app.test_client())  # other_client is the assistant's now
    owner_client.login_as(owner)
    note = {"note": "Delivered: see the shared folder."}
    assert other_client.post(f"/contracts/{contract_id}/submit", note).status_code == 302
    assert owner_client.post(f"/contracts/{contract_id}/approve").status_code == 302
    assert contract(db_session, contract_id).status == ContractStatus.PAID
    home = client.get("/operator/").get_data(as_text=True)
    assert f'/operator/contracts/{contract_id}"' not in home.split('id="paid-disputes"')[1]

    charge_id = contract(db_session, contract_id).charge_id
    http("POST", f"{stripe_relay.base_url}/_emulator/charges/{charge_id}/dispute")
    stripe_relay.deliver(other_client, types={"charge.dispute.created"})
    assert contract(db_session, contract_id).status == ContractStatus.PAID
    section = client.get("/operator/").get_data(as_text=True).split('id="paid-disputes"')[1]
    section = section.split("</section>")[0]
    assert f"Contract #{contract_id}" in section and "$250" in section, section
    page = client.get(f"/operator/contracts/{contract_id}").get_data(as_text=True)
    assert "Disputed by the card issuer after the payout" in page
