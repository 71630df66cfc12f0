"""Funding asks Stripe first: a payment refunded, disputed or of another amount funds
nothing, and what Stripe says happened is what the ledger records."""

import json
import time

from devtools.stripe_emulator import sign
from marketplace.contracts.models import ContractStatus
from marketplace.payments.models import EntryKind
from marketplace.tasks.models import Task, TaskStatus
from tests.payments.helpers import (
    checkout_url,
    contract,
    funded_contract,
    hire,
    ledger,
    proposal_scene,
)
from tests.stripe_support import SECRET, http


def paid_intent(relay, contract_id: int) -> str:
    [completed] = [
        e
        for e in relay.events("checkout.session.completed")
        if e["data"]["object"]["metadata"].get("contract_id") == str(contract_id)
    ]
    return completed["data"]["object"]["payment_intent"]


def refunds_of(relay, intent: str) -> list:
    return [
        r
        for r in relay.client.v1.refunds.list(params={"limit": 100}).data
        if r.payment_intent == intent
    ]


def test_a_refund_delivered_before_checkout_completed_leaves_the_contract_unfunded(
    client, db_session, stripe_relay, smtp_app, mailbox
):
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)
    assert stripe_relay.pay(checkout_url(client, contract_id))[0] == 303
    intent = paid_intent(stripe_relay, contract_id)
    # Someone refunds it in Stripe's dashboard; that event overtakes the funding one.
    stripe_relay.client.v1.refunds.create(params={"payment_intent": intent})
    stripe_relay.deliver(client, types={"charge.refunded"})
    stripe_relay.deliver(client)  # checkout.session.completed arrives last

    c = contract(db_session, contract_id)
    assert c.status == ContractStatus.AWAITING_FUNDING and c.payment_intent_id is None
    assert sorted(ledger(db_session, contract_id)) == [
        (EntryKind.CHARGE, 25000),
        (EntryKind.REFUND, 25000),
    ]
    page = client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "was refunded before Stripe confirmed it" in page
    assert "Pay $250 with Stripe" in page
    assert mailbox.to(assistant.email) == [] and mailbox.to(owner.email) == []  # no "funded"
    # The owner can pay again, on a new Checkout page, and that payment funds the contract.
    assert stripe_relay.pay(checkout_url(client, contract_id))[0] == 303
    stripe_relay.deliver(client)
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED


def test_a_completed_event_for_a_payment_refunded_since_funds_nothing(
    client, db_session, stripe_relay
):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)
    stripe_relay.pay(checkout_url(client, contract_id))
    intent = paid_intent(stripe_relay, contract_id)
    stripe_relay.client.v1.refunds.create(params={"payment_intent": intent})
    # The funding event arrives first (its refund event is lost): Stripe's word still counts.
    stripe_relay.deliver(client, types={"checkout.session.completed"})
    c = contract(db_session, contract_id)
    assert c.status == ContractStatus.AWAITING_FUNDING
    assert ledger(db_session, contract_id) == [(EntryKind.CHARGE, 25000), (EntryKind.REFUND, 25000)]


def test_a_partly_refunded_payment_funds_nothing_and_the_rest_goes_back(
    client, db_session, stripe_relay
):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)
    stripe_relay.pay(checkout_url(client, contract_id))
    intent = paid_intent(stripe_relay, contract_id)
    stripe_relay.client.v1.refunds.create(params={"payment_intent": intent, "amount": 10000})
    stripe_relay.deliver(client, types={"checkout.session.completed"})
    stripe_relay.deliver(client)  # a retry of the same event id would be a duplicate anyway
    assert contract(db_session, contract_id).status == ContractStatus.AWAITING_FUNDING
    assert sorted(r.amount for r in refunds_of(stripe_relay, intent)) == [10000, 15000]
    entries = ledger(db_session, contract_id)
    assert entries[0] == (EntryKind.CHARGE, 25000)
    assert sorted(a for k, a in entries if k == EntryKind.REFUND) == [10000, 15000]
    assert EntryKind.FEE not in [k for k, _ in entries]


def test_a_disputed_payment_funds_nothing(client, db_session, stripe_relay):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)
    stripe_relay.pay(checkout_url(client, contract_id))
    intent = paid_intent(stripe_relay, contract_id)
    charge = stripe_relay.client.v1.payment_intents.retrieve(intent).latest_charge
    http("POST", f"{stripe_relay.base_url}/_emulator/charges/{charge}/dispute")
    stripe_relay.deliver(client)
    c = contract(db_session, contract_id)
    assert c.status == ContractStatus.AWAITING_FUNDING
    assert "opened a dispute" in c.last_payment_error
    assert ledger(db_session, contract_id) == [(EntryKind.CHARGE, 25000)]


