"""Helpers shared by the Stripe emulator tests (imported by name: pytest puts
this folder on sys.path because it has no __init__.py)."""

from __future__ import annotations

import http.server
import threading
import time

import stripe

from tests.stripe_support import http as request  # noqa: F401 (used by the tests)

SECRET = "whsec_test_delegate_emulator"
FAST_RETRIES = [0.2, 0.4, 0.8, 1.6]


class WebhookSink:
    """Receives webhooks on 127.0.0.1 and verifies them like the app will."""

    def __init__(self, port: int = 0):
        self.events: list[stripe.Event] = []
        self.raw: list[tuple[bytes, str]] = []
        self._cond = threading.Condition()
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                sig = self.headers.get("Stripe-Signature", "")
                try:
                    event = stripe.Webhook.construct_event(body.decode(), sig, SECRET)
                except (stripe.SignatureVerificationError, ValueError):
                    self.send_response(400)
                    self.end_headers()
                    return
                with sink._cond:
                    sink.raw.append((body, sig))
                    sink.events.append(event)
                    sink._cond.notify_all()
                self.send_response(200)
                self.end_headers()

            def do_GET(self):  # success/cancel/return pages for browser flows
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(b"<h1 id=landed>Back on Delegate</h1>")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait_for(self, type: str, match=lambda obj: True, timeout: float = 5.0) -> stripe.Event:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events:
                    if event.type == type and match(event.data.object):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [e.type for e in self.events]
                    raise AssertionError(f"no {type} webhook within {timeout}s; got {seen}")
                self._cond.wait(left)

    def of_type(self, type: str, match=lambda obj: True) -> list[stripe.Event]:
        with self._cond:
            return [e for e in self.events if e.type == type and match(e.data.object)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def card_form(
    number: str = "4242 4242 4242 4242",
    expiry: str = "12 / 34",
    cvc: str = "123",
    email: str = "owner@example.com",
) -> dict:
    return {"cardNumber": number, "cardExpiry": expiry, "cardCvc": cvc, "email": email}


def checkout_params(contract: str, sink_url: str, amount: int = 12345, **extra) -> dict:
    params = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": amount,
                    "product_data": {"name": f"Contract {contract}"},
                },
                "quantity": 1,
            }
        ],
        "payment_intent_data": {
            "transfer_group": f"contract-{contract}",
            "metadata": {"contract_id": contract},
        },
        "client_reference_id": contract,
        "metadata": {"contract_id": contract},
        "success_url": sink_url + "/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": sink_url + "/cancel",
    }
    params.update(extra)
    return params
