"""What the app asks before funding: the PaymentIntent with its latest charge expanded, its
refunds (partial ones too) and disputes, which a test opens when it chooses."""

from __future__ import annotations

import json

import pytest
import stripe
from stripe_emulator_helpers import request


def _charge_of(stripe_client, pi_id: str):
    pi = stripe_client.v1.payment_intents.retrieve(
        pi_id, params={"expand": ["latest_charge.refunds"]}
    )
    return pi, pi.latest_charge


def test_payment_intent_with_its_charge_expanded_shows_refunds(stripe_client, paid_session):
    pi_id = paid_session(amount=10000).payment_intent.id
    pi, charge = _charge_of(stripe_client, pi_id)
    assert (pi.status, pi.amount_received) == ("succeeded", 10000)
    assert charge.captured is True and charge.amount_refunded == 0
    assert charge.disputed is False and charge.refunds.data == []

    first = stripe_client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 2500})
    second = stripe_client.v1.refunds.create(params={"payment_intent": pi_id, "amount": 500})
    _, charge = _charge_of(stripe_client, pi_id)
    assert charge.amount_refunded == 3000 and charge.refunded is False
    assert sorted((r.id, r.amount) for r in charge.refunds.data) == sorted(
        [(first.id, 2500), (second.id, 500)]
    )
    rest = stripe_client.v1.refunds.create(params={"payment_intent": pi_id})
    assert rest.amount == 7000  # what was left, not the whole charge again
    _, charge = _charge_of(stripe_client, pi_id)
    assert charge.amount_refunded == 10000 and charge.refunded is True
    # Without expand the charge is an id, as in Stripe.
    plain = stripe_client.v1.payment_intents.retrieve(pi_id)
    assert plain.latest_charge == charge.id


def test_a_dispute_marks_the_charge_sends_an_event_and_blocks_refunds(
    stripe_client, emulator, sink, paid_session
):
    pi_id = paid_session(amount=4000).payment_intent.id
    _, charge = _charge_of(stripe_client, pi_id)
    status, _, body = request(
        "POST",
        f"{emulator.base_url}/_emulator/charges/{charge.id}/dispute",
        json_body={"reason": "fraudulent"},
    )
    assert status == 200, body
    dispute = json.loads(body)
    assert dispute["id"].startswith("dp_") and dispute["amount"] == 4000
    assert (dispute["charge"], dispute["payment_intent"]) == (charge.id, pi_id)

    event = sink.wait_for("charge.dispute.created", lambda o: o.charge == charge.id)
    assert event.data.object.status == "needs_response"
    _, charge = _charge_of(stripe_client, pi_id)
    assert charge.disputed is True
    assert stripe_client.v1.disputes.retrieve(dispute["id"]).reason == "fraudulent"

    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.refunds.create(params={"payment_intent": pi_id})
    assert refused.value.code == "charge_disputed"
    again, _, _ = request("POST", f"{emulator.base_url}/_emulator/charges/{charge.id}/dispute")
    assert again == 400


def test_disputing_an_unknown_charge_is_a_404(emulator):
    status, _, body = request("POST", f"{emulator.base_url}/_emulator/charges/ch_nope/dispute")
    assert status == 404 and "No such charge" in body
