"""Webhook lag: how long after Stripe made an event it reached us, in /metrics."""

from __future__ import annotations

from marketplace.db import utcnow
from tests.ops.scrape import TOKEN, scrape, value


def test_webhook_lag_is_the_time_since_stripe_made_the_event(
    app, client, stripe_relay, monkeypatch
):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    labels = {"type": "customer.created"}
    before = scrape(client)
    event = {
        "id": "evt_lag_test_1",
        "object": "event",
        "type": "customer.created",
        "created": int(utcnow().timestamp()) - 45,  # Stripe made it 45 s ago
        "data": {"object": {"id": "cus_lag_test", "object": "customer"}},
    }
    response = stripe_relay.post_event(client, event)
    assert response.status_code == 200, response.get_data(as_text=True)
    after = scrape(client)
    count = "delegate_webhook_lag_seconds_count"
    assert value(after, count, **labels) == value(before, count, **labels) + 1
    lag = value(after, "delegate_webhook_lag_seconds_sum", **labels) - value(
        before, "delegate_webhook_lag_seconds_sum", **labels
    )
    assert 45 <= lag < 45 + 60
    within_a_minute = value(after, "delegate_webhook_lag_seconds_bucket", le="60.0", **labels)
    assert (
        within_a_minute - value(before, "delegate_webhook_lag_seconds_bucket", le="60.0", **labels)
        == 1
    )


def test_an_event_with_a_bad_signature_is_not_counted(app, client, stripe_relay, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    before = value(scrape(client), "delegate_webhook_lag_seconds_count")
    event = {"id": "evt_forged", "type": "customer.created", "created": 1, "data": {"object": {}}}
    response = stripe_relay.post_event(client, event, secret="whsec_not_ours")
    assert response.status_code == 400
    assert value(scrape(client), "delegate_webhook_lag_seconds_count") == before
