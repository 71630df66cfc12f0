from tests.notifications.mailbox import fresh_matcher_index, mailbox, smtp_app, smtp_server  # noqa: F401
from tests.payments.conftest import stripe_emulator, stripe_relay  # noqa: F401
