"""Talking to the Stripe emulator from tests: plain HTTP, and a relay that hands its webhook
events to the app.

Events are taken from the emulator's record and POSTed, signed with Stripe's v1 scheme, to
/stripe/webhook through the Flask test client, so each test decides when (and in what order,
and how often) Stripe "calls back".
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import stripe

from devtools.stripe_emulator import sign

SECRET = "whsec_test_payments_suite"
API_KEY = "sk_test_delegate_suite"
DECLINED = "4000 0000 0000 0002"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def http(method: str, url: str, data: dict | None = None, json_body=None):
    """(status, headers, body) of one request, without following redirects."""
    body, headers = None, {}
    if data is not None:
        body = urllib.parse.urlencode(data).encode()
    if json_body is not None:
        body, headers = json.dumps(json_body).encode(), {"Content-Type": "application/json"}
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.build_opener(_NoRedirect).open(req, timeout=15) as resp:
            return resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers, err.read().decode()


class StripeRelay:
    def __init__(self, handle):
        self.handle = handle
        self.base_url = handle.base_url
        self.client = stripe.StripeClient(API_KEY, base_addresses={"api": handle.base_url})
        self.delivered: set[str] = set()

    def events(self, type: str | None = None) -> list[dict]:
        query = f"?type={type}" if type else ""
        _, _, body = http("GET", f"{self.base_url}/_emulator/events{query}")
        return [item["event"] for item in json.loads(body)["data"]]

    def post_event(self, client, event: dict, secret: str = SECRET):
        payload = json.dumps(event).encode()
        return client.raw.post(
            "/stripe/webhook",
            data=payload,
            headers={"Stripe-Signature": sign(payload, secret), "Content-Type": "application/json"},
        )

    def deliver(self, client, *, types=None, reverse=False) -> list:
        """Deliver every event not delivered yet (optionally only some types, or backwards)."""
        pending = [e for e in self.events() if e["id"] not in self.delivered]
        if types:
            pending = [e for e in pending if e["type"] in types]
        responses = []
        for event in reversed(pending) if reverse else pending:
            response = self.post_event(client, event)
            assert response.status_code == 200, response.get_data(as_text=True)
            self.delivered.add(event["id"])
            responses.append(response)
        return responses

    def checkout_for(self, contract_id: int, amount_cents: int, name: str):
        """A Checkout Session made outside Delegate that names our contract (an old tab, a
        bug, a leaked key): Stripe signs its events like any other."""
        metadata = {"contract_id": str(contract_id)}
        return self.client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": amount_cents,
                            "product_data": {"name": name},
                        },
                    }
                ],
                "payment_intent_data": {"metadata": metadata},
                "metadata": metadata,
                "client_reference_id": str(contract_id),
                "success_url": "http://localhost/done",
                "cancel_url": "http://localhost/cancel",
            }
        )

    def pay(self, checkout_url: str, card: str = "4242 4242 4242 4242"):
        return http(
            "POST",
            checkout_url,
            data={
                "cardNumber": card,
                "cardExpiry": "12 / 34",
                "cardCvc": "123",
                "email": "owner@example.com",
            },
        )

    def onboard(self, account_id: str) -> None:
        status, _, body = http("POST", f"{self.base_url}/_emulator/accounts/{account_id}/onboard")
        assert status == 200, body

    def transfers(self, contract_id: int) -> list:
        return list(
            self.client.v1.transfers.list(params={"transfer_group": f"contract-{contract_id}"}).data
        )
