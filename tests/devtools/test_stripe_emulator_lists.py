"""Lists with Stripe's filters and paging (what finds a payment, refund or transfer again
once its idempotency key is forgotten), and the key itself forgotten after 24 hours."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import stripe
from test_stripe_emulator_cards import _off_session, _saved_card
from test_stripe_emulator_connect import _account, _onboard

from devtools.stripe_emulator.middleware import IDEMPOTENCY_TTL

# Ahead of the real clock, so time only moves forward for the session's other objects.
START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)


def _ids(listed) -> list[str]:
    return [o.id for o in listed.auto_paging_iter()]


def test_payment_intents_by_customer_and_created_page_newest_first(
    stripe_client, sink, time_machine
):
    time_machine.move_to(START, tick=False)
    customer, pm = _saved_card(stripe_client, sink, "4242424242424242")
    other, other_pm = _saved_card(stripe_client, sink, "4242424242424242")
    early = [_off_session(stripe_client, customer.id, pm).id for _ in range(3)]
    _off_session(stripe_client, other.id, other_pm)
    time_machine.move_to(START + timedelta(hours=2), tick=False)
    late = [_off_session(stripe_client, customer.id, pm).id for _ in range(3)]

    listed = stripe_client.v1.payment_intents.list(params={"customer": customer.id, "limit": 2})
    assert listed.has_more and len(listed.data) == 2
    # Same-second objects still page once each, newest first.
    assert _ids(listed) == [*reversed(late), *reversed(early)]
    since = int((START + timedelta(hours=1)).timestamp())
    recent = stripe_client.v1.payment_intents.list(
        params={"customer": customer.id, "created": {"gte": since}, "limit": 1}
    )
    assert _ids(recent) == list(reversed(late))
    older = stripe_client.v1.payment_intents.list(
        params={"customer": customer.id, "created": {"lt": since}}
    )
    assert [o.id for o in older.data] == list(reversed(early))


def test_refunds_by_payment_intent_and_transfers_by_group_and_destination(
    stripe_client, sink, paid_session
):
    paid = paid_session(10000)
    intent = paid.payment_intent
    refunds = [
        stripe_client.v1.refunds.create(
            params={"payment_intent": intent.id, "amount": 1000, "metadata": {"n": str(n)}}
        )
        for n in range(3)
    ]
    by_charge = stripe_client.v1.refunds.create(
        params={"charge": intent.latest_charge.id, "amount": 500}
    )
    stripe_client.v1.refunds.create(params={"payment_intent": paid_session(5000).payment_intent.id})
    listed = stripe_client.v1.refunds.list(params={"payment_intent": intent.id, "limit": 2})
    assert _ids(listed) == [by_charge.id, *reversed([r.id for r in refunds])]
    assert listed.data[1].metadata["n"] == "2"

    account = _account(stripe_client)
    _onboard(stripe_client, sink, account.id)
    group = f"contract-{uuid.uuid4().hex}"
    made = [
        stripe_client.v1.transfers.create(
            params={
                "amount": 100 + n,
                "currency": "usd",
                "destination": account.id,
                "transfer_group": group,
                "source_transaction": intent.latest_charge.id,
            }
        ).id
        for n in range(3)
    ]
    listed = stripe_client.v1.transfers.list(
        params={"transfer_group": group, "destination": account.id, "limit": 1}
    )
    assert _ids(listed) == list(reversed(made))
    assert stripe_client.v1.transfers.list(params={"transfer_group": "contract-none"}).data == []


def test_a_list_refuses_an_unknown_cursor_and_a_bad_limit(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.refunds.list(params={"starting_after": "re_nope"})
    assert missing.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.list(params={"limit": 101})


def test_a_key_is_forgotten_after_24_hours_and_the_same_call_then_charges_again(
    stripe_client, sink, time_machine
):
    """What the gateway's stamped-key lookup is there for."""
    time_machine.move_to(START, tick=False)
    customer, pm = _saved_card(stripe_client, sink, "4242424242424242")
    key = f"timesheet-{uuid.uuid4().hex}-charge"
    first = _off_session(stripe_client, customer.id, pm, key=key)
    time_machine.move_to(START + timedelta(seconds=IDEMPOTENCY_TTL - 60), tick=False)
    assert _off_session(stripe_client, customer.id, pm, key=key).id == first.id
    time_machine.move_to(START + timedelta(seconds=IDEMPOTENCY_TTL + 60), tick=False)
    assert _off_session(stripe_client, customer.id, pm, key=key).id != first.id
