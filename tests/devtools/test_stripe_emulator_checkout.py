"""Checkout Sessions and the hosted page, through the real stripe library."""

from __future__ import annotations

import uuid

import pytest
import stripe
from stripe_emulator_helpers import card_form, checkout_params, request


def _contract() -> str:
    return uuid.uuid4().hex[:10]


def test_checkout_pay_with_4242_sends_signed_webhooks(stripe_client, sink):
    contract = _contract()
    session = stripe_client.v1.checkout.sessions.create(
        params=checkout_params(contract, sink.url, customer_email="owner@example.com"),
        options={"idempotency_key": f"contract-{contract}-checkout"},
    )
    assert session.id.startswith("cs_test_")
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert session.payment_intent is None
    assert session.amount_total == 12345 and session.currency == "usd"
    assert session.metadata.to_dict() == {"contract_id": contract}
    assert session.client_reference_id == contract

    status, _, page = request("GET", session.url)
    assert status == 200
    assert "TEST MODE — Delegate Stripe emulator" in page
    for field in ("id=cardNumber", "id=cardExpiry", "id=cardCvc", ">Pay</button>"):
        assert field in page
    assert "123.45 USD" in page

    status, headers, _ = request("POST", session.url, card_form())
    assert status == 303
    assert headers["Location"] == f"{sink.url}/success?session_id={session.id}"

    done = stripe_client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent", "payment_intent.latest_charge"]}
    )
    assert (done.status, done.payment_status) == ("complete", "paid")
    pi = done.payment_intent
    assert pi.id.startswith("pi_") and pi.status == "succeeded" and pi.amount == 12345
    assert pi.metadata.to_dict() == {"contract_id": contract}
    assert pi.transfer_group == f"contract-{contract}"
    charge = pi.latest_charge
    assert charge.id.startswith("ch_") and charge.status == "succeeded" and charge.paid
    assert charge.transfer_group == f"contract-{contract}"
    assert charge.metadata.to_dict() == {"contract_id": contract}

    completed = sink.wait_for("checkout.session.completed", lambda o: o.id == session.id)
    obj = completed.data.object
    assert obj.payment_intent == pi.id and obj.amount_total == 12345
    assert (
        obj.metadata.to_dict() == {"contract_id": contract} and obj.client_reference_id == contract
    )
    assert completed.id.startswith("evt_") and completed.livemode is False
    assert completed.api_version == stripe.api_version and completed.created > 0
    sink.wait_for("payment_intent.succeeded", lambda o: o.id == pi.id)
    sink.wait_for(
        "charge.succeeded",
        lambda o: o.id == charge.id and o.transfer_group == f"contract-{contract}",
    )

    # Once paid the page no longer takes payments.
    status, _, page = request("GET", session.url)
    assert status == 200 and "has been paid" in page
    assert done.url is None


def test_declined_card_keeps_session_open(stripe_client, sink):
    session = stripe_client.v1.checkout.sessions.create(
        params=checkout_params(_contract(), sink.url)
    )
    status, _, page = request("POST", session.url, card_form("4000 0000 0000 0002"))
    assert status == 402
    assert "Your card was declined." in page
    again = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (again.status, again.payment_status) == ("open", "unpaid")
    failed = sink.wait_for("payment_intent.payment_failed", lambda o: o.id == again.payment_intent)
    assert failed.data.object.last_payment_error.code == "card_declined"
    assert not sink.of_type("checkout.session.completed", lambda o: o.id == session.id)

    # A second attempt with a good card on the same session succeeds.
    status, _, _ = request("POST", session.url, card_form())
    assert status == 303
    paid = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert paid.payment_status == "paid" and paid.payment_intent == again.payment_intent


@pytest.mark.parametrize(
    "form, message",
    [
        (card_form("4242 4242 4242"), "Your card number is incomplete."),
        (card_form("4242 4242 4242 4241"), "Your card number is invalid."),
        (card_form(expiry="01 / 20"), "Your card's expiration year is in the past."),
        (card_form(cvc="1"), "Your card's security code is incomplete."),
    ],
)
def test_invalid_card_input_is_reported(stripe_client, sink, form, message):
    session = stripe_client.v1.checkout.sessions.create(
        params=checkout_params(_contract(), sink.url)
    )
    status, _, page = request("POST", session.url, form)
    assert status == 400 and message.replace("'", "&#x27;") in page
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent is None


def test_cancel_link_and_expire(stripe_client, sink):
    session = stripe_client.v1.checkout.sessions.create(
        params=checkout_params(_contract(), sink.url)
    )
    _, _, page = request("GET", session.url)
    assert f'id="cancel" href="{sink.url}/cancel"' in page

    expired = stripe_client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired" and expired.url is None
    sink.wait_for("checkout.session.expired", lambda o: o.id == session.id)
    status, _, page = request("POST", session.url, card_form())
    assert status == 410 and "expired" in page
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.checkout.sessions.expire(session.id)


def test_module_level_api_base(emulator, sink, monkeypatch):
    monkeypatch.setattr(stripe, "api_key", "sk_test_module")
    monkeypatch.setattr(stripe, "api_base", emulator.base_url)
    contract = _contract()
    session = stripe.checkout.Session.create(
        **checkout_params(contract, sink.url), idempotency_key=f"contract-{contract}-checkout"
    )
    assert stripe.checkout.Session.retrieve(session.id).status == "open"
    request("POST", session.url, card_form())
    done = stripe.checkout.Session.retrieve(
        session.id, expand=["payment_intent", "payment_intent.latest_charge"]
    )
    assert done.payment_intent.latest_charge.transfer_group == f"contract-{contract}"
    pi = stripe.PaymentIntent.retrieve(done.payment_intent.id, expand=["latest_charge"])
    assert pi.latest_charge.id == done.payment_intent.latest_charge.id
    assert isinstance(stripe.PaymentIntent.retrieve(pi.id).latest_charge, str)


def test_errors_have_stripe_shape(stripe_client, emulator, sink):
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.checkout.sessions.create(params=checkout_params("x", sink.url, bogus="1"))
    assert err.value.param == "bogus" and err.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.checkout.sessions.retrieve("cs_test_missing")
    assert err.value.http_status == 404 and err.value.code == "resource_missing"
    live = stripe.StripeClient("sk_live_oops", base_addresses={"api": emulator.base_url})
    with pytest.raises(stripe.AuthenticationError):
        live.v1.checkout.sessions.retrieve("cs_test_missing")
    status, _, body = request("GET", emulator.base_url + "/v1/nothing_here")
    assert status == 401  # unauthenticated requests never reach routing
