"""The Stripe emulator for the form fuzz: checkout, payouts and saved-card forms call it."""

from tests.payments.conftest import stripe_emulator, stripe_relay  # noqa: F401
