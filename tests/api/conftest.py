from tests.payments.conftest import stripe_emulator, stripe_relay  # noqa: F401
