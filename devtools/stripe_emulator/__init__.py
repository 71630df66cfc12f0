"""Delegate's local Stripe emulator (TEST MODE only).

localstripe (customers, PaymentIntents, charges, refunds) plus what it lacks:
Checkout Sessions with a hosted card page, Connect accounts / onboarding links /
transfers, idempotency keys, and signed webhooks with retries. Listens on
127.0.0.1 only and keeps all state in memory.

    python -m devtools.stripe_emulator --port 12111 \\
        --webhook-url http://127.0.0.1:5000/stripe/webhook --webhook-secret whsec_test_...

    handle = run_in_thread(webhook_url=..., webhook_secret="whsec_...")
    stripe_client = stripe.StripeClient("sk_test_x", base_addresses={"api": handle.base_url})
    handle.stop()
"""

from .app import HOST, EmulatorHandle, create_app, run_in_thread, serve
from .webhooks import WebhookConfig, sign

__all__ = [
    "HOST",
    "EmulatorHandle",
    "WebhookConfig",
    "create_app",
    "run_in_thread",
    "serve",
    "sign",
]
