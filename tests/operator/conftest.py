from tests.hiring.test_races import committed_app  # noqa: F401 (an app whose requests commit)
from tests.notifications.mailbox import fresh_matcher_index, mailbox, smtp_app, smtp_server  # noqa: F401
from tests.payments.conftest import (  # noqa: F401
    committed_stripe_app,
    stripe_emulator,
    stripe_relay,
)
