"""Saved cards in the emulator, through the real stripe library: Checkout in setup mode, a
customer's default card, off-session PaymentIntents with Stripe's test cards, and the
payment-mode Checkout that saves the card it was paid with."""

from __future__ import annotations

import uuid

import pytest
import stripe
from stripe_emulator_helpers import card_form, checkout_params, request

DECLINING = {
    "4000000000000341": ("generic_decline", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
}
AUTH = "4000002760003184"


def _customer(stripe_client):
    return stripe_client.v1.customers.create(
        params={"email": "owner@example.com"},
        options={"idempotency_key": f"customer-{uuid.uuid4().hex}"},
    )


def _save(stripe_client, sink, customer_id: str, number: str):
    session = stripe_client.v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "customer": customer_id,
            "payment_method_types": ["card"],
            "setup_intent_data": {"metadata": {"user_id": "7"}},
            "success_url": sink.url + "/saved?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": sink.url + "/cancel",
        }
    )
    status, headers, page = request("POST", session.url, card_form(number))
    return session, status, headers, page


def _saved_card(stripe_client, sink, number: str):
    customer = _customer(stripe_client)
    session, status, _, _ = _save(stripe_client, sink, customer.id, number)
    assert status == 303
    done = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["setup_intent"]}
    )
    return customer, done.setup_intent.payment_method


def _off_session(stripe_client, customer_id: str, pm: str, key: str | None = None):
    return stripe_client.v1.payment_intents.create(
        params={
            "amount": 12000,
            "currency": "usd",
            "customer": customer_id,
            "payment_method": pm,
            "off_session": True,
            "confirm": True,
            "description": "Week of 7 Dec",
            "metadata": {"timesheet_id": "5"},
        },
        options={"idempotency_key": key or uuid.uuid4().hex},
    )


def test_setup_mode_saves_the_card_on_the_customer_and_says_so(stripe_client, sink):
    customer = _customer(stripe_client)
    session = stripe_client.v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "customer": customer.id,
            "payment_method_types": ["card"],
            "success_url": sink.url + "/saved?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": sink.url + "/cancel",
        }
    )
    assert (session.mode, session.status, session.payment_status) == (
        "setup",
        "open",
        "no_payment_required",
    )
    assert session.amount_total is None and session.setup_intent is None
    status, _, page = request("GET", session.url)
    assert status == 200 and ">Save card</button>" in page and "not be charged" in page

    status, headers, _ = request("POST", session.url, card_form("4242 4242 4242 4242"))
    assert status == 303
    assert headers["Location"] == f"{sink.url}/saved?session_id={session.id}"
    done = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["setup_intent.payment_method"]}
    )
    assert done.status == "complete" and done.payment_intent is None
    setup = done.setup_intent
    assert setup.status == "succeeded" and setup.customer == customer.id
    card = setup.payment_method
    assert card.customer == customer.id
    assert (card.card.brand, card.card.last4, card.card.exp_month, card.card.exp_year) == (
        "visa",
        "4242",
        12,
        2034,
    )
    completed = sink.wait_for("checkout.session.completed", lambda o: o.id == session.id)
    assert completed.data.object.mode == "setup"
    assert completed.data.object.setup_intent == setup.id
    sink.wait_for("setup_intent.succeeded", lambda o: o.id == setup.id)
    sink.wait_for("payment_method.attached", lambda o: o.id == card.id)


def test_setup_mode_declines_0002_and_stays_open(stripe_client, sink):
    customer = _customer(stripe_client)
    session, status, _, page = _save(stripe_client, sink, customer.id, "4000 0000 0000 0002")
    assert status == 402 and "Your card was declined." in page
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_default_payment_method_must_belong_to_the_customer(stripe_client, sink):
    customer, pm = _saved_card(stripe_client, sink, "4242 4242 4242 4242")
    updated = stripe_client.v1.customers.update(
        customer.id, params={"invoice_settings": {"default_payment_method": pm}}
    )
    assert updated.invoice_settings.default_payment_method == pm
    stranger = _customer(stripe_client)
    with pytest.raises(stripe.InvalidRequestError, match="No such PaymentMethod"):
        stripe_client.v1.customers.update(
            stranger.id, params={"invoice_settings": {"default_payment_method": pm}}
        )


