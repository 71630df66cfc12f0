"""The demo is loaded against the same in-thread Stripe emulator the payment tests use."""

from tests.payments.conftest import stripe_emulator, stripe_relay  # noqa: F401