def test_a_signed_event_of_another_amount_is_refused_refunded_and_recorded_as_paid(
    client, db_session, stripe_relay
):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)
    # A Checkout Session carrying our contract's id but another amount (a bug, a stale
    # price, an attacker with a leaked key): Stripe signs its events all the same.
    odd = stripe_relay.checkout_for(contract_id, 100, "one dollar")
    assert stripe_relay.pay(odd.url)[0] == 303
    stripe_relay.deliver(client)
    intent = paid_intent(stripe_relay, contract_id)
    c = contract(db_session, contract_id)
    assert c.status == ContractStatus.AWAITING_FUNDING and c.payment_intent_id is None
    assert "Stripe received $1, but this contract is for $250" in c.last_payment_error
    [refund] = refunds_of(stripe_relay, intent)
    assert refund.amount == 100 and refund.metadata["contract_id"] == str(contract_id)
    # The ledger holds what Stripe took and gave back, not the contract's $250.
    assert ledger(db_session, contract_id) == [(EntryKind.CHARGE, 100), (EntryKind.REFUND, 100)]

    # The same event delivered again under a new id (a retry after a lost answer): the
    # refund's idempotency key makes Stripe answer with the same refund, never a second.
    [completed] = stripe_relay.events("checkout.session.completed")
    assert stripe_relay.post_event(client, {**completed, "id": completed["id"] + "_again"})
    assert len(refunds_of(stripe_relay, intent)) == 1
    assert ledger(db_session, contract_id) == [(EntryKind.CHARGE, 100), (EntryKind.REFUND, 100)]


def _signed(payload: bytes, at: int) -> dict:
    return {
        "Stripe-Signature": sign(payload, SECRET, timestamp=at),
        "Content-Type": "application/json",
    }


def test_signatures_from_the_future_are_refused_with_a_reason(client, db_session, stripe_relay):
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)
    stripe_relay.pay(checkout_url(client, contract_id))
    [completed] = stripe_relay.events("checkout.session.completed")
    payload = json.dumps(completed).encode()
    now = int(time.time())

    ahead = client.raw.post("/stripe/webhook", data=payload, headers=_signed(payload, now + 3600))
    assert ahead.status_code == 400
    assert ahead.json["error"] == "Bad signature" and "in the future" in ahead.json["message"]
    old = client.raw.post("/stripe/webhook", data=payload, headers=_signed(payload, now - 3600))
    assert old.status_code == 400
    assert contract(db_session, contract_id).status == ContractStatus.AWAITING_FUNDING

    # A clock a minute fast is within the tolerance.
    ok = client.raw.post("/stripe/webhook", data=payload, headers=_signed(payload, now + 60))
    assert ok.status_code == 200
    assert contract(db_session, contract_id).status == ContractStatus.FUNDED


def test_a_partial_refund_of_a_funded_contract_reverses_its_share_of_the_fee_and_holds_payout(
    client, other_client, db_session, stripe_relay
):
    owner, assistant, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = funded_contract(client, stripe_relay, db_session, proposal)
    intent = contract(db_session, contract_id).payment_intent_id
    stripe_relay.client.v1.refunds.create(params={"payment_intent": intent, "amount": 5000})
    stripe_relay.deliver(client)
    # A fifth of the payment came back: a fifth of the $25 fee is given up with it.
    assert ledger(db_session, contract_id)[-2:] == [
        (EntryKind.REFUND, 5000),
        (EntryKind.FEE_REVERSAL, 500),
    ]
    money = client.get("/ledger").get_data(as_text=True)
    assert 'data-testid="fees-USD">$20<' in money
    c = contract(db_session, contract_id)
    assert c.status == ContractStatus.FUNDED and "$50 of the owner's payment" in c.payout_hold
    other_client.login_as(assistant)
    page = other_client.get(f"/contracts/{contract_id}").get_data(as_text=True)
    assert "Payout on hold" in page
    stripe_relay.deliver(client)  # nothing new; a replay of charge.refunded changes nothing
    for event in stripe_relay.events("charge.refunded"):
        stripe_relay.post_event(client, event)
    assert [k for k, _ in ledger(db_session, contract_id)].count(EntryKind.FEE_REVERSAL) == 1

    # The rest refunded as well: the whole fee is reversed and the contract ends.
    stripe_relay.client.v1.refunds.create(params={"payment_intent": intent})
    stripe_relay.deliver(client)
    assert contract(db_session, contract_id).status == ContractStatus.REFUNDED
    assert sum(a for k, a in ledger(db_session, contract_id) if k == EntryKind.FEE_REVERSAL) == 2500
    assert 'data-testid="fees-USD">$0<' in client.get("/ledger").get_data(as_text=True)
    assert db_session.get(Task, contract(db_session, contract_id).task_id).status == TaskStatus.OPEN


def test_a_late_completed_event_after_a_partial_refund_of_the_funding_payment_changes_nothing(
    app, client, db_session, stripe_relay
):
    """Funded by the reconcile command (the webhook was late), then refunded in part in
    Stripe's dashboard: the completed event that finally arrives neither refunds the rest
    nor unfunds the contract."""
    owner, _, proposal = proposal_scene(db_session)
    client.login_as(owner)
    contract_id = hire(client, proposal)
    stripe_relay.pay(checkout_url(client, contract_id))
    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])
    assert f"funded [{contract_id}]" in result.output, result.output
    intent = contract(db_session, contract_id).payment_intent_id
    stripe_relay.client.v1.refunds.create(params={"payment_intent": intent, "amount": 5000})
    stripe_relay.deliver(client, types={"checkout.session.completed"})
    stripe_relay.deliver(client)
    assert [r.amount for r in refunds_of(stripe_relay, intent)] == [5000]
    c = contract(db_session, contract_id)
    assert c.status == ContractStatus.FUNDED and "$50 of the owner's payment" in c.payout_hold
    assert [a for k, a in ledger(db_session, contract_id) if k == EntryKind.REFUND] == [5000]