def test_off_session_charge_of_4242_succeeds_with_its_events(stripe_client, sink):
    customer, pm = _saved_card(stripe_client, sink, "4242 4242 4242 4242")
    intent = _off_session(stripe_client, customer.id, pm)
    assert intent.status == "succeeded" and intent.amount_received == 12000
    assert intent.metadata.to_dict() == {"timesheet_id": "5"}
    assert intent.description == "Week of 7 Dec" and intent.customer == customer.id
    sink.wait_for("payment_intent.succeeded", lambda o: o.id == intent.id)
    sink.wait_for("charge.succeeded", lambda o: o.id == intent.latest_charge)


@pytest.mark.parametrize("number", sorted(DECLINING))
def test_saved_cards_that_decline_every_charge(stripe_client, sink, number):
    customer, pm = _saved_card(stripe_client, sink, number)
    with pytest.raises(stripe.CardError) as caught:
        _off_session(stripe_client, customer.id, pm)
    error = caught.value.error
    decline_code, message = DECLINING[number]
    assert (caught.value.code, error.decline_code, error.message) == (
        "card_declined",
        decline_code,
        message,
    )
    assert caught.value.http_status == 402 and error.charge.startswith("ch_")
    intent = error.payment_intent
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.decline_code == decline_code
    assert intent.last_payment_error.payment_method.id == pm
    sink.wait_for("payment_intent.payment_failed", lambda o: o.id == intent.id)
    failed = sink.wait_for("charge.failed", lambda o: o.id == error.charge)
    assert failed.data.object.outcome.reason == decline_code


def test_authentication_required_off_session_but_not_on_the_hosted_page(stripe_client, sink):
    customer, pm = _saved_card(stripe_client, sink, "4000 0027 6000 3184")
    with pytest.raises(stripe.CardError) as caught:
        _off_session(stripe_client, customer.id, pm)
    error = caught.value.error
    assert caught.value.code == "authentication_required"
    assert error.decline_code == "authentication_required"
    assert error.message == "Your card was declined. This transaction requires authentication."
    assert error.payment_intent.status == "requires_payment_method"

    # On Stripe's page the owner is present and authenticates: it pays and saves the card.
    params = checkout_params(uuid.uuid4().hex[:8], sink.url, 12000, customer=customer.id)
    params["payment_intent_data"]["setup_future_usage"] = "off_session"
    session = stripe_client.v1.checkout.sessions.create(params=params)
    status, _, _ = request("POST", session.url, card_form("4000 0027 6000 3184"))
    assert status == 303
    paid = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.payment_method"]}
    )
    assert paid.payment_status == "paid"
    assert paid.payment_intent.setup_future_usage == "off_session"
    saved = paid.payment_intent.payment_method
    assert saved.customer == customer.id and saved.card.last4 == "3184"


def test_the_same_idempotency_key_returns_the_first_payment_intent(stripe_client, sink):
    customer, pm = _saved_card(stripe_client, sink, "4242 4242 4242 4242")
    first = _off_session(stripe_client, customer.id, pm, key="timesheet-1-charge")
    again = _off_session(stripe_client, customer.id, pm, key="timesheet-1-charge")
    assert again.id == first.id
    charges = stripe_client.v1.charges.list(params={"customer": customer.id}).data
    assert [c.id for c in charges] == [first.latest_charge]


def test_a_card_of_another_customer_cannot_be_charged(stripe_client, sink):
    _, pm = _saved_card(stripe_client, sink, "4242 4242 4242 4242")
    stranger = _customer(stripe_client)
    with pytest.raises(stripe.InvalidRequestError, match="does not belong to the Customer"):
        _off_session(stripe_client, stranger.id, pm)
