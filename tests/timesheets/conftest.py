from tests.payments.conftest import committed_stripe_app, stripe_emulator, stripe_relay  # noqa: F401
