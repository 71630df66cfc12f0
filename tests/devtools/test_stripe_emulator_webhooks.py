"""Webhook delivery: refunds, resend/replay, lost deliveries, retries."""

from __future__ import annotations

import json
import socket
import time

import stripe
from stripe_emulator_helpers import SECRET, WebhookSink, card_form, checkout_params, request


def test_refund_sends_charge_refunded(stripe_client, sink, paid_session):
    pi = paid_session().payment_intent
    refund = stripe_client.v1.refunds.create(
        params={"payment_intent": pi.id}, options={"idempotency_key": f"refund-{pi.id}"}
    )
    assert refund.id.startswith("re_") and refund.status == "succeeded"
    assert refund.amount == pi.amount
    event = sink.wait_for("charge.refunded", lambda o: o.payment_intent == pi.id)
    assert event.data.object.refunded is True
    assert event.data.object.amount_refunded == pi.amount
    again = stripe_client.v1.refunds.create(
        params={"payment_intent": pi.id}, options={"idempotency_key": f"refund-{pi.id}"}
    )
    assert again.id == refund.id  # replayed, not a second refund
    try:
        stripe_client.v1.refunds.create(params={"payment_intent": pi.id})
    except stripe.InvalidRequestError as err:
        assert err.code == "charge_already_refunded"
    else:
        raise AssertionError("double refund accepted")


def test_lost_webhooks_can_be_listed_and_resent(stripe_client, emulator, sink):
    request("POST", emulator.base_url + "/_emulator/config", json_body={"deliver_webhooks": False})
    session = stripe_client.v1.checkout.sessions.create(params=checkout_params("lost", sink.url))
    request("POST", session.url, card_form())
    listed = _events_until(
        emulator,
        "checkout.session.completed",
        lambda e: e["event"]["data"]["object"]["id"] == session.id and e["delivery"]["status"],
    )
    # Decided once the event exists: never delivered, so the sink's silence is not a matter of
    # waiting long enough.
    assert len(listed) == 1 and listed[0]["delivery"]["status"] == "skipped"
    assert not sink.of_type("checkout.session.completed", lambda o: o.id == session.id)
    event_id = listed[0]["event"]["id"]

    # A reconcile job would now find the paid session through the API.
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"

    # Replaying twice delivers the same event (same id) twice: handlers must dedupe.
    for _ in range(2):
        status, _, body = request("POST", f"{emulator.base_url}/_emulator/events/{event_id}/resend")
        assert status == 200 and json.loads(body)["delivered"] is True
    got = sink.of_type("checkout.session.completed", lambda o: o.id == session.id)
    assert [e.id for e in got] == [event_id, event_id]
    # Events are also readable through Stripe's own API.
    assert stripe_client.v1.events.retrieve(event_id).type == "checkout.session.completed"


def test_delivery_retries_until_target_is_up(stripe_client, emulator):
    with socket.socket() as s:  # reserve a port, then leave it closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    emulator.configure(
        webhook_url=f"http://127.0.0.1:{port}/hook", retry_delays=[0.3, 0.3, 0.5, 0.5, 1, 1, 2]
    )
    customer = stripe_client.v1.customers.create(params={"email": "retry@example.com"})
    [event] = _events_until(
        emulator,
        "customer.created",
        lambda e: e["event"]["data"]["object"]["id"] == customer.id and e["delivery"]["attempts"],
    )
    assert event["delivery"]["status"] == "pending"
    assert "error" in event["delivery"]["attempts"][0]

    late = WebhookSink(port=port)  # the app comes up
    try:
        got = late.wait_for("customer.created", lambda o: o.id == customer.id, timeout=5)
        assert got.id == event["event"]["id"]
        deadline = time.monotonic() + 3
        while True:  # the emulator records success once it reads the 200 back
            _, _, body = request("GET", f"{emulator.base_url}/_emulator/events/{got.id}")
            delivery = json.loads(body)["delivery"]
            if delivery["status"] == "delivered" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert delivery["status"] == "delivered" and len(delivery["attempts"]) >= 2
    finally:
        late.close()


def test_signature_is_stripe_v1_scheme(sink, paid_session):
    paid_session()
    body, header = sink.raw[-1]
    parts = dict(p.split("=", 1) for p in header.split(","))
    assert set(parts) == {"t", "v1"}
    try:
        stripe.Webhook.construct_event(body.decode(), header, SECRET + "x")
    except stripe.SignatureVerificationError:
        pass
    else:
        raise AssertionError("wrong secret accepted")


def test_events_can_be_replayed_in_reverse_order(stripe_client, emulator, sink):
    emulator.configure(deliver_webhooks=False)
    first = stripe_client.v1.customers.create(params={"email": "first@example.com"})
    second = stripe_client.v1.customers.create(params={"email": "second@example.com"})
    _, _, body = request("GET", emulator.base_url + "/_emulator/events?type=customer.created")
    ids = {
        e["event"]["data"]["object"]["id"]: e["event"]["id"]
        for e in json.loads(body)["data"]
        if e["event"]["data"]["object"]["id"] in (first.id, second.id)
    }
    for customer in (second, first):
        request("POST", f"{emulator.base_url}/_emulator/events/{ids[customer.id]}/resend")
    got = [
        e.data.object.id
        for e in sink.of_type("customer.created", lambda o: o.id in (first.id, second.id))
    ]
    assert got == [second.id, first.id]


def test_another_emulators_reset_leaves_this_ones_event_list_working(stripe_client, emulator):
    """Emulators in one process share localstripe's store; the payments and browser suites
    reset theirs, which forgets this one's events too: its list must still answer."""
    from devtools.stripe_emulator import run_in_thread

    forgotten = stripe_client.v1.customers.create(params={"email": "forgotten@example.com"})
    other = run_in_thread(port=0, webhook_secret=SECRET)
    try:
        request("POST", other.base_url + "/_emulator/reset")
    finally:
        other.stop()
    kept = stripe_client.v1.customers.create(params={"email": "kept@example.com"})
    status, _, body = request("GET", emulator.base_url + "/_emulator/events?type=customer.created")
    assert status == 200
    listed = [e["event"]["data"]["object"]["id"] for e in json.loads(body)["data"]]
    assert kept.id in listed and forgotten.id not in listed


def _events_until(emulator, type: str, wanted, timeout: float = 5.0) -> list[dict]:
    """The emulator's events of ``type`` that satisfy ``wanted``, once there is one."""
    deadline = time.monotonic() + timeout
    while True:
        _, _, body = request("GET", f"{emulator.base_url}/_emulator/events?type={type}")
        found = [e for e in json.loads(body)["data"] if wanted(e)]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)
