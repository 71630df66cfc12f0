"""Fixtures for the Stripe emulator tests: one emulator per session (in a
thread), a tiny webhook receiver, and helpers to pay through the hosted page."""

from __future__ import annotations

import time

import pytest
import stripe
from stripe_emulator_helpers import (
    FAST_RETRIES,
    SECRET,
    WebhookSink,
    card_form,
    checkout_params,
    request,
)

from devtools.stripe_emulator import run_in_thread


@pytest.fixture(scope="session")
def sink():
    s = WebhookSink()
    yield s
    s.close()


@pytest.fixture(scope="session")
def emulator(sink):
    handle = run_in_thread(
        port=0,
        webhook_url=sink.url + "/stripe/webhook",
        webhook_secret=SECRET,
        retry_delays=FAST_RETRIES,
    )
    yield handle
    handle.stop()


@pytest.fixture(autouse=True)
def _default_config(request):
    """Tests may change delivery settings; restore them afterwards."""
    yield
    if "emulator" in request.fixturenames:
        handle = request.getfixturevalue("emulator")
        sink = request.getfixturevalue("sink")
        handle.configure(
            deliver_webhooks=True,
            webhook_url=sink.url + "/stripe/webhook",
            retry_delays=FAST_RETRIES,
            webhook_delay=0.0,
        )


@pytest.fixture
def stripe_client(emulator) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_delegate", base_addresses={"api": emulator.base_url})


@pytest.fixture
def paid_session(stripe_client, sink):
    """A checkout session paid with 4242 through the hosted form."""
    counter = iter(range(10**6))

    def make(amount: int = 12345):
        contract = f"p{time.monotonic_ns()}{next(counter)}"
        session = stripe_client.v1.checkout.sessions.create(
            params=checkout_params(contract, sink.url, amount)
        )
        status, headers, _ = request("POST", session.url, card_form())
        assert status == 303, status
        return stripe_client.v1.checkout.sessions.retrieve(
            session.id, params={"expand": ["payment_intent", "payment_intent.latest_charge"]}
        )

    return make
