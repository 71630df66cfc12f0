"""Idempotency-Key handling on every POST, ours and localstripe's."""

from __future__ import annotations

import uuid

import pytest
import requests
import stripe
from stripe_emulator_helpers import checkout_params


def test_same_key_same_request_returns_stored_object(stripe_client, sink):
    key = f"contract-{uuid.uuid4().hex}-checkout"
    params = checkout_params("idem", sink.url)
    first = stripe_client.v1.checkout.sessions.create(
        params=params, options={"idempotency_key": key}
    )
    second = stripe_client.v1.checkout.sessions.create(
        params=params, options={"idempotency_key": key}
    )
    assert first.id == second.id
    assert second.last_response.headers.get("Idempotent-Replayed") == "true"
    sessions = stripe_client.v1.checkout.sessions.list(params={"limit": 100})
    assert [s.id for s in sessions.data].count(first.id) == 1


def test_same_key_different_params_is_an_idempotency_error(stripe_client, sink):
    key = f"k-{uuid.uuid4().hex}"
    stripe_client.v1.checkout.sessions.create(
        params=checkout_params("a", sink.url), options={"idempotency_key": key}
    )
    with pytest.raises(stripe.IdempotencyError) as err:
        stripe_client.v1.checkout.sessions.create(
            params=checkout_params("a", sink.url, amount=999), options={"idempotency_key": key}
        )
    assert err.value.http_status == 400
    assert "same parameters" in err.value.user_message


def test_localstripe_routes_are_idempotent_too(stripe_client):
    key = f"cus-{uuid.uuid4().hex}"
    a = stripe_client.v1.customers.create(
        params={"email": "a@example.com"}, options={"idempotency_key": key}
    )
    b = stripe_client.v1.customers.create(
        params={"email": "a@example.com"}, options={"idempotency_key": key}
    )
    assert a.id == b.id
    with pytest.raises(stripe.IdempotencyError):
        stripe_client.v1.customers.create(
            params={"email": "b@example.com"}, options={"idempotency_key": key}
        )


def test_errors_are_replayed_like_stripe(stripe_client, emulator):
    """Stripe saves the first result for a key, errors included."""
    key = f"tr-{uuid.uuid4().hex}"
    params = {"amount": 100, "currency": "usd", "destination": "acct_nope"}
    for _ in range(2):
        with pytest.raises(stripe.InvalidRequestError) as err:
            stripe_client.v1.transfers.create(params=params, options={"idempotency_key": key})
        assert err.value.param == "destination"


def test_retry_headers_and_stripe_version_are_tolerated(emulator):
    key = uuid.uuid4().hex
    headers = {
        "Authorization": "Bearer sk_test_raw",
        "Idempotency-Key": key,
        "Stripe-Version": "2020-08-27",
        "X-Stripe-Client-Telemetry": "{}",
        "Stripe-Should-Retry": "true",
    }
    first = requests.post(
        emulator.base_url + "/v1/customers",
        data={"email": "r@example.com"},
        headers=headers,
        timeout=5,
    )
    replay = requests.post(
        emulator.base_url + "/v1/customers",
        data={"email": "r@example.com"},
        headers=headers,
        timeout=5,
    )
    assert first.status_code == replay.status_code == 200
    assert first.json()["id"] == replay.json()["id"]
    assert replay.headers["Idempotent-Replayed"] == "true"
